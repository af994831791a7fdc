//! What the app sees of a synthetic request.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt;
use pastry_core::{Environ, UrlScheme};
use pastry_testkit::{Body, Multipart, TestClient};
use serde_json::{Value, json};

#[derive(Clone, Debug, PartialEq)]
struct Marker(u32);

/// Answers with a JSON description of the request it got.
async fn echo(req: Request<Body>) -> Result<Response<String>, Infallible> {
    let (parts, mut body) = req.into_parts();
    let mut frames = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame.unwrap().into_data() {
            frames.push(String::from_utf8_lossy(&data).into_owned());
        }
    }
    let headers: serde_json::Map<String, Value> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap())))
        .collect();
    let described = json!({
        "method": parts.method.as_str(),
        "version": format!("{:?}", parts.version),
        "uri": parts.uri.to_string(),
        "headers": headers,
        "frames": frames,
        "scheme": parts.url_scheme().as_str(),
        "script_name": parts.script_name(),
        "remote_user": parts.remote_user(),
        "client_addr": parts.client_addr().map(|a| a.to_string()),
        "marker": parts.extensions.get::<Marker>().map(|m| m.0),
    });
    Ok(Response::builder()
        .header("content-type", "application/json")
        .body(described.to_string())
        .unwrap())
}

fn client() -> TestClient {
    TestClient::new(tower::service_fn(echo))
}

#[tokio::test]
async fn relative_uri_is_sent_to_localhost() {
    let seen: Value = client().get("/a/b?c=d").await.json();
    assert_eq!(seen["method"], "GET");
    assert_eq!(seen["uri"], "/a/b?c=d");
    assert_eq!(seen["headers"]["host"], "localhost");
    assert_eq!(seen["scheme"], "http");
}

#[tokio::test]
async fn absolute_uri_becomes_origin_form_with_host_header() {
    let seen: Value = client()
        .get("https://api.example.com:8443/x?y=1")
        .await
        .json();
    assert_eq!(seen["uri"], "/x?y=1");
    assert_eq!(seen["headers"]["host"], "api.example.com:8443");
    assert_eq!(seen["scheme"], "https");
}

#[tokio::test]
async fn headers_and_query_pairs_are_added() {
    let seen: Value = client()
        .delete("/items?a=1")
        .header("x-one", "1")
        .query(&[("q", "a b"), ("amp", "&")])
        .await
        .json();
    assert_eq!(seen["method"], "DELETE");
    assert_eq!(seen["uri"], "/items?a=1&q=a+b&amp=%26");
    assert_eq!(seen["headers"]["x-one"], "1");
}

