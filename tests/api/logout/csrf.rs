//! A forged logout confirmation fails.

use crate::support::*;

#[tokio::test]
async fn a_forged_logout_confirmation_is_refused() {
    let app = spawn_oidc_app().await;
    add_client(&app, &app_spec());
    sign_in(&app, "alice").await;
    let html = browse(&app, "/logout").await.text().await.unwrap();
    let valid = hidden(&html, "csrf_token").expect("a confirmation form");
    let foreign = foreign_token(&app).await;
    for f in forgeries(&app, &valid, &foreign) {
        let res = post_forged(&app, "/logout", &[("confirm", "yes")], &f).await;
        assert_eq!(res.status(), 403, "{}", f.what);
        assert!(signed_in(&app).await, "{}: still signed in", f.what);
    }
    let genuine = Forgery {
        what: "genuine",
        token: Some(valid),
        headers: vec![],
    };
    let res = post_forged(&app, "/logout", &[("confirm", "yes")], &genuine).await;
    assert_eq!(res.status(), 200);
    assert!(!signed_in(&app).await);
}
