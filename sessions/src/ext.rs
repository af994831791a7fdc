use http::Request;
use http::request::Parts;

use crate::Session;

mod sealed {
    pub trait Sealed {}
    impl<B> Sealed for http::Request<B> {}
    impl Sealed for http::request::Parts {}
}

/// `req.session()`: the [`Session`] that
/// [`SessionLayer`](crate::SessionLayer) attached to a request (or its
/// [`Parts`]), in the style of pastry-core's `Environ`.
///
/// ```
/// use http::Request;
/// use pastry_sessions::SessionExt;
///
/// let req = Request::get("/").body(()).unwrap();
/// assert!(req.session().is_none()); // no SessionLayer in front
/// ```
pub trait SessionExt: sealed::Sealed {
    /// The session, or `None` when no [`SessionLayer`](crate::SessionLayer)
    /// wraps the app.
    fn session(&self) -> Option<&Session>;
}

impl<B> SessionExt for Request<B> {
    fn session(&self) -> Option<&Session> {
        self.extensions().get::<Session>()
    }
}

impl SessionExt for Parts {
    fn session(&self) -> Option<&Session> {
        self.extensions.get::<Session>()
    }
}

#[cfg(all(test, feature = "memory"))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn parts_and_requests_both_reach_the_session() {
        let layer_store: Arc<dyn crate::store::DynStore> = Arc::new(crate::MemoryStore::new());
        let config = crate::config::tests_config();
        let session = Session::new(layer_store, config, Vec::new(), false);
        let mut req = Request::get("/").body(()).unwrap();
        req.extensions_mut().insert(session);
        assert!(req.session().is_some());
        let (parts, ()) = req.into_parts();
        assert!(parts.session().is_some());
    }
}
