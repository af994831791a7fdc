//! Session login: fixation, logout, password change, the form's answers.

mod common;

use common::{hasher, site, users};
use pastry_auth::User;
use pastry_testkit::TestClient;

async fn login(client: &TestClient, name: &str, password: &str) -> pastry_testkit::TestResponse {
    client
        .post("/login")
        .form(&[
            ("username", name),
            ("password", password),
            ("next", "/private"),
        ])
        .expect_status(303)
        .await
}

#[tokio::test]
async fn login_cycles_the_session_id() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    client.get("/set").await;
    let before = client.cookie("id").expect("session cookie after /set");
    login(&client, "alice", "wonderland").await;
    let after = client.cookie("id").expect("session cookie after login");
    assert_ne!(
        before, after,
        "the id a client had before login must not survive it"
    );
    assert_eq!(
        client.get("/cart").await.text(),
        "3 eggs",
        "values survive the new id"
    );
}

#[tokio::test]
async fn old_session_id_is_not_logged_in() {
    let hasher = hasher();
    let app = site(users(&hasher), hasher);
    let victim = TestClient::new(app.clone());
    victim.get("/set").await;
    let planted = victim.cookie("id").unwrap();
    login(&victim, "alice", "wonderland").await;

    let attacker = TestClient::new(app);
    attacker.set_cookie("id", &planted);
    assert_eq!(attacker.get("/whoami").await.text(), "user=-;roles=");
}

#[tokio::test]
async fn successful_login_redirects_to_next_and_sets_remote_user() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    let res = login(&client, "alice", "wonderland").await;
    res.assert_header("location", "/private");
    let res = client.get("/private").await;
    assert_eq!(res.text(), "user=alice;roles=admin,staff");
}

#[tokio::test]
async fn unsafe_next_falls_back_to_the_default() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    for evil in [
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "/%2F/evil.example",
        "%2F%2Fevil.example",
    ] {
        let res = client
            .post("/login")
            .form(&[("username", "bob"), ("password", "builder"), ("next", evil)])
            .expect_status(303)
            .await;
        res.assert_header("location", "/home");
    }
}

#[tokio::test]
async fn default_next_is_below_the_mount_prefix() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    let res = client
        .post("/login")
        .script_name("/app")
        .form(&[("username", "bob"), ("password", "builder")])
        .expect_status(303)
        .await;
    res.assert_header("location", "/app/home");
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_401() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher.clone()));
    let wrong = client
        .post("/login")
        .form(&[
            ("username", "alice"),
            ("password", "nope"),
            ("next", "/private"),
        ])
        .expect_status(401)
        .await;
    let dummies = hasher.dummy_verifications();
    let unknown = client
        .post("/login")
        .form(&[
            ("username", "alicf"),
            ("password", "nope"),
            ("next", "/private"),
        ])
        .expect_status(401)
        .await;
    assert_eq!(hasher.dummy_verifications(), dummies + 1);
    assert!(wrong.text().contains("Invalid user name or password."));
    assert_eq!(wrong.text().replace("alice", "alicf"), unknown.text());
    assert_eq!(client.get("/whoami").await.text(), "user=-;roles=");
}

#[tokio::test]
async fn logout_keeps_other_session_keys() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    client.get("/set").await;
    login(&client, "alice", "wonderland").await;
    let logged_in_id = client.cookie("id").unwrap();
    client.get("/logout").await;
    assert_ne!(
        client.cookie("id").unwrap(),
        logged_in_id,
        "logout cycles the id"
    );
    assert_eq!(client.get("/whoami").await.text(), "user=-;roles=");
    assert_eq!(client.get("/cart").await.text(), "3 eggs");
}

#[tokio::test]
async fn password_change_logs_out_other_sessions() {
    let hasher = hasher();
    let users = users(&hasher);
    let app = site(users.clone(), hasher.clone());
    let laptop = TestClient::new(app.clone());
    let phone = TestClient::new(app.clone());
    login(&laptop, "alice", "wonderland").await;
    login(&phone, "alice", "wonderland").await;
    assert_eq!(
        phone.get("/whoami").await.text(),
        "user=alice;roles=admin,staff"
    );

    users.insert(
        User::new("alice", hasher.hash_blocking("looking-glass").unwrap())
            .roles(["admin", "staff"]),
    );
    assert_eq!(phone.get("/whoami").await.text(), "user=-;roles=");
    assert_eq!(laptop.get("/whoami").await.text(), "user=-;roles=");

    login(&laptop, "alice", "looking-glass").await;
    assert_eq!(
        laptop.get("/whoami").await.text(),
        "user=alice;roles=admin,staff"
    );
    assert_eq!(phone.get("/whoami").await.text(), "user=-;roles=");
}

#[tokio::test]
async fn removed_user_is_logged_out() {
    let hasher = hasher();
    let users = users(&hasher);
    let client = TestClient::new(site(users.clone(), hasher));
    login(&client, "bob", "builder").await;
    assert_eq!(client.get("/whoami").await.text(), "user=bob;roles=");
    users.remove("bob");
    assert_eq!(client.get("/whoami").await.text(), "user=-;roles=");
}
