//! The /admin gate: admins only (403 for everyone else, GET and POST), a recent sign-in
//! (`admin_reauth_secs`), the second factor when the admin's policy asks for one.

use crate::support::*;
use latchkey::config::MfaRequired;

async fn post_admin(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .form(&[("username", "mallory")])
        .send()
        .await
        .expect("POST")
}

#[tokio::test]
async fn a_signed_in_user_who_is_not_an_admin_gets_a_403_page_for_every_admin_get_and_post() {
    let app = spawn_oidc_app().await;
    sign_in(&app, "alice").await;

    for path in ["/admin", "/admin/users", "/admin/clients/app"] {
        let res = browse(&app, path).await;
        assert_eq!(res.status(), 403, "GET {path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("for administrators"), "GET {path}: {html}");
        let res = post_admin(&app, path).await;
        assert_eq!(res.status(), 403, "POST {path}");
    }
}

#[tokio::test]
async fn a_browser_that_is_not_signed_in_is_sent_to_sign_in_and_back_to_admin() {
    let app = spawn_oidc_app().await;

    for path in ["/admin", "/admin/users"] {
        let res = browse(&app, path).await;
        assert_eq!(res.status(), 303, "GET {path}");
        assert_eq!(location(&res), "/login?next=/admin");
    }
    let res = post_admin(&app, "/admin").await;
    assert_eq!(location(&res), "/login?next=/admin");
}

#[tokio::test]
async fn an_admin_sees_the_counts_of_users_active_sessions_and_apps() {
    let app = spawn_oidc_app().await;
    add_root(&app);
    add_client(&app, &app_spec());
    sign_in(&app, "root").await;

    let res = browse(&app, "/admin").await;

    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Signed in as <a href=\"/account\">root</a>"),
        "{html}"
    );
    assert!(html.contains(r#"<dd id="count-users">2</dd>"#), "{html}");
    assert!(html.contains(r#"<dd id="count-sessions">1</dd>"#), "{html}");
    assert!(html.contains(r#"<dd id="count-apps">1</dd>"#), "{html}");
}

#[tokio::test]
async fn an_admin_is_told_when_an_admin_page_does_not_exist() {
    let app = spawn_oidc_app().await;
    add_root(&app);
    sign_in(&app, "root").await;

    assert_eq!(browse(&app, "/admin/nothing-here").await.status(), 404);
}

#[tokio::test]
async fn an_admin_whose_sign_in_is_older_than_admin_reauth_secs_is_asked_to_sign_in_again() {
    let clock = clock_now();
    let app = spawn_at(&clock, |s| s.admin_reauth_secs = 300).await;
    add_root(&app);
    sign_in(&app, "root").await;
    clock.advance(300);
    assert_eq!(
        browse(&app, "/admin").await.status(),
        200,
        "300 s is recent"
    );

    clock.advance(1);
    let res = browse(&app, "/admin").await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert_eq!(to, "/login?reauth=1&next=/admin");
    let res = post_admin(&app, "/admin").await;
    assert_eq!(location(&res), to, "a POST too");

    let html = browse(&app, &to).await.text().await.unwrap();
    assert!(
        html.contains("The admin pages need a recent sign-in"),
        "{html}"
    );
    let res = submit_login(&app, &to, "root", PASSWORD).await;
    assert_eq!(location(&res), "/admin");
    assert_eq!(browse(&app, "/admin").await.status(), 200);
}

#[tokio::test]
async fn an_admin_who_must_use_a_second_factor_is_sent_to_it_first() {
    let app = spawn_oidc_app_with(|s| s.mfa_required = MfaRequired::Admins).await;
    add_root(&app);
    let res = submit_login(&app, "/login", "root", PASSWORD).await;
    assert!(location(&res).starts_with("/login/second-factor"));

    let res = browse(&app, "/admin").await;

    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login/second-factor?next=/admin");
}
