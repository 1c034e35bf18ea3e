//! The admin's user pages: create (the password shown once), show, change, end a session,
//! revoke an app, remove with confirmation; the last admin kept; every form CSRF-protected.

use crate::support::*;
use latchkey::store::{audit, sessions, users};

/// Who made the changes of this kind to `subject` (a username) or to anyone (`None`).
fn user_actors(app: &TestApp, kind: &str) -> Vec<String> {
    audited(app, kind)
        .into_iter()
        .filter(|e| e.subject.as_deref() != Some("root") || kind.starts_with("group."))
        .filter_map(|e| e.actor)
        .collect()
}

#[tokio::test]
async fn an_admin_creates_a_user_whose_generated_password_is_shown_once_and_works() {
    let app = admin_app().await;
    let (status, html) = admin_page(&app, "/admin/users/new").await;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"username\""), "{html}");

    let res = admin_post(
        &app,
        "/admin/users/new",
        "/admin/users",
        &[
            ("username", "bob"),
            ("email", "bob@example.com"),
            ("name", "Bob B"),
            ("email_verified", "on"),
        ],
    )
    .await;
    assert_eq!(res.status(), 201);
    let html = res.text().await.unwrap();
    let pw = between(
        &html,
        "<code class=\"secret\" id=\"new-password\">",
        "</code>",
    )
    .expect("the new password is on the page");
    assert!(pw.len() >= 16, "a generated password: {pw}");

    let bob = cli_json(&app, &["user", "show", "bob"]);
    assert_eq!(bob["email"], "bob@example.com");
    assert_eq!(bob["name"], "Bob B");
    assert_eq!(bob["email_verified"], true);
    assert_eq!(bob["is_admin"], false);
    assert_eq!(
        user_actors(&app, "user.created"),
        ["root"],
        "the admin is the actor"
    );

    // Shown once: the user's page does not show it again.
    let (_, again) = admin_page(&app, "/admin/users/bob").await;
    assert!(!again.contains(&pw));
    // And it is bob's password.
    let other = spawn_browser_login(&app, "bob", &pw).await;
    assert_eq!(other, 303, "bob signs in with it");
}

/// Sign in as `username` in a new browser; the status of the login POST.
async fn spawn_browser_login(app: &TestApp, username: &str, password: &str) -> u16 {
    login_elsewhere(app, username, password).await.0
}

/// Sign in as `username` in a new browser: the status and the session cookie.
async fn login_elsewhere(app: &TestApp, username: &str, password: &str) -> (u16, Option<String>) {
    let browser = fresh_browser();
    let page = browser
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden(&page, "csrf_token").unwrap();
    let res = browser
        .post(app.url("/login"))
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        cookie_value(&res, "latchkey_session"),
    )
}

#[tokio::test]
async fn a_refused_new_user_shows_why_and_creates_nothing() {
    let app = admin_app().await;
    let before = app.store.read(users::count_users).unwrap();
    for (form, status, why) in [
        (
            vec![("username", "alice"), ("email", "a2@example.com")],
            409,
            "alice",
        ),
        (
            vec![("username", "no spaces"), ("email", "x@example.com")],
            400,
            "username may only contain",
        ),
        (
            vec![("username", "carol"), ("email", "not-an-email")],
            400,
            "invalid email address",
        ),
    ] {
        let res = admin_post(&app, "/admin/users/new", "/admin/users", &form).await;
        assert_eq!(res.status(), status, "{form:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains("class=\"error\""), "{html}");
        assert!(html.contains(why), "{why}: {html}");
        assert!(
            html.contains("value=\"x@example.com\"") || form[1].1 != "x@example.com",
            "what was typed is kept"
        );
    }
    assert_eq!(app.store.read(users::count_users).unwrap(), before);
}

