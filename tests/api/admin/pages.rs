//! Helpers for the admin page tests: an admin signed in, form posts with the page's CSRF token,
//! the CLI's view of the store, and the audit log's actors.

use crate::support::*;

/// Add the admin `root` (password [`PASSWORD`]) with the CLI and sign them in.
pub async fn signed_in_admin(app: &TestApp) {
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
pub async fn submit(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = token_of(app, "/admin/groups").await;
    let mut form = fields.to_vec();
    form.push(("csrf_token", &token));
    post(app, path, &form).await
}

/// `latchkey --json ARGS`: the store as the CLI sees it.
pub fn cli_json(app: &TestApp, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    app.cli(&all, None).json()
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
