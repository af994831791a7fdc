//! `TestClient::websocket`: WebSockets opened in-process, through hyper
//! over an in-memory pipe, with the jar's cookies and any layer stack.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ws::{self, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use futures_util::{SinkExt, StreamExt};
use http::{HeaderValue, Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use pastry_core::{ClientAddr, Environ};
use pastry_sessions::{MemoryStore, Session, SessionError, SessionLayer};
use pastry_testkit::{Body, CloseFrame, Message, TestClient, TestError};
use tokio::sync::broadcast;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

async fn echo(upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(|mut socket: WebSocket| async move {
        while let Some(Ok(message)) = socket.recv().await {
            let answer = match message {
                ws::Message::Text(text) => ws::Message::Text(format!("echo: {text}").into()),
                ws::Message::Binary(bytes) => ws::Message::Binary(bytes),
                ws::Message::Close(_) => break,
                _ => continue,
            };
            if socket.send(answer).await.is_err() {
                break;
            }
        }
    })
}

fn echo_app() -> Router {
    Router::new().route("/echo", get(echo))
}

#[tokio::test]
async fn axum_websocket_echoes_text_and_binary() {
    let client = TestClient::new(echo_app());
    let mut socket = client.websocket("/echo").await;
    socket.send_text("hello").await;
    assert_eq!(socket.receive_text().await, "echo: hello");
    socket.send_binary(vec![1u8, 2, 3]).await;
    assert_eq!(socket.receive_binary().await, &[1u8, 2, 3][..]);
    socket.send(Message::text("again")).await;
    assert_eq!(socket.receive().await, Message::text("echo: again"));
    socket.close().await;
}

#[tokio::test]
async fn receive_json_parses_a_text_message() {
    async fn hello(upgrade: WebSocketUpgrade) -> Response {
        upgrade.on_upgrade(|mut socket| async move {
            let _ = socket.send(ws::Message::Text(r#"{"n":1}"#.into())).await;
        })
    }
    let client = TestClient::new(Router::new().route("/hello", get(hello)));
    let mut socket = client.websocket("/hello").await;
    let value: serde_json::Value = socket.receive_json().await;
    assert_eq!(value, serde_json::json!({ "n": 1 }));
}

#[tokio::test]
async fn receive_text_refuses_a_binary_message() {
    let client = TestClient::new(echo_app());
    let mut socket = client.websocket("/echo").await;
    socket.send_binary(r#"{"n":1}"#).await;
    let err = socket.try_receive_text().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected a text message, got a binary message of 7 bytes"
    );
}

/// A WebSocket server written against hyper alone: `hyper::upgrade::on`
/// and tungstenite on the upgraded connection.
async fn hyper_echo(mut req: Request<Body>) -> Result<http::Response<String>, Infallible> {
    let key = req
        .headers()
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|key| derive_accept_key(key.as_bytes()));
    let Some(accept) = key else {
        let mut res = http::Response::new("a WebSocket handshake was expected".to_owned());
        *res.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(res);
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let mut socket =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        while let Some(Ok(Message::Text(text))) = socket.next().await {
            let upper = text.as_str().to_uppercase();
            if socket.send(Message::text(upper)).await.is_err() {
                break;
            }
        }
    });
    let res = http::Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_ACCEPT, accept)
        .header(header::SEC_WEBSOCKET_PROTOCOL, "shout")
        .body(String::new());
    Ok(res.unwrap_or_default())
}

#[tokio::test]
async fn plain_hyper_upgrade_handler_gets_the_connection() {
    let client = TestClient::new(tower::service_fn(hyper_echo));
    let mut socket = client.websocket("/").protocol("shout").await;
    assert_eq!(socket.protocol(), Some("shout"));
    socket.send_text("quiet").await;
    assert_eq!(socket.receive_text().await, "QUIET");
}

