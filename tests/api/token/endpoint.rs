//! The token endpoint's rules (issue 3): client authentication, one-time codes bound to
//! client, redirect_uri and PKCE, refresh token rotation, client_credentials, and RFC 6749 §5.2
//! errors with `Cache-Control: no-store`.
//! Conformance modules oidcc-codereuse-30seconds and oidcc-refresh-token (two clients):
//! conformance_basic.rs.

use crate::support::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

fn code_form<'a>(code: &'a str, verifier: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier),
    ]
}

// ---- client authentication ----

#[tokio::test]
async fn client_secret_basic_credentials_are_form_urldecoded_before_use() {
    let (app, secret) = app_with_client().await;
    let (code, verifier) = get_code(&app, "app", &[]).await;
    // `%61pp` is `app`, form-urlencoded as RFC 6749 §2.3.1 allows.
    // Both halves are decoded: the secret's first character is sent as `%XX` too.
    let encoded_secret = format!("%{:02X}{}", secret.as_bytes()[0], &secret[1..]);
    let header = format!(
        "Basic {}",
        STANDARD.encode(format!("%61pp:{encoded_secret}"))
    );
    let res = reqwest::Client::new()
        .post(app.url("/token"))
        .header("Authorization", header)
        .form(&code_form(&code, &verifier))
        .send()
        .await
        .unwrap();
    let t = token_ok(res).await;
    assert_eq!(jwt_claims(str_of(&t, "id_token"))["aud"], "app");
}

#[tokio::test]
async fn client_secret_basic_with_a_wrong_secret_is_401_invalid_client_with_a_basic_challenge() {
    let (app, _) = app_with_client().await;
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let wrong = latchkey::crypto::random::token();
    let res = token_request(&app, &code_form(&code, &verifier), Some(("app", &wrong))).await;
    let challenge = header(&res, "www-authenticate").unwrap_or_default();
    assert!(
        challenge.to_ascii_lowercase().starts_with("basic"),
        "WWW-Authenticate: {challenge:?}"
    );
    assert_oauth_error(res, 401, "invalid_client").await;
}

#[tokio::test]
async fn an_unknown_client_is_401_invalid_client() {
    let (app, secret) = app_with_client().await;
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let res = token_request(&app, &code_form(&code, &verifier), Some(("ghost", &secret))).await;
    assert!(
        header(&res, "www-authenticate").is_some(),
        "Basic was used: a challenge"
    );
    assert_oauth_error(res, 401, "invalid_client").await;
    let mut form = code_form(&code, &verifier);
    form.extend([("client_id", "ghost"), ("client_secret", secret.as_str())]);
    assert_oauth_error(
        token_request(&app, &form, None).await,
        401,
        "invalid_client",
    )
    .await;
}

#[tokio::test]
async fn a_confidential_client_without_its_secret_is_401_invalid_client() {
    let (app, _) = app_with_client().await;
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let mut form = code_form(&code, &verifier);
    form.push(("client_id", "app"));
    assert_oauth_error(
        token_request(&app, &form, None).await,
        401,
        "invalid_client",
    )
    .await;
    let form = code_form(&code, &verifier);
    assert_oauth_error(
        token_request(&app, &form, None).await,
        401,
        "invalid_client",
    )
    .await;
}

#[tokio::test]
async fn basic_and_client_secret_in_the_body_together_are_400_invalid_request() {
    let (app, secret) = app_with_client().await;
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let mut form = code_form(&code, &verifier);
    form.extend([("client_id", "app"), ("client_secret", secret.as_str())]);
    let res = token_request(&app, &form, Some(("app", &secret))).await;
    assert_oauth_error(res, 400, "invalid_request").await;
}

#[tokio::test]
async fn client_secret_post_works() {
    let (app, secret) = app_with_client().await;
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let mut form = code_form(&code, &verifier);
    form.extend([("client_id", "app"), ("client_secret", secret.as_str())]);
    let t = token_ok(token_request(&app, &form, None).await).await;
    assert_eq!(
        t["token_type"]
            .as_str()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("bearer")
    );
}

