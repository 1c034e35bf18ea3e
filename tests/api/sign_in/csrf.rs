//! A forged login post fails.

use crate::support::*;

#[tokio::test]
async fn a_forged_login_post_is_refused() {
    let app = spawn_oidc_app().await;
    let html = browse(&app, "/login").await.text().await.unwrap();
    let valid = hidden(&html, "csrf_token").unwrap();
    let foreign = foreign_token(&app).await;
    assert_ne!(valid, foreign);
    let fields = [("username", "alice"), ("password", PASSWORD)];
    for f in forgeries(&app, &valid, &foreign) {
        let res = post_forged(&app, "/login", &fields, &f).await;
        assert_eq!(res.status(), 403, "{}", f.what);
        assert!(
            cookie_value(&res, "latchkey_session").is_none(),
            "{}: no session",
            f.what
        );
        assert!(res.headers().get("location").is_none(), "{}", f.what);
    }
    // Control: the genuine form signs in.
    let genuine = Forgery {
        what: "genuine",
        token: Some(valid),
        headers: vec![],
    };
    let res = post_forged(&app, "/login", &fields, &genuine).await;
    assert_eq!(res.status(), 303);
    assert!(cookie_value(&res, "latchkey_session").is_some());
}
