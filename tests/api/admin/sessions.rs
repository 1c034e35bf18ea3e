//! /admin/sessions: every active session; ending one signs that browser out.

use crate::support::*;

/// A browser of its own, signed in as `username`.
async fn browser_signed_in(app: &TestApp, username: &str) -> reqwest::Client {
    let browser = fresh_browser();
    let (status, _) = login_attempt(app, &browser, &[], username, PASSWORD).await;
    assert_eq!(status, 303);
    browser
}

async fn account_status(app: &TestApp, browser: &reqwest::Client) -> u16 {
    browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The `sid` of the row of `username`'s session in the sessions table.
fn sid_of(html: &str, username: &str) -> Option<String> {
    let row = html.find(&format!(">{username}</a></td>"))?;
    hidden(&html[row..], "sid")
}

#[tokio::test]
async fn an_admin_sees_every_active_session_and_ending_one_signs_that_browser_out() {
    let app = spawn_oidc_app().await;
    add_root(&app);
    let alice = browser_signed_in(&app, "alice").await;
    sign_in(&app, "root").await;
    assert_eq!(account_status(&app, &alice).await, 200);

    let res = browse(&app, "/admin/sessions").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(r#"<a href="/admin/users/alice">alice</a>"#),
        "{html}"
    );
    assert!(html.contains("<td>127.0.0.1</td>"), "{html}");
    let sid = sid_of(&html, "alice").expect("alice's session is listed");
    assert!(sid_of(&html, "root").is_some(), "root's own too");
    let csrf = hidden(&html, "csrf_token").unwrap();

    let res = app
        .client
        .post(app.url("/admin/sessions/end"))
        .form(&[("csrf_token", csrf.as_str()), ("sid", sid.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Ended alice"), "{html}");
    assert_eq!(sid_of(&html, "alice"), None, "gone from the list");
    assert_eq!(
        account_status(&app, &alice).await,
        303,
        "alice is signed out"
    );
    let ended = audited(&app, "session.ended.admin");
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0].actor.as_deref(), Some("root"));
    assert_eq!(
        browse(&app, "/admin/sessions").await.status(),
        200,
        "root is not"
    );
}

#[tokio::test]
async fn ending_a_session_that_is_gone_says_so() {
    let app = admin_app().await;

    let res = admin_post(
        &app,
        "/admin/sessions",
        "/admin/sessions/end",
        &[("sid", "no-such-session")],
    )
    .await;

    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("no session"));
}

#[tokio::test]
async fn a_non_admin_gets_403_on_the_dashboard_keys_and_sessions_pages_and_their_forms() {
    let app = spawn_oidc_app().await;
    add_root(&app);
    sign_in(&app, "alice").await;
    let jwks_before = app.get("/jwks").await.text().await.unwrap();
    // A token the CSRF check accepts, from alice's own account page.
    let html = browse(&app, "/account").await.text().await.unwrap();
    let csrf = hidden(&html, "csrf_token").expect("a CSRF token on /account");
    let root = browser_signed_in(&app, "root").await;

    for path in ["/admin", "/admin/keys", "/admin/sessions"] {
        let res = browse(&app, path).await;
        assert_eq!(res.status(), 403, "GET {path}");
        assert!(res.text().await.unwrap().contains("for administrators"));
    }
    let root_html = root
        .get(app.url("/admin/sessions"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let root_sid = sid_of(&root_html, "root").unwrap();
    for (path, form) in [
        ("/admin/keys/rotate", vec![("alg", "RS256")]),
        ("/admin/sessions/end", vec![("sid", root_sid.as_str())]),
    ] {
        let mut form = form;
        form.push(("csrf_token", csrf.as_str()));
        let res = app
            .client
            .post(app.url(path))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "POST {path}");
        assert!(
            res.text().await.unwrap().contains("for administrators"),
            "the gate refused, not the token"
        );
    }
    assert_eq!(
        app.get("/jwks").await.text().await.unwrap(),
        jwks_before,
        "nothing rotated"
    );
    assert_eq!(
        account_status(&app, &root).await,
        200,
        "root's session lives"
    );
}

#[tokio::test]
async fn many_sessions_are_shown_a_hundred_a_page_newest_first() {
    use latchkey::store::sessions::{NewSession, insert_session};
    let app = admin_app().await;
    let alice = app
        .store
        .read(|c| latchkey::store::users::get_user_by_username(c, "alice"))
        .unwrap();
    let now = latchkey::clock::Clock::now(&latchkey::clock::SystemClock);
    app.store
        .write(|c| {
            for i in 0..105 {
                insert_session(
                    c,
                    &NewSession {
                        secret_hash: &format!("hash-{i}"),
                        sid: &format!("sid-{i:0>3}"),
                        user_id: alice.id,
                        auth_time: now,
                        amr: "pwd",
                        expires_at: now + 3600,
                        user_agent: None,
                        ip: Some("192.0.2.9"),
                    },
                    now,
                )?;
            }
            Ok::<_, latchkey::store::StoreError>(())
        })
        .unwrap();

    let (_, first) = admin_page(&app, "/admin/sessions").await;
    assert_eq!(first.matches(r#"name="sid""#).count(), 100);
    assert!(first.contains(r#"value="sid-104""#), "the newest first");
    assert!(!first.contains("Newest sessions"));
    let older = first
        .split(r#"<a href=""#)
        .find_map(|a| {
            a.split_once(r#"">Older sessions"#)
                .map(|(href, _)| href.to_owned())
        })
        .expect("a link to the older sessions");

    let (status, second) = admin_page(&app, &older.replace("&amp;", "&")).await;
    assert_eq!(status, 200);
    // 105 of alice's and root's own: 6 left, the oldest being root's.
    assert_eq!(second.matches(r#"name="sid""#).count(), 6, "{second}");
    assert!(second.contains(r#"value="sid-000""#));
    assert!(second.contains(r#"<a href="/admin/users/root">root</a>"#));
    assert!(second.contains("Newest sessions") && !second.contains("Older sessions"));
}