#[tokio::test]
async fn form_body_is_urlencoded_with_its_length() {
    let seen: Value = client()
        .post("/login")
        .form(&[("username", "a"), ("password", "b c")])
        .await
        .json();
    assert_eq!(
        seen["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(seen["headers"]["content-length"], "23");
    assert_eq!(seen["frames"], json!(["username=a&password=b+c"]));
}

#[tokio::test]
async fn json_body_is_serialised() {
    let seen: Value = client().put("/n").json(&json!({"n": 1})).await.json();
    assert_eq!(seen["headers"]["content-type"], "application/json");
    assert_eq!(seen["frames"], json!(["{\"n\":1}"]));
}

#[tokio::test]
async fn explicit_content_type_wins_over_the_body_kind() {
    let seen: Value = client()
        .post("/n")
        .header("content-type", "application/vnd.custom+json")
        .json(&json!([]))
        .await
        .json();
    assert_eq!(
        seen["headers"]["content-type"],
        "application/vnd.custom+json"
    );
}

#[tokio::test]
async fn raw_body_is_one_frame_and_chunks_are_many_without_length() {
    let seen: Value = client().patch("/raw").body("raw bytes").await.json();
    assert_eq!(seen["frames"], json!(["raw bytes"]));
    assert_eq!(seen["headers"]["content-length"], "9");

    let seen: Value = client()
        .post("/stream")
        .chunks(vec![Bytes::from("a"), Bytes::from("b")])
        .await
        .json();
    assert_eq!(seen["frames"], json!(["a", "b"]));
    assert!(seen["headers"].get("content-length").is_none());
}

#[tokio::test]
async fn empty_post_sends_zero_length_and_get_sends_none() {
    let seen: Value = client().post("/p").await.json();
    assert_eq!(seen["headers"]["content-length"], "0");
    let seen: Value = client().get("/p").await.json();
    assert!(seen["headers"].get("content-length").is_none());
}

#[tokio::test]
async fn multipart_body_carries_its_boundary() {
    let form = Multipart::new().boundary("BOUND").text("a", "1");
    let seen: Value = client().post("/up").multipart(form).await.json();
    assert_eq!(
        seen["headers"]["content-type"],
        "multipart/form-data; boundary=BOUND"
    );
    assert_eq!(
        seen["frames"],
        json!(["--BOUND\r\ncontent-disposition: form-data; name=\"a\"\r\n\r\n1\r\n--BOUND--\r\n"])
    );
}

#[tokio::test]
async fn basic_and_bearer_authorization() {
    let seen: Value = client().get("/").basic_auth("alice", "s3cret").await.json();
    assert_eq!(seen["headers"]["authorization"], "Basic YWxpY2U6czNjcmV0");
    let seen: Value = client().get("/").bearer("tok").await.json();
    assert_eq!(seen["headers"]["authorization"], "Bearer tok");
}

#[tokio::test]
async fn environ_extensions_are_set() {
    let addr: SocketAddr = "10.1.2.3:4567".parse().unwrap();
    let seen: Value = client()
        .get("/x")
        .client_addr(addr)
        .scheme(UrlScheme::Https)
        .script_name("/mount/")
        .remote_user("alice")
        .extension(Marker(7))
        .await
        .json();
    assert_eq!(seen["client_addr"], "10.1.2.3:4567");
    assert_eq!(seen["scheme"], "https");
    assert_eq!(seen["script_name"], "/mount");
    assert_eq!(seen["remote_user"], "alice");
    assert_eq!(seen["marker"], 7);
}

#[tokio::test]
async fn environ_is_unset_by_default() {
    let seen: Value = client().get("/x").await.json();
    assert_eq!(seen["client_addr"], Value::Null);
    assert_eq!(seen["remote_user"], Value::Null);
    assert_eq!(seen["script_name"], "");
}

#[test]
fn send_blocking_works_from_a_plain_test() {
    let seen: Value = client().options("*").send_blocking().json();
    assert_eq!(seen["method"], "OPTIONS");
}

#[tokio::test]
async fn requests_can_run_concurrently_on_spawned_tasks() {
    let client = client();
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move { client.get(format!("/n/{i}")).await.json::<Value>() })
        })
        .collect();
    for (i, task) in tasks.into_iter().enumerate() {
        assert_eq!(task.await.unwrap()["uri"], format!("/n/{i}"));
    }
}

#[tokio::test]
async fn any_method_can_be_sent() {
    let method = http::Method::from_bytes(b"PROPFIND").unwrap();
    let seen: Value = client().request(method, "/dav").await.json();
    assert_eq!(seen["method"], "PROPFIND");
}

#[tokio::test]
async fn repeated_headers_are_all_sent() {
    let app = tower::service_fn(|req: Request<Body>| async move {
        let all: Vec<_> = req
            .headers()
            .get_all("accept")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        Ok::<_, Infallible>(Response::new(all.join(" | ")))
    });
    let res = TestClient::new(app)
        .get("/")
        .header("accept", "text/html")
        .header("accept", "*/*;q=0.1")
        .await;
    assert_eq!(res.text(), "text/html | */*;q=0.1");
}

#[tokio::test]
async fn unusable_uri_is_a_request_error() {
    let err = client().get("/with space").try_send().await.unwrap_err();
    assert!(
        matches!(err, pastry_testkit::TestError::Request(_)),
        "{err}"
    );
    let err = client()
        .get("ftp://files.example/x")
        .try_send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unsupported scheme"), "{err}");
}

#[tokio::test]
async fn version_defaults_to_http_1_1_and_can_be_set() {
    let seen: Value = client().get("/").await.json();
    assert_eq!(seen["version"], "HTTP/1.1");
    let seen: Value = client()
        .get("/")
        .version(http::Version::HTTP_10)
        .await
        .json();
    assert_eq!(seen["version"], "HTTP/1.0");
}

