//! Helpers shared by the behaviour tests.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;

use http::{Request, Response};
use pastry_auth::{MemoryUserStore, PasswordHasher, RolesExt, User};
use pastry_core::Environ;
use pastry_testkit::Body;

/// Argon2 parameters cheap enough for tests on two shared cores.
pub fn hasher() -> PasswordHasher {
    PasswordHasher::builder()
        .memory_kib(64)
        .iterations(1)
        .build()
        .unwrap()
}

/// `alice` (password `wonderland`, roles admin and staff) and `bob`
/// (password `builder`, no roles).
pub fn users(hasher: &PasswordHasher) -> MemoryUserStore {
    let users = MemoryUserStore::new();
    users.insert(
        User::builder("alice", hasher.hash_blocking("wonderland").unwrap())
            .roles(["admin", "staff"])
            .build(),
    );
    users.insert(User::new("bob", hasher.hash_blocking("builder").unwrap()));
    users
}

/// An app answering `user=<remote user>;roles=<roles>`.
pub fn whoami() -> impl tower::Service<
    Request<Body>,
    Response = Response<String>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<String>, Infallible>> + Send,
> + Clone
+ Send
+ 'static {
    tower::service_fn(|req: Request<Body>| async move {
        let user = req.remote_user().unwrap_or("-").to_owned();
        let roles = req.roles();
        let list: Vec<&str> = roles.iter().collect();
        Ok(Response::new(format!(
            "user={user};roles={}",
            list.join(",")
        )))
    })
}

pub fn addr(last: u8) -> SocketAddr {
    SocketAddr::from(([192, 0, 2, last], 40000))
}

pub type BoxBody = http_body_util::combinators::BoxBody<bytes::Bytes, pastry_core::BoxError>;

fn boxed<B>(res: Response<B>) -> Response<BoxBody>
where
    B: http_body::Body<Data = bytes::Bytes> + Send + Sync + 'static,
    B::Error: Into<pastry_core::BoxError>,
{
    use http_body_util::BodyExt;
    res.map(|b| b.map_err(Into::into).boxed())
}

fn text(status: u16, body: String) -> Response<BoxBody> {
    let mut res = Response::new(body);
    *res.status_mut() = http::StatusCode::from_u16(status).unwrap();
    boxed(res)
}

#[cfg(feature = "sessions")]
/// A small site behind `SessionLayer` and `SessionAuthLayer`:
/// `/login` (the form), `/logout` (the `Logout` service), `/logout-keeping-cart`
/// (`logout_keeping(["cart"])`), `/private` (login required), `/admin`
/// (role admin), `/set` and `/cart` (a session value), `/whoami`.
pub fn site(
    users: MemoryUserStore,
    hasher: PasswordHasher,
) -> impl tower::Service<
    Request<Body>,
    Response = Response<pastry_sessions::SessionBody<pastry_auth::AuthBody<BoxBody>>>,
    Error = pastry_core::BoxError,
    Future = impl Future + Send,
> + Clone
+ Send
+ 'static {
    site_on(users, hasher, pastry_sessions::MemoryStore::new())
}

/// [`site`] over a session store of the caller's.
#[cfg(feature = "sessions")]
pub fn site_on(
    users: MemoryUserStore,
    hasher: PasswordHasher,
    store: impl pastry_sessions::SessionStore,
) -> impl tower::Service<
    Request<Body>,
    Response = Response<pastry_sessions::SessionBody<pastry_auth::AuthBody<BoxBody>>>,
    Error = pastry_core::BoxError,
    Future = impl Future + Send,
> + Clone
+ Send
+ 'static {
    use pastry_auth::{
        Authenticator, LoginForm, RequireLoginLayer, RequireRoleLayer, SessionAuthLayer,
    };
    use pastry_sessions::{SessionExt, SessionLayer};
    use tower::{ServiceBuilder, ServiceExt};

    let form = LoginForm::builder(Authenticator::new(users.clone()).hasher(hasher))
        .default_next("/home")
        .build()
        .unwrap();
    let private = ServiceBuilder::new()
        .layer(RequireLoginLayer::new("/login").unwrap())
        .service(whoami());
    let logout = pastry_auth::Logout::new();
    let admin = ServiceBuilder::new()
        .layer(RequireLoginLayer::new("/login").unwrap())
        .layer(RequireRoleLayer::new("admin"))
        .service(whoami());
    let router = tower::service_fn(move |req: Request<Body>| {
        let (form, private, admin, logout) =
            (form.clone(), private.clone(), admin.clone(), logout.clone());
        async move {
            let res: Response<BoxBody> = match req.uri().path() {
                "/login" => boxed(form.oneshot(req).await?),
                "/private" => boxed(private.oneshot(req).await?),
                "/admin" => boxed(admin.oneshot(req).await?),
                "/whoami" => boxed(whoami().oneshot(req).await?),
                "/logout" => boxed(logout.oneshot(req).await?),
                "/logout-keeping-cart" => {
                    pastry_auth::logout_keeping(req.session().unwrap(), ["cart"]).await?;
                    text(200, "bye".into())
                }
                "/set" => {
                    req.session().unwrap().insert("cart", "3 eggs").await?;
                    text(200, "set".into())
                }
                "/cart" => {
                    let cart: Option<String> = req.session().unwrap().get("cart").await?;
                    text(200, cart.unwrap_or_default())
                }
                _ => text(404, String::new()),
            };
            Ok::<_, pastry_core::BoxError>(res)
        }
    });
    ServiceBuilder::new()
        .layer(SessionLayer::new(store).secure(false))
        .layer(SessionAuthLayer::new(users))
        .service(router)
}
