//! `TestStream`: a response read one frame at a time.

use std::fmt;

use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use http_body::Frame;
use http_body_util::BodyExt;

use crate::TestFuture;
use crate::app::AppBody;
use crate::error::TestError;

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
}

impl TestStream {
    pub(crate) fn new(res: Response<AppBody>, what: String) -> Self {
        let (parts, body) = res.into_parts();
        Self {
            status: parts.status,
            headers: parts.headers,
            body,
            what,
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

impl fmt::Debug for TestStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestStream")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}
