//! The bound every Pastry middleware puts on the app it wraps.

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use tower_service::Service;

use crate::BoxError;

/// A conforming app for requests with body `B`: a
/// `tower::Service<Request<B>>` answering `Response<Self::ResBody>`, whose
/// errors and body errors convert into [`BoxError`].
///
/// Written once here so that each middleware says `S: App<B>` instead of
/// repeating four bounds; implemented for every service that fits.
///
/// ```
/// use std::convert::Infallible;
/// use http::{Request, Response};
/// use pastry_core::App;
///
/// fn takes_any_app<S: App<String>>(_app: S) {}
///
/// takes_any_app(tower::service_fn(|_req: Request<String>| async {
///     Ok::<_, Infallible>(Response::new(String::from("hi")))
/// }));
/// ```
pub trait App<B>:
    Service<Request<B>, Response = Response<Self::ResBody>, Error: Into<BoxError>>
{
    /// The body of the app's responses.
    type ResBody: Body<Data = Bytes, Error: Into<BoxError>>;
}

impl<S, B, R> App<B> for S
where
    S: Service<Request<B>, Response = Response<R>>,
    S::Error: Into<BoxError>,
    R: Body<Data = Bytes>,
    R::Error: Into<BoxError>,
{
    type ResBody = R;
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    /// Uses only what `App` promises: the error and body bounds are implied.
    async fn body_of<S: App<String>>(app: S, req: Request<String>) -> Result<Bytes, BoxError> {
        let res = app.oneshot(req).await.map_err(Into::into)?;
        Ok(res
            .into_body()
            .collect()
            .await
            .map_err(Into::into)?
            .to_bytes())
    }

    #[tokio::test]
    async fn the_bounds_of_an_app_are_implied() {
        let app = tower::service_fn(|req: Request<String>| async move {
            Ok::<_, Infallible>(Response::new(req.into_body()))
        });
        let body = body_of(app, Request::new("echo".into())).await.unwrap();
        assert_eq!(body, "echo");
    }
}
