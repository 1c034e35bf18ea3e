//! The refresh_token grant: rotation, scope, lifetime, and who may use a refresh token.

use crate::support::*;
use serde_json::Value;

// ---- refresh tokens ----

#[tokio::test]
async fn a_refresh_token_presented_by_another_client_is_invalid_grant() {
    let (app, secret) = app_with_client().await;
    let other = add_client(
        &app,
        &ClientSpec {
            client_id: "other",
            ..Default::default()
        },
    )
    .unwrap();
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let rt = str_of(&t, "refresh_token");
    assert_oauth_error(
        refresh(&app, "other", &other, rt, None).await,
        400,
        "invalid_grant",
    )
    .await;
    // The rightful client can still use it.
    token_ok(refresh(&app, "app", &secret, rt, None).await).await;
}

#[tokio::test]
async fn a_refresh_asking_for_a_wider_scope_is_invalid_scope() {
    let (app, secret) = app_with_client().await;
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let rt = str_of(&t, "refresh_token");
    let res = refresh(
        &app,
        "app",
        &secret,
        rt,
        Some("openid email offline_access"),
    )
    .await;
    assert_oauth_error(res, 400, "invalid_scope").await;
}

#[tokio::test]
async fn a_refresh_may_narrow_the_scope() {
    let (app, secret) = app_with_client().await;
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid profile email offline_access")],
    )
    .await;
    let rt = str_of(&t, "refresh_token");
    let narrowed = token_ok(refresh(&app, "app", &secret, rt, Some("openid profile")).await).await;
    assert_eq!(str_of(&narrowed, "scope"), "openid profile");
    assert_eq!(
        jwt_claims(str_of(&narrowed, "access_token"))["scope"],
        "openid profile"
    );
    let info: Value = userinfo(&app, str_of(&narrowed, "access_token"))
        .await
        .json()
        .await
        .unwrap();
    assert!(info.get("name").is_some(), "{info}");
    assert!(info.get("email").is_none(), "email was not kept: {info}");
    // Narrowing once does not shrink what the refresh token itself was granted.
    let again = token_ok(
        refresh(
            &app,
            "app",
            &secret,
            str_of(&narrowed, "refresh_token"),
            None,
        )
        .await,
    )
    .await;
    let mut granted: Vec<&str> = str_of(&again, "scope").split(' ').collect();
    granted.sort_unstable();
    assert_eq!(granted, ["email", "offline_access", "openid", "profile"]);
}

#[tokio::test]
async fn a_refresh_token_is_rotated_and_its_reuse_revokes_the_whole_family() {
    let (app, secret) = app_with_client().await;
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let rt1 = str_of(&t, "refresh_token").to_owned();
    let second = token_ok(refresh(&app, "app", &secret, &rt1, None).await).await;
    let rt2 = str_of(&second, "refresh_token").to_owned();
    assert_ne!(rt1, rt2, "rotated");
    assert_oauth_error(
        refresh(&app, "app", &secret, &rt1, None).await,
        400,
        "invalid_grant",
    )
    .await;
    assert_oauth_error(
        refresh(&app, "app", &secret, &rt2, None).await,
        400,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn a_refreshed_id_token_has_a_new_iat_and_the_same_iss_sub_aud_and_auth_time() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let before = jwt_claims(str_of(&t, "id_token"));
    clock.advance(5);
    let r = token_ok(refresh(&app, "app", &secret, str_of(&t, "refresh_token"), None).await).await;
    let after = jwt_claims(str_of(&r, "id_token"));
    for k in ["iss", "sub", "aud", "auth_time"] {
        assert_eq!(after[k], before[k], "{k}");
    }
    assert_eq!(
        after["iat"].as_i64(),
        before["iat"].as_i64().map(|i| i + 5),
        "a new iat"
    );
    assert_eq!(after.get("azp"), before.get("azp"), "azp unchanged");
    assert!(after.get("nonce").is_none() || after["nonce"] == before["nonce"]);
}

#[tokio::test]
async fn without_offline_access_a_client_allowed_refresh_still_gets_a_session_bound_refresh_token()
{
    let (app, secret) = app_with_client().await;
    let t = tokens(&app, "app", Some(&secret), &[]).await;
    assert!(
        t.get("refresh_token").is_some(),
        "the client has the refresh_token grant: {t}"
    );
    // A client without the refresh grant never gets one.
    let other = add_client(
        &app,
        &ClientSpec {
            client_id: "noref",
            grant_types: &["authorization_code"],
            ..Default::default()
        },
    )
    .unwrap();
    let t = tokens(
        &app,
        "noref",
        Some(&other),
        &[("scope", "openid offline_access")],
    )
    .await;
    assert!(t.get("refresh_token").is_none(), "{t}");
}

#[tokio::test]
async fn a_refresh_by_a_client_without_the_refresh_grant_is_unauthorized_client() {
    let (app, secret) = app_with_client().await;
    let other = add_client(
        &app,
        &ClientSpec {
            client_id: "noref",
            grant_types: &["authorization_code"],
            ..Default::default()
        },
    )
    .unwrap();
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let res = refresh(&app, "noref", &other, str_of(&t, "refresh_token"), None).await;
    assert_oauth_error(res, 400, "unauthorized_client").await;
}

#[tokio::test]
async fn a_refresh_error_description_never_contains_a_quote_or_backslash() {
    let (app, secret) = app_with_client().await;
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let res = refresh(
        &app,
        "app",
        &secret,
        str_of(&t, "refresh_token"),
        Some(r#"openid "x\y"#),
    )
    .await;
    assert_oauth_error(res, 400, "invalid_scope").await;
}

#[tokio::test]
async fn a_refresh_for_a_user_disabled_since_is_invalid_grant() {
    let (app, secret) = app_with_client().await;
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    disable_user(&app, "alice");
    let res = refresh(&app, "app", &secret, str_of(&t, "refresh_token"), None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_refresh_token_past_its_lifetime_is_invalid_grant() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    clock.advance(app.settings.refresh_token_ttl_secs + 1);
    let res = refresh(&app, "app", &secret, str_of(&t, "refresh_token"), None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_refresh_token_reuse_also_revokes_the_access_tokens_of_the_family() {
    let (app, secret) = app_with_client().await;
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let rt1 = str_of(&t, "refresh_token");
    let r = token_ok(refresh(&app, "app", &secret, rt1, None).await).await;
    let at2 = str_of(&r, "access_token");
    assert_eq!(userinfo(&app, at2).await.status(), 200);
    assert_oauth_error(
        refresh(&app, "app", &secret, rt1, None).await,
        400,
        "invalid_grant",
    )
    .await;
    assert_eq!(userinfo(&app, at2).await.status(), 401);
}