#[tokio::test]
async fn handshake_carries_headers_query_and_client_address() {
    async fn inspect(req: Request<Body>) -> Result<http::Response<String>, Infallible> {
        let addr = req.client_addr().map(|a| a.to_string()).unwrap_or_default();
        let header = |name| {
            req.headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .unwrap_or("-")
                .to_owned()
        };
        let summary = format!(
            "{} {} host={} x-test={} cookie={} addr={addr}",
            req.method(),
            req.uri(),
            header("host"),
            header("x-test"),
            header("cookie"),
        );
        let mut res = http::Response::new(summary);
        *res.status_mut() = StatusCode::FORBIDDEN;
        Ok(res)
    }
    let client = TestClient::new(tower::service_fn(inspect));
    client.set_cookie("theme", "dark");
    let addr: SocketAddr = "192.0.2.7:4000".parse().unwrap();
    let err = client
        .websocket("/ws")
        .query(&[("room", "a b")])
        .header("x-test", "yes")
        .client_addr(addr)
        .try_connect()
        .await
        .unwrap_err();
    assert_eq!(err.refused_status(), Some(StatusCode::FORBIDDEN));
    let TestError::Refused { body, .. } = err else {
        unreachable!("refused_status said Refused");
    };
    assert_eq!(
        body,
        "GET /ws?room=a+b host=localhost x-test=yes cookie=theme=dark addr=192.0.2.7:4000"
    );
}

#[tokio::test]
async fn client_addr_reaches_an_axum_handler_through_the_upgrade() {
    async fn whoami(
        upgrade: WebSocketUpgrade,
        ConnectInfo(addr): ConnectInfo<SocketAddr>,
    ) -> Response {
        upgrade.on_upgrade(move |mut socket| async move {
            let _ = socket
                .send(ws::Message::Text(addr.to_string().into()))
                .await;
        })
    }
    // axum reads ConnectInfo; Pastry's ClientAddr is what the kit sets.
    let app = Router::new()
        .route("/whoami", get(whoami))
        .layer(axum::middleware::from_fn(
            |mut req: axum::extract::Request, next: axum::middleware::Next| async move {
                if let Some(ClientAddr(addr)) = req.extensions().get::<ClientAddr>().copied() {
                    req.extensions_mut().insert(ConnectInfo(addr));
                }
                next.run(req).await
            },
        ));
    let client = TestClient::new(app);
    let addr: SocketAddr = "198.51.100.1:5000".parse().unwrap();
    let mut socket = client.websocket("/whoami").client_addr(addr).await;
    assert_eq!(socket.receive_text().await, "198.51.100.1:5000");
}

#[tokio::test]
async fn a_refused_handshake_names_status_and_body() {
    let app = Router::new().route(
        "/chat",
        get(|| async { (StatusCode::UNAUTHORIZED, "log in first") }),
    );
    let err = TestClient::new(app)
        .websocket("/chat")
        .try_connect()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the app refused the WebSocket handshake with 401 Unauthorized, \
         not 101 Switching Protocols; body: \"log in first\""
    );
}

#[tokio::test]
#[should_panic(
    expected = "WebSocket /chat: the app refused the WebSocket handshake with 404 Not Found"
)]
async fn awaiting_a_refused_handshake_fails_the_test() {
    let _socket = TestClient::new(Router::new()).websocket("/chat").await;
}

async fn silent(upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(|mut socket| async move {
        // Reads (so pings are answered) but never sends.
        while socket.recv().await.is_some() {}
    })
}

#[tokio::test]
async fn receive_times_out_with_a_clear_error() {
    let client = TestClient::new(Router::new().route("/silent", get(silent)));
    let mut socket = client
        .websocket("/silent")
        .timeout(Duration::from_millis(100))
        .await;
    let err = socket.try_receive().await.unwrap_err();
    assert!(matches!(err, TestError::Timeout(_)), "{err:?}");
    assert_eq!(err.to_string(), "no WebSocket message within 100ms");
}

#[tokio::test]
#[should_panic(expected = "WebSocket http://localhost/silent: no WebSocket message within 50ms")]
async fn awaiting_a_receive_that_times_out_fails_the_test() {
    let client = TestClient::new(Router::new().route("/silent", get(silent)));
    let mut socket = client
        .websocket("/silent")
        .timeout(Duration::from_millis(50))
        .await;
    socket.receive_text().await;
}

#[tokio::test]
async fn a_handshake_the_app_never_answers_times_out() {
    let stuck = tower::service_fn(|_req: Request<Body>| async {
        std::future::pending::<Result<http::Response<String>, Infallible>>().await
    });
    let err = TestClient::new(stuck)
        .websocket("/")
        .timeout(Duration::from_millis(50))
        .try_connect()
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "no answer to the WebSocket handshake within 50ms"
    );
}

