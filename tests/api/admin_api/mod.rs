//! /admin/api/v1/: the JSON admin API and its admin keys.

mod auth;
mod cli;
mod lists;
mod resources;

use crate::support::*;
use latchkey::oidc::admin::{Actor, api_keys};
use serde_json::Value;

pub const V1: &str = "/admin/api/v1";

/// What an admin API request answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub www_authenticate: Option<String>,
    pub body: Value,
}

impl Answer {
    /// Panics unless the status is `status`; returns the JSON body.
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "status of {}", self.body);
        &self.body
    }

    /// Panics unless this is the JSON error `code` with `status` and a description.
    pub fn expect_error(&self, status: u16, code: &str) -> &str {
        assert_eq!(self.status, status, "status of {}", self.body);
        assert_eq!(self.body["error"], code, "error code in {}", self.body);
        let d = self.body["error_description"]
            .as_str()
            .unwrap_or_else(|| panic!("no error_description in {}", self.body));
        assert!(!d.is_empty());
        d
    }

    /// The 401 of a request without a usable key.
    pub fn expect_unauthorized(&self) {
        self.expect_error(401, "invalid_token");
        let challenge = self.www_authenticate.as_deref().unwrap_or_default();
        assert!(
            challenge.starts_with("Bearer "),
            "WWW-Authenticate: {challenge:?}"
        );
    }
}

/// `METHOD /admin/api/v1PATH` with `Authorization: Bearer KEY` (none without a key) and a JSON
/// body; a client without cookies.
pub async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let url = app.url(&format!("{V1}{path}"));
    let mut req = plain_client().request(method.parse().expect("method"), &url);
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    answer(res).await
}

/// Read a response as an [`Answer`], asserting that it is JSON and never stored by caches.
pub async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status().as_u16();
    let ct = header(&res, "content-type").unwrap_or_default();
    let www_authenticate = header(&res, "www-authenticate");
    let cache_control = header(&res, "cache-control");
    let text = res.text().await.expect("body");
    assert!(
        ct.starts_with("application/json"),
        "Content-Type {ct:?} for {status}: {text}"
    );
    assert_eq!(
        cache_control.as_deref(),
        Some("no-store"),
        "Cache-Control for {status}: {text}"
    );
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    Answer {
        status,
        www_authenticate,
        body,
    }
}

/// A new admin key NAME (made as the CLI makes it) at `now`, expiring after `lifetime` seconds.
pub fn key_at(app: &TestApp, name: &str, now: i64, lifetime: Option<i64>) -> String {
    app.store
        .write(|c| api_keys::create(c, &Actor::Cli, now, name, lifetime))
        .expect("create admin key")
        .1
}

/// A new admin key NAME that never expires.
pub fn key(app: &TestApp, name: &str) -> String {
    let now = latchkey::clock::Clock::now(&latchkey::clock::SystemClock);
    key_at(app, name, now, None)
}

/// A key NAME that was revoked.
pub fn revoked_key(app: &TestApp, name: &str) -> String {
    let k = key(app, name);
    let now = latchkey::clock::Clock::now(&latchkey::clock::SystemClock);
    app.store
        .write(|c| api_keys::revoke(c, &Actor::Cli, now, name))
        .expect("revoke");
    k
}

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

/// The number of audit rows: a refused request writes none.
pub fn audit_rows(app: &TestApp) -> usize {
    app.store
        .read(|c| latchkey::store::audit::list_audit_events(c, 1_000_000))
        .expect("audit")
        .len()
}
