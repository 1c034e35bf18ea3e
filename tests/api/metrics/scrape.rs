//! What `/metrics` says after real requests: each counter moves by exactly what was done, the
//! histograms are well formed, and no label carries a path, a name, a secret or a token.

use crate::support::*;
use latchkey::config::Settings;
use latchkey::startup::Application;

const REQ: &str = "latchkey_http_requests_total";
const DURATION_COUNT: &str = "latchkey_http_request_duration_seconds_count";
const LOGINS: &str = "latchkey_logins_total";
const THROTTLED: &str = "latchkey_throttle_blocks_total";
const TOKENS: &str = "latchkey_tokens_issued_total";

/// A server with alice, metrics on a port of its own, and `configure` applied.
async fn app_with_metrics(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_oidc_app_with(|s| {
        s.metrics_bind = Some("127.0.0.1:0".parse().expect("addr"));
        configure(s);
    })
    .await
}

fn metrics_port(app: &TestApp) -> u16 {
    app.metrics_port.expect("metrics_bind is set")
}

/// How much a sample grew between two scrapes.
fn grew(before: &Scrape, after: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    after.value(name, labels) - before.value(name, labels)
}

fn random_word() -> String {
    latchkey::crypto::random::token()[..16].replace(['-', '_'], "x")
}

#[tokio::test]
async fn sign_ins_a_token_exchange_failures_and_a_throttle_move_their_counters_by_exactly_that() {
    // One free failure per account and address; the second sets a wait. The clock stands
    // still, so that wait cannot run out on a slow machine before the right password comes.
    let app = spawn_at(&clock_now(), |s| {
        s.metrics_bind = Some("127.0.0.1:0".parse().expect("addr"));
        s.login_failures_per_account = 1;
    })
    .await;
    let secret = add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    )
    .expect("confidential");
    add_user(&app, "carol", "carol@example.com", None);
    disable_user(&app, "carol");
    let port = metrics_port(&app);
    let before = scrape(port).await;

    // A sign-in (authorize, login page, login, resume) and the code exchanged once.
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let tokens = exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    // Two wrong passwords for alice (the second earns a wait), then her right one is held back.
    let b = fresh_browser();
    assert_eq!(
        login_attempt(&app, &b, &[], "alice", "wrong one").await.0,
        401
    );
    assert_eq!(
        login_attempt(&app, &b, &[], "alice", "wrong two").await.0,
        401
    );
    assert_eq!(login_attempt(&app, &b, &[], "alice", PASSWORD).await.0, 429);
    // An unknown name, and the disabled carol with her right password: the same 401 page.
    let nobody = format!("nobody{}", random_word());
    assert_eq!(login_attempt(&app, &b, &[], &nobody, PASSWORD).await.0, 401);
    assert_eq!(login_attempt(&app, &b, &[], "carol", PASSWORD).await.0, 401);

    let after = scrape(port).await;
    let login = |outcome| grew(&before, &after, LOGINS, &[("outcome", outcome)]);
    assert_eq!(login("success"), 1.0);
    assert_eq!(login("bad_password"), 2.0);
    assert_eq!(login("unknown_user"), 1.0);
    assert_eq!(login("disabled"), 1.0);
    assert_eq!(login("throttled"), 1.0);
    assert_eq!(login("overloaded"), 0.0);
    let blocks = |kind| grew(&before, &after, THROTTLED, &[("kind", kind)]);
    assert_eq!(blocks("login_wait"), 1.0);
    assert_eq!(blocks("login_concurrent"), 0.0);
    let issued = |grant| grew(&before, &after, TOKENS, &[("grant", grant)]);
    assert_eq!(issued("authorization_code"), 1.0);
    assert_eq!(issued("refresh_token") + issued("client_credentials"), 0.0);

    let requests = |endpoint, status| {
        grew(
            &before,
            &after,
            REQ,
            &[("endpoint", endpoint), ("status", status)],
        )
    };
    assert_eq!(requests("/authorize", "303"), 1.0);
    assert_eq!(requests("/token", "200"), 1.0);
    assert_eq!(requests("/login", "200"), 6.0, "six login pages");
    assert_eq!(requests("/login", "303"), 1.0);
    assert_eq!(requests("/login", "401"), 4.0);
    assert_eq!(requests("/login", "429"), 1.0);
    let login_requests = after.sum(REQ, &[("endpoint", "/login")]);
    assert_eq!(
        after.value(DURATION_COUNT, &[("endpoint", "/login")]),
        login_requests,
        "one duration per request"
    );

    assert_eq!(after.value("latchkey_sessions_active", &[]), 1.0, "alice's");
    assert!(
        after.check_histograms() >= 6,
        "request, batch and fsync histograms"
    );

    // Nothing a person typed or was given shows up in a label.
    let secrets = [
        "alice",
        "carol",
        &nobody,
        PASSWORD,
        "wrong one",
        &secret,
        &code,
        tokens["access_token"].as_str().expect("access token"),
        tokens["id_token"].as_str().expect("id token"),
    ];
    for value in after.label_values() {
        for s in secrets {
            assert!(!value.contains(s), "label value {value:?} carries {s:?}");
        }
    }
}

