//! Forged posts to the account forms (a missing, foreign, stale or tampered CSRF token) fail.

use crate::support::*;
use latchkey::store::{clients, consents, sessions, users};

#[tokio::test]
async fn forged_posts_to_the_account_forms_are_refused() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    tokens(&app, "app", Some(&secret), &[]).await;
    let html = browse(&app, "/account").await.text().await.unwrap();
    let valid = hidden(&html, "csrf_token").unwrap();
    let sid = hidden(&html, "sid").unwrap();
    let foreign = foreign_token(&app).await;
    let state = || {
        app.store
            .read(|c| {
                let alice = users::get_user_by_username(c, "alice")?;
                let client = clients::get_client(c, "app")?;
                Ok((
                    alice.password_hash.clone(),
                    consents::find_consent(c, alice.id, client.id)?,
                    sessions::list_user_sessions(c, alice.id)?.len(),
                ))
            })
            .unwrap()
    };
    let before = state();
    assert!(before.1.is_some(), "alice consented to app");
    let forms: [(&str, Vec<(&str, &str)>); 3] = [
        ("/account/sessions/end", vec![("sid", sid.as_str())]),
        ("/account/apps/revoke", vec![("client_id", "app")]),
        (
            "/account/password",
            vec![
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        ),
    ];
    for (path, fields) in &forms {
        for f in forgeries(&app, &valid, &foreign) {
            let res = post_forged(&app, path, fields, &f).await;
            assert_eq!(res.status(), 403, "{path}: {}", f.what);
        }
    }
    assert_eq!(state(), before, "nothing changed");
    assert_eq!(
        browse(&app, "/account").await.status(),
        200,
        "still signed in"
    );
    // Control: the genuine revoke form works.
    let genuine = Forgery {
        what: "genuine",
        token: Some(valid),
        headers: vec![],
    };
    let res = post_forged(&app, "/account/apps/revoke", &forms[1].1, &genuine).await;
    assert_eq!(res.status(), 200);
    assert!(state().1.is_none(), "consent revoked");
}
