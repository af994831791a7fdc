//! The HTTP client that talks to the provider: hyper over plain HTTP, with
//! a deadline per call and a cap on the bytes read from each answer.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Why a call to the provider failed before it gave a usable answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CallError {
    #[error("the provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the provider did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the provider's answer exceeded {0} bytes")]
    TooLarge(usize),
    #[error("the provider's answer could not be read: {0}")]
    Read(String),
}

#[derive(Clone, Debug)]
pub(crate) struct ProviderClient {
    client: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
    max_body: usize,
}

impl ProviderClient {
    pub(crate) fn new(timeout: Duration, max_body: usize) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeout));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(4)
            .build(connector);
        Self {
            client,
            timeout,
            max_body,
        }
    }

    async fn send(
        &self,
        req: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, CallError> {
        let (parts, body) = req.into_parts();
        let req = http::Request::from_parts(parts, Full::new(Bytes::from(body)));
        let max_body = self.max_body;
        let call = async {
            let res = self
                .client
                .request(req)
                .await
                .map_err(|err| CallError::Unreachable(error_chain(&err)))?;
            let (parts, body) = res.into_parts();
            let declared = parts
                .headers
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|len| len > max_body as u64) {
                return Err(CallError::TooLarge(max_body));
            }
            let body = Limited::new(body, max_body)
                .collect()
                .await
                .map_err(|err| {
                    if err.is::<LengthLimitError>() {
                        CallError::TooLarge(max_body)
                    } else {
                        CallError::Read(err.to_string())
                    }
                })?
                .to_bytes();
            Ok(http::Response::from_parts(parts, body.to_vec()))
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| CallError::Timeout(self.timeout))?
    }
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

type CallFuture<'c> =
    Pin<Box<dyn Future<Output = Result<http::Response<Vec<u8>>, CallError>> + Send + 'c>>;

impl<'c> openidconnect::AsyncHttpClient<'c> for ProviderClient {
    type Error = CallError;
    type Future = CallFuture<'c>;

    fn call(&'c self, request: openidconnect::HttpRequest) -> Self::Future {
        Box::pin(self.send(request))
    }
}
