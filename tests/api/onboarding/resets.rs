//! Reset links: a new password ends every session and refresh token, the user then signs in as
//! usual (second factor included), a link works once and not after it expires.

use super::*;

const NEW_PASSWORD: &str = "a brand new password 7";

/// `latchkey user reset-link USERNAME --json`: the link's path.
fn reset_link(app: &TestApp, username: &str) -> String {
    let out = cli_json(app, &["user", "reset-link", username]);
    let url = out["url"].as_str().unwrap();
    url.strip_prefix(&app.settings.issuer).unwrap().to_owned()
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_ends_every_session_and_works_only_once() {
    let app = onboarding_app(None).await;
    let old_browser = browser_for(&app);
    let res = login_with(&app, &old_browser, "alice", PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(page(&app, &old_browser, "/account").await.0, 200);

    let path = reset_link(&app, "alice");
    assert!(path.starts_with("/reset/"), "{path}");
    let browser = browser_for(&app);
    let (status, html) = page(&app, &browser, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains("Choose a new password") && html.contains("alice"));
    let fields = [
        ("new_password", NEW_PASSWORD),
        ("confirm_password", NEW_PASSWORD),
    ];
    let res = submit(&app, &browser, &path, &path, &fields).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Your password was changed"), "{html}");
    assert_eq!(
        page(&app, &browser, "/account").await.0,
        303,
        "a reset does not sign in"
    );
    assert_eq!(
        page(&app, &old_browser, "/account").await.0,
        303,
        "the other session ended"
    );
    assert_eq!(
        login_with(&app, &fresh_browser(), "alice", PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(
        login_with(&app, &fresh_browser(), "alice", NEW_PASSWORD)
            .await
            .status(),
        303
    );
    assert_eq!(audited(&app, "user.password_reset").len(), 1);
    assert_eq!(
        audited(&app, "user.reset_link")[0].actor.as_deref(),
        Some("cli")
    );

    // Used twice: refused with 410, the password stays.
    let res = browser
        .post(app.url(&path))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 410);
    assert!(res.text().await.unwrap().contains("used already"));
    assert_eq!(page(&app, &fresh_browser(), &path).await.0, 410);
}

#[tokio::test]
async fn a_reset_link_ends_refresh_tokens_too() {
    let (app, secret) = app_with_client().await;
    let tokens = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let rt = tokens["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    let out = cli_json(&app, &["user", "reset-link", "alice"]);
    let path = out["url"]
        .as_str()
        .unwrap()
        .strip_prefix(&app.settings.issuer)
        .unwrap()
        .to_owned();
    let b = fresh_browser();
    let res = submit(
        &app,
        &b,
        &path,
        &path,
        &[
            ("new_password", NEW_PASSWORD),
            ("confirm_password", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = refresh(&app, "app", &secret, &rt, None).await;
    assert_eq!(res.status(), 400, "the refresh token was revoked");
}

#[tokio::test]
async fn an_expired_reset_link_is_410_and_changes_nothing() {
    let clock = clock_now();
    let app = spawn_at(&clock, |s| s.reset_ttl_secs = 120).await;
    let path = reset_link(&app, "alice");
    clock.advance(121);
    let b = fresh_browser();
    let (status, html) = page(&app, &b, &path).await;
    assert_eq!(status, 410);
    assert!(html.contains("expired"), "{html}");
    let res = b
        .post(app.url(&path))
        .form(&[
            ("new_password", NEW_PASSWORD),
            ("confirm_password", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 410);
    assert!(audited(&app, "user.password_reset").is_empty());
}

#[tokio::test]
async fn after_a_reset_the_second_factor_is_still_asked_for() {
    let app = onboarding_app(None).await;
    sign_in(&app, "alice").await;
    set_up_totp(&app, latchkey::cli::now()).await;
    let path = reset_link(&app, "alice");
    let b = fresh_browser();
    let fields = [
        ("new_password", NEW_PASSWORD),
        ("confirm_password", NEW_PASSWORD),
    ];
    assert_eq!(submit(&app, &b, &path, &path, &fields).await.status(), 200);
    let res = login_with(&app, &b, "alice", NEW_PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert!(
        location(&res).starts_with("/login/second-factor"),
        "{}",
        location(&res)
    );
    assert_eq!(
        page(&app, &b, "/account").await.0,
        303,
        "not signed in before the code"
    );
}

#[tokio::test]
async fn reset_link_refuses_unknown_and_disabled_users_with_one_line() {
    let app = onboarding_app(None).await;
    let out = app.cli(&["user", "reset-link", "nobody"], None);
    assert!(out.one_line_error().contains("nobody"));
    disable_user(&app, "alice");
    let out = app.cli(&["user", "reset-link", "alice"], None);
    assert!(out.one_line_error().contains("disabled"));
}
