//! Rule 9: brute-force throttling with growing waits, per account and per IP, never a
//! permanent lockout, every throttle audited.

use crate::browser::{PASSWORD, add_user, hidden};
use crate::flow::{clock_now, fresh_browser};
use crate::helpers::{TestApp, spawn_app_with_clock};
use latchkey::clock::FixedClock;
use latchkey::store::audit;
use std::sync::Arc;

async fn app(clock: &FixedClock) -> TestApp {
    let app = spawn_app_with_clock(
        |s| {
            s.login_failures_per_account = 3;
            s.login_failures_per_ip = 6;
            s.login_max_wait_secs = 60;
        },
        Arc::new(clock.clone()),
    )
    .await;
    add_user(&app, "alice", "alice@example.com", None);
    add_user(&app, "bob", "bob@example.com", None);
    app
}

/// One sign-in attempt on a fresh login form; returns (status, Retry-After).
async fn attempt(app: &TestApp, username: &str, password: &str) -> (u16, Option<String>) {
    let b = fresh_browser();
    let html = b
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf_token").unwrap();
    let res = b
        .post(app.url("/login"))
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (res.status().as_u16(), retry)
}

fn audited(app: &TestApp, kind: &str) -> usize {
    app.store
        .read(|c| audit::list_audit_events(c, 1000))
        .unwrap()
        .iter()
        .filter(|e| e.kind == kind)
        .count()
}

#[tokio::test]
async fn rule_9_repeated_failures_on_one_account_earn_growing_waits_with_429_and_retry_after() {
    let clock = clock_now();
    let app = app(&clock).await;
    for _ in 0..3 {
        assert_eq!(
            attempt(&app, "alice", "wrong-guess-1").await.0,
            401,
            "free failures"
        );
    }
    assert_eq!(
        attempt(&app, "alice", "wrong-guess-2").await.0,
        401,
        "this failure sets a 1 s wait"
    );
    let (status, retry) = attempt(&app, "ALICE", PASSWORD).await;
    assert_eq!(
        status, 429,
        "even the right password waits (and case does not dodge it)"
    );
    assert_eq!(retry.as_deref(), Some("1"));
    clock.advance(1);
    assert_eq!(attempt(&app, "alice", "wrong-guess-3").await.0, 401);
    let (status, retry) = attempt(&app, "alice", "wrong-guess-4").await;
    assert_eq!(
        (status, retry.as_deref()),
        (429, Some("2")),
        "the wait grows"
    );
    assert!(
        audited(&app, "login.throttled") >= 2,
        "every throttle is audited"
    );
    // Other accounts are not affected by alice's throttle.
    assert_eq!(attempt(&app, "bob", PASSWORD).await.0, 303);
}

#[tokio::test]
async fn rule_9_there_is_no_permanent_lockout() {
    let clock = clock_now();
    let app = app(&clock).await;
    for _ in 0..10 {
        attempt(&app, "alice", "wrong-guess").await;
        clock.advance(61);
    }
    clock.advance(61);
    assert_eq!(
        attempt(&app, "alice", PASSWORD).await.0,
        303,
        "after the capped wait the owner gets in"
    );
    // And success clears the account's counter.
    assert_eq!(attempt(&app, "alice", "wrong-guess").await.0, 401);
}

#[tokio::test]
async fn rule_9_one_ip_guessing_many_accounts_is_throttled_per_ip() {
    let clock = clock_now();
    let app = app(&clock).await;
    let names = ["u1", "u2", "u3", "u4", "u5", "u6", "u7"];
    let mut statuses = Vec::new();
    for n in names {
        statuses.push(attempt(&app, n, "guess-guess").await.0);
    }
    assert_eq!(&statuses[..6], &[401; 6], "each account failed once only");
    assert_eq!(
        statuses[6], 401,
        "the 7th failure from this IP sets the wait"
    );
    assert_eq!(
        attempt(&app, "bob", PASSWORD).await.0,
        429,
        "the IP now waits, whatever the account"
    );
}