#[tokio::test]
async fn the_server_closing_is_seen_with_its_code() {
    async fn bye(upgrade: WebSocketUpgrade) -> Response {
        upgrade.on_upgrade(|mut socket| async move {
            let frame = ws::CloseFrame {
                code: 1001,
                reason: "going away".into(),
            };
            let _ = socket.send(ws::Message::Close(Some(frame))).await;
        })
    }
    let client = TestClient::new(Router::new().route("/bye", get(bye)));
    let mut socket = client.websocket("/bye").await;
    let frame: Option<CloseFrame> = socket.receive_close().await;
    let frame = frame.unwrap();
    assert_eq!(frame.code, CloseCode::Away);
    assert_eq!(frame.reason.as_str(), "going away");
    let err = socket.try_receive().await.unwrap_err();
    assert_eq!(err.to_string(), "the WebSocket is closed: no more messages");
}

// A chat behind login: the session says who is signed in, and every
// message goes to every socket open.

#[derive(Clone)]
struct Chat {
    messages: broadcast::Sender<String>,
}

#[derive(serde::Deserialize)]
struct Login {
    user: String,
}

async fn log_in(session: Session, Form(login): Form<Login>) -> Result<&'static str, SessionError> {
    session.cycle_id().await?;
    session.insert("user", &login.user).await?;
    Ok("welcome")
}

async fn chat(
    State(chat): State<Chat>,
    session: Session,
    upgrade: WebSocketUpgrade,
) -> Result<Response, SessionError> {
    let Some(user) = session.get::<String>("user").await? else {
        return Ok((StatusCode::UNAUTHORIZED, "log in first").into_response());
    };
    // Subscribed before the 101 goes out, so no message sent after the
    // handshake is missed.
    let heard = chat.messages.subscribe();
    Ok(upgrade.on_upgrade(move |socket| talk(socket, user, chat, heard)))
}

async fn talk(socket: WebSocket, user: String, chat: Chat, mut heard: broadcast::Receiver<String>) {
    let (mut sender, mut receiver) = socket.split();
    let forward = tokio::spawn(async move {
        while let Ok(line) = heard.recv().await {
            if sender.send(ws::Message::Text(line.into())).await.is_err() {
                break;
            }
        }
    });
    while let Some(Ok(ws::Message::Text(text))) = receiver.next().await {
        let _ = chat.messages.send(format!("{user}: {text}"));
    }
    forward.abort();
}

fn chat_app() -> Router {
    let (messages, _) = broadcast::channel(16);
    Router::new()
        .route("/login", post(log_in))
        .route("/chat", get(chat))
        .with_state(Chat { messages })
        .layer(SessionLayer::new(MemoryStore::new()))
}

#[tokio::test]
async fn chat_refuses_the_websocket_without_a_session() {
    let client = TestClient::new(chat_app());
    let err = client.websocket("/chat").try_connect().await.unwrap_err();
    assert_eq!(err.refused_status(), Some(StatusCode::UNAUTHORIZED));
    assert!(err.to_string().contains("log in first"), "{err}");
}

#[tokio::test]
async fn chat_works_for_signed_in_users_and_broadcasts() {
    let app = chat_app();
    let alice = TestClient::new(app.clone());
    let bob = TestClient::new(app);
    alice.post("/login").form(&[("user", "alice")]).await;
    bob.post("/login").form(&[("user", "bob")]).await;

    let mut alice_socket = alice.websocket("/chat").await;
    let mut bob_socket = bob.websocket("/chat").await;
    alice_socket.send_text("hi bob").await;
    assert_eq!(alice_socket.receive_text().await, "alice: hi bob");
    assert_eq!(bob_socket.receive_text().await, "alice: hi bob");
    bob_socket.send_text("hi alice").await;
    assert_eq!(alice_socket.receive_text().await, "bob: hi alice");
    alice_socket.close().await;
    bob_socket.close().await;
}

#[tokio::test]
async fn cross_origin_handshake_is_refused_by_the_session_layer() {
    let client = TestClient::new(chat_app());
    client.post("/login").form(&[("user", "alice")]).await;
    let err = client
        .websocket("/chat")
        .header(header::ORIGIN, "http://evil.example")
        .try_connect()
        .await
        .unwrap_err();
    assert_eq!(err.refused_status(), Some(StatusCode::FORBIDDEN));
    let same_origin = client
        .websocket("/chat")
        .header(header::ORIGIN, "http://localhost")
        .try_connect()
        .await;
    assert!(same_origin.is_ok(), "{:?}", same_origin.err());
}