#[tokio::test]
async fn the_endpoint_label_is_the_route_pattern_and_an_unknown_path_gets_a_fixed_label() {
    let app = app_with_metrics(|_| {}).await;
    let port = metrics_port(&app);
    let before = scrape(port).await;
    let word = random_word();

    let authorize = app
        .get(&format!("/authorize?client_id={word}&state={word}"))
        .await;
    assert_eq!(
        authorize.status(),
        400,
        "an unknown client is an error page"
    );
    assert_eq!(app.get(&format!("/static/{word}.css")).await.status(), 404);
    assert_eq!(app.get(&format!("/{word}/x")).await.status(), 404);

    let after = scrape(port).await;
    let requests = |endpoint, status| {
        grew(
            &before,
            &after,
            REQ,
            &[("endpoint", endpoint), ("status", status)],
        )
    };
    assert_eq!(requests("/authorize", "400"), 1.0);
    assert_eq!(
        requests("/static/{name}", "404"),
        1.0,
        "the pattern, not the file"
    );
    assert_eq!(requests("unmatched", "404"), 1.0);
    let endpoints: Vec<&str> = after
        .matching(REQ, &[])
        .map(|s| s.labels["endpoint"].as_str())
        .collect();
    assert!(
        endpoints
            .iter()
            .all(|e| *e == "unmatched" || e.starts_with('/') && !e.contains('?')),
        "{endpoints:?}"
    );
    for value in after.label_values() {
        assert!(
            !value.contains(&word),
            "label value {value:?} carries the path"
        );
    }
}

#[tokio::test]
async fn the_group_commit_histograms_count_every_durable_write_every_fsync_and_every_commit() {
    let app = app_with_metrics(|_| {}).await;
    let port = metrics_port(&app);
    let (stats_before, before) = (app.store.sync_stats(), scrape(port).await);
    for n in 0..5 {
        add_user(
            &app,
            &format!("user{n}"),
            &format!("user{n}@example.com"),
            None,
        );
    }
    let (stats_after, after) = (app.store.sync_stats(), scrape(port).await);

    let commits = (stats_after.durable - stats_before.durable) as f64;
    let fsyncs = (stats_after.wal_syncs - stats_before.wal_syncs) as f64;
    assert!(commits >= 5.0, "{stats_after:?}");
    let moved = |name| grew(&before, &after, name, &[]);
    assert_eq!(moved("latchkey_db_commit_batch_size_sum"), commits);
    assert_eq!(moved("latchkey_db_commit_batch_size_count"), fsyncs);
    assert_eq!(moved("latchkey_db_commit_seconds_count"), fsyncs);
    assert!(moved("latchkey_db_commit_seconds_sum") > 0.0);
    // Units per SQLite transaction: every unit counted once, every COMMIT once.
    let units = (stats_after.commits - stats_before.commits) as f64;
    let transactions = (stats_after.transactions - stats_before.transactions) as f64;
    assert!(
        transactions >= 1.0 && transactions <= units,
        "{stats_after:?}"
    );
    assert_eq!(moved("latchkey_db_write_batch_size_sum"), units);
    assert_eq!(moved("latchkey_db_write_batch_size_count"), transactions);
    after.check_histograms();
}

