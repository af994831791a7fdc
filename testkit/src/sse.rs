//! Server-sent events: a `text/event-stream` body read as the browser's
//! `EventSource` does (WHATWG HTML, "Interpreting an event stream").

use std::collections::VecDeque;
use std::io::Write;
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http::header;

/// How long [`TestStream::next_event`](crate::TestStream::next_event)
/// waits for the next event, unless
/// [`TestStream::event_timeout`](crate::TestStream::event_timeout) says
/// otherwise.
pub const DEFAULT_EVENT_TIMEOUT: Duration = Duration::from_secs(5);

/// One server-sent event, as an `EventSource` in a browser dispatches it.
///
/// Read from a whole body with
/// [`TestResponse::events`](crate::TestResponse::events), or one at a time
/// from a stream with
/// [`TestStream::next_event`](crate::TestStream::next_event).
///
/// ```
/// use std::convert::Infallible;
/// use http::Response;
/// use pastry_testkit::{Body, TestClient};
///
/// let app = tower::service_fn(|_req: http::Request<Body>| async {
///     let body = ": a comment\nid: 7\nevent: score\ndata: 1\ndata: 2\nretry: 3000\n\ndata: next\n\n";
///     let res = Response::builder().header("content-type", "text/event-stream").body(body.to_owned());
///     Ok::<_, Infallible>(res.unwrap())
/// });
/// let events = TestClient::new(app).get("/feed").send_blocking().events();
/// assert_eq!(events.len(), 2);
/// assert_eq!((events[0].event.as_str(), events[0].data.as_str()), ("score", "1\n2"));
/// assert_eq!(events[0].id, "7");
/// assert_eq!(events[0].retry, Some(std::time::Duration::from_millis(3000)));
/// // The type defaults to "message"; the last event ID carries over.
/// assert_eq!((events[1].event.as_str(), events[1].id.as_str()), ("message", "7"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// The event type: the last `event:` field of the event, else
    /// `"message"`.
    pub event: String,
    /// The `data:` fields joined with `\n`.
    pub data: String,
    /// The last event ID (`lastEventId`): the last `id:` field seen in the
    /// stream so far, this event's or an earlier one's; empty if none.
    pub id: String,
    /// The reconnection time set by the last valid `retry:` field seen in
    /// the stream so far, if any.
    pub retry: Option<Duration>,
}

/// Reads an event stream pushed in pieces of any size.
#[derive(Debug, Default)]
pub(crate) struct EventParser {
    line: Vec<u8>,
    after_cr: bool,
    seen_first_line: bool,
    data: String,
    event_type: String,
    last_event_id: String,
    retry: Option<Duration>,
    ready: VecDeque<Event>,
}

impl EventParser {
    /// Reads `bytes`, the next part of the stream.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            match byte {
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' => self.end_line(),
                b'\r' => {
                    self.end_line();
                    self.after_cr = true;
                }
                _ => {
                    self.after_cr = false;
                    self.line.push(byte);
                }
            }
        }
    }

    /// The next complete event, if one has been read.
    pub(crate) fn next_event(&mut self) -> Option<Event> {
        self.ready.pop_front()
    }

    /// Every event in a whole body; an event the body ends in the middle
    /// of is not dispatched.
    pub(crate) fn parse(body: &[u8]) -> Vec<Event> {
        let mut parser = Self::default();
        parser.push(body);
        parser.ready.into()
    }

    fn end_line(&mut self) {
        let mut bytes = std::mem::take(&mut self.line);
        if !self.seen_first_line {
            self.seen_first_line = true;
            if bytes.starts_with("\u{FEFF}".as_bytes()) {
                bytes.drain(..3);
            }
        }
        let line = String::from_utf8_lossy(&bytes);
        if line.is_empty() {
            self.dispatch();
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event_type),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => value.clone_into(&mut self.last_event_id),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                // Digits too many for a u64 are milliseconds beyond any test.
                let millis = value.parse().unwrap_or(u64::MAX);
                self.retry = Some(Duration::from_millis(millis));
            }
            _ => {}
        }
    }

    fn dispatch(&mut self) {
        let event_type = std::mem::take(&mut self.event_type);
        if self.data.is_empty() {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop();
        self.ready.push_back(Event {
            event: if event_type.is_empty() {
                "message".to_owned()
            } else {
                event_type
            },
            data,
            id: self.last_event_id.clone(),
            retry: self.retry,
        });
    }
}

