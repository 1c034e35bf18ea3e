//! Revocation (RFC 7009) and introspection (RFC 7662): client authentication required,
//! `{"active": false}` for anything not live, revocation honoured everywhere.

use crate::support::*;
use reqwest::Response;
use serde_json::{Value, json};

/// A server with client `app` (no consent page) and alice's tokens for `openid offline_access`.
async fn app_and_tokens() -> (TestApp, String, Value) {
    let app = spawn_oidc_app().await;
    let secret = add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    )
    .unwrap();
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid profile offline_access")],
    )
    .await;
    (app, secret, t)
}

async fn revoke(app: &TestApp, secret: &str, token: &str, hint: Option<&str>) -> Response {
    let mut form = vec![("token", token)];
    if let Some(h) = hint {
        form.push(("token_type_hint", h));
    }
    post_form(app, "/revoke", &form, Some(("app", secret))).await
}

#[tokio::test]
async fn introspection_requires_client_authentication() {
    let (app, _, t) = app_and_tokens().await;
    let at = str_of(&t, "access_token");
    let res = post_form(&app, "/introspect", &[("token", at)], None).await;
    assert_oauth_error(res, 401, "invalid_client").await;
    let res = post_form(
        &app,
        "/introspect",
        &[("token", at)],
        Some(("app", "wrong")),
    )
    .await;
    assert!(header(&res, "www-authenticate").is_some());
    assert_oauth_error(res, 401, "invalid_client").await;
}

#[tokio::test]
async fn introspection_by_a_public_client_is_refused() {
    let (app, _, t) = app_and_tokens().await;
    add_client(
        &app,
        &ClientSpec {
            client_id: "spa",
            public: true,
            ..Default::default()
        },
    );
    let res = post_form(
        &app,
        "/introspect",
        &[("token", str_of(&t, "access_token")), ("client_id", "spa")],
        None,
    )
    .await;
    assert_oauth_error(res, 401, "invalid_client").await;
}

#[tokio::test]
async fn introspection_of_a_live_access_token_is_active_with_its_claims() {
    let (app, secret, t) = app_and_tokens().await;
    let v = introspect(&app, &secret, str_of(&t, "access_token")).await;
    assert_eq!(v["active"], true, "{v}");
    assert_eq!(v["scope"], "offline_access openid profile");
    assert_eq!(v["client_id"], "app");
    assert_eq!(v["sub"], jwt_claims(str_of(&t, "id_token"))["sub"]);
    assert!(v["exp"].is_number(), "{v}");
}

#[tokio::test]
async fn introspection_of_a_live_refresh_token_is_active() {
    let (app, secret, t) = app_and_tokens().await;
    let v = introspect(&app, &secret, str_of(&t, "refresh_token")).await;
    assert_eq!(v["active"], true, "{v}");
    assert_eq!(v["client_id"], "app");
    assert!(v["exp"].is_number() && v["sub"].is_string(), "{v}");
}

#[tokio::test]
async fn introspection_of_garbage_is_exactly_active_false() {
    let (app, secret, t) = app_and_tokens().await;
    let id_token = str_of(&t, "id_token").to_owned();
    for token in [
        "garbage",
        "a.b.c",
        &latchkey::crypto::random::token(),
        &id_token,
    ] {
        assert_eq!(
            introspect(&app, &secret, token).await,
            json!({"active": false}),
            "{token}"
        );
    }
}

#[tokio::test]
async fn introspection_of_another_clients_refresh_token_is_active_false() {
    let (app, _, t) = app_and_tokens().await;
    let other = add_client(
        &app,
        &ClientSpec {
            client_id: "other",
            ..Default::default()
        },
    )
    .unwrap();
    let res = post_form(
        &app,
        "/introspect",
        &[("token", str_of(&t, "refresh_token"))],
        Some(("other", &other)),
    )
    .await;
    let v: Value = res.json().await.unwrap();
    assert_eq!(v, json!({"active": false}));
}

#[tokio::test]
async fn a_revoked_access_token_is_inactive_and_refused_at_userinfo() {
    let (app, secret, t) = app_and_tokens().await;
    let at = str_of(&t, "access_token");
    assert_eq!(userinfo(&app, at).await.status(), 200);
    let res = revoke(&app, &secret, at, Some("access_token")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        introspect(&app, &secret, at).await,
        json!({"active": false})
    );
    assert_eq!(userinfo(&app, at).await.status(), 401);
}

#[tokio::test]
async fn an_access_token_is_revoked_without_a_hint_or_with_a_wrong_one() {
    let (app, secret, t) = app_and_tokens().await;
    let at = str_of(&t, "access_token");
    assert_eq!(
        revoke(&app, &secret, at, Some("refresh_token"))
            .await
            .status(),
        200
    );
    assert_eq!(userinfo(&app, at).await.status(), 401);
    let t2 = tokens(&app, "app", Some(&secret), &[]).await;
    let at2 = str_of(&t2, "access_token");
    assert_eq!(revoke(&app, &secret, at2, None).await.status(), 200);
    assert_eq!(userinfo(&app, at2).await.status(), 401);
}

