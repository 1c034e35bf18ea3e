//! The account page: profile, sessions, apps, password.

use crate::support::*;
use reqwest::Client;

/// Sign in on `browser` through /login?next=/account; returns the account page HTML.
async fn sign_in_to_account(app: &TestApp, browser: &Client, password: &str) -> reqwest::Response {
    let start = browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(start.status(), 303);
    let login_path = location(&start);
    assert_eq!(login_path, "/login?next=/account");
    let html = browser
        .get(app.url(&login_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf_token").expect("csrf");
    assert_eq!(hidden(&html, "next").as_deref(), Some("/account"));
    let form = [
        ("username", "alice"),
        ("password", password),
        ("csrf_token", &csrf),
        ("next", "/account"),
    ];
    browser
        .post(app.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn account_html(app: &TestApp, browser: &Client) -> String {
    let res = browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 200, "signed in");
    res.text().await.unwrap()
}

/// The hidden `sid` values of the session list, in page order.
fn sids(html: &str) -> Vec<String> {
    html.split("name=\"sid\" value=\"")
        .skip(1)
        .map(|r| r[..r.find('"').unwrap()].to_owned())
        .collect()
}

async fn post(
    app: &TestApp,
    browser: &Client,
    path: &str,
    html: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = hidden(html, "csrf_token").expect("csrf on account page");
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
    form.extend_from_slice(extra);
    browser
        .post(app.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn account_page_requires_sign_in_and_comes_back_after_it() {
    let app = spawn_oidc_app().await;
    let b = fresh_browser();
    let res = sign_in_to_account(&app, &b, PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/account");
    let html = account_html(&app, &b).await;
    assert!(html.contains("alice@example.com") && html.contains("Alice Example"));
    assert!(html.contains("this browser"));
    assert_eq!(sids(&html).len(), 1);
}

#[tokio::test]
async fn account_page_ends_another_session_of_the_same_user() {
    let app = spawn_oidc_app().await;
    let (phone, laptop) = (fresh_browser(), fresh_browser());
    sign_in_to_account(&app, &phone, PASSWORD).await;
    sign_in_to_account(&app, &laptop, PASSWORD).await;
    let html = account_html(&app, &laptop).await;
    let all = sids(&html);
    assert_eq!(all.len(), 2, "both sessions listed");
    let phone_sid = phone_session(&app, &phone).await;
    let res = post(
        &app,
        &laptop,
        "/account/sessions/end",
        &html,
        &[("sid", &phone_sid)],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("The session was ended."));
    let after = phone.get(app.url("/account")).send().await.unwrap();
    assert_eq!(after.status(), 303, "the phone is signed out");
    assert_eq!(sids(&account_html(&app, &laptop).await).len(), 1);
}

/// The sid the page marks as "this browser".
async fn phone_session(app: &TestApp, b: &Client) -> String {
    let html = account_html(app, b).await;
    let at = html.find("this browser").expect("current marked");
    let after = &html[at..];
    let key = "name=\"sid\" value=\"";
    let start = after.find(key).unwrap() + key.len();
    after[start..start + after[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn account_forms_refuse_posts_without_the_csrf_token() {
    let app = spawn_oidc_app().await;
    let b = fresh_browser();
    sign_in_to_account(&app, &b, PASSWORD).await;
    for path in [
        "/account/sessions/end",
        "/account/apps/revoke",
        "/account/password",
    ] {
        let res = b
            .post(app.url(path))
            .form(&[("sid", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{path}");
    }
    assert_eq!(
        sids(&account_html(&app, &b).await).len(),
        1,
        "nothing changed"
    );
}

#[tokio::test]
async fn revoking_an_app_forgets_consent_and_kills_its_refresh_tokens() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    let tokens = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();

    // app.client is the browser that signed in above.
    let html = account_html(&app, &app.client).await;
    assert!(html.contains("The app app"), "the app is listed: {html}");
    let res = post(
        &app,
        &app.client,
        "/account/apps/revoke",
        &html,
        &[("client_id", "app")],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        refresh(&app, "app", &secret, &rt, None).await.status(),
        400,
        "refresh token revoked"
    );
    // Consent is asked again.
    let again = app
        .client
        .get(AuthReq::new("app").url(&app))
        .send()
        .await
        .unwrap();
    assert!(
        location(&again).starts_with("/consent"),
        "consent asked again"
    );
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn_oidc_app().await;
    let (me, other) = (fresh_browser(), fresh_browser());
    sign_in_to_account(&app, &other, PASSWORD).await;
    sign_in_to_account(&app, &me, PASSWORD).await;
    let html = account_html(&app, &me).await;

    let wrong = post(
        &app,
        &me,
        "/account/password",
        &html,
        &[
            ("current_password", "nope-nope"),
            ("new_password", "a new passphrase"),
            ("confirm_password", "a new passphrase"),
        ],
    )
    .await;
    assert_eq!(wrong.status(), 400);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("current password is not correct")
    );
    let mismatch = post(
        &app,
        &me,
        "/account/password",
        &html,
        &[
            ("current_password", PASSWORD),
            ("new_password", "a new passphrase"),
            ("confirm_password", "another one!!"),
        ],
    )
    .await;
    assert_eq!(mismatch.status(), 400);
    let short = post(
        &app,
        &me,
        "/account/password",
        &html,
        &[
            ("current_password", PASSWORD),
            ("new_password", "short"),
            ("confirm_password", "short"),
        ],
    )
    .await;
    assert_eq!(short.status(), 400);

    let ok = post(
        &app,
        &me,
        "/account/password",
        &html,
        &[
            ("current_password", PASSWORD),
            ("new_password", "a new passphrase"),
            ("confirm_password", "a new passphrase"),
        ],
    )
    .await;
    assert_eq!(ok.status(), 200);
    assert!(
        ok.text()
            .await
            .unwrap()
            .contains("Your password was changed")
    );
    assert_eq!(
        me.get(app.url("/account")).send().await.unwrap().status(),
        200,
        "this session stays"
    );
    assert_eq!(
        other
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "the other one ended"
    );
    assert_eq!(
        sign_in_to_account(&app, &fresh_browser(), PASSWORD)
            .await
            .status(),
        401,
        "old password refused"
    );
    assert_eq!(
        sign_in_to_account(&app, &fresh_browser(), "a new passphrase")
            .await
            .status(),
        303
    );
}
