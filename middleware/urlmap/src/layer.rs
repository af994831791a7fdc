use std::fmt;
use std::sync::Arc;

use pastry_core::App;
use tower_layer::Layer;

use crate::UrlMap;
use crate::app::MountedApp;
use crate::table::Table;

/// A checked set of mounts that wraps a service as its fallback: what
/// matches no mount goes to the wrapped service. Made by
/// [`UrlMapBuilder::into_layer`](crate::UrlMapBuilder::into_layer); cheap
/// to clone (the table is shared).
///
/// ```
/// use http::{Request, Response};
/// use pastry_urlmap::UrlMap;
/// use tower::{ServiceBuilder, service_fn};
///
/// let admin = service_fn(|_req: Request<String>| async {
///     Ok::<_, std::convert::Infallible>(Response::new(String::from("admin")))
/// });
/// let layer = UrlMap::builder().mount("/admin", admin).into_layer().unwrap();
/// let site = ServiceBuilder::new().layer(layer).service_fn(|_req: Request<String>| async {
///     Ok::<_, std::convert::Infallible>(Response::new(String::from("site")))
/// });
/// assert_eq!(site.len(), 1);
/// ```
pub struct UrlMapLayer<B> {
    table: Arc<Table<B>>,
}

impl<B> UrlMapLayer<B> {
    pub(crate) fn new(table: Arc<Table<B>>) -> Self {
        Self { table }
    }
}

impl<S, B> Layer<S> for UrlMapLayer<B>
where
    S: App<B> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::ResBody: Send + 'static,
    B: Send + 'static,
{
    type Service = UrlMap<B>;

    fn layer(&self, fallback: S) -> UrlMap<B> {
        UrlMap::from_parts(
            Arc::clone(&self.table),
            Some(Arc::new(MountedApp(fallback))),
        )
    }
}

impl<B> Clone for UrlMapLayer<B> {
    fn clone(&self) -> Self {
        Self {
            table: Arc::clone(&self.table),
        }
    }
}

impl<B> fmt::Debug for UrlMapLayer<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UrlMapLayer")
            .field("mounts", &self.table.len())
            .finish()
    }
}
