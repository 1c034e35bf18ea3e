//! Who must use two factors, and how a session gets there: `--require-mfa` apps and
//! `mfa_required` take a user without a factor through setting one up (no dead end), then ask
//! for it; `acr_values` steps a session up; `prompt=none` never does; `phr` asks for a passkey;
//! the device page asks for the second factor too.

use super::totp::{alice_with_totp, rp_sign_in};
use crate::support::*;
use latchkey::clock::Clock;
use latchkey::config::MfaRequired;

const MFA: &str = "urn:latchkey:acr:mfa";

#[tokio::test]
async fn a_require_mfa_app_takes_a_user_without_a_factor_through_setup_then_asks_for_it() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    let out = app.cli(&["client", "update", "app", "--require-mfa"], None);
    assert!(
        out.ok().contains("require MFA:      true"),
        "{}",
        out.stdout
    );

    // First sign-in: password, then setting up an app right there, then back to the app.
    let req = AuthReq::new("app");
    let login = location(&browse(&app, &req.url(&app)).await);
    let resume = location(&submit_login(&app, &login, "alice", PASSWORD).await);
    let setup = location(&browse(&app, &resume).await);
    assert!(setup.starts_with("/login/second-factor?req="), "{setup}");
    let (totp_secret, html) = set_up_at_sign_in(&app, &setup, clock.now()).await;
    assert_eq!(
        shown_recovery_codes(&html).len(),
        10,
        "shown once, on the way"
    );
    let next = between(&html, "class=\"button\" href=\"", "\"").expect("a way on");
    assert!(next.starts_with("/authorize/resume?req="), "{next}");
    let j = drive(&app, browse(&app, &next).await, "alice").await;
    let t = exchange(&app, "app", Some(&secret), &j.code(), Some(&req.verifier)).await;
    let id = jwt_claims(str_of(&t, "id_token"));
    assert_eq!(id["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    assert_eq!(id["acr"], MFA);

    // Next time: the code, not another setup.
    clock.advance(30);
    let now = clock.now();
    let mut code = || totp_code(&totp_secret, now);
    let (amr, acr, _) = rp_sign_in(&app, &secret, &[], &mut code).await;
    assert_eq!(amr, ["pwd", "otp", "mfa"]);
    assert_eq!(acr.as_deref(), Some(MFA));

    let out = app.cli(&["client", "update", "app", "--no-require-mfa"], None);
    assert!(out.ok().contains("require MFA:      false"));
}

#[tokio::test]
async fn mfa_required_admins_asks_admins_and_lets_others_in_with_a_password() {
    let app = spawn_oidc_app_with(|s| s.mfa_required = MfaRequired::Admins).await;
    let args = [
        "user",
        "add",
        "root",
        "--email",
        "root@example.com",
        "--admin",
        "--password-stdin",
    ];
    app.cli(&args, Some(&format!("{PASSWORD}\n"))).ok();

    let res = submit_login(&app, "/login", "alice", PASSWORD).await;
    assert_eq!(location(&res), "/", "alice is not an admin");
    let res = submit_login(&app, "/login", "root", PASSWORD).await;
    let page = location(&res);
    assert!(page.starts_with("/login/second-factor"), "{page}");
    let html = browse(&app, &page).await.text().await.unwrap();
    assert!(html.contains("Set up two-factor sign-in"), "{html}");
}

#[tokio::test]
async fn acr_values_mfa_steps_a_password_session_up_and_auth_time_becomes_the_step_up() {
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
    sign_in(&app, "alice").await;
    let signed_in_at = clock.now();
    clock.advance(100);

    let req = AuthReq::new("app").set("acr_values", MFA);
    let res = browse(&app, &req.url(&app)).await;
    let setup = location(&res);
    assert!(
        setup.starts_with("/login/second-factor?req="),
        "no password again, a second factor: {setup}"
    );
    let (_, html) = set_up_at_sign_in(&app, &setup, clock.now()).await;
    let next = between(&html, "class=\"button\" href=\"", "\"").unwrap();
    let j = drive(&app, browse(&app, &next).await, "alice").await;
    let t = exchange(&app, "app", Some(&secret), &j.code(), Some(&req.verifier)).await;
    let id = jwt_claims(str_of(&t, "id_token"));
    assert_eq!(id["acr"], MFA);
    assert_eq!(id["auth_time"], clock.now(), "the step-up time");
    assert_ne!(id["auth_time"], signed_in_at);

    // Already strong enough: straight back, no page.
    let req = AuthReq::new("app").set("acr_values", MFA);
    let res = browse(&app, &req.url(&app)).await;
    assert!(location(&res).starts_with(REDIRECT_URI), "single sign-on");
}

#[tokio::test]
async fn an_essential_acr_claim_steps_up_like_acr_values() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    let claims = format!(r#"{{"id_token":{{"acr":{{"essential":true,"values":["{MFA}"]}}}}}}"#);
    let req = AuthReq::new("app").set("claims", &claims);
    let res = browse(&app, &req.url(&app)).await;
    let login = location(&res);
    let res = submit_login(&app, &login, "alice", PASSWORD).await;
    let res = browse(&app, &location(&res)).await;
    assert!(
        location(&res).starts_with("/login/second-factor?req="),
        "{}",
        location(&res)
    );
}

#[tokio::test]
async fn prompt_none_with_an_acr_the_session_does_not_meet_answers_login_required() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    sign_in(&app, "alice").await;
    let req = AuthReq::new("app").with(&[("prompt", "none"), ("acr_values", MFA)]);
    let res = browse(&app, &req.url(&app)).await;
    assert_redirect_error(&app, &res, "login_required", Some(STATE));
}

