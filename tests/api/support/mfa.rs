//! Second factors from the browser's side: RFC 6238 codes computed here (HMAC-SHA-1 from the
//! hmac and sha1 crates, not the server's totp-rs), reading setup and recovery-code pages, and
//! driving a sign-in through the second-factor page.

use crate::support::*;
use hmac::{Hmac, Mac};
use reqwest::Response;

/// The 6-digit RFC 6238 code of a base32 secret at Unix time `t` (SHA-1, 30-second steps).
pub fn totp_code(secret_b32: &str, t: i64) -> String {
    let key = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, secret_b32)
        .expect("the shown secret is base32");
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(&key).expect("any key length");
    mac.update(&((t / 30) as u64).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = (h[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[off] & 0x7f, h[off + 1], h[off + 2], h[off + 3]]);
    format!("{:06}", bin % 1_000_000)
}

/// The text between `start` and the next `end` in `html`.
pub fn between(html: &str, start: &str, end: &str) -> Option<String> {
    let from = html.find(start)? + start.len();
    let to = html[from..].find(end)?;
    Some(html[from..from + to].to_owned())
}

/// The key a setup page shows for typing by hand.
pub fn shown_secret(html: &str) -> String {
    between(html, "<code class=\"secret\">", "</code>").expect("a setup page shows the key")
}

/// The recovery codes a page shows (once).
pub fn shown_recovery_codes(html: &str) -> Vec<String> {
    html.split("<li><code>")
        .skip(1)
        .filter_map(|s| s.split("</code>").next())
        .map(str::to_owned)
        .collect()
}

/// POST a setup form (on the page `html`, at `action`) with `code`.
async fn confirm_setup(app: &TestApp, html: &str, action: &str, code: &str) -> Response {
    let mut form = vec![
        ("csrf_token", hidden(html, "csrf_token").expect("csrf")),
        ("enrolment", hidden(html, "enrolment").expect("enrolment")),
        ("code", code.to_owned()),
    ];
    for k in ["req", "next"] {
        if let Some(v) = hidden(html, k) {
            form.push((k, v));
        }
    }
    app.client
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .expect("POST setup")
}

/// Set up an authenticator app on the account page of the signed-in browser, with a code for
/// time `now`. Returns the secret and the recovery codes shown.
pub async fn set_up_totp(app: &TestApp, now: i64) -> (String, Vec<String>) {
    let page = browse(app, "/account/totp").await;
    assert_eq!(page.status(), 200, "the setup page");
    let html = page.text().await.unwrap();
    assert!(html.contains("<svg role=\"img\""), "an inline QR code");
    let secret = shown_secret(&html);
    let res = confirm_setup(app, &html, "/account/totp", &totp_code(&secret, now)).await;
    assert_eq!(res.status(), 200, "the app is set up");
    let codes = shown_recovery_codes(&res.text().await.unwrap());
    assert_eq!(codes.len(), 10, "ten recovery codes");
    (secret, codes)
}

/// Type `code` on the second-factor page at `path` (a `/login/second-factor?...` path).
pub async fn submit_code(app: &TestApp, path: &str, code: &str) -> Response {
    let page = browse(app, path).await;
    assert_eq!(page.status(), 200, "the second-factor page at {path}");
    let html = page.text().await.unwrap();
    let mut form = vec![
        ("csrf_token", hidden(&html, "csrf_token").expect("csrf")),
        ("code", code.to_owned()),
    ];
    for k in ["req", "next"] {
        if let Some(v) = hidden(&html, k) {
            form.push((k, v));
        }
    }
    app.client
        .post(app.url("/login/second-factor"))
        .form(&form)
        .send()
        .await
        .expect("POST /login/second-factor")
}

/// Set up an authenticator app on the sign-in path's setup page (at `path`) with a code for
/// `now`; returns (secret, the page with the recovery codes).
pub async fn set_up_at_sign_in(app: &TestApp, path: &str, now: i64) -> (String, String) {
    let page = browse(app, path).await;
    assert_eq!(page.status(), 200, "the setup page at {path}");
    let html = page.text().await.unwrap();
    let secret = shown_secret(&html);
    let res = confirm_setup(app, &html, "/login/second-factor", &totp_code(&secret, now)).await;
    assert_eq!(res.status(), 200, "set up");
    (secret, res.text().await.unwrap())
}

/// Like `drive`, typing `code()` on the second-factor page whenever it comes.
pub async fn drive_with_code(
    app: &TestApp,
    mut res: Response,
    username: &str,
    code: &mut (dyn FnMut() -> String + Send),
) -> Journey {
    let mut visited = Vec::new();
    for _ in 0..10 {
        if !res.status().is_redirection() {
            let status = res.status();
            panic!(
                "expected a redirect, got {status} {}",
                res.text().await.unwrap_or_default()
            );
        }
        let loc = location(&res);
        if !loc.starts_with('/') {
            return Journey {
                callback: loc,
                visited,
            };
        }
        visited.push(loc.clone());
        res = if loc.starts_with("/login/second-factor") {
            submit_code(app, &loc, &code()).await
        } else if loc.starts_with("/login") {
            submit_login(app, &loc, username, PASSWORD).await
        } else if loc.starts_with("/consent") {
            submit_consent(app, &loc, "allow").await
        } else {
            browse(app, &loc).await
        };
    }
    panic!("too many redirects");
}
