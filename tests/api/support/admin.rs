//! Admin pages: an admin `root` and a browser signed in as them, GET a page, POST one of its forms.

use crate::support::*;
use reqwest::Response;

/// Add the admin `root` (password [`PASSWORD`]) with the CLI.
pub fn add_root(app: &TestApp) {
    let args = [
        "user",
        "add",
        "root",
        "--email",
        "root@example.com",
        "--admin",
        "--password-stdin",
    ];
    app.cli(&args, Some(&format!("{PASSWORD}\n"))).ok();
}

/// An app with the admin `root` signed in in its browser.
pub async fn admin_app() -> TestApp {
    let app = spawn_oidc_app().await;
    add_root(&app);
    sign_in(&app, "root").await;
    app
}

/// GET an admin page: its status and HTML.
pub async fn admin_page(app: &TestApp, path: &str) -> (u16, String) {
    let res = browse(app, path).await;
    let status = res.status().as_u16();
    (status, res.text().await.expect("body"))
}

/// POST a form as the page at `page` would: with that page's CSRF token.
pub async fn admin_post(
    app: &TestApp,
    page: &str,
    action: &str,
    form: &[(&str, &str)],
) -> Response {
    let (_, html) = admin_page(app, page).await;
    let token = hidden(&html, "csrf_token").expect("the page has a form with a CSRF token");
    let mut fields: Vec<(&str, &str)> = form.to_vec();
    fields.push(("csrf_token", &token));
    app.client
        .post(app.url(action))
        .form(&fields)
        .send()
        .await
        .expect("POST")
}

/// `latchkey ... --json` as a JSON value (the store state, as the CLI sees it).
pub fn cli_json(app: &TestApp, args: &[&str]) -> serde_json::Value {
    let mut all: Vec<&str> = args.to_vec();
    all.push("--json");
    app.cli(&all, None).json()
}

/// Add the admin `root` (password [`PASSWORD`]) with the CLI and sign them in.
pub async fn signed_in_admin(app: &TestApp) {
    add_root(app);
    sign_in(app, "root").await;
}

/// The CSRF token of the forms on the page at `path` (which must answer 200).
pub async fn token_of(app: &TestApp, path: &str) -> String {
    let res = browse(app, path).await;
    assert_eq!(res.status(), 200, "GET {path}");
    let html = res.text().await.unwrap();
    hidden(&html, "csrf_token").unwrap_or_else(|| panic!("no CSRF token on {path}: {html}"))
}

/// POST `fields` to `path` from the app's browser, as they are (no token added).
pub async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .expect("POST")
}

/// POST a form as the browser would: `fields` plus the CSRF token of this browser's forms (as
/// the groups page, which has a form, carries it).
pub async fn admin_submit(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = token_of(app, "/admin/groups").await;
    let mut form = fields.to_vec();
    form.push(("csrf_token", &token));
    post(app, path, &form).await
}

/// The actors of the audit rows of one kind, newest first.
pub fn actors(app: &TestApp, kind: &str) -> Vec<String> {
    audited(app, kind)
        .into_iter()
        .map(|e| e.actor.unwrap_or_default())
        .collect()
}

/// The body of a page that must answer `status`.
pub async fn page(res: reqwest::Response, status: u16) -> String {
    let got = res.status();
    let html = res.text().await.unwrap();
    assert_eq!(got, status, "{html}");
    html
}