#[tokio::test]
async fn acr_values_phr_refuses_a_password_and_code_session_and_says_a_passkey_is_needed() {
    let (app, _clock, _, _, _) = alice_with_totp().await;
    let req = AuthReq::new("app").set("acr_values", "phr");
    let res = browse(&app, &req.url(&app)).await;
    let page = location(&res);
    assert!(page.starts_with("/login/second-factor?req="), "{page}");
    let res = browse(&app, &page).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("A passkey is needed"), "{html}");
    assert!(!html.contains("name=\"code\""), "no code can help here");
    let back = between(&html, "class=\"button\" href=\"", "\"").expect("a way back");
    let back = back
        .replace("&#x2f;", "/")
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    assert_callback_error(&app, &back, "access_denied", Some(STATE));

    // With prompt=none: an error at once.
    let req = AuthReq::new("app").with(&[("prompt", "none"), ("acr_values", "phr")]);
    let res = browse(&app, &req.url(&app)).await;
    assert_redirect_error(&app, &res, "login_required", Some(STATE));
}

#[tokio::test]
async fn the_device_page_asks_for_the_second_factor_before_the_code() {
    let (app, clock, _, totp_secret, _) = alice_with_totp().await;
    // A new browser's sign-in: password only so far.
    let res = submit_login(&app, "/login?next=/device", "alice", PASSWORD).await;
    let page = location(&res);
    assert_eq!(page, "/login/second-factor?next=%2Fdevice");
    let res = browse(&app, "/device").await;
    assert_eq!(location(&res), page, "the device page sends there too");
    clock.advance(30);
    let res = submit_code(&app, &page, &totp_code(&totp_secret, clock.now())).await;
    assert_eq!(location(&res), "/device");
    let html = browse(&app, "/device").await.text().await.unwrap();
    assert!(html.contains("name=\"user_code\""), "now the code entry");
}

#[tokio::test]
async fn a_require_mfa_device_app_steps_the_session_up_before_the_code_is_accepted() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
    add_client(
        &app,
        &ClientSpec {
            client_id: "cli",
            public: true,
            grant_types: &[GRANT],
            redirect_uris: vec![],
            ..ClientSpec::default()
        },
    );
    app.cli(&["client", "update", "cli", "--require-mfa"], None)
        .ok();
    let started: serde_json::Value =
        post_form(&app, "/device_authorization", &[("client_id", "cli")], None)
            .await
            .json()
            .await
            .unwrap();
    let user_code = str_of(&started, "user_code").to_owned();
    sign_in(&app, "alice").await;
    let html = browse(&app, "/device").await.text().await.unwrap();
    let res = app
        .client
        .post(app.url("/device"))
        .form(&[
            ("user_code", user_code.as_str()),
            ("csrf_token", &hidden(&html, "csrf_token").unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let page = location(&res);
    assert!(
        page.starts_with("/login/second-factor?next=%2Fdevice%3Fuser_code%3D"),
        "{page}"
    );
    let (_, html) = set_up_at_sign_in(&app, &page, clock.now()).await;
    let next = between(&html, "class=\"button\" href=\"", "\"")
        .unwrap()
        .replace("&#x2f;", "/")
        .replace("&#38;", "&");
    assert!(next.starts_with("/device?user_code="), "{next}");
    let entry = browse(&app, &next).await.text().await.unwrap();
    assert!(
        entry.contains("name=\"user_code\""),
        "back at the code entry"
    );
}
