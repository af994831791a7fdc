//! The Pastry stack, in the demo's shape: catch, gzip, sessions, session
//! auth and a URL map with ten mounts, around a handler that reads a session
//! value and answers [`page`](crate::page).

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body::Body;
use http_body_util::Full;
use pastry_auth::{MemoryUserStore, SessionAuthLayer, User};
use pastry_catch::CatchLayer;
use pastry_core::{BoxError, Environ};
use pastry_gzip::{GzipLayer, Level};
use pastry_sessions::{SessionExt, SessionLayer, SessionStore};
use pastry_urlmap::UrlMap;
use tower::{Service, ServiceBuilder, service_fn};

/// The one user of the bench. The hash is never verified (nobody types a
/// password), only fingerprinted, as after a real login.
fn alice() -> User {
    User::new(
        crate::USER,
        "$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0YmVuY2g$8c0Vx3zVQk2u4Gk3Zg1qf3K5mYQ8m0n5oGQm3cJ7xQE",
    )
}

fn page_response(user: &str, visits: u64) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(crate::page(user, visits))));
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res
}

/// One mounted app: `/login` logs alice in (a new session id holding her
/// name and password fingerprint, plus `visits`), `/page` reads `visits`
/// and answers the page for the remote user set by session auth.
fn app<B: Send + 'static>(
    user: User,
) -> impl Service<Request<B>, Response = Response<Full<Bytes>>, Error = BoxError, Future: Send>
+ Clone
+ Send
+ Sync
+ 'static {
    service_fn(move |req: Request<B>| {
        let user = user.clone();
        async move {
            let session = req.session().ok_or("no session layer")?;
            match req.path_info() {
                "/page" => {
                    let visits = session.get::<u64>("visits").await?.unwrap_or(0);
                    let name = req.remote_user().unwrap_or("anonymous");
                    Ok::<_, BoxError>(page_response(name, visits))
                }
                "/login" => {
                    pastry_auth::login(session, &user).await?;
                    session.insert("visits", &1u64).await?;
                    Ok::<_, BoxError>(Response::new(Full::new(Bytes::from_static(b"logged in"))))
                }
                _ => {
                    let mut res = Response::new(Full::new(Bytes::from_static(b"not found")));
                    *res.status_mut() = StatusCode::NOT_FOUND;
                    Ok::<_, BoxError>(res)
                }
            }
        }
    })
}

/// The Pastry stack over any session store, for request bodies of type `B`.
///
/// # Panics
///
/// Never for the fixed mounts used here (the URL map's keys are valid).
pub fn stack<B>(
    store: impl SessionStore,
) -> impl Service<
    Request<B>,
    Response = Response<impl Body<Data = Bytes, Error: Into<BoxError>> + Send + 'static>,
    Error: Into<BoxError>,
    Future: Send + 'static,
> + Clone
+ Send
+ 'static
where
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    let users = MemoryUserStore::new();
    users.insert(alice());
    let mut map = UrlMap::builder();
    for prefix in crate::mount_prefixes() {
        map = map.mount(prefix, app::<B>(alice()));
    }
    let map = map.build().expect("valid mount prefixes");
    ServiceBuilder::new()
        .layer(CatchLayer::new())
        .layer(GzipLayer::new().level(Level::DEFAULT))
        .layer(SessionLayer::new(store).secure(false))
        .layer(SessionAuthLayer::new(users))
        .service(map)
}