#[tokio::test]
async fn a_public_client_authenticates_with_its_client_id_and_pkce_only() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            client_id: "spa",
            public: true,
            ..Default::default()
        },
    );
    let (code, verifier) = get_code(&app, "spa", &[]).await;
    let t = exchange(&app, "spa", None, &code, Some(&verifier)).await;
    assert!(t.get("id_token").is_some());
    // A public client that sends a secret is not a public client.
    let (code, verifier) = get_code(&app, "spa", &[]).await;
    let mut form = code_form(&code, &verifier);
    form.extend([("client_id", "spa"), ("client_secret", "guess")]);
    assert_oauth_error(
        token_request(&app, &form, None).await,
        401,
        "invalid_client",
    )
    .await;
}

// ---- authorization codes ----

#[tokio::test]
async fn a_reused_code_is_exactly_400_json_invalid_grant_and_revokes_the_tokens_it_gave() {
    let (app, secret) = app_with_client().await;
    let (code, verifier) = get_code(&app, "app", &[("scope", "openid offline_access")]).await;
    let first = exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    let access = str_of(&first, "access_token").to_owned();
    let refresh_token = str_of(&first, "refresh_token").to_owned();
    assert_eq!(
        userinfo(&app, &access).await.status(),
        200,
        "the access token works before the replay"
    );

    let replay = redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    assert_oauth_error(replay, 400, "invalid_grant").await;

    assert_eq!(
        userinfo(&app, &access).await.status(),
        401,
        "the access token from the first exchange is revoked"
    );
    let res = refresh(&app, "app", &secret, &refresh_token, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_code_issued_to_client_a_redeemed_by_client_b_is_invalid_grant() {
    let (app, _) = app_with_client().await;
    let other = add_client(
        &app,
        &ClientSpec {
            client_id: "other",
            ..Default::default()
        },
    )
    .unwrap();
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let res = redeem(&app, "other", Some(&other), &code, Some(&verifier)).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_code_redeemed_with_another_redirect_uri_is_invalid_grant() {
    let app = spawn_oidc_app().await;
    let second = format!("{REDIRECT_URI}2");
    let secret = add_client(
        &app,
        &ClientSpec {
            redirect_uris: vec![REDIRECT_URI.into(), second.clone()],
            ..Default::default()
        },
    )
    .unwrap();
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", &second),
        ("code_verifier", &verifier),
    ];
    assert_oauth_error(
        token_request(&app, &form, Some(("app", &secret))).await,
        400,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn a_code_redeemed_without_redirect_uri_is_refused() {
    let (app, secret) = app_with_client().await;
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("code_verifier", &verifier),
    ];
    let res = token_request(&app, &form, Some(("app", &secret))).await;
    let body = assert_oauth_error_any(res, 400).await;
    assert!(
        ["invalid_request", "invalid_grant"].contains(&body["error"].as_str().unwrap()),
        "{body}"
    );
}

#[tokio::test]
async fn a_code_older_than_60_seconds_is_invalid_grant() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    let (code, verifier) = get_code(&app, "app", &[]).await;
    clock.advance(61);
    let res = redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_code_59_seconds_old_still_works() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    let (code, verifier) = get_code(&app, "app", &[]).await;
    clock.advance(59);
    exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
}

#[tokio::test]
async fn an_unknown_code_is_invalid_grant() {
    let (app, secret) = app_with_client().await;
    let (_, verifier) = pkce_pair();
    let res = redeem(
        &app,
        "app",
        Some(&secret),
        &latchkey::crypto::random::token(),
        Some(&verifier),
    )
    .await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}

// ---- grant types and request shape ----

#[tokio::test]
async fn an_unsupported_grant_type_is_unsupported_grant_type() {
    let (app, secret) = app_with_client().await;
    for grant in [
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
    ] {
        let form = [
            ("grant_type", grant),
            ("username", "alice"),
            ("password", "x"),
        ];
        let res = token_request(&app, &form, Some(("app", &secret))).await;
        assert_oauth_error(res, 400, "unsupported_grant_type").await;
    }
}

#[tokio::test]
async fn a_missing_grant_type_is_invalid_request() {
    let (app, secret) = app_with_client().await;
    let res = token_request(&app, &[("code", "x")], Some(("app", &secret))).await;
    assert_oauth_error(res, 400, "invalid_request").await;
}

#[tokio::test]
async fn a_repeated_token_parameter_is_invalid_request() {
    let (app, secret) = app_with_client().await;
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let mut form = code_form(&code, &verifier);
    form.push(("code", &code));
    let res = token_request(&app, &form, Some(("app", &secret))).await;
    assert_oauth_error(res, 400, "invalid_request").await;
}

#[tokio::test]
async fn every_token_response_and_error_has_cache_control_no_store() {
    let (app, secret) = app_with_client().await;
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let ok = redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    assert_no_store(&ok);
    let responses = [
        redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await,
        token_request(&app, &[("grant_type", "password")], Some(("app", &secret))).await,
        token_request(
            &app,
            &[("grant_type", "authorization_code")],
            Some(("app", "wrong")),
        )
        .await,
        token_request(&app, &[("grant_type", "authorization_code")], None).await,
        token_request(&app, &[], Some(("app", &secret))).await,
    ];
    for res in responses {
        assert!(res.status().is_client_error(), "{}", res.status());
        assert_no_store(&res);
        let ct = header(&res, "content-type").unwrap_or_default();
        assert!(ct.starts_with("application/json"), "{ct}");
    }
}

#[tokio::test]
async fn codes_access_tokens_and_refresh_tokens_have_at_least_256_bits() {
    let (app, secret) = app_with_client().await;
    let (code, verifier) = get_code(&app, "app", &[("scope", "openid offline_access")]).await;
    assert!(code.len() >= 43 && is_base64url(&code), "code {code}");
    let t = exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    let access = str_of(&t, "access_token");
    assert!(access.len() >= 43, "access token {access}");
    let rt = str_of(&t, "refresh_token");
    assert!(rt.len() >= 43 && is_base64url(rt), "refresh token {rt}");
    assert!(shannon_bits(&code) > 96.0 && shannon_bits(rt) > 96.0 && shannon_bits(access) > 96.0);
    let expires_in = t["expires_in"].as_i64().expect("expires_in is a number");
    assert!(expires_in > 0 && expires_in <= 31_536_000, "{expires_in}");
}

#[tokio::test]
async fn the_access_token_is_an_rfc_9068_jwt() {
    let (app, secret) = app_with_client().await;
    let t = tokens(&app, "app", Some(&secret), &[("scope", "openid profile")]).await;
    let access = str_of(&t, "access_token");
    let header = jwt_header(access);
    assert_eq!(
        header["typ"]
            .as_str()
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("at+jwt"),
        "{header}"
    );
    assert!(header["kid"].as_str().is_some_and(|k| !k.is_empty()));
    let c = jwt_claims(access);
    for k in [
        "iss",
        "sub",
        "aud",
        "client_id",
        "scope",
        "jti",
        "iat",
        "exp",
    ] {
        assert!(
            c.get(k).is_some_and(|v| !v.is_null()),
            "access token lacks {k}: {c}"
        );
    }
    assert_eq!(c["iss"], app.settings.issuer.as_str());
    assert_eq!(c["client_id"], "app");
    assert_eq!(c["scope"], "openid profile");
    assert_eq!(c["sub"], jwt_claims(str_of(&t, "id_token"))["sub"]);
    let (iat, exp) = (c["iat"].as_i64().unwrap(), c["exp"].as_i64().unwrap());
    assert_eq!(exp - iat, app.settings.access_token_ttl_secs);
    assert_eq!(
        t["expires_in"].as_i64(),
        Some(app.settings.access_token_ttl_secs)
    );
}

#[tokio::test]
async fn the_id_token_carries_the_required_claims_and_nonce() {
    let (app, secret) = app_with_client().await;
    let t = tokens(&app, "app", Some(&secret), &[]).await;
    let id = jwt_claims(str_of(&t, "id_token"));
    for k in [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "at_hash",
        "amr",
        "sid",
    ] {
        assert!(id.get(k).is_some(), "ID token lacks {k}: {id}");
    }
    assert_eq!(id["iss"], app.settings.issuer.as_str());
    assert_eq!(id["aud"], "app");
    assert_eq!(id["nonce"], NONCE);
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert!(id.get("azp").is_none_or(|a| a == "app"));
}

// ---- client_credentials ----

#[tokio::test]
async fn client_credentials_gives_a_token_for_the_client_itself_without_id_or_refresh_token() {
    let app = spawn_oidc_app().await;
    let secret = add_client(
        &app,
        &ClientSpec {
            client_id: "svc",
            grant_types: &["client_credentials"],
            scopes: &["openid", "api:read"],
            ..Default::default()
        },
    )
    .unwrap();
    let res = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some(("svc", &secret)),
    )
    .await;
    let t = token_ok(res).await;
    assert!(t.get("id_token").is_none(), "{t}");
    assert!(t.get("refresh_token").is_none(), "{t}");
    let c = jwt_claims(str_of(&t, "access_token"));
    assert_eq!(c["sub"], "svc");
    assert_eq!(c["client_id"], "svc");
    // It is not a user's token: userinfo refuses it.
    assert!(
        userinfo(&app, str_of(&t, "access_token"))
            .await
            .status()
            .is_client_error()
    );
}

#[tokio::test]
async fn client_credentials_for_a_client_without_that_grant_is_unauthorized_client() {
    let (app, secret) = app_with_client().await;
    let res = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some(("app", &secret)),
    )
    .await;
    assert_oauth_error(res, 400, "unauthorized_client").await;
}

