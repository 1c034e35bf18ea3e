//! The UserInfo endpoint's rules (issue 3): GET and POST, Bearer header or form body (never
//! the query), `WWW-Authenticate: Bearer` on failure, claims by scope with the right JSON types.
//! The `claims` parameter (oidcc-claims-essential): conformance_basic.rs.

use crate::support::*;
use latchkey::store::users;
use reqwest::Response;
use serde_json::Value;

/// A server with client `app` (no consent page) and an access token of alice's for `scope`.
async fn app_and_token(scope: &str) -> (TestApp, Value) {
    let app = spawn_oidc_app().await;
    let secret = add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    )
    .unwrap();
    let t = tokens(&app, "app", Some(&secret), &[("scope", scope)]).await;
    (app, t)
}

/// Tokens for `username` through client `app` (registered by the caller with skip_consent).
async fn tokens_as(app: &TestApp, secret: &str, username: &str, scope: &str) -> Value {
    let req = AuthReq::new("app").set("scope", scope);
    let j = authorize_as(app, &req.url(app), username).await;
    exchange(app, "app", Some(secret), &j.code(), Some(&req.verifier)).await
}

async fn ok_json(res: Response) -> Value {
    let status = res.status();
    let ct = header(&res, "content-type").unwrap_or_default();
    let body = res.text().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(ct.starts_with("application/json"), "Content-Type {ct:?}");
    serde_json::from_str(&body).expect("userinfo is a JSON object")
}

fn assert_bearer_401(res: &Response, with_invalid_token: bool) {
    assert_eq!(res.status(), 401);
    let challenge = header(res, "www-authenticate").expect("a WWW-Authenticate header");
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    if with_invalid_token {
        assert!(
            challenge.contains(r#"error="invalid_token""#),
            "{challenge}"
        );
    }
}

#[tokio::test]
async fn userinfo_accepts_get_with_a_bearer_header() {
    let (app, t) = app_and_token("openid").await;
    let info = ok_json(userinfo(&app, str_of(&t, "access_token")).await).await;
    assert_eq!(info["sub"], jwt_claims(str_of(&t, "id_token"))["sub"]);
}

#[tokio::test]
async fn userinfo_accepts_post_with_a_bearer_header_and_an_empty_form_body() {
    let (app, t) = app_and_token("openid").await;
    let res = reqwest::Client::new()
        .post(app.url("/userinfo"))
        .header(
            "Authorization",
            format!("Bearer {}", str_of(&t, "access_token")),
        )
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    let info = ok_json(res).await;
    assert!(info["sub"].is_string());
}

#[tokio::test]
async fn userinfo_accepts_post_with_the_token_in_the_form_body() {
    let (app, t) = app_and_token("openid").await;
    let res = reqwest::Client::new()
        .post(app.url("/userinfo"))
        .form(&[("access_token", str_of(&t, "access_token"))])
        .send()
        .await
        .unwrap();
    let info = ok_json(res).await;
    assert!(info["sub"].is_string());
}

#[tokio::test]
async fn userinfo_accepts_the_bearer_scheme_in_any_case() {
    let (app, t) = app_and_token("openid").await;
    for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let res = reqwest::Client::new()
            .get(app.url("/userinfo"))
            .header(
                "Authorization",
                format!("{scheme} {}", str_of(&t, "access_token")),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{scheme}");
    }
}

#[tokio::test]
async fn userinfo_refuses_a_token_in_the_query_string() {
    let (app, t) = app_and_token("openid").await;
    let url = format!(
        "{}?access_token={}",
        app.url("/userinfo"),
        str_of(&t, "access_token")
    );
    let res = reqwest::Client::new().get(url).send().await.unwrap();
    assert_bearer_401(&res, false);
}

#[tokio::test]
async fn userinfo_without_a_token_is_401_with_a_bearer_challenge() {
    let app = spawn_oidc_app().await;
    let res = reqwest::Client::new()
        .get(app.url("/userinfo"))
        .send()
        .await
        .unwrap();
    assert_bearer_401(&res, false);
    let res = reqwest::Client::new()
        .post(app.url("/userinfo"))
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_bearer_401(&res, false);
}

#[tokio::test]
async fn userinfo_with_a_garbage_token_is_401_invalid_token() {
    let app = spawn_oidc_app().await;
    for token in [
        "garbage",
        "a.b.c",
        "eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0.",
    ] {
        let res = userinfo(&app, token).await;
        assert_bearer_401(&res, true);
    }
}

#[tokio::test]
async fn userinfo_with_another_authorization_scheme_is_401() {
    let (app, t) = app_and_token("openid").await;
    let res = reqwest::Client::new()
        .get(app.url("/userinfo"))
        .header(
            "Authorization",
            format!("Basic {}", str_of(&t, "access_token")),
        )
        .send()
        .await
        .unwrap();
    assert_bearer_401(&res, false);
}

#[tokio::test]
async fn userinfo_refuses_an_id_token_used_as_an_access_token() {
    let (app, t) = app_and_token("openid").await;
    let res = userinfo(&app, str_of(&t, "id_token")).await;
    assert_bearer_401(&res, true);
}

#[tokio::test]
async fn userinfo_refuses_an_access_token_with_a_tampered_payload() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (app, t) = app_and_token("openid").await;
    let at = str_of(&t, "access_token");
    let mut claims = jwt_claims(at);
    claims["scope"] = "openid profile email".into();
    let parts: Vec<&str> = at.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    assert_bearer_401(&userinfo(&app, &forged).await, true);
}

