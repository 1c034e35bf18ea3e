//! Forged form posts for the CSRF attack tests: a missing, foreign, stale or tampered token.

use crate::support::*;
use latchkey::crypto::random;
use reqwest::Response;

/// One way to forge a POST of our forms.
pub struct Forgery {
    pub what: &'static str,
    pub token: Option<String>,
    pub headers: Vec<(&'static str, String)>,
}

/// Every forgery a form must refuse, given the genuine token of this browser and a genuine
/// token of another browser.
pub fn forgeries(app: &TestApp, valid: &str, foreign: &str) -> Vec<Forgery> {
    let f = |what, token: Option<&str>, headers: Vec<(&'static str, String)>| Forgery {
        what,
        token: token.map(str::to_owned),
        headers,
    };
    let issuer = &app.settings.issuer;
    vec![
        f("no token", None, vec![]),
        f("a wrong token", Some(&random::token()), vec![]),
        f("a truncated token", Some(&valid[..valid.len() - 1]), vec![]),
        f(
            "the token with a byte changed",
            Some(&flip_last(valid)),
            vec![],
        ),
        f("the token of another browser", Some(foreign), vec![]),
        f(
            "a cross-site Origin",
            Some(valid),
            vec![("Origin", "https://evil.example".into())],
        ),
        f(
            "an Origin that only starts like ours",
            Some(valid),
            vec![("Origin", format!("{issuer}.evil.example"))],
        ),
        f(
            "Sec-Fetch-Site: cross-site",
            Some(valid),
            vec![("Sec-Fetch-Site", "cross-site".into())],
        ),
        f(
            "Sec-Fetch-Site: same-site",
            Some(valid),
            vec![("Sec-Fetch-Site", "same-site".into())],
        ),
        f(
            "Origin: null from another site",
            Some(valid),
            vec![
                ("Origin", "null".into()),
                ("Sec-Fetch-Site", "cross-site".into()),
            ],
        ),
    ]
}

pub fn flip_last(s: &str) -> String {
    let mut v = s.to_owned();
    let last = v.pop().unwrap();
    v.push(if last == 'A' { 'B' } else { 'A' });
    v
}

/// POST `fields` (plus the forgery's token and headers) to `path` from alice's browser.
pub async fn post_forged(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    f: &Forgery,
) -> Response {
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    if let Some(t) = &f.token {
        form.push(("csrf_token", t));
    }
    let mut rb = app.client.post(app.url(path)).form(&form);
    for (k, v) in &f.headers {
        rb = rb.header(*k, v);
    }
    rb.send().await.expect("POST")
}

/// A genuine CSRF token of another browser.
pub async fn foreign_token(app: &TestApp) -> String {
    let html = fresh_browser()
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    hidden(&html, "csrf_token").expect("csrf")
}