#[tokio::test]
async fn metrics_are_served_on_their_own_port_only_and_never_on_the_public_one() {
    let app = app_with_metrics(|_| {}).await;
    let port = metrics_port(&app);
    assert_ne!(port, app.port);

    assert_eq!(app.get("/metrics").await.status(), 404, "public port");
    let scraped = scrape(port).await;
    assert_eq!(
        scraped.value(
            "latchkey_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    assert_eq!(scraped.types["latchkey_http_requests_total"], "counter");
    assert_eq!(scraped.types["latchkey_db_commit_seconds"], "histogram");
    // The metrics port serves nothing else.
    for path in [
        "/healthz",
        "/",
        "/.well-known/openid-configuration",
        "/metrics/x",
    ] {
        let res = reqwest::get(format!("http://127.0.0.1:{port}{path}"))
            .await
            .expect("GET");
        assert_eq!(res.status(), 404, "{path} on the metrics port");
    }
}

#[tokio::test]
async fn without_metrics_bind_there_is_no_metrics_listener_and_no_metrics_route() {
    let app = spawn_oidc_app().await;
    assert!(app.settings.metrics_bind.is_none(), "off by default");
    assert_eq!(app.metrics_port, None);
    assert_eq!(app.get("/metrics").await.status(), 404);
}

#[tokio::test]
async fn active_sessions_are_counted_from_the_database_so_a_restart_keeps_them() {
    let mut app = app_with_metrics(|_| {}).await;
    sign_in(&app, "alice").await;
    let second = fresh_browser();
    assert_eq!(
        login_attempt(&app, &second, &[], "alice", PASSWORD).await.0,
        303
    );
    assert_eq!(
        scrape(metrics_port(&app))
            .await
            .value("latchkey_sessions_active", &[]),
        2.0
    );

    // A new server process on the same data dir (as after a restart) counts the same two.
    app.stop().await;
    let mut settings = app.settings.clone();
    settings.bind = "127.0.0.1:0".parse().expect("addr");
    let restarted = Application::build(settings).expect("second server starts");
    let port = restarted.metrics_port().expect("metrics on");
    tokio::spawn(restarted.run_until_stopped());
    let scraped = scrape(port).await;
    assert_eq!(scraped.value("latchkey_sessions_active", &[]), 2.0);
    assert_eq!(scraped.sum(LOGINS, &[]), 0.0, "counters start at zero");
}

#[tokio::test]
async fn back_channel_logout_deliveries_are_counted_by_outcome() {
    let app = app_with_metrics(|_| {}).await;
    // An app whose back-channel URI refuses connections: the first attempt fails, to retry.
    let closed = free_port();
    let secret = add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            post_logout_redirect_uris: vec![POST_LOGOUT.to_owned()],
            backchannel_logout_uri: Some(format!("http://127.0.0.1:{closed}/bcl")),
            ..Default::default()
        },
    )
    .expect("confidential");
    let port = metrics_port(&app);
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let tokens = exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    let logout = format!(
        "/logout?id_token_hint={}&post_logout_redirect_uri={POST_LOGOUT}",
        tokens["id_token"].as_str().expect("id token")
    );
    assert_eq!(browse(&app, &logout).await.status(), 302);

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let delivery = |s: &Scrape, outcome| {
        s.value(
            "latchkey_backchannel_deliveries_total",
            &[("outcome", outcome)],
        )
    };
    loop {
        let s = scrape(port).await;
        if delivery(&s, "retry") >= 1.0 {
            assert_eq!(delivery(&s, "retry"), 1.0, "the next try waits seconds");
            assert_eq!(delivery(&s, "delivered") + delivery(&s, "gave_up"), 0.0);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no back-channel attempt counted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
