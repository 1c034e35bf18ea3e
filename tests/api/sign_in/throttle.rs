//! Brute-force throttling with growing waits, per account and per IP, never a
//! permanent lockout, every throttle audited.

use crate::support::*;
use latchkey::clock::FixedClock;
use latchkey::config::Settings;
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
    login_attempt(app, &fresh_browser(), &[], username, password).await
}

#[tokio::test]
async fn password_guessing_on_one_account_earns_growing_waits_with_429_and_retry_after() {
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
        audited(&app, "login.throttled").len() >= 2,
        "every throttle is audited"
    );
    // Other accounts are not affected by alice's throttle.
    assert_eq!(attempt(&app, "bob", PASSWORD).await.0, 303);
}

#[tokio::test]
async fn an_attacker_cannot_lock_an_account_out_permanently() {
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
async fn one_ip_guessing_many_accounts_is_throttled_per_ip() {
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

async fn app_behind_proxy(clock: &FixedClock, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let app = spawn_app_with_clock(
        |s| {
            s.login_failures_per_account = 3;
            s.login_failures_per_ip = 30;
            s.login_max_wait_secs = 60;
            s.trusted_proxies = latchkey::config::parse_proxies("127.0.0.1").unwrap();
            configure(s);
        },
        Arc::new(clock.clone()),
    )
    .await;
    add_user(&app, "alice", "alice@example.com", None);
    app
}

#[tokio::test]
async fn forty_concurrent_guesses_are_not_all_checked() {
    let clock = clock_now();
    let app = app(&clock).await;
    // Forty wrong guesses for one account, sent at once from one address.
    let guesses = (0..40).map(|i| {
        let app = &app;
        async move { attempt(app, "alice", &format!("guess-{i}")).await }
    });
    let results = futures_util::future::join_all(guesses).await;
    let checked = results.iter().filter(|(s, _)| *s == 401).count();
    let refused = results.iter().filter(|(s, _)| *s == 429).count();
    assert_eq!(checked + refused, 40, "{results:?}");
    // Three free failures and the one that sets the wait; a guess checked while two others
    // run is refused, so at most that many plus the two in flight ever reach argon2.
    assert!(
        checked <= 3 + 1 + 2,
        "{checked} guesses were checked: {results:?}"
    );
    assert!(
        results
            .iter()
            .filter(|(s, _)| *s == 429)
            .all(|(_, retry)| retry.is_some()),
        "every refusal says when to come back"
    );
}

#[tokio::test]
async fn a_flood_of_sign_ins_gets_503_with_retry_after_instead_of_an_endless_queue() {
    let clock = clock_now();
    let app = app_behind_proxy(&clock, |s| s.password_queue_limit = 1).await;
    // Many people (each their own address) at once: the queue holds one waiting check.
    let sign_ins = (0..24).map(|i| {
        let app = &app;
        async move {
            let xff = format!("198.51.100.{}", i + 1);
            login_attempt(
                app,
                &fresh_browser(),
                &[("x-forwarded-for", &xff)],
                "alice",
                "wrong-password",
            )
            .await
        }
    });
    let results = futures_util::future::join_all(sign_ins).await;
    let busy: Vec<_> = results.iter().filter(|(s, _)| *s == 503).collect();
    assert!(!busy.is_empty(), "{results:?}");
    assert!(busy.iter().all(|(_, r)| r.is_some()), "{results:?}");
    assert!(
        results.iter().all(|(s, _)| [401, 503].contains(s)),
        "{results:?}"
    );
    // A refused sign-in was not counted as a failure: alice still signs in afterwards.
    clock.advance(61);
    let (status, _) = login_attempt(
        &app,
        &fresh_browser(),
        &[("x-forwarded-for", "192.0.2.10")],
        "alice",
        PASSWORD,
    )
    .await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn an_attacker_guessing_each_time_the_wait_ends_cannot_keep_the_user_out() {
    let clock = clock_now();
    let app = app_behind_proxy(&clock, |_| {}).await;
    let attacker = [("x-forwarded-for", "203.0.113.66")];
    // The attack from the review: one wrong guess every time the block ends, for hours.
    for _ in 0..40 {
        let (status, retry) =
            login_attempt(&app, &fresh_browser(), &attacker, "alice", "guess").await;
        if status == 429 {
            clock.advance(retry.unwrap().parse::<i64>().unwrap());
        }
    }
    assert_eq!(
        login_attempt(&app, &fresh_browser(), &attacker, "alice", "guess")
            .await
            .0,
        429,
        "the attacker is held"
    );
    // The real user, from home, signs in.
    let (status, _) = login_attempt(
        &app,
        &fresh_browser(),
        &[("x-forwarded-for", "198.51.100.7")],
        "alice",
        PASSWORD,
    )
    .await;
    assert_eq!(status, 303);
}

#[tokio::test]
async fn a_known_browser_signs_in_even_from_the_attackers_address() {
    let clock = clock_now();
    let app = app_behind_proxy(&clock, |_| {}).await;
    let office = [("x-forwarded-for", "203.0.113.66")];
    // Alice signed in from this browser before: it gets the known-browser cookie.
    let alices = fresh_browser();
    let first = alices
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&first, "csrf_token").unwrap();
    let res = alices
        .post(app.url("/login"))
        .header("x-forwarded-for", "203.0.113.66")
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("latchkey_browser="))
        .expect("a known-browser cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Max-Age="),
        "{cookie}"
    );
    // Someone behind the same address guesses her password until that address is held for her.
    for _ in 0..6 {
        login_attempt(&app, &fresh_browser(), &office, "alice", "guess").await;
    }
    assert_eq!(
        login_attempt(&app, &fresh_browser(), &office, "alice", PASSWORD)
            .await
            .0,
        429,
        "an unknown browser at that address waits"
    );
    // Her own browser is not held by the guesses of others.
    assert_eq!(
        login_attempt(&app, &alices, &office, "alice", PASSWORD)
            .await
            .0,
        303
    );
    // The cookie only vouches for the account it signed in to.
    add_user(&app, "bob", "bob@example.com", None);
    for _ in 0..6 {
        login_attempt(&app, &fresh_browser(), &office, "bob", "guess").await;
    }
    assert_eq!(
        login_attempt(&app, &alices, &office, "bob", PASSWORD)
            .await
            .0,
        429
    );
}

