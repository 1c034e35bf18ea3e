//! /admin/keys: the keys with their ages; rotating one serves the new key at once.

use crate::support::*;

async fn jwks_kids(app: &TestApp) -> Vec<String> {
    let jwks: serde_json::Value = app.get("/jwks").await.json().await.unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// The kid in the keys table's row of the active `alg` key.
fn active_kid(html: &str, alg: &str) -> String {
    let table = &html[html.find(r#"<table id="keys""#).expect(html)..];
    let row_end = table
        .find(&format!("<td>{alg}</td><td>active</td>"))
        .expect(table);
    let code = table[..row_end].rfind("<code>").unwrap() + "<code>".len();
    table[code..code + table[code..].find("</code>").unwrap()].to_owned()
}

#[tokio::test]
async fn an_admin_rotates_a_key_on_the_keys_page_and_jwks_serves_the_new_one_at_once() {
    let app = admin_app().await;
    let (status, html) = admin_page(&app, "/admin/keys").await;
    assert_eq!(status, 200);
    let old = active_kid(&html, "RS256");
    let es256 = active_kid(&html, "ES256");
    assert!(jwks_kids(&app).await.contains(&old));

    let res = admin_post(
        &app,
        "/admin/keys",
        "/admin/keys/rotate",
        &[("alg", "RS256")],
    )
    .await;

    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let new = active_kid(&html, "RS256");
    assert_ne!(new, old);
    assert!(
        html.contains(&format!("New signing key RS256 {new}")),
        "{html}"
    );
    assert!(
        html.contains("<td>retired</td>"),
        "the old key is listed as retired"
    );
    assert_eq!(active_kid(&html, "ES256"), es256, "only RS256 rotated");
    let kids = jwks_kids(&app).await;
    assert!(
        kids.contains(&new),
        "the new key is published now: {kids:?}"
    );
    assert!(kids.contains(&old), "the old one still verifies: {kids:?}");
    let rotated = audited(&app, "keys.rotated");
    assert_eq!(rotated.len(), 1);
    assert_eq!(rotated[0].actor.as_deref(), Some("root"));
}

#[tokio::test]
async fn an_unknown_algorithm_is_refused_on_the_page_and_nothing_rotates() {
    let app = admin_app().await;
    let before = jwks_kids(&app).await;

    let res = admin_post(
        &app,
        "/admin/keys",
        "/admin/keys/rotate",
        &[("alg", "HS256")],
    )
    .await;

    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(html.contains("unknown algorithm"), "{html}");
    assert_eq!(jwks_kids(&app).await, before);
    assert!(audited(&app, "keys.rotated").is_empty());
}
