//! Attacks with stolen or replayed refresh tokens (RFC 9700 §4.14) fail.

use crate::support::*;
use serde_json::{Value, json};

async fn refreshed(app: &TestApp, secret: &str, token: &str) -> Value {
    token_ok(refresh(app, "app", secret, token, None).await).await
}

#[tokio::test]
async fn refresh_reuse_revokes_the_whole_family() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let t0 = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let r0 = str_of(&t0, "refresh_token").to_owned();
    let t1 = refreshed(&app, &secret, &r0).await;
    let r1 = str_of(&t1, "refresh_token").to_owned();
    assert_ne!(r1, r0, "rotated");
    let t2 = refreshed(&app, &secret, &r1).await;
    let r2 = str_of(&t2, "refresh_token").to_owned();
    assert_ne!(r2, r1, "rotated");
    let a2 = str_of(&t2, "access_token").to_owned();
    assert_eq!(userinfo(&app, &a2).await.status(), 200);

    // The stolen r0 is replayed: refused, and the legitimate r2 dies with it.
    let res = refresh(&app, "app", &secret, &r0, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    let res = refresh(&app, "app", &secret, &r2, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    assert_eq!(
        userinfo(&app, &a2).await.status(),
        401,
        "access tokens of the family are revoked too"
    );
    assert_eq!(
        introspect(&app, &secret, &r2).await,
        json!({ "active": false })
    );

    // Two refreshes racing with the same token: at most one gets new tokens.
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let r = str_of(&t, "refresh_token").to_owned();
    let (a, b) = tokio::join!(
        refresh(&app, "app", &secret, &r, None),
        refresh(&app, "app", &secret, &r, None),
    );
    let wins = [a.status(), b.status()]
        .iter()
        .filter(|s| s.as_u16() == 200)
        .count();
    assert!(wins <= 1, "a refresh token is used at most once");
}

#[tokio::test]
async fn a_refresh_token_stolen_by_another_client_is_refused() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let other_secret = add_client(&app, &other_spec()).unwrap();
    add_client(
        &app,
        &ClientSpec {
            client_id: "spa",
            public: true,
            ..Default::default()
        },
    );
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let r = str_of(&t, "refresh_token").to_owned();
    let res = refresh(&app, "other", &other_secret, &r, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    let res = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &r),
            ("client_id", "spa"),
        ],
        None,
    )
    .await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    let res = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &r),
            ("client_id", "app"),
        ],
        None,
    )
    .await;
    assert_oauth_error(res, 401, "invalid_client").await;
    // Introspection by another client does not reveal it either.
    let res = post_form(
        &app,
        "/introspect",
        &[("token", &r)],
        Some(("other", &other_secret)),
    )
    .await;
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({ "active": false })
    );
    // Control: the rightful client still can.
    refreshed(&app, &secret, &r).await;
}

#[tokio::test]
async fn rotation_does_not_extend_a_refresh_tokens_absolute_lifetime() {
    let clock = clock_now();
    let app = spawn_at(&clock, |s| s.refresh_token_ttl_secs = 3600).await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let mut r = str_of(&t, "refresh_token").to_owned();
    for _ in 0..3 {
        clock.advance(1000);
        r = str_of(&refreshed(&app, &secret, &r).await, "refresh_token").to_owned();
    }
    // 3,601 seconds after the code was redeemed, the newest token of the family is dead.
    clock.advance(601);
    let res = refresh(&app, "app", &secret, &r, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_refresh_token_stops_working_after_a_password_change() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let offline = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let online = tokens(&app, "app", Some(&secret), &[]).await;
    // alice changes her password on her account page, in this very browser.
    let html = browse(&app, "/account").await.text().await.unwrap();
    let csrf = hidden(&html, "csrf_token").expect("account page");
    let res = app
        .client
        .post(app.url("/account/password"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
            ("confirm_password", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("password was changed"));
    for (what, t) in [("offline", &offline), ("session-bound", &online)] {
        let res = refresh(&app, "app", &secret, str_of(t, "refresh_token"), None).await;
        let body = assert_oauth_error(res, 400, "invalid_grant").await;
        assert_eq!(body["error"], "invalid_grant", "{what}");
    }
}

#[tokio::test]
async fn a_refresh_token_of_a_disabled_user_stays_dead_after_re_enabling() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let offline = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let r = str_of(&offline, "refresh_token").to_owned();
    app.cli(&["user", "disable", "alice"], None).ok();
    let res = refresh(&app, "app", &secret, &r, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    assert_eq!(
        userinfo(&app, str_of(&offline, "access_token"))
            .await
            .status(),
        401
    );
    app.cli(&["user", "enable", "alice"], None).ok();
    let res = refresh(&app, "app", &secret, &r, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    assert_eq!(
        introspect(&app, &secret, &r).await,
        json!({ "active": false })
    );
}