#[tokio::test]
async fn set_cookie_on_the_handshake_answer_goes_to_the_jar() {
    async fn visit(session: Session, upgrade: WebSocketUpgrade) -> Result<Response, SessionError> {
        session.insert("seen", &true).await?;
        Ok(upgrade.on_upgrade(|mut socket| async move {
            let _ = socket.send(ws::Message::Text("hello".into())).await;
        }))
    }
    let app = Router::new()
        .route("/ws", get(visit))
        .route(
            "/seen",
            get(|session: Session| async move {
                let seen = session.get::<bool>("seen").await?.unwrap_or(false);
                Ok::<_, SessionError>(seen.to_string())
            }),
        )
        .layer(SessionLayer::new(MemoryStore::new()));
    let client = TestClient::new(app);
    let mut socket = client.websocket("/ws").await;
    assert_eq!(socket.receive_text().await, "hello");
    assert!(
        client.cookie("__Host-id").is_some(),
        "{:?}",
        client.cookies()
    );
    assert_eq!(client.get("/seen").await.text(), "true");
}

#[tokio::test]
async fn websocket_passes_through_catch_gzip_sessions_and_a_url_map() {
    async fn where_am_i(
        session: Session,
        upgrade: WebSocketUpgrade,
        request: axum::extract::Request,
    ) -> Result<Response, SessionError> {
        let user = session.get::<String>("user").await?.unwrap_or_default();
        let mounted = request.script_name().to_owned();
        Ok(upgrade.on_upgrade(move |mut socket| async move {
            let line = format!("{user} at {mounted}");
            let _ = socket.send(ws::Message::Text(line.into())).await;
            while socket.recv().await.is_some() {}
        }))
    }
    let rooms = Router::new()
        .route("/login", post(log_in))
        .route("/chat", get(where_am_i));
    let map = pastry_urlmap::UrlMap::builder()
        .mount("/rooms", rooms)
        .into_layer()
        .unwrap();
    let app = tower::ServiceBuilder::new()
        .layer(pastry_catch::CatchLayer::new())
        .layer(pastry_gzip::GzipLayer::new())
        .layer(SessionLayer::new(MemoryStore::new()))
        .layer(map)
        .service(Router::new());
    let client = TestClient::new(app);
    client.post("/rooms/login").form(&[("user", "carol")]).await;
    let mut socket = client
        .websocket("/rooms/chat")
        .header(header::ACCEPT_ENCODING, "gzip")
        .await;
    assert_eq!(socket.receive_text().await, "carol at /rooms");
    socket.close().await;
}

#[tokio::test]
async fn a_101_without_the_right_accept_key_is_not_a_websocket() {
    let fake = tower::service_fn(|_req: Request<Body>| async {
        let res = http::Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header(header::CONNECTION, "upgrade")
            .header(header::UPGRADE, "websocket")
            .header(header::SEC_WEBSOCKET_ACCEPT, "not-the-key")
            .body(String::new());
        Ok::<_, Infallible>(res.unwrap_or_default())
    });
    let err = TestClient::new(fake)
        .websocket("/")
        .try_connect()
        .await
        .unwrap_err();
    assert!(matches!(err, TestError::WebSocket(_)), "{err:?}");
    assert!(
        err.to_string().starts_with(
            "the app answered 101 with Sec-WebSocket-Accept: Some(\"not-the-key\"), expected"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn an_app_error_on_the_handshake_is_reported_as_such() {
    let failing = tower::service_fn(|_req: Request<Body>| async {
        Err::<http::Response<String>, _>(std::io::Error::other("the database is down"))
    });
    let err = TestClient::new(failing)
        .websocket("/")
        .try_connect()
        .await
        .unwrap_err();
    assert!(matches!(err, TestError::App(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the app returned an error: the database is down"
    );
}

#[test]
fn a_websocket_outside_a_tokio_runtime_is_an_error_not_a_panic() {
    let client = TestClient::new(echo_app());
    let connect = client.websocket("/echo").try_connect();
    let err = futures_util::FutureExt::now_or_never(connect)
        .expect("fails at once")
        .unwrap_err();
    assert!(matches!(err, TestError::Request(_)), "{err:?}");
    assert!(err.to_string().contains("Tokio runtime"), "{err}");
}
