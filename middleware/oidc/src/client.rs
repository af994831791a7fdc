//! The HTTP client that talks to the provider: hyper over plain HTTP, or
//! over TLS with feature `https` (native-tls: the system's roots plus the
//! builder's extra ones), with a deadline per call and a cap on the bytes
//! read from each answer.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::OidcError;

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

#[cfg(feature = "https")]
type Connector = hyper_tls::HttpsConnector<HttpConnector>;
#[cfg(not(feature = "https"))]
type Connector = HttpConnector;

#[derive(Clone, Debug)]
pub(crate) struct ProviderClient {
    client: Client<Connector, Full<Bytes>>,
    timeout: Duration,
    max_body: usize,
}

impl ProviderClient {
    /// `roots` are extra trusted root certificates, PEM (feature `https`).
    pub(crate) fn new(
        timeout: Duration,
        max_body: usize,
        #[cfg(feature = "https")] roots: &[Vec<u8>],
    ) -> Result<Self, OidcError> {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(timeout));
        connector.set_nodelay(true);
        #[cfg(feature = "https")]
        let connector = {
            connector.enforce_http(false);
            hyper_tls::HttpsConnector::from((connector, tls_connector(roots)?.into()))
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(4)
            .build(connector);
        Ok(Self {
            client,
            timeout,
            max_body,
        })
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

/// The TLS side of the client: the system's roots and each certificate of
/// each PEM in `roots`.
#[cfg(feature = "https")]
fn tls_connector(roots: &[Vec<u8>]) -> Result<native_tls::TlsConnector, OidcError> {
    let mut builder = native_tls::TlsConnector::builder();
    for pem in roots {
        let blocks = pem_certificates(pem);
        if blocks.is_empty() {
            return Err(OidcError::InvalidRootCertificate(
                "no -----BEGIN CERTIFICATE----- block".to_owned(),
            ));
        }
        for block in blocks {
            let cert = native_tls::Certificate::from_pem(block)
                .map_err(|err| OidcError::InvalidRootCertificate(error_chain(&err)))?;
            builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|err| OidcError::TlsUnavailable(error_chain(&err)))
}

/// The `CERTIFICATE` blocks of a PEM text, each with its armour lines.
#[cfg(feature = "https")]
fn pem_certificates(pem: &[u8]) -> Vec<&[u8]> {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let mut blocks = Vec::new();
    let mut rest = pem;
    while let Some(start) = find(rest, BEGIN) {
        let Some(len) = find(&rest[start..], END) else {
            // An unterminated block: handed on whole, so parsing names it.
            blocks.push(&rest[start..]);
            break;
        };
        let end = start + len + END.len();
        blocks.push(&rest[start..end]);
        rest = &rest[end..];
    }
    blocks
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

#[cfg(all(test, feature = "https"))]
mod tests {
    use super::*;

    #[test]
    fn pem_certificates_splits_a_bundle_and_skips_other_text() {
        let pem = b"comment\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n\
            -----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n";
        let blocks = pem_certificates(pem);
        assert_eq!(blocks.len(), 2);
        assert!(blocks[0].starts_with(b"-----BEGIN CERTIFICATE-----\nAAAA"));
        assert!(blocks[1].ends_with(b"BBBB\n-----END CERTIFICATE-----"));
        assert!(pem_certificates(b"not a certificate").is_empty());
    }

    #[test]
    fn a_bad_root_certificate_is_refused() {
        let bad = b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n".to_vec();
        assert!(matches!(
            tls_connector(&[bad]),
            Err(OidcError::InvalidRootCertificate(_))
        ));
        assert!(matches!(
            tls_connector(&[b"hello".to_vec()]),
            Err(OidcError::InvalidRootCertificate(_))
        ));
        assert!(tls_connector(&[]).is_ok());
    }
}
