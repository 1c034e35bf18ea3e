//! PKCE (RFC 7636) at /authorize: who must send a challenge, and which methods are refused.

use crate::support::*;

#[tokio::test]
async fn authorize_for_public_client_without_pkce_redirects_with_invalid_request() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            client_id: "spa",
            public: true,
            ..Default::default()
        },
    );
    let req = AuthReq::new("spa")
        .unset("code_challenge")
        .unset("code_challenge_method");
    let res = browse(&app, &req.url(&app)).await;
    assert_redirect_error(&app, &res, "invalid_request", Some(STATE));
}

#[tokio::test]
async fn authorize_for_confidential_client_without_pkce_redirects_with_invalid_request_by_default()
{
    let (app, _) = app_with_client().await;
    let req = AuthReq::new("app")
        .unset("code_challenge")
        .unset("code_challenge_method");
    let res = browse(&app, &req.url(&app)).await;
    assert_redirect_error(&app, &res, "invalid_request", Some(STATE));
}

#[tokio::test]
async fn authorize_for_client_registered_without_required_pkce_may_omit_it() {
    let app = spawn_oidc_app().await;
    let secret = add_client(
        &app,
        &ClientSpec {
            client_id: "legacy",
            require_pkce: false,
            ..Default::default()
        },
    )
    .unwrap();
    let req = AuthReq::new("legacy")
        .unset("code_challenge")
        .unset("code_challenge_method");
    let j = authorize_as(&app, &req.url(&app), "alice").await;
    let t = exchange(&app, "legacy", Some(&secret), &j.code(), None).await;
    assert!(t.get("id_token").is_some(), "{t}");
}