#[tokio::test]
async fn the_user_page_changes_profile_groups_and_attributes_as_the_admin() {
    let app = admin_app().await;
    app.cli(&["group", "add", "ops"], None).ok();
    let page = "/admin/users/alice";
    let (status, html) = admin_page(&app, page).await;
    assert_eq!(status, 200);
    assert!(html.contains("alice@example.com"));

    type Step<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let steps: [Step; 4] = [
        (
            "update",
            vec![("email", "alice@corp.example"), ("name", "Alice C")],
            "Profile saved.",
        ),
        ("groups/add", vec![("group", "ops")], "Added to the group."),
        (
            "attributes/set",
            vec![("key", "department"), ("value", "R&D")],
            "Attribute set.",
        ),
        ("disable", vec![], "User disabled"),
    ];
    for (action, form, notice) in steps {
        let res = admin_post(&app, page, &format!("{page}/{action}"), &form).await;
        assert_eq!(res.status(), 303, "{action}");
        assert_eq!(
            location(&res),
            format!("{page}?done={}", notice_code(action))
        );
        let (_, html) = admin_page(&app, &location(&res)).await;
        assert!(html.contains(notice), "{action}: {html}");
    }
    let alice = cli_json(&app, &["user", "show", "alice"]);
    assert_eq!(alice["email"], "alice@corp.example");
    assert_eq!(alice["email_verified"], false, "a new email is unverified");
    assert_eq!(alice["name"], "Alice C");
    assert_eq!(alice["groups"], serde_json::json!(["ops"]));
    assert_eq!(alice["attributes"]["department"], "R&D");
    assert_eq!(alice["disabled"], true);
    for kind in [
        "user.updated",
        "group.members_added",
        "user.attribute_set",
        "user.disabled",
    ] {
        assert_eq!(user_actors(&app, kind), ["root"], "{kind}");
    }

    let res = admin_post(&app, page, &format!("{page}/enable"), &[]).await;
    assert_eq!(res.status(), 303);
    let res = admin_post(
        &app,
        page,
        &format!("{page}/groups/remove"),
        &[("group", "ops")],
    )
    .await;
    assert_eq!(res.status(), 303);
    let alice = cli_json(&app, &["user", "show", "alice"]);
    assert_eq!(alice["disabled"], false);
    assert_eq!(alice["groups"], serde_json::json!([]));
}

fn notice_code(action: &str) -> &str {
    match action {
        "groups/add" => "group-added",
        "attributes/set" => "attribute-set",
        "update" => "updated",
        other => {
            if other == "disable" {
                "disabled"
            } else {
                other
            }
        }
    }
}

#[tokio::test]
async fn the_last_enabled_admin_cannot_be_disabled_demoted_or_removed_from_the_pages() {
    let app = admin_app().await;
    let page = "/admin/users/root";
    for (action, form) in [
        ("disable", vec![]),
        ("update", vec![("email", "root@example.com")]),
        ("remove", vec![("confirm", "yes")]),
    ] {
        let res = admin_post(&app, page, &format!("{page}/{action}"), &form).await;
        assert_eq!(res.status(), 409, "{action}");
        let html = res.text().await.unwrap();
        assert!(html.contains("last enabled admin"), "{action}: {html}");
    }
    let root = cli_json(&app, &["user", "show", "root"]);
    assert_eq!(root["is_admin"], true);
    assert_eq!(root["disabled"], false);
    assert!(user_actors(&app, "user.demoted").is_empty());
}

