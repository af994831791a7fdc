//! Several apps, one server: a blog at /blog, a forum at /forum, a site at /.
//! Run: cargo run --example multiapp, then open http://127.0.0.1:8080/blog/
use std::convert::Infallible;

use http::{Request, Response};
use hyper::body::Incoming;
use pastry::Environ;
use pastry::urlmap::UrlMap;
use tower::service_fn;

fn hello(
    name: &'static str,
) -> impl tower::Service<
    Request<Incoming>,
    Response = Response<String>,
    Error = Infallible,
    Future: Send,
> + Clone
+ Send
+ 'static {
    service_fn(move |req: Request<Incoming>| async move {
        let (script, path) = (req.script_name(), req.path_info());
        Ok(Response::new(format!(
            "{name}: SCRIPT_NAME={script:?} PATH_INFO={path:?}\n"
        )))
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let app = UrlMap::new()
        .mount("/blog", hello("blog"))
        .mount("/forum", hello("forum"))
        .fallback(hello("site"))
        .build()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    println!("multiapp on http://{}/", listener.local_addr()?);
    pastry::serve(listener, app).await?;
    Ok(())
}
