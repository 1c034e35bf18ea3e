//! PKCE (RFC 7636) at /token: the verifier must match the challenge the code was issued with.

use crate::support::*;

#[tokio::test]
async fn pkce_with_a_wrong_verifier_is_invalid_grant() {
    let (app, secret) = app_with_client().await;
    let (code, _) = get_code(&app, "app", &[]).await;
    let (other_verifier, _) = pkce_pair();
    let res = redeem(&app, "app", Some(&secret), &code, Some(&other_verifier)).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn pkce_challenge_sent_but_verifier_missing_is_invalid_grant() {
    let (app, secret) = app_with_client().await;
    let (code, _) = get_code(&app, "app", &[]).await;
    let res = redeem(&app, "app", Some(&secret), &code, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn pkce_verifier_sent_without_a_challenge_is_invalid_grant() {
    let app = spawn_oidc_app().await;
    let secret = add_client(
        &app,
        &ClientSpec {
            require_pkce: false,
            ..Default::default()
        },
    )
    .unwrap();
    let req = AuthReq::new("app")
        .unset("code_challenge")
        .unset("code_challenge_method");
    let j = authorize_as(&app, &req.url(&app), "alice").await;
    let res = redeem(&app, "app", Some(&secret), &j.code(), Some(&req.verifier)).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn pkce_verifier_shorter_than_43_characters_is_refused() {
    let (app, secret) = app_with_client().await;
    let (code, _) = get_code(&app, "app", &[]).await;
    let short = "a".repeat(42);
    let res = redeem(&app, "app", Some(&secret), &code, Some(&short)).await;
    let body = assert_oauth_error_any(res, 400).await;
    assert!(
        ["invalid_grant", "invalid_request"].contains(&body["error"].as_str().unwrap()),
        "{body}"
    );
}