#[tokio::test]
async fn ending_a_users_session_signs_that_browser_out_and_revoking_an_app_forgets_consent() {
    let app = spawn_oidc_app().await;
    add_root(&app);
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    tokens(&app, "app", Some(&secret), &[]).await; // alice uses app and consents
    let (_, alice_cookie) = login_elsewhere(&app, "alice", PASSWORD).await;
    let alice_cookie = alice_cookie.expect("alice's session cookie");
    sign_in(&app, "root").await;

    let page = "/admin/users/alice";
    let (_, html) = admin_page(&app, page).await;
    assert!(html.contains("Revoke"), "her app is listed: {html}");
    let mut rest = html.as_str();
    let mut ended = 0;
    while let Some(sid) = hidden(rest, "sid") {
        let res = admin_post(
            &app,
            page,
            &format!("{page}/sessions/end"),
            &[("sid", &sid)],
        )
        .await;
        assert_eq!(res.status(), 303);
        ended += 1;
        rest = &rest[rest.find(&sid).unwrap() + sid.len()..];
    }
    assert!(ended >= 1, "alice's sessions are listed: {html}");
    let alices_browser = plain_client();
    let res = alices_browser
        .get(app.url("/account"))
        .header("Cookie", format!("latchkey_session={alice_cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "alice's browser is signed out");
    let alice_sessions = app
        .store
        .read(|c| sessions::list_user_sessions(c, users::get_user_by_username(c, "alice")?.id))
        .unwrap();
    assert!(alice_sessions.is_empty());

    let res = admin_post(
        &app,
        page,
        &format!("{page}/apps/revoke"),
        &[("client_id", "app")],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(user_actors(&app, "user.app_revoked"), ["root"]);
    assert_eq!(audited(&app, "consent.revoked").len(), 1);
    // Ending a session that is not the user's is a clear 404.
    let res = admin_post(
        &app,
        page,
        &format!("{page}/sessions/end"),
        &[("sid", "nope")],
    )
    .await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_user_is_removed_only_after_the_confirmation_page() {
    let app = admin_app().await;
    let (status, html) = admin_page(&app, "/admin/users/alice/remove").await;
    assert_eq!(status, 200);
    assert!(html.contains("cannot be undone"), "{html}");
    assert!(
        app.store
            .read(|c| users::find_user_by_username(c, "alice"))
            .unwrap()
            .is_some()
    );

    let res = admin_post(
        &app,
        "/admin/users/alice/remove",
        "/admin/users/alice/remove",
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/admin/users?done=removed");
    assert!(
        app.store
            .read(|c| users::find_user_by_username(c, "alice"))
            .unwrap()
            .is_none()
    );
    assert_eq!(user_actors(&app, "user.removed"), ["root"]);
    let (status, _) = admin_page(&app, "/admin/users/alice").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_new_password_set_by_the_admin_is_shown_once_and_the_old_one_stops_working() {
    let app = admin_app().await;
    let page = "/admin/users/alice";
    let res = admin_post(&app, page, &format!("{page}/password"), &[]).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let pw = between(
        &html,
        "<code class=\"secret\" id=\"new-password\">",
        "</code>",
    )
    .unwrap();
    assert_eq!(
        spawn_browser_login(&app, "alice", PASSWORD).await,
        401,
        "the old password fails"
    );
    assert_eq!(spawn_browser_login(&app, "alice", &pw).await, 303);
    assert_eq!(user_actors(&app, "user.password_changed"), ["root"]);
}

#[tokio::test]
async fn forged_posts_to_the_user_forms_change_nothing() {
    let app = admin_app().await;
    let html = browse(&app, "/admin/users/alice")
        .await
        .text()
        .await
        .unwrap();
    let valid = hidden(&html, "csrf_token").unwrap();
    let foreign = foreign_token(&app).await;
    let before = app
        .store
        .read(|c| audit::list_audit_events(c, 1000))
        .unwrap()
        .len();
    for (path, fields) in [
        ("/admin/users/alice/disable", vec![]),
        ("/admin/users/alice/remove", vec![("confirm", "yes")]),
        (
            "/admin/users",
            vec![("username", "mallory"), ("email", "m@example.com")],
        ),
    ] {
        for f in forgeries(&app, &valid, &foreign) {
            let res = post_forged(&app, path, &fields, &f).await;
            assert_eq!(res.status(), 403, "{path}: {}", f.what);
        }
    }
    let alice = cli_json(&app, &["user", "show", "alice"]);
    assert_eq!(alice["disabled"], false);
    assert!(
        app.store
            .read(|c| users::find_user_by_username(c, "mallory"))
            .unwrap()
            .is_none()
    );
    let after = app
        .store
        .read(|c| audit::list_audit_events(c, 1000))
        .unwrap()
        .len();
    assert_eq!(before, after, "nothing audited: nothing happened");
}

#[tokio::test]
async fn a_non_admin_gets_403_on_every_user_page_and_form() {
    let app = spawn_oidc_app().await;
    add_root(&app);
    sign_in(&app, "alice").await;
    for path in [
        "/admin/users/new",
        "/admin/users/root",
        "/admin/users/root/remove",
    ] {
        assert_eq!(browse(&app, path).await.status(), 403, "GET {path}");
    }
    let html = browse(&app, "/account").await.text().await.unwrap();
    let token = hidden(&html, "csrf_token").unwrap();
    for path in [
        "/admin/users",
        "/admin/users/root/disable",
        "/admin/users/root/remove",
        "/admin/users/root/password",
        "/admin/users/root/update",
    ] {
        let res = app
            .client
            .post(app.url(path))
            .form(&[
                ("csrf_token", token.as_str()),
                ("username", "x"),
                ("email", "x@example.com"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "POST {path}");
    }
    let root = cli_json(&app, &["user", "show", "root"]);
    assert_eq!(root["disabled"], false);
}
