//! What a visitor who is not signed in can make latchkey store stays bounded: parked
//! authorization requests and device authorizations per client address.

use crate::support::*;
use latchkey::store::StoreError;

fn count(app: &TestApp, table: &str) -> i64 {
    app.store
        .sql(|c| {
            c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
                .map_err(StoreError::from)
        })
        .unwrap()
}

async fn app_with_limit(limit: i64) -> TestApp {
    let app = spawn_oidc_app_with(|s| {
        s.pending_requests_per_address = limit;
        s.trusted_proxies = latchkey::config::parse_proxies("127.0.0.1").unwrap();
    })
    .await;
    add_client(&app, &ClientSpec::default());
    add_client(
        &app,
        &ClientSpec {
            client_id: "tv",
            public: true,
            grant_types: &["urn:ietf:params:oauth:grant-type:device_code"],
            redirect_uris: vec![],
            ..ClientSpec::default()
        },
    );
    app
}

async fn authorize_from(app: &TestApp, xff: &str) -> reqwest::Response {
    fresh_browser()
        .get(AuthReq::new("app").url(app))
        .header("x-forwarded-for", xff)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_flood_of_authorization_requests_from_one_address_cannot_fill_the_disk() {
    let app = app_with_limit(5).await;
    for _ in 0..5 {
        let res = authorize_from(&app, "203.0.113.66").await;
        assert_eq!(res.status(), 303, "sent to the login page");
    }
    for _ in 0..20 {
        let res = authorize_from(&app, "203.0.113.66").await;
        assert_eq!(res.status(), 429);
        assert!(res.headers().get("retry-after").is_some());
        let html = res.text().await.unwrap();
        assert!(html.contains("Too many sign-in requests"), "{html}");
    }
    assert_eq!(
        count(&app, "pending_authorizations"),
        5,
        "nothing more was stored"
    );
    // Other people are not affected.
    assert_eq!(authorize_from(&app, "198.51.100.7").await.status(), 303);
}

#[tokio::test]
async fn a_flood_of_device_authorizations_from_one_address_is_refused_with_429() {
    let app = app_with_limit(3).await;
    let start = |xff: &'static str| {
        let app = &app;
        async move {
            reqwest::Client::new()
                .post(app.url("/device_authorization"))
                .header("x-forwarded-for", xff)
                .form(&[("client_id", "tv"), ("scope", "openid")])
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..3 {
        assert_eq!(start("203.0.113.66").await.status(), 200);
    }
    for _ in 0..10 {
        let res = start("203.0.113.66").await;
        assert!(res.headers().get("retry-after").is_some());
        assert_oauth_error(res, 429, "temporarily_unavailable").await;
    }
    assert_eq!(count(&app, "device_authorizations"), 3);
    assert_eq!(start("198.51.100.7").await.status(), 200);
    // Without a proxy header every request is from the test's own address: the same limit.
    let res = post_form(
        &app,
        "/device_authorization",
        &[("client_id", "tv"), ("scope", "openid")],
        None,
    )
    .await;
    assert_eq!(res.status(), 200, "127.0.0.1 is a source of its own");
}