/// Whether `headers` say the body is an event stream, or what they say.
pub(crate) fn check_event_stream(headers: &HeaderMap) -> Result<(), String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let essence = content_type
        .as_deref()
        .and_then(|ct| ct.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase());
    if essence.as_deref() == Some("text/event-stream") {
        Ok(())
    } else {
        Err(format!(
            "not an event stream: Content-Type is {}, not text/event-stream",
            content_type.map_or_else(|| "absent".to_owned(), |ct| format!("{ct:?}")),
        ))
    }
}

/// Undoes a `Content-Encoding` piece by piece, for a body read as it comes.
pub(crate) enum StreamDecoder {
    Identity,
    Gzip(flate2::write::GzDecoder<Vec<u8>>),
    Deflate(flate2::write::ZlibDecoder<Vec<u8>>),
}

impl StreamDecoder {
    /// The decoder for `headers`' `Content-Encoding`: `gzip`, `x-gzip`,
    /// `deflate` or `identity`, one coding at most.
    pub(crate) fn for_headers(headers: &HeaderMap) -> Result<Self, String> {
        let mut codings = headers
            .get_all(header::CONTENT_ENCODING)
            .iter()
            .flat_map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split(',')
                    .map(|c| c.trim().to_ascii_lowercase())
                    .collect::<Vec<_>>()
            })
            .filter(|c| !c.is_empty() && c != "identity");
        let decoder = match codings.next().as_deref() {
            None => Self::Identity,
            Some("gzip" | "x-gzip") => Self::Gzip(flate2::write::GzDecoder::new(Vec::new())),
            Some("deflate") => Self::Deflate(flate2::write::ZlibDecoder::new(Vec::new())),
            Some(other) => {
                return Err(format!(
                    "cannot read an event stream in Content-Encoding {other:?}"
                ));
            }
        };
        match codings.next() {
            None => Ok(decoder),
            Some(_) => {
                Err("cannot read an event stream in more than one Content-Encoding".to_owned())
            }
        }
    }

    /// The plain bytes of the next piece `data` of the body (as many as
    /// can be decoded so far).
    pub(crate) fn decode(&mut self, data: Bytes) -> Result<Bytes, String> {
        fn feed<W: Write>(
            decoder: &mut W,
            data: &[u8],
            take: impl FnOnce(&mut W) -> Vec<u8>,
        ) -> Result<Bytes, String> {
            decoder
                .write_all(data)
                .and_then(|()| decoder.flush())
                .map_err(|e| format!("the event stream does not decode: {e}"))?;
            Ok(Bytes::from(take(decoder)))
        }
        match self {
            Self::Identity => Ok(data),
            Self::Gzip(decoder) => feed(decoder, &data, |d| std::mem::take(d.get_mut())),
            Self::Deflate(decoder) => feed(decoder, &data, |d| std::mem::take(d.get_mut())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event: &str, data: &str, id: &str) -> Event {
        Event {
            event: event.to_owned(),
            data: data.to_owned(),
            id: id.to_owned(),
            retry: None,
        }
    }

    #[test]
    fn data_lines_join_with_newlines_and_the_type_defaults_to_message() {
        let events = EventParser::parse(b"data: one\ndata: two\n\n");
        assert_eq!(events, [event("message", "one\ntwo", "")]);
    }

    #[test]
    fn crlf_lf_and_lone_cr_all_end_lines() {
        let events = EventParser::parse(b"data: a\r\n\r\ndata: b\n\ndata: c\r\rdata: d\r\n\n");
        let data: Vec<&str> = events.iter().map(|e| e.data.as_str()).collect();
        assert_eq!(data, ["a", "b", "c", "d"]);
    }

    #[test]
    fn crlf_split_across_pushes_is_one_line_end() {
        let mut parser = EventParser::default();
        parser.push(b"data: a\r");
        parser.push(b"\ndata: b\r");
        parser.push(b"\n\r");
        parser.push(b"\n");
        assert_eq!(parser.next_event(), Some(event("message", "a\nb", "")));
        assert_eq!(parser.next_event(), None);
    }

    #[test]
    fn event_split_byte_by_byte_reads_the_same() {
        let stream = "\u{FEFF}id: 1\nevent: é\ndata: ünïcode\n\n".as_bytes();
        let mut parser = EventParser::default();
        for byte in stream {
            parser.push(std::slice::from_ref(byte));
        }
        assert_eq!(parser.next_event(), Some(event("é", "ünïcode", "1")));
    }

    #[test]
    fn comments_and_unknown_fields_are_ignored() {
        let events = EventParser::parse(b": keep-alive\nfoo: bar\ndata: x\n:another\n\n:\n\n");
        assert_eq!(events, [event("message", "x", "")]);
    }

    #[test]
    fn only_one_space_after_the_colon_is_dropped() {
        let events = EventParser::parse(b"data:no space\ndata:  two spaces\ndata\n\n");
        assert_eq!(events[0].data, "no space\n two spaces\n");
    }

    #[test]
    fn a_leading_bom_is_skipped_once() {
        let stream = "\u{FEFF}data: a\n\n\u{FEFF}data: b\n\n".as_bytes();
        let events = EventParser::parse(stream);
        assert_eq!(events[0].data, "a");
        // A second BOM is part of a field name ("\u{FEFF}data"): ignored.
        assert_eq!(events.len(), 1);
    }

    #[test]
    fn the_last_event_id_carries_over_and_an_empty_id_resets_it() {
        let events = EventParser::parse(b"id: 5\ndata: a\n\ndata: b\n\nid\ndata: c\n\n");
        let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["5", "5", ""]);
    }

    #[test]
    fn an_id_with_a_nul_is_ignored() {
        let events = EventParser::parse(b"id: 1\n\nid: a\0b\ndata: x\n\n");
        assert_eq!(events, [event("message", "x", "1")]);
    }

    #[test]
    fn an_event_without_data_is_not_dispatched_and_its_type_is_forgotten() {
        let events = EventParser::parse(b"event: ping\n\ndata: x\n\n");
        assert_eq!(events, [event("message", "x", "")]);
    }

    #[test]
    fn empty_data_is_dispatched_as_an_empty_string() {
        let events = EventParser::parse(b"data\n\ndata:\ndata:\n\n");
        let data: Vec<&str> = events.iter().map(|e| e.data.as_str()).collect();
        assert_eq!(data, ["", "\n"]);
    }

    #[test]
    fn retry_takes_only_digits_and_is_kept_for_later_events() {
        let events = EventParser::parse(
            b"retry: 1500\n\ndata: a\n\nretry: 2s\ndata: b\n\nretry:\ndata: c\n\n",
        );
        let retries: Vec<_> = events.iter().map(|e| e.retry).collect();
        let kept = Some(Duration::from_millis(1500));
        assert_eq!(retries, [kept, kept, kept]);
    }

    #[test]
    fn an_unfinished_event_at_the_end_is_dropped() {
        assert_eq!(
            EventParser::parse(b"data: a\n\ndata: b\n"),
            [event("message", "a", "")]
        );
        assert_eq!(EventParser::parse(b"data: a"), []);
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        let events = EventParser::parse(b"data: caf\xe9\n\n");
        assert_eq!(events[0].data, "caf\u{FFFD}");
    }

    #[test]
    fn content_type_must_be_text_event_stream() {
        let mut headers = HeaderMap::new();
        assert!(check_event_stream(&headers).unwrap_err().contains("absent"));
        headers.insert(
            header::CONTENT_TYPE,
            "Text/Event-Stream; charset=utf-8".parse().unwrap(),
        );
        assert_eq!(check_event_stream(&headers), Ok(()));
        headers.insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
        assert!(
            check_event_stream(&headers)
                .unwrap_err()
                .contains("\"text/plain\"")
        );
    }

    #[test]
    fn gzip_pieces_decode_as_they_come() {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(b"data: one\n\n").unwrap();
        encoder.flush().unwrap();
        let first = std::mem::take(encoder.get_mut());
        encoder.write_all(b"data: two\n\n").unwrap();
        let second = encoder.finish().unwrap();

        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
        let mut decoder = StreamDecoder::for_headers(&headers).unwrap();
        assert_eq!(decoder.decode(Bytes::from(first)).unwrap(), "data: one\n\n");
        assert_eq!(
            decoder.decode(Bytes::from(second)).unwrap(),
            "data: two\n\n"
        );
    }

    #[test]
    fn two_codings_are_refused() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_ENCODING, "gzip, br".parse().unwrap());
        assert!(StreamDecoder::for_headers(&headers).is_err());
    }
}
