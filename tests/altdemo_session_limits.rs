//! The altdemo's session limits (issue 16, item 4): `/counter` shows the
//! idle timeout and the absolute lifetime, and both end the session, on a
//! clock the test moves.

#[path = "../examples/altdemo/app.rs"]
#[allow(dead_code)]
mod app;

use std::time::{Duration, UNIX_EPOCH};

use pastry::sessions::{AnyStore, ManualClock};
use pastry_testkit::TestClient;

const HOUR: Duration = Duration::from_secs(60 * 60);

fn client_at(clock: &ManualClock) -> TestClient {
    let store = AnyStore::from_url("memory:").unwrap();
    let mut config = app::Config::new(store, false, false);
    config.session_clock = Some(clock.clone());
    TestClient::new(app::stack(config).unwrap())
}

fn clock() -> ManualClock {
    ManualClock::at(UNIX_EPOCH + Duration::from_secs(1_800_000_000))
}

async fn count(client: &TestClient) -> String {
    let page = client.get("/counter").await.text();
    let start = page.find("<strong id=\"count\">").expect("the count") + 19;
    let end = start + page[start..].find('<').expect("end of the count");
    page[start..end].to_owned()
}

#[tokio::test]
async fn counter_page_shows_the_idle_timeout_and_the_absolute_lifetime() {
    let client = client_at(&clock());
    client
        .get("/counter")
        .await
        .assert_text_contains("<strong id=\"idle-timeout\">1 day</strong>")
        .assert_text_contains("<strong id=\"absolute-lifetime\">7 days</strong>");
}

#[tokio::test]
async fn a_day_without_a_visit_ends_the_session() {
    let clock = clock();
    let client = client_at(&clock);
    assert_eq!(count(&client).await, "1");
    clock.advance(23 * HOUR);
    assert_eq!(count(&client).await, "2");
    clock.advance(24 * HOUR);
    assert_eq!(count(&client).await, "1", "idle for a day: a new session");
}

#[tokio::test]
async fn a_week_after_it_began_the_session_ends_however_active() {
    let clock = clock();
    let client = client_at(&clock);
    assert_eq!(count(&client).await, "1");
    // A visit every 20 hours, for just under a week.
    for expected in 2..=9 {
        clock.advance(20 * HOUR);
        assert_eq!(count(&client).await, expected.to_string());
    }
    clock.advance(8 * HOUR); // 168 hours since the first visit
    assert_eq!(count(&client).await, "1", "a week old: a new session");
}
