#[cfg(doc)]
use http::request::Parts;
use pastry_core::RequestHead;

use crate::Session;

/// `req.session()`: the [`Session`] that
/// [`SessionLayer`](crate::SessionLayer) attached to a request (or its
/// [`Parts`]), in the style of pastry-core's `Environ`: written once over
/// [`RequestHead`].
///
/// ```
/// use http::Request;
/// use pastry_sessions::SessionExt;
///
/// let req = Request::get("/").body(()).unwrap();
/// assert!(req.session().is_none()); // no SessionLayer in front
/// ```
pub trait SessionExt: RequestHead {
    /// The session, or `None` when no [`SessionLayer`](crate::SessionLayer)
    /// wraps the app.
    fn session(&self) -> Option<&Session> {
        RequestHead::extensions(self).get::<Session>()
    }
}

impl<T: RequestHead> SessionExt for T {}

#[cfg(all(test, feature = "memory"))]
mod tests {
    use super::*;
    use http::Request;
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
