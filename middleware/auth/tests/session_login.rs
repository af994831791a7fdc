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
async fn logout_clears_the_session_so_the_next_user_sees_nothing() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    login(&client, "alice", "wonderland").await;
    client.get("/set").await;
    assert_eq!(client.get("/cart").await.text(), "3 eggs");
    let logged_in_id = client.cookie("id").unwrap();
    client.post("/logout").expect_status(303).await;
    assert_ne!(
        client.cookie("id"),
        Some(logged_in_id),
        "the logged-in id is gone"
    );
    assert_eq!(client.get("/whoami").await.text(), "user=-;roles=");
    assert_eq!(client.get("/cart").await.text(), "", "alice's cart is gone");

    // The next person on this browser logs in and sees none of it.
    login(&client, "bob", "builder").await;
    assert_eq!(client.get("/whoami").await.text(), "user=bob;roles=");
    assert_eq!(client.get("/cart").await.text(), "");
}

#[tokio::test]
async fn logout_keeping_keeps_only_the_named_keys_under_a_new_id() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    login(&client, "alice", "wonderland").await;
    client.get("/set").await;
    let logged_in_id = client.cookie("id").unwrap();
    client.get("/logout-keeping-cart").await;
    assert_ne!(client.cookie("id").unwrap(), logged_in_id, "a new id");
    assert_eq!(client.get("/whoami").await.text(), "user=-;roles=");
    assert_eq!(client.get("/cart").await.text(), "3 eggs");
}

#[tokio::test]
async fn old_id_is_worthless_after_logout() {
    let hasher = hasher();
    let app = site(users(&hasher), hasher);
    let client = TestClient::new(app.clone());
    login(&client, "alice", "wonderland").await;
    let stolen = client.cookie("id").unwrap();
    client.post("/logout").expect_status(303).await;
    let thief = TestClient::new(app);
    thief.set_cookie("id", &stolen);
    assert_eq!(thief.get("/whoami").await.text(), "user=-;roles=");
}

#[tokio::test]
async fn logout_service_answers_only_post() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    login(&client, "alice", "wonderland").await;
    for res in [
        client.get("/logout").expect_status(405).await,
        client.put("/logout").expect_status(405).await,
    ] {
        res.assert_header("allow", "POST");
    }
    assert_eq!(
        client.get("/whoami").await.text(),
        "user=alice;roles=admin,staff",
        "still logged in"
    );
}

#[tokio::test]
async fn logout_service_refuses_cross_origin_posts() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    login(&client, "alice", "wonderland").await;
    client
        .post("/logout")
        .header("sec-fetch-site", "cross-site")
        .expect_status(403)
        .await;
    client
        .post("/logout")
        .header("host", "localhost")
        .header("origin", "https://evil.example")
        .expect_status(403)
        .await;
    assert_eq!(
        client.get("/whoami").await.text(),
        "user=alice;roles=admin,staff",
        "a forged logout changes nothing"
    );
    client
        .post("/logout")
        .header("sec-fetch-site", "same-origin")
        .header("origin", "http://localhost")
        .expect_status(303)
        .await;
    assert_eq!(client.get("/whoami").await.text(), "user=-;roles=");
}

#[tokio::test]
async fn logout_service_checks_next_like_login() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    let res = client
        .post("/logout")
        .form(&[("next", "/bye")])
        .expect_status(303)
        .await;
    res.assert_header("location", "/bye");
    for evil in [
        "//evil.example",
        "https://evil.example/",
        "/%2F/evil.example",
    ] {
        let res = client
            .post("/logout")
            .form(&[("next", evil)])
            .expect_status(303)
            .await;
        res.assert_header("location", "/");
        let res = client
            .post(format!("/logout?next={}", evil.replace('/', "%2F")))
            .expect_status(303)
            .await;
        res.assert_header("location", "/");
    }
    let res = client
        .post("/logout")
        .script_name("/app")
        .expect_status(303)
        .await;
    res.assert_header("location", "/app/");
}

#[tokio::test]
async fn login_form_refuses_cross_origin_posts() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    client
        .post("/login")
        .header("sec-fetch-site", "cross-site")
        .form(&[("username", "alice"), ("password", "wonderland")])
        .expect_status(403)
        .await;
    assert_eq!(client.get("/whoami").await.text(), "user=-;roles=");
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
        User::builder("alice", hasher.hash_blocking("looking-glass").unwrap())
            .roles(["admin", "staff"])
            .build(),
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

#[tokio::test]
async fn oversized_logout_form_gets_413_and_logs_nobody_out() {
    let hasher = hasher();
    let client = TestClient::new(site(users(&hasher), hasher));
    login(&client, "alice", "wonderland").await;
    let next = "a".repeat(pastry_auth::MAX_FORM);
    client
        .post("/logout")
        .form(&[("next", next.as_str())])
        .expect_status(413)
        .await;
    assert_eq!(
        client.get("/whoami").await.text(),
        "user=alice;roles=admin,staff"
    );
}
