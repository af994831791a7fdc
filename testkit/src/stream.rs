//! `TestStream`: a response read one frame at a time.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use http_body::Frame;
use http_body_util::BodyExt;

use crate::app::AppBody;
use crate::error::TestError;
use crate::sse::{DEFAULT_EVENT_TIMEOUT, EventParser, StreamDecoder, check_event_stream};
use crate::{Event, TestFuture};

/// A response whose head has arrived and whose body is read frame by frame,
/// to test streaming and flushing (server-sent events, chunked downloads).
///
/// ```
/// use std::convert::Infallible;
/// use bytes::Bytes;
/// use http::Response;
/// use pastry_testkit::{Body, TestClient};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let app = tower::service_fn(|_req: http::Request<Body>| async {
///     Ok::<_, Infallible>(Response::new(Body::chunks(["one", "two"])))
/// });
/// let client = TestClient::new(app);
/// let mut stream = client.get("/events").stream().await;
/// assert_eq!(stream.status(), 200);
/// let first = stream.next_frame().await.unwrap();
/// assert_eq!(first.into_data().unwrap(), Bytes::from("one"));
/// assert_eq!(stream.next_data().await.unwrap(), "two");
/// assert!(stream.next_frame().await.is_none());
/// # }
/// ```
pub struct TestStream {
    status: StatusCode,
    headers: HeaderMap,
    body: AppBody,
    what: String,
    events: Option<(EventParser, StreamDecoder)>,
    event_timeout: Duration,
}

impl TestStream {
    pub(crate) fn new(res: Response<AppBody>, what: String) -> Self {
        let (parts, body) = res.into_parts();
        Self {
            status: parts.status,
            headers: parts.headers,
            body,
            what,
            events: None,
            event_timeout: DEFAULT_EVENT_TIMEOUT,
        }
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The first value of header `name`, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The next frame (data or trailers) exactly as produced, or `None` at
    /// the end of the body.
    ///
    /// # Panics
    /// Where it is awaited, if the body fails (including a
    /// [`Validate`](crate::Validate) violation such as a time-out).
    pub fn next_frame(&mut self) -> TestFuture<'_, Option<Frame<Bytes>>> {
        TestFuture::new(async move {
            self.try_next_frame()
                .await
                .map_err(|e| format!("{}: {e}", self.what))
        })
    }

    /// The next frame, or the body's error.
    pub async fn try_next_frame(&mut self) -> Result<Option<Frame<Bytes>>, TestError> {
        match self.body.frame().await {
            None => Ok(None),
            Some(Ok(frame)) => Ok(Some(frame)),
            Some(Err(e)) => Err(TestError::from_body(e)),
        }
    }

    /// The next data frame, skipping trailers; `None` at the end.
    ///
    /// # Panics
    /// Like [`next_frame`](Self::next_frame).
    pub fn next_data(&mut self) -> TestFuture<'_, Option<Bytes>> {
        TestFuture::new(async move {
            loop {
                match self.try_next_frame().await {
                    Ok(None) => return Ok(None),
                    Ok(Some(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            return Ok(Some(data));
                        }
                    }
                    Err(e) => return Err(format!("{}: {e}", self.what)),
                }
            }
        })
    }
}

impl TestStream {
    /// How long [`next_event`](Self::next_event) waits for each event
    /// (default [`DEFAULT_EVENT_TIMEOUT`](crate::DEFAULT_EVENT_TIMEOUT)).
    /// Needs a Tokio runtime with time enabled (as `#[tokio::test]` has);
    /// outside any runtime no limit applies.
    ///
    /// The [`Validate`](crate::Validate) time limit (10 s by default) still
    /// bounds the whole body: to read an endless stream for longer, give
    /// the client [`ValidateLayer::no_timeout`](crate::ValidateLayer::no_timeout).
    pub fn event_timeout(mut self, limit: Duration) -> Self {
        self.event_timeout = limit;
        self
    }

    /// The next server-sent event of a `text/event-stream` body, parsed as
    /// a browser's `EventSource` does (see [`Event`]), or `None` when the
    /// body ends (an event it ends in the middle of is dropped). A
    /// `Content-Encoding` of `gzip` or `deflate` is undone as the frames
    /// come, so events flushed through a gzip layer arrive one by one.
    ///
    /// ```
    /// use std::time::Duration;
    /// use axum::response::sse::{Event, KeepAlive, Sse};
    /// use axum::{Router, routing::get};
    /// use futures_util::stream::{self, Stream, StreamExt};
    /// use pastry_testkit::TestClient;
    ///
    /// // An endless stream: "tick 0", "tick 1", ...
    /// async fn ticks() -> Sse<impl Stream<Item = Result<Event, std::convert::Infallible>>> {
    ///     let ticks = stream::iter(0..).then(|n| async move {
    ///         tokio::time::sleep(Duration::from_millis(5)).await;
    ///         Ok(Event::default().event("tick").id(n.to_string()).data(format!("tick {n}")))
    ///     });
    ///     Sse::new(ticks).keep_alive(KeepAlive::default())
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let client = TestClient::new(Router::new().route("/ticks", get(ticks)));
    /// let mut stream = client.get("/ticks").stream().await;
    /// for n in 0..3 {
    ///     let event = stream.next_event().await.unwrap();
    ///     assert_eq!((event.event.as_str(), event.data), ("tick", format!("tick {n}")));
    /// }
    /// # }
    /// ```
    ///
    /// # Panics
    /// Where it is awaited, if the response is not `text/event-stream`,
    /// the body fails or does not decode, or no event comes within the
    /// [`event_timeout`](Self::event_timeout).
    pub fn next_event(&mut self) -> TestFuture<'_, Option<Event>> {
        TestFuture::new(async move {
            let result = self.try_next_event().await;
            result.map_err(|e| format!("{}: {e}", self.what))
        })
    }

    /// The next server-sent event, `None` at the end of the body, or why
    /// none could be read: [`TestError::EventStream`],
    /// [`TestError::Timeout`] or the body's error.
    pub async fn try_next_event(&mut self) -> Result<Option<Event>, TestError> {
        if self.events.is_none() {
            check_event_stream(&self.headers).map_err(TestError::EventStream)?;
            let decoder =
                StreamDecoder::for_headers(&self.headers).map_err(TestError::EventStream)?;
            self.events = Some((EventParser::default(), decoder));
        }
        let limit = self.event_timeout;
        let next = async {
            loop {
                if let Some((parser, _)) = &mut self.events
                    && let Some(event) = parser.next_event()
                {
                    return Ok(Some(event));
                }
                let Some(frame) = self.try_next_frame().await? else {
                    return Ok(None);
                };
                if let (Ok(data), Some((parser, decoder))) = (frame.into_data(), &mut self.events) {
                    let plain = decoder.decode(data).map_err(TestError::EventStream)?;
                    parser.push(&plain);
                }
            }
        };
        if tokio::runtime::Handle::try_current().is_err() {
            // Outside a Tokio runtime there is no timer: no limit applies,
            // as with Validate's.
            return next.await;
        }
        match tokio::time::timeout(limit, next).await {
            Ok(result) => result,
            Err(_) => Err(TestError::Timeout(format!(
                "no server-sent event within {limit:?}"
            ))),
        }
    }
}

impl fmt::Debug for TestStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestStream")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}