#[tokio::test]
async fn wrong_current_passwords_on_the_account_page_are_throttled_like_sign_ins() {
    let clock = clock_now();
    let app = app(&clock).await;
    let b = fresh_browser();
    assert_eq!(login_attempt(&app, &b, &[], "alice", PASSWORD).await.0, 303);
    let mut statuses = Vec::new();
    for i in 0..6 {
        let page = b
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = hidden(&page, "csrf_token").unwrap();
        let res = b
            .post(app.url("/account/password"))
            .form(&[
                ("current_password", format!("not-it-{i}").as_str()),
                ("new_password", "a brand new passphrase"),
                ("confirm_password", "a brand new passphrase"),
                ("csrf_token", &csrf),
            ])
            .send()
            .await
            .unwrap();
        statuses.push((
            res.status().as_u16(),
            res.headers().get("retry-after").is_some(),
        ));
    }
    assert_eq!(&statuses[..4], &[(400, false); 4], "{statuses:?}");
    assert_eq!(statuses[4], (429, true), "{statuses:?}");
    // The sign-in page is held for that account from there too.
    assert_eq!(
        login_attempt(&app, &fresh_browser(), &[], "alice", PASSWORD)
            .await
            .0,
        429
    );
}

#[tokio::test]
async fn two_nodes_on_one_database_share_the_failure_limit() {
    let clock = clock_now();
    let a = app(&clock).await;
    let b = spawn_node_beside(&a, Arc::new(clock.clone())).await;
    // Four wrong guesses sent alternately to both nodes: two each, but four for the account.
    for (i, node) in [&a, &b, &a, &b].into_iter().enumerate() {
        assert_eq!(
            attempt(node, "alice", "wrong-guess").await.0,
            401,
            "guess {i}"
        );
    }
    // Three free failures in all, and the fourth set the wait: both nodes hold, even for the
    // right password.
    for node in [&a, &b] {
        let (status, retry) = attempt(node, "alice", PASSWORD).await;
        assert_eq!((status, retry.as_deref()), (429, Some("1")));
    }
    clock.advance(1);
    assert_eq!(
        attempt(&b, "alice", PASSWORD).await.0,
        303,
        "the wait ends on every node"
    );
    // The right password on node B gave the account its allowance back on node A too.
    for _ in 0..3 {
        assert_eq!(attempt(&a, "alice", "wrong-guess").await.0, 401);
    }
}