#[test]
fn blocking_requests_share_one_runtime_so_spawned_tasks_live_on() {
    // Each request talks to a task spawned by the first one.
    let worker: std::sync::Arc<
        std::sync::Mutex<
            Option<tokio::sync::mpsc::UnboundedSender<tokio::sync::oneshot::Sender<u32>>>,
        >,
    > = Default::default();
    let app = tower::service_fn(move |_req: Request<Body>| {
        let worker = worker.clone();
        async move {
            let tx = worker
                .lock()
                .unwrap()
                .get_or_insert_with(|| {
                    let (tx, mut rx) =
                        tokio::sync::mpsc::unbounded_channel::<tokio::sync::oneshot::Sender<u32>>();
                    tokio::spawn(async move {
                        let mut count = 0;
                        while let Some(reply) = rx.recv().await {
                            count += 1;
                            let _ = reply.send(count);
                        }
                    });
                    tx
                })
                .clone();
            let (reply, answer) = tokio::sync::oneshot::channel();
            tx.send(reply).unwrap();
            Ok::<_, Infallible>(Response::new(answer.await.unwrap().to_string()))
        }
    });
    let client = TestClient::new(app);
    assert_eq!(client.get("/").send_blocking().text(), "1");
    assert_eq!(client.get("/").send_blocking().text(), "2");
}

#[tokio::test]
async fn a_client_used_blocking_can_be_dropped_in_async_code() {
    let client = std::thread::spawn(|| {
        let c = client();
        c.get("/").send_blocking();
        c
    })
    .join()
    .unwrap();
    client.get("/").await;
    drop(client);
}

mod base_url {
    use std::convert::Infallible;

    use http::{Request, Response};
    use pastry_core::UrlScheme;
    use pastry_testkit::{Body, TestClient};

    /// Answers `scheme host cookie`, and sets a Secure cookie on `/login`.
    async fn app(req: Request<Body>) -> Result<Response<String>, Infallible> {
        let scheme = req.extensions().get::<UrlScheme>().copied();
        let host = req.headers()["host"].to_str().unwrap().to_owned();
        let cookie = req
            .headers()
            .get("cookie")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let mut res = Response::builder();
        if req.uri().path() == "/login" {
            res = res.header("set-cookie", "id=42; Path=/; Secure; HttpOnly");
        }
        Ok(res.body(format!("{scheme:?} {host} {cookie}")).unwrap())
    }

    #[tokio::test]
    async fn origin_form_requests_go_to_the_base_url() {
        let c = TestClient::new(tower::service_fn(app)).base_url("https://shop.example:8443");
        c.get("/login").await;
        let res = c.get("/cart").await;
        assert_eq!(res.text(), "Some(Https) shop.example:8443 id=42");
        assert_eq!(res.url(), "https://shop.example:8443/cart");
        // Absolute URIs still go where they say.
        let res = c.get("http://other.example/").await;
        assert_eq!(res.text(), "Some(Http) other.example ");
    }

    #[tokio::test]
    async fn the_default_base_is_plain_http_localhost_and_keeps_secure_cookies() {
        let c = TestClient::new(tower::service_fn(app));
        c.get("/login").await;
        assert_eq!(c.get("/cart").await.text(), "Some(Http) localhost id=42");
    }

    #[tokio::test]
    async fn a_plain_http_base_on_another_host_refuses_secure_cookies_and_says_why() {
        let c = TestClient::new(tower::service_fn(app)).base_url("http://shop.example");
        let res = c.get("/login").await;
        assert!(
            res.cookie_notes()[0].contains("neither https nor a loopback host"),
            "{:?}",
            res.cookie_notes()
        );
        assert_eq!(c.get("/cart").await.text(), "Some(Http) shop.example ");
    }

    #[test]
    #[should_panic(expected = "must have no path")]
    fn a_base_url_with_a_path_is_refused() {
        let _ = TestClient::new(tower::service_fn(app)).base_url("https://shop.example/app");
    }

    #[test]
    #[should_panic(expected = "must be absolute")]
    fn a_relative_base_url_is_refused() {
        let _ = TestClient::new(tower::service_fn(app)).base_url("/app");
    }
}
