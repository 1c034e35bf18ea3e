//! Attacks on PKCE (RFC 9700 §4.8): weak methods, malformed challenges and verifiers, downgrades.

use crate::support::*;
use latchkey::crypto::random;
use serde_json::Value;
use sha2::{Digest, Sha256};

#[tokio::test]
async fn a_challenge_method_other_than_s256_is_refused_at_authorize() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    tokens(&app, "app", Some(&secret), &[]).await;
    let verifier = random::token();
    for (what, req) in [
        (
            "plain",
            AuthReq::new("app")
                .set("code_challenge", &verifier)
                .set("code_challenge_method", "plain"),
        ),
        (
            "plain with a 43-character challenge",
            AuthReq::new("app").set("code_challenge_method", "plain"),
        ),
        (
            "s256 in lower case",
            AuthReq::new("app").set("code_challenge_method", "s256"),
        ),
        (
            "S384",
            AuthReq::new("app").set("code_challenge_method", "S384"),
        ),
        (
            "S256 with a trailing space",
            AuthReq::new("app").set("code_challenge_method", "S256 "),
        ),
        (
            "no method (RFC 7636 would default to plain)",
            AuthReq::new("app").unset("code_challenge_method"),
        ),
        (
            "a method without a challenge",
            AuthReq::new("app").unset("code_challenge"),
        ),
        (
            "no PKCE at all",
            AuthReq::new("app")
                .unset("code_challenge")
                .unset("code_challenge_method"),
        ),
    ] {
        let res = browse(&app, &req.url(&app)).await;
        assert!(
            query_param(&location(&res), "code").is_none(),
            "{what}: no code"
        );
        assert_redirect_error(&app, &res, "invalid_request", Some(STATE));
    }
}

#[tokio::test]
async fn a_malformed_code_challenge_is_refused() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    tokens(&app, "app", Some(&secret), &[]).await;
    let good = s256(&random::token());
    for (what, challenge) in [
        ("42 characters", good[..42].to_owned()),
        ("44 characters", format!("{good}A")),
        ("with base64 padding", format!("{good}=")),
        ("standard base64 characters", format!("{}+/", &good[..41])),
        ("the hex SHA-256", hex_sha256(&random::token())),
        ("a space inside", format!("{} {}", &good[..21], &good[22..])),
    ] {
        let res = browse(
            &app,
            &AuthReq::new("app")
                .set("code_challenge", &challenge)
                .url(&app),
        )
        .await;
        assert!(query_param(&location(&res), "code").is_none(), "{what}");
        assert_redirect_error(&app, &res, "invalid_request", Some(STATE));
    }
}

fn hex_sha256(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A code for `app` whose challenge is the S256 of exactly `verifier` (whatever it is).
async fn code_for_verifier(app: &TestApp, verifier: &str) -> String {
    let req = AuthReq::new("app").set("code_challenge", &s256(verifier));
    let j = authorize_as(app, &req.url(app), "alice").await;
    j.code()
}

#[tokio::test]
async fn a_verifier_of_the_wrong_length_or_charset_is_refused_at_token() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    // Each bad verifier's challenge is its own S256, so only the verifier rules can refuse it.
    for (what, verifier) in [
        ("42 characters", "a".repeat(42)),
        ("129 characters", "a".repeat(129)),
        ("1 character", "a".to_owned()),
        ("a plus sign", format!("{}+", "a".repeat(42))),
        ("a slash", format!("{}/", "a".repeat(42))),
        ("a space", format!("{} b", "a".repeat(42))),
        ("a percent sign", format!("{}%", "a".repeat(42))),
        ("an equals sign", format!("{}=", "a".repeat(42))),
        ("non-ASCII letters", "é".repeat(43)),
        ("a NUL byte", format!("{}\0", "a".repeat(42))),
    ] {
        let code = code_for_verifier(&app, &verifier).await;
        let res = redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 400, "{what}: refused, got {body}");
        assert!(
            body["error"] == "invalid_grant" || body["error"] == "invalid_request",
            "{what}: {body}"
        );
    }
    // Controls: 43 and 128 characters using every allowed character are fine.
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    for verifier in [
        alphabet[alphabet.len() - 43..].to_owned(),
        alphabet.repeat(2)[..128].to_owned(),
    ] {
        let code = code_for_verifier(&app, &verifier).await;
        exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    }
}

#[tokio::test]
async fn a_pkce_downgrade_redeeming_without_the_verifier_is_refused() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let spa = ClientSpec {
        client_id: "spa",
        public: true,
        skip_consent: true,
        ..Default::default()
    };
    add_client(&app, &spa);
    // No verifier, and an empty one (which counts as absent).
    for verifier in [None, Some("")] {
        let (code, _) = get_code(&app, "app", &[]).await;
        let res = redeem(&app, "app", Some(&secret), &code, verifier).await;
        assert_oauth_error(res, 400, "invalid_grant").await;
        let (code, _) = get_code(&app, "spa", &[]).await;
        let res = redeem(&app, "spa", None, &code, verifier).await;
        assert_oauth_error(res, 400, "invalid_grant").await;
    }
    // A wrong verifier, and the challenge itself sent as the verifier.
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let res = redeem(&app, "app", Some(&secret), &code, Some(&s256(&verifier))).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    let (code, _) = get_code(&app, "app", &[]).await;
    let res = redeem(&app, "app", Some(&secret), &code, Some(&random::token())).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_verifier_for_a_code_issued_without_a_challenge_is_refused() {
    let app = spawn_oidc_app().await;
    let secret = add_client(
        &app,
        &ClientSpec {
            require_pkce: false,
            ..app_spec()
        },
    )
    .unwrap();
    let req = AuthReq::new("app")
        .unset("code_challenge")
        .unset("code_challenge_method");
    let code = authorize_as(&app, &req.url(&app), "alice").await.code();
    let res = redeem(&app, "app", Some(&secret), &code, Some(&random::token())).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}
