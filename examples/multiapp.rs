//! Several apps, one server: a blog at /blog, a forum at /forum, a site at /.
//! Run: cargo run --example multiapp, then open http://127.0.0.1:8080/blog/
use std::convert::Infallible;

use http::{Request, Response};
use hyper::body::Incoming;
use pastry::Environ;
use pastry::urlmap::UrlMap;
use tower::service_fn;

/// Each app only knows where it is mounted through its script name.
async fn hello(req: Request<Incoming>) -> Result<Response<String>, Infallible> {
    let (script, path) = (req.script_name(), req.path_info());
    let app = script.rsplit('/').next().filter(|name| !name.is_empty());
    let text = format!(
        "{}: SCRIPT_NAME={script:?} PATH_INFO={path:?}\n",
        app.unwrap_or("site")
    );
    Ok(Response::new(text))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let app = UrlMap::builder()
        .mount("/blog", service_fn(hello))
        .mount("/forum", service_fn(hello))
        .fallback(service_fn(hello))
        .build()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    println!("multiapp on http://{}/", listener.local_addr()?);
    pastry::serve(listener, app).await?;
    Ok(())
}