#[tokio::test]
async fn userinfo_refuses_an_expired_access_token() {
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
    let at = str_of(&t, "access_token");
    assert_eq!(userinfo(&app, at).await.status(), 200);
    clock.advance(app.settings.access_token_ttl_secs + 1);
    assert_bearer_401(&userinfo(&app, at).await, true);
}

#[tokio::test]
async fn userinfo_refuses_the_token_of_a_disabled_user() {
    let (app, t) = app_and_token("openid").await;
    let alice = app
        .store
        .read(|c| users::get_user_by_username(c, "alice"))
        .unwrap();
    app.store
        .write(|c| users::update_user_disabled(c, alice.id, true, 1_700_000_100))
        .unwrap();
    assert_bearer_401(&userinfo(&app, str_of(&t, "access_token")).await, true);
}

#[tokio::test]
async fn userinfo_refuses_a_token_in_both_the_header_and_the_body() {
    let (app, t) = app_and_token("openid").await;
    let at = str_of(&t, "access_token");
    let res = reqwest::Client::new()
        .post(app.url("/userinfo"))
        .header("Authorization", format!("Bearer {at}"))
        .form(&[("access_token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "RFC 6750 §2: one method only");
}

#[tokio::test]
async fn userinfo_claims_have_the_standard_json_types() {
    let (app, t) = app_and_token("openid profile email").await;
    let info = ok_json(userinfo(&app, str_of(&t, "access_token")).await).await;
    assert_eq!(info["sub"], jwt_claims(str_of(&t, "id_token"))["sub"]);
    assert!(
        info["email_verified"].is_boolean(),
        "email_verified is a boolean: {info}"
    );
    assert!(
        info["updated_at"].is_number(),
        "updated_at is a number: {info}"
    );
    let updated = info["updated_at"].as_i64().unwrap();
    assert!(
        updated > 631_152_000
            && updated <= latchkey::clock::Clock::now(&latchkey::clock::SystemClock) + 300,
        "{updated}"
    );
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["name"], "Alice Example");
    assert_eq!(info["preferred_username"], "alice");
    for (k, v) in info.as_object().unwrap() {
        assert!(!v.is_null(), "{k} is null");
        if let Some(s) = v.as_str() {
            assert!(!s.trim().is_empty() && s != "null", "{k} is blank: {info}");
        }
    }
}

#[tokio::test]
async fn userinfo_omits_a_claim_the_user_has_no_value_for() {
    let app = spawn_oidc_app().await;
    let secret = add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    )
    .unwrap();
    add_user(&app, "bob", "bob@example.com", None);
    let t = tokens_as(&app, &secret, "bob", "openid profile email").await;
    let info = ok_json(userinfo(&app, str_of(&t, "access_token")).await).await;
    assert!(
        info.get("name").is_none(),
        "no name claim at all, not \"\" or null: {info}"
    );
    assert_eq!(info["preferred_username"], "bob");
    let id = jwt_claims(str_of(&t, "id_token"));
    assert!(id.get("name").is_none(), "{id}");
    for (k, v) in info
        .as_object()
        .unwrap()
        .iter()
        .chain(id.as_object().unwrap())
    {
        assert!(!v.is_null() && v.as_str() != Some(""), "{k}: {v}");
    }
}

#[tokio::test]
async fn userinfo_with_scope_openid_only_returns_no_profile_or_email_claims() {
    let (app, t) = app_and_token("openid").await;
    let info = ok_json(userinfo(&app, str_of(&t, "access_token")).await).await;
    for k in [
        "email",
        "email_verified",
        "name",
        "preferred_username",
        "updated_at",
    ] {
        assert!(info.get(k).is_none(), "{k} without its scope: {info}");
    }
    assert!(info["sub"].is_string());
}

#[tokio::test]
async fn userinfo_with_scope_email_returns_email_claims_but_no_profile_claims() {
    let (app, t) = app_and_token("openid email").await;
    let info = ok_json(userinfo(&app, str_of(&t, "access_token")).await).await;
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["email_verified"], true);
    assert!(
        info.get("name").is_none() && info.get("preferred_username").is_none(),
        "{info}"
    );
}
