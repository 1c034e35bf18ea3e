//! Onboarding (issue 17): invite and reset links from the CLI and the admin pages, the pages
//! behind them (a password, a passkey alone, 410 for links that no longer work), and mail: the
//! queue and its sender against a local SMTP sink (links mailed, "Forgot password?", retries
//! and restarts, notices, opt-out, email change verification), and the mail settings.

mod admin_pages;
mod invites;
mod mail;
mod notices;
mod resets;
mod settings;

use crate::support::*;
use latchkey::config::{Settings, Smtp, SmtpSecurity};
use serde_json::Value;
use std::time::Duration;

/// How long a test waits for the background sender.
pub const MAIL_WAIT: Duration = Duration::from_secs(30);

/// Mail settings for the sink (plain SMTP: a loopback relay).
pub fn smtp_to(sink: &SmtpSink) -> Smtp {
    Smtp {
        host: "127.0.0.1".into(),
        port: sink.port,
        security: SmtpSecurity::Plain,
        from: "latchkey <id@example.com>".into(),
        username: None,
        password_file: None,
    }
}

/// A server on `http://localhost:PORT` (passkeys need a domain name) with user alice, sending
/// mail to `sink` when given.
pub async fn onboarding_app(sink: Option<&SmtpSink>) -> TestApp {
    onboarding_app_with(sink, |_| {}).await
}

pub async fn onboarding_app_with(
    sink: Option<&SmtpSink>,
    configure: impl FnOnce(&mut Settings),
) -> TestApp {
    let smtp = sink.map(smtp_to);
    let port = free_port();
    let app = spawn_app_with(|s| {
        s.bind = format!("127.0.0.1:{port}").parse().expect("bind");
        s.issuer = format!("http://localhost:{port}");
        s.smtp = smtp;
        configure(s);
    })
    .await;
    add_user(&app, "alice", "alice@example.com", Some("Alice Example"));
    app
}

/// `latchkey user invite ...ARGS --json` on the app's data dir (with its mail settings, when
/// it has them); returns the JSON.
pub fn cli_json(app: &TestApp, args: &[&str]) -> Value {
    let mut cmd = latchkey_cmd(app.data_path());
    if let Some(smtp) = &app.settings.smtp {
        cmd.env(
            "LATCHKEY_SMTP_URL",
            format!("smtp://{}:{}", smtp.host, smtp.port),
        )
        .env("LATCHKEY_SMTP_FROM", &smtp.from);
    }
    cmd.env("LATCHKEY_ISSUER", &app.settings.issuer)
        .env(
            "LATCHKEY_INVITE_TTL_SECS",
            app.settings.invite_ttl_secs.to_string(),
        )
        .env(
            "LATCHKEY_RESET_TTL_SECS",
            app.settings.reset_ttl_secs.to_string(),
        );
    cmd.args(args).arg("--json");
    run(cmd, None).json()
}

/// Invite `username` with the CLI; returns the link's path (`/invite/TOKEN`) and the JSON.
pub fn invite(app: &TestApp, username: &str, extra: &[&str]) -> (String, Value) {
    let email = format!("{username}@example.com");
    let mut args = vec!["user", "invite", username, "--email", &email];
    args.extend_from_slice(extra);
    let out = cli_json(app, &args);
    let url = out["url"].as_str().expect("url").to_owned();
    let path = url
        .strip_prefix(&app.settings.issuer)
        .unwrap_or_else(|| panic!("{url} is under the issuer"))
        .to_owned();
    (path, out)
}

/// A browser of its own (cookies, no redirects), with the app's address.
pub fn browser_for(app: &TestApp) -> reqwest::Client {
    let _ = app;
    fresh_browser()
}

/// GET `path` with `client` and return status and body.
pub async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String) {
    let res = client.get(app.url(path)).send().await.expect("GET");
    let status = res.status().as_u16();
    (status, res.text().await.expect("body"))
}

/// Submit a form of the page at `path` (its CSRF token) with `fields`, with `client`.
pub async fn submit(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (status, html) = page(app, client, path).await;
    assert_eq!(status, 200, "{path}: {html}");
    let csrf = hidden(&html, "csrf_token").unwrap_or_else(|| panic!("no CSRF token on {path}"));
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    client
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .expect("POST")
}

/// Choose `password` on an invite page.
pub async fn accept_with_password(
    app: &TestApp,
    client: &reqwest::Client,
    invite_path: &str,
    password: &str,
) -> reqwest::Response {
    submit(
        app,
        client,
        invite_path,
        invite_path,
        &[("new_password", password), ("confirm_password", password)],
    )
    .await
}

/// The user row, read directly.
pub fn user(app: &TestApp, username: &str) -> latchkey::store::users::User {
    app.store
        .read(|c| latchkey::store::users::get_user_by_username(c, username))
        .unwrap()
}

/// Sign in with `password` using `client`; returns the response to the POST.
pub async fn login_with(
    app: &TestApp,
    client: &reqwest::Client,
    username: &str,
    password: &str,
) -> reqwest::Response {
    submit(
        app,
        client,
        "/login",
        "/login",
        &[("username", username), ("password", password)],
    )
    .await
}
