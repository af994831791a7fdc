//! One view of a request's head, whether the body is still attached or not.

use http::request::Parts;
use http::{Extensions, HeaderMap, Method, Request, Uri};

mod sealed {
    pub trait Sealed {}
}

impl<B> sealed::Sealed for Request<B> {}
impl sealed::Sealed for Parts {}

/// A request head: an [`http::Request`] or its [`Parts`].
///
/// Every accessor trait in Pastry ([`Environ`](crate::Environ), the
/// session and role accessors of the other crates) is written once over
/// this trait and so works on both. Sealed: only those two types implement
/// it.
///
/// ```
/// use http::Request;
/// use pastry_core::RequestHead;
///
/// fn is_json(head: &impl RequestHead) -> bool {
///     head.headers().get("content-type").is_some_and(|v| v == "application/json")
/// }
///
/// let req = Request::post("/").header("content-type", "application/json").body(()).unwrap();
/// assert!(is_json(&req));
/// let (parts, ()) = req.into_parts();
/// assert!(is_json(&parts));
/// ```
pub trait RequestHead: sealed::Sealed {
    /// The request method.
    fn method(&self) -> &Method;
    /// The request target as the app sees it (below any mount prefix).
    fn uri(&self) -> &Uri;
    /// The request headers.
    fn headers(&self) -> &HeaderMap;
    /// The request extensions: the environ.
    fn extensions(&self) -> &Extensions;
}

impl<B> RequestHead for Request<B> {
    fn method(&self) -> &Method {
        Request::method(self)
    }
    fn uri(&self) -> &Uri {
        Request::uri(self)
    }
    fn headers(&self) -> &HeaderMap {
        Request::headers(self)
    }
    fn extensions(&self) -> &Extensions {
        Request::extensions(self)
    }
}

impl RequestHead for Parts {
    fn method(&self) -> &Method {
        &self.method
    }
    fn uri(&self) -> &Uri {
        &self.uri
    }
    fn headers(&self) -> &HeaderMap {
        &self.headers
    }
    fn extensions(&self) -> &Extensions {
        &self.extensions
    }
}