#[tokio::test]
async fn client_credentials_for_a_public_client_is_refused() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            client_id: "spa",
            public: true,
            grant_types: &["authorization_code", "client_credentials"],
            ..Default::default()
        },
    );
    let res = token_request(
        &app,
        &[("grant_type", "client_credentials"), ("client_id", "spa")],
        None,
    )
    .await;
    let body = assert_oauth_error_any(res, 400).await;
    assert!(
        ["unauthorized_client", "invalid_client"].contains(&body["error"].as_str().unwrap()),
        "{body}"
    );
}

#[tokio::test]
async fn client_credentials_with_a_user_scope_is_invalid_scope() {
    let app = spawn_oidc_app().await;
    let secret = add_client(
        &app,
        &ClientSpec {
            client_id: "svc",
            grant_types: &["client_credentials"],
            ..Default::default()
        },
    )
    .unwrap();
    let res = token_request(
        &app,
        &[("grant_type", "client_credentials"), ("scope", "openid")],
        Some(("svc", &secret)),
    )
    .await;
    assert_oauth_error(res, 400, "invalid_scope").await;
}

#[tokio::test]
async fn a_code_for_a_user_disabled_since_is_invalid_grant() {
    let (app, secret) = app_with_client().await;
    let (code, verifier) = get_code(&app, "app", &[]).await;
    disable_user(&app, "alice");
    let res = redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_code_replayed_after_a_refresh_revokes_the_rotated_tokens_too() {
    let (app, secret) = app_with_client().await;
    let (code, verifier) = get_code(&app, "app", &[("scope", "openid offline_access")]).await;
    let t = exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    let r = token_ok(refresh(&app, "app", &secret, str_of(&t, "refresh_token"), None).await).await;
    assert_eq!(
        userinfo(&app, str_of(&r, "access_token")).await.status(),
        200
    );
    let replay = redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    assert_oauth_error(replay, 400, "invalid_grant").await;
    assert_oauth_error(
        refresh(&app, "app", &secret, str_of(&r, "refresh_token"), None).await,
        400,
        "invalid_grant",
    )
    .await;
    assert_eq!(
        userinfo(&app, str_of(&r, "access_token")).await.status(),
        401
    );
}

#[tokio::test]
async fn a_token_request_ignores_unknown_parameters() {
    let (app, secret) = app_with_client().await;
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let mut form = code_form(&code, &verifier);
    form.extend([("extra", "foobar"), ("resource_hint", "x")]);
    token_ok(token_request(&app, &form, Some(("app", &secret))).await).await;
}
