//! Behind a reverse proxy: the client address comes from `Forwarded` / `X-Forwarded-For` only
//! when the TCP peer is a trusted proxy, and it is the address throttles, audit rows and the
//! account page use. Each test replays an attack from the security review.

use crate::support::*;
use latchkey::clock::FixedClock;
use latchkey::store::audit;
use std::sync::Arc;

async fn app(clock: &FixedClock, trusted: &str) -> TestApp {
    let trusted = trusted.to_owned();
    let app = spawn_app_with_clock(
        move |s| {
            s.login_failures_per_account = 3;
            s.login_failures_per_ip = 5;
            s.login_max_wait_secs = 60;
            s.trusted_proxies = latchkey::config::parse_proxies(&trusted).unwrap();
        },
        Arc::new(clock.clone()),
    )
    .await;
    add_user(&app, "alice", "alice@example.com", None);
    add_user(&app, "bob", "bob@example.com", None);
    app
}

async fn attempt_from(app: &TestApp, xff: &str, username: &str, password: &str) -> u16 {
    login_attempt(
        app,
        &fresh_browser(),
        &[("x-forwarded-for", xff)],
        username,
        password,
    )
    .await
    .0
}

fn audit_ips(app: &TestApp, kind: &str) -> Vec<Option<String>> {
    app.store
        .read(|c| audit::list_audit_events(c, 1000))
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.ip)
        .collect()
}

#[tokio::test]
async fn behind_a_trusted_proxy_failed_guesses_from_one_client_do_not_lock_everyone_out() {
    let clock = clock_now();
    let app = app(&clock, "127.0.0.1").await;
    // The attacker sprays guesses at many accounts until its address is blocked.
    for user in ["u1", "u2", "u3", "u4", "u5", "u6"] {
        attempt_from(&app, "203.0.113.66", user, "guess").await;
    }
    assert_eq!(
        attempt_from(&app, "203.0.113.66", "u7", "guess").await,
        429,
        "the attacker's own address waits"
    );
    // Everyone else comes through the same proxy, and signs in.
    assert_eq!(
        attempt_from(&app, "198.51.100.7", "alice", PASSWORD).await,
        303
    );
    assert_eq!(
        attempt_from(&app, "198.51.100.8", "bob", PASSWORD).await,
        303
    );
}

#[tokio::test]
async fn forged_forwarding_headers_from_an_untrusted_peer_do_not_dodge_the_throttle() {
    let clock = clock_now();
    // No trusted proxies: the headers are the client's own words, and are ignored.
    let app = app(&clock, "").await;
    for i in 0..6 {
        let forged = format!("198.51.100.{i}");
        let forwarded = format!("for={forged}");
        login_attempt(
            &app,
            &fresh_browser(),
            &[("x-forwarded-for", &forged), ("forwarded", &forwarded)],
            &format!("u{i}"),
            "guess",
        )
        .await;
    }
    let (status, retry) = login_attempt(
        &app,
        &fresh_browser(),
        &[("x-forwarded-for", "192.0.2.200")],
        "u9",
        "guess",
    )
    .await;
    assert_eq!(status, 429, "the real peer address was counted");
    assert!(retry.is_some());
    // And the audit log names the peer, not the forged addresses.
    let ips = audit_ips(&app, "login.failed");
    assert!(!ips.is_empty());
    assert!(
        ips.iter().all(|ip| ip.as_deref() == Some("127.0.0.1")),
        "{ips:?}"
    );
}

#[tokio::test]
async fn a_client_forging_x_forwarded_for_through_a_trusted_proxy_is_known_by_the_hop_the_proxy_added()
 {
    let clock = clock_now();
    let app = app(&clock, "127.0.0.1,10.0.0.0/8").await;
    // The client sends "X-Forwarded-For: <random>"; the proxies append what they saw.
    for i in 0..6 {
        let chain = format!("192.0.2.{i}, 203.0.113.66, 10.1.2.3");
        attempt_from(&app, &chain, &format!("u{i}"), "guess").await;
    }
    assert_eq!(
        attempt_from(&app, "192.0.2.99, 203.0.113.66, 10.1.2.3", "u9", "guess").await,
        429,
        "rotating the forged left-most entry changes nothing"
    );
    let ips = audit_ips(&app, "login.failed");
    assert!(
        ips.iter().all(|ip| ip.as_deref() == Some("203.0.113.66")),
        "{ips:?}"
    );
}

#[tokio::test]
async fn rfc7239_forwarded_is_preferred_and_ipv4_mapped_addresses_count_as_ipv4() {
    let clock = clock_now();
    let app = app(&clock, "::1,127.0.0.1").await;
    let (status, _) = login_attempt(
        &app,
        &fresh_browser(),
        &[
            ("x-forwarded-for", "192.0.2.1"),
            (
                "forwarded",
                "for=\"[::ffff:198.51.100.23]:51234\";proto=https",
            ),
        ],
        "alice",
        PASSWORD,
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        audit_ips(&app, "login.succeeded"),
        [Some("198.51.100.23".to_owned())]
    );
}

#[tokio::test]
async fn rotating_ipv6_addresses_within_one_64_does_not_earn_more_guesses() {
    let clock = clock_now();
    let app = app(&clock, "127.0.0.1").await;
    for i in 0..6 {
        let addr = format!("2001:db8:5:6::{:x}", i + 1);
        attempt_from(&app, &addr, &format!("u{i}"), "guess").await;
    }
    assert_eq!(
        attempt_from(&app, "2001:db8:5:6:ffff::1", "u9", "guess").await,
        429,
        "the whole /64 is one source"
    );
    assert_eq!(
        attempt_from(&app, "2001:db8:5:7::1", "alice", PASSWORD).await,
        303,
        "the next /64 is another"
    );
}

#[tokio::test]
async fn the_account_page_lists_sessions_with_the_forwarded_client_address() {
    let clock = clock_now();
    let app = app(&clock, "127.0.0.1").await;
    let browser = fresh_browser();
    let (status, _) = login_attempt(
        &app,
        &browser,
        &[("x-forwarded-for", "198.51.100.44")],
        "alice",
        PASSWORD,
    )
    .await;
    assert_eq!(status, 303);
    let page = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("198.51.100.44"), "{page}");
}
