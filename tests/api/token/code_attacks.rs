//! Attacks with stolen, replayed or stale authorization codes (RFC 9700 §4.5) fail, and token
//! responses are never cached.

use crate::support::*;
use serde_json::{Value, json};

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_what_it_issued() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let (code, verifier) = get_code(&app, "app", &[("scope", "openid offline_access")]).await;
    let t = exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    let access = str_of(&t, "access_token").to_owned();
    let refresh_token = str_of(&t, "refresh_token").to_owned();
    assert_eq!(userinfo(&app, &access).await.status(), 200);

    let res = redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    assert_eq!(
        userinfo(&app, &access).await.status(),
        401,
        "the replay revoked the access token"
    );
    assert_eq!(
        introspect(&app, &secret, &access).await,
        json!({ "active": false })
    );
    let res = refresh(&app, "app", &secret, &refresh_token, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;

    // Two redemptions racing: exactly one wins.
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let (a, b) = tokio::join!(
        redeem(&app, "app", Some(&secret), &code, Some(&verifier)),
        redeem(&app, "app", Some(&secret), &code, Some(&verifier)),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 400], "exactly one redemption succeeds");
}

#[tokio::test]
async fn a_code_older_than_60_seconds_is_refused() {
    let clock = clock_now();
    let app = spawn_at(&clock, |_| {}).await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let (code, verifier) = get_code(&app, "app", &[]).await;
    clock.advance(61);
    let res = redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    // Control: 59 seconds is still in time.
    let (code, verifier) = get_code(&app, "app", &[]).await;
    clock.advance(59);
    exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
}

#[tokio::test]
async fn a_code_stolen_by_another_client_is_refused() {
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
    // Redeemed by another confidential client with its own valid secret.
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let res = redeem(&app, "other", Some(&other_secret), &code, Some(&verifier)).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    // By a public client, and by someone naming `app` without its secret.
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let res = redeem(&app, "spa", None, &code, Some(&verifier)).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    let res = redeem(&app, "app", None, &code, Some(&verifier)).await;
    assert_oauth_error(res, 401, "invalid_client").await;
    // Basic auth as `other` while the body names `app`.
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let res = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
            ("client_id", "app"),
        ],
        Some(("other", &other_secret)),
    )
    .await;
    assert_oauth_error(res, 400, "invalid_request").await;
    // Control: the rightful client redeems a code of its own.
    let (code, verifier) = get_code(&app, "app", &[]).await;
    exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
}

#[tokio::test]
async fn a_code_redeemed_for_another_redirect_uri_is_refused() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    for (what, uri) in [
        ("the client's other registered URI", Some(SECOND_REDIRECT)),
        ("a trailing slash", Some("http://127.0.0.1:9/cb/")),
        ("an extra query", Some("http://127.0.0.1:9/cb?x=1")),
        ("another case", Some("http://127.0.0.1:9/CB")),
        ("none", None),
    ] {
        let (code, verifier) = get_code(&app, "app", &[]).await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", verifier.as_str()),
        ];
        if let Some(u) = uri {
            form.push(("redirect_uri", u));
        }
        let res = token_request(&app, &form, Some(("app", &secret))).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 400, "{what}: {body}");
        assert!(
            body["error"] == "invalid_grant" || body["error"] == "invalid_request",
            "{what}: {body}"
        );
    }
}

#[tokio::test]
async fn token_responses_are_never_cached() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    // token_ok and assert_oauth_error check Cache-Control: no-store.
    let (code, verifier) = get_code(&app, "app", &[("scope", "openid offline_access")]).await;
    let t = exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    let r = str_of(&t, "refresh_token");
    token_ok(refresh(&app, "app", &secret, r, None).await).await;
    let res = redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    let res = token_request(&app, &[("grant_type", "password")], Some(("app", &secret))).await;
    assert_oauth_error(res, 400, "unsupported_grant_type").await;
    let res = token_request(&app, &[("grant_type", "authorization_code")], None).await;
    assert_oauth_error(res, 401, "invalid_client").await;
    for res in [
        userinfo(&app, str_of(&t, "access_token")).await,
        userinfo(&app, "garbage").await,
        post_form(
            &app,
            "/introspect",
            &[("token", str_of(&t, "access_token"))],
            Some(("app", &secret)),
        )
        .await,
        post_form(&app, "/introspect", &[("token", "x")], None).await,
        post_form(&app, "/revoke", &[("token", "x")], Some(("app", &secret))).await,
    ] {
        let url = res.url().to_string();
        let cc = header(&res, "cache-control").unwrap_or_default();
        assert!(cc.contains("no-store"), "{url}: Cache-Control {cc:?}");
    }
}

/// Client authentication runs inside the grant's write unit (the client row is read on the
/// writer's connection): a request that fails it must still leave the code and the refresh
/// token as they were, and it is answered `invalid_client` before any complaint about its
/// other parameters.
#[tokio::test]
async fn a_token_request_that_fails_client_authentication_spends_neither_code_nor_refresh_token() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let (code, verifier) = get_code(&app, "app", &[("scope", "openid offline_access")]).await;
    let res = redeem(&app, "app", Some("not-the-secret"), &code, Some(&verifier)).await;
    assert_oauth_error(res, 401, "invalid_client").await;
    let res = redeem(&app, "nobody", Some(&secret), &code, Some(&verifier)).await;
    assert_oauth_error(res, 401, "invalid_client").await;
    let res = token_request(
        &app,
        &[("grant_type", "authorization_code")],
        Some(("app", "not-the-secret")),
    )
    .await;
    assert_oauth_error(res, 401, "invalid_client").await;
    let t = exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;

    let r = str_of(&t, "refresh_token").to_owned();
    let res = refresh(&app, "app", "not-the-secret", &r, None).await;
    assert_oauth_error(res, 401, "invalid_client").await;
    let res = token_request(
        &app,
        &[("grant_type", "refresh_token")],
        Some(("app", "not-the-secret")),
    )
    .await;
    assert_oauth_error(res, 401, "invalid_client").await;
    // Neither request rotated it: the rightful client's refresh is the token's first use.
    let fresh = token_ok(refresh(&app, "app", &secret, &r, None).await).await;
    assert_ne!(str_of(&fresh, "refresh_token"), r);
    let res = refresh(&app, "app", &secret, &r, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}