#[tokio::test]
async fn revoking_a_refresh_token_kills_its_whole_family() {
    let (app, secret, t) = app_and_tokens().await;
    let rt1 = str_of(&t, "refresh_token").to_owned();
    let r = token_ok(refresh(&app, "app", &secret, &rt1, None).await).await;
    let rt2 = str_of(&r, "refresh_token").to_owned();
    let r = token_ok(refresh(&app, "app", &secret, &rt2, None).await).await;
    let rt3 = str_of(&r, "refresh_token").to_owned();
    // Revoke the original (already rotated) token: the newest one dies with it.
    let res = revoke(&app, &secret, &rt1, Some("refresh_token")).await;
    assert_eq!(res.status(), 200);
    assert_no_store(&res);
    assert_eq!(
        introspect(&app, &secret, &rt3).await,
        json!({"active": false})
    );
    assert_oauth_error(
        refresh(&app, "app", &secret, &rt3, None).await,
        400,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn revoking_the_newest_refresh_token_stops_it_working() {
    let (app, secret, t) = app_and_tokens().await;
    let rt = str_of(&t, "refresh_token");
    assert_eq!(revoke(&app, &secret, rt, None).await.status(), 200);
    assert_oauth_error(
        refresh(&app, "app", &secret, rt, None).await,
        400,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn revoking_an_unknown_token_is_200() {
    let (app, secret, _) = app_and_tokens().await;
    for token in ["garbage", &latchkey::crypto::random::token()] {
        let res = revoke(&app, &secret, token, None).await;
        assert_eq!(res.status(), 200, "{token}");
    }
}

#[tokio::test]
async fn revocation_requires_client_authentication() {
    let (app, secret, t) = app_and_tokens().await;
    let rt = str_of(&t, "refresh_token");
    let res = post_form(&app, "/revoke", &[("token", rt)], None).await;
    assert_oauth_error(res, 401, "invalid_client").await;
    let res = post_form(&app, "/revoke", &[("token", rt)], Some(("app", "wrong"))).await;
    assert!(header(&res, "www-authenticate").is_some());
    assert_oauth_error(res, 401, "invalid_client").await;
    // The client is checked before the parameters.
    let res = post_form(&app, "/revoke", &[], Some(("app", "wrong"))).await;
    assert_oauth_error(res, 401, "invalid_client").await;
    let at = str_of(&t, "access_token");
    for form in [
        vec![("token", at)],
        vec![("token", at), ("token_type_hint", "access_token")],
    ] {
        let res = post_form(&app, "/revoke", &form, Some(("app", "wrong"))).await;
        assert_oauth_error(res, 401, "invalid_client").await;
    }
    // A refused request revoked nothing: both tokens still work.
    assert_eq!(userinfo(&app, at).await.status(), 200);
    token_ok(refresh(&app, "app", &secret, rt, None).await).await;
}

#[tokio::test]
async fn a_client_cannot_revoke_another_clients_tokens() {
    let (app, secret, t) = app_and_tokens().await;
    let other = add_client(
        &app,
        &ClientSpec {
            client_id: "other",
            ..Default::default()
        },
    )
    .unwrap();
    let (at, rt) = (str_of(&t, "access_token"), str_of(&t, "refresh_token"));
    for token in [at, rt] {
        let res = post_form(
            &app,
            "/revoke",
            &[("token", token)],
            Some(("other", &other)),
        )
        .await;
        assert!(res.status() != 500, "{}", res.status());
    }
    assert_eq!(
        userinfo(&app, at).await.status(),
        200,
        "the access token still works"
    );
    token_ok(refresh(&app, "app", &secret, rt, None).await).await;
}

#[tokio::test]
async fn revocation_without_a_token_is_invalid_request() {
    let (app, secret, _) = app_and_tokens().await;
    let res = post_form(&app, "/revoke", &[], Some(("app", &secret))).await;
    assert_oauth_error(res, 400, "invalid_request").await;
}

#[tokio::test]
async fn introspection_of_a_rotated_refresh_token_is_active_false() {
    let (app, secret, t) = app_and_tokens().await;
    let rt = str_of(&t, "refresh_token");
    token_ok(refresh(&app, "app", &secret, rt, None).await).await;
    assert_eq!(
        introspect(&app, &secret, rt).await,
        json!({"active": false})
    );
}

#[tokio::test]
async fn introspection_of_an_expired_access_token_is_active_false() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let secret = add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    )
    .unwrap();
    let t = tokens(&app, "app", Some(&secret), &[]).await;
    clock.advance(app.settings.access_token_ttl_secs + 1);
    assert_eq!(
        introspect(&app, &secret, str_of(&t, "access_token")).await,
        json!({"active": false})
    );
}

#[tokio::test]
async fn revoking_a_refresh_token_also_revokes_the_access_tokens_of_its_family() {
    let (app, secret, t) = app_and_tokens().await;
    let at = str_of(&t, "access_token");
    assert_eq!(
        revoke(&app, &secret, str_of(&t, "refresh_token"), None)
            .await
            .status(),
        200
    );
    assert_eq!(
        userinfo(&app, at).await.status(),
        401,
        "RFC 7009 §2.1: SHOULD invalidate access tokens of the grant"
    );
}

#[tokio::test]
async fn a_public_client_revokes_its_own_refresh_token_with_its_client_id() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            client_id: "spa",
            public: true,
            skip_consent: true,
            ..Default::default()
        },
    );
    let t = tokens(&app, "spa", None, &[("scope", "openid offline_access")]).await;
    let rt = str_of(&t, "refresh_token");
    let res = post_form(
        &app,
        "/revoke",
        &[("token", rt), ("client_id", "spa")],
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", rt),
            ("client_id", "spa"),
        ],
        None,
    )
    .await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}
