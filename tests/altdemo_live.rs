//! The altdemo's live parts through the test kit, in-process: the chat's
//! WebSocket behind login (broadcast to every signed-in user, refused to
//! anonymous clients and to other sites) and the server-sent event feed of
//! the counter.

#[path = "../examples/altdemo/app.rs"]
#[allow(dead_code)]
mod app;

use pastry::sessions::AnyStore;
use pastry_testkit::TestClient;

/// Two browsers (two cookie jars) on one demo.
fn two_clients() -> (TestClient, TestClient) {
    let store = AnyStore::from_url("memory:").unwrap();
    let stack = app::stack(app::Config::new(store, false, false)).unwrap();
    (TestClient::new(stack.clone()), TestClient::new(stack))
}

async fn log_in(client: &TestClient, user: &str, password: &str) {
    client
        .post("/login")
        .form(&[("username", user), ("password", password)])
        .expect_status(303)
        .await;
}

#[tokio::test]
async fn the_chat_sends_each_message_to_every_signed_in_user() {
    let (alice, bob) = two_clients();
    log_in(&alice, "alice", "wonderland").await;
    log_in(&bob, "bob", "builder").await;
    alice
        .get("/chat")
        .await
        .assert_status(200)
        .assert_text_contains("<ul id=\"messages\">");

    let mut alice_socket = alice.websocket("/chat/socket").await;
    let mut bob_socket = bob.websocket("/chat/socket").await;
    alice_socket.send_text("hello, bob").await;
    assert_eq!(bob_socket.receive_text().await, "alice: hello, bob");
    assert_eq!(alice_socket.receive_text().await, "alice: hello, bob");
    bob_socket.send_text("hi").await;
    assert_eq!(alice_socket.receive_text().await, "bob: hi");

    // Too long: not sent, and the sender is told.
    let long = "x".repeat(app::chat::MAX_MESSAGE_BYTES + 1);
    alice_socket.send_text(long).await;
    assert!(alice_socket.receive_text().await.starts_with("(not sent: "));
    bob_socket.send_text("still here").await;
    assert_eq!(alice_socket.receive_text().await, "bob: still here");
}

#[tokio::test]
async fn the_chat_refuses_anonymous_clients_and_other_sites() {
    let (anonymous, alice) = two_clients();
    let refused = anonymous.websocket("/chat/socket").try_connect().await;
    assert!(refused.is_err(), "no session, no socket");
    anonymous.get("/chat").expect_status(303).await;

    log_in(&alice, "alice", "wonderland").await;
    let hijack = alice
        .websocket("/chat/socket")
        .header("origin", "http://evil.example")
        .try_connect()
        .await;
    let error = hijack.expect_err("a foreign handshake is refused");
    assert!(error.to_string().contains("403"), "{error}");
    // The same handshake from the site's own page is upgraded.
    alice
        .websocket("/chat/socket")
        .header("origin", "http://localhost")
        .await;
}

#[tokio::test]
async fn the_counter_feed_sends_the_total_and_each_visit() {
    let (watcher, visitor) = two_clients();
    let mut feed = watcher.get("/events/counter").stream().await;
    assert_eq!(feed.status(), 200);
    let first = feed.next_event().await.expect("the current total");
    assert_eq!((first.event.as_str(), first.data.as_str()), ("visits", "0"));

    visitor.get("/counter").await.assert_status(200);
    let second = feed.next_event().await.expect("the new total");
    assert_eq!(second.data, "1");
    visitor
        .get("/counter")
        .await
        .assert_text_contains("<strong id=\"everyone\">2</strong>");
    assert_eq!(feed.next_event().await.unwrap().data, "2");
}
