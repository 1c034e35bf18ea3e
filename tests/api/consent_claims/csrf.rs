//! A forged post to the consent form fails.

use crate::support::*;

#[tokio::test]
async fn a_forged_consent_post_is_refused() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    let res = browse(&app, &AuthReq::new("app").url(&app)).await;
    let res = submit_login(&app, &location(&res), "alice", PASSWORD).await;
    let res = browse(&app, &location(&res)).await;
    let consent = location(&res);
    assert!(consent.starts_with("/consent?req="), "{consent}");
    let html = browse(&app, &consent).await.text().await.unwrap();
    let valid = hidden(&html, "csrf_token").unwrap();
    let req = hidden(&html, "req").unwrap();
    let foreign = foreign_token(&app).await;
    let fields = [("decision", "allow"), ("req", req.as_str())];
    for f in forgeries(&app, &valid, &foreign) {
        let res = post_forged(&app, "/consent", &fields, &f).await;
        assert_eq!(res.status(), 403, "{}", f.what);
        assert!(res.headers().get("location").is_none(), "{}", f.what);
    }
    let (codes, granted): (i64, i64) = app
        .store
        .sql(|c| {
            Ok((
                c.query_row("SELECT COUNT(*) FROM auth_codes", [], |r| r.get(0))?,
                c.query_row("SELECT COUNT(*) FROM consents", [], |r| r.get(0))?,
            ))
        })
        .unwrap();
    assert_eq!(
        (codes, granted),
        (0, 0),
        "no code issued, no consent recorded"
    );
    // Control: the genuine form gives the client its code.
    let genuine = Forgery {
        what: "genuine",
        token: Some(valid),
        headers: vec![],
    };
    let res = post_forged(&app, "/consent", &fields, &genuine).await;
    assert_eq!(res.status(), 302);
    assert!(query_param(&location(&res), "code").is_some());
}
