//! The admin pages: "Invite link" on /admin/users/new (instead of a generated password) and
//! "Reset link" on a user's page, through the same operations as the CLI, with the admin as the
//! actor; the link is shown once and works.

use super::*;
use crate::support::admin::{add_root, admin_page, admin_post};

/// The link shown once on a user's page.
fn shown_link(html: &str) -> String {
    between(html, "<code class=\"secret\" id=\"new-link\">", "</code>")
        .expect("the link is on the page")
        .replace("&#x2f;", "/")
}

#[tokio::test]
async fn an_admin_invites_a_user_from_the_new_user_page_and_the_link_works() {
    let sink = smtp_sink().await;
    let app = onboarding_app(Some(&sink)).await;
    add_root(&app);
    assert_eq!(
        login_with(&app, &app.client, "root", PASSWORD)
            .await
            .status(),
        303
    );
    let (status, html) = admin_page(&app, "/admin/users/new").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("name=\"how\" value=\"invite\" checked"),
        "the invite is offered first: {html}"
    );

    let res = admin_post(
        &app,
        "/admin/users/new",
        "/admin/users",
        &[
            ("username", "bob"),
            ("email", "bob@example.com"),
            ("how", "invite"),
        ],
    )
    .await;
    assert_eq!(res.status(), 201);
    let html = res.text().await.unwrap();
    assert!(!html.contains("id=\"new-password\""), "no password is made");
    assert!(html.contains("It was also mailed to the user."), "{html}");
    let link = shown_link(&html);
    let mails = sink.wait_for(1, MAIL_WAIT).await;
    assert_eq!(
        mails[0].link("/invite/").as_deref(),
        Some(link.as_str()),
        "the mailed link is the one shown"
    );
    assert_eq!(
        audited(&app, "user.invited")[0].actor.as_deref(),
        Some("root")
    );

    let path = link.strip_prefix(&app.settings.issuer).unwrap();
    let b = fresh_browser();
    assert_eq!(
        accept_with_password(&app, &b, path, "bobs chosen password")
            .await
            .status(),
        303
    );
    assert_eq!(page(&app, &b, "/account").await.0, 200);
}

#[tokio::test]
async fn an_admin_makes_a_reset_link_on_a_users_page() {
    let app = onboarding_app(None).await;
    add_root(&app);
    assert_eq!(
        login_with(&app, &app.client, "root", PASSWORD)
            .await
            .status(),
        303
    );
    let res = admin_post(
        &app,
        "/admin/users/alice",
        "/admin/users/alice/reset-link",
        &[],
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Password reset link") && html.contains("Hand it over safely."),
        "{html}"
    );
    let link = shown_link(&html);
    assert!(link.contains("/reset/"), "{link}");
    assert_eq!(
        audited(&app, "user.reset_link")[0].actor.as_deref(),
        Some("root")
    );
    let path = link.strip_prefix(&app.settings.issuer).unwrap();
    let b = fresh_browser();
    let fields = [
        ("new_password", "alices next password"),
        ("confirm_password", "alices next password"),
    ];
    assert_eq!(submit(&app, &b, path, path, &fields).await.status(), 200);
    assert_eq!(
        login_with(&app, &fresh_browser(), "alice", "alices next password")
            .await
            .status(),
        303
    );
    // The admin's own session was not alice's: the admin pages still work.
    assert_eq!(admin_page(&app, "/admin/users/alice").await.0, 200);
}
