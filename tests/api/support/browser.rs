//! A browser without JavaScript: drives latchkey's login and consent pages with a cookie jar,
//! follows its redirects, and reads pages, cookies and Location headers.

use crate::support::*;
use reqwest::Response;
use reqwest::header::LOCATION;

/// A browser without a session, cookies or redirects.
pub fn fresh_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("build HTTP client")
}

/// An HTTP client without cookie jar or redirects, for setting `Cookie` headers by hand.
pub fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("build HTTP client")
}

pub fn location(res: &Response) -> String {
    res.headers()
        .get(LOCATION)
        .unwrap_or_else(|| panic!("no Location header on {}", res.status()))
        .to_str()
        .expect("Location is text")
        .to_owned()
}

/// A query parameter of a URL.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The value of the hidden input `name` in an HTML page.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// GET a URL with the app's browser (absolute, or a path on the app).
pub async fn browse(app: &TestApp, url: &str) -> Response {
    let url = if url.starts_with('/') {
        app.url(url)
    } else {
        url.to_owned()
    };
    app.client.get(&url).send().await.expect("GET")
}

/// Submit the login form on the page at `login_path` (a `/login?req=...` path).
pub async fn submit_login(
    app: &TestApp,
    login_path: &str,
    username: &str,
    password: &str,
) -> Response {
    let page = browse(app, login_path).await;
    assert_eq!(page.status(), 200, "login page");
    let html = page.text().await.expect("login html");
    let csrf = hidden(&html, "csrf_token").expect("csrf token on the login page");
    let mut form = vec![
        ("username", username.to_owned()),
        ("password", password.to_owned()),
        ("csrf_token", csrf),
    ];
    // As a browser would: the hidden fields that say where to go afterwards.
    for k in ["req", "next"] {
        if let Some(v) = hidden(&html, k) {
            form.push((k, v));
        }
    }
    app.client
        .post(app.url("/login"))
        .form(&form)
        .send()
        .await
        .expect("POST /login")
}

/// One sign-in on the bare login page in `browser` (its own cookies), sending `headers` with the
/// POST (e.g. `X-Forwarded-For` from a trusted proxy); returns (status, Retry-After).
pub async fn login_attempt(
    app: &TestApp,
    browser: &reqwest::Client,
    headers: &[(&str, &str)],
    username: &str,
    password: &str,
) -> (u16, Option<String>) {
    let html = browser
        .get(app.url("/login"))
        .send()
        .await
        .expect("GET /login")
        .text()
        .await
        .expect("login html");
    let csrf = hidden(&html, "csrf_token").expect("csrf token on the login page");
    let mut req = browser.post(app.url("/login")).form(&[
        ("username", username),
        ("password", password),
        ("csrf_token", &csrf),
    ]);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = req.send().await.expect("POST /login");
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("Retry-After is text").to_owned());
    (res.status().as_u16(), retry)
}

/// Press a consent button on the page at `consent_path`.
pub async fn submit_consent(app: &TestApp, consent_path: &str, decision: &str) -> Response {
    let page = browse(app, consent_path).await;
    assert_eq!(page.status(), 200, "consent page");
    let html = page.text().await.expect("consent html");
    let csrf = hidden(&html, "csrf_token").expect("csrf on consent page");
    let req = hidden(&html, "req").expect("req on consent page");
    app.client
        .post(app.url("/consent"))
        .form(&[
            ("decision", decision.to_owned()),
            ("csrf_token", csrf),
            ("req", req),
        ])
        .send()
        .await
        .expect("POST /consent")
}

/// Follow latchkey's own redirects from an /authorize URL, signing in as alice and allowing
/// consent when asked, until the answer leaves for the client. Returns that final URL.
pub async fn authorize_as_alice(app: &TestApp, authorize_url: &str) -> String {
    let mut res = browse(app, authorize_url).await;
    for _ in 0..8 {
        if !res.status().is_redirection() {
            panic!(
                "expected a redirect, got {} {}",
                res.status(),
                res.text().await.unwrap_or_default()
            );
        }
        let loc = location(&res);
        if !loc.starts_with('/') {
            return loc;
        }
        res = if loc.starts_with("/login") {
            submit_login(app, &loc, "alice", PASSWORD).await
        } else if loc.starts_with("/consent") {
            submit_consent(app, &loc, "allow").await
        } else {
            browse(app, &loc).await
        };
    }
    panic!("too many redirects");
}

/// Where a browser ended up: the URL that leaves for the client, and latchkey's own
/// pages it passed on the way (paths such as `/login?req=...`, `/consent?req=...`).
#[derive(Debug)]
pub struct Journey {
    pub callback: String,
    pub visited: Vec<String>,
}

impl Journey {
    pub fn saw(&self, page: &str) -> bool {
        self.visited.iter().any(|p| p.starts_with(page))
    }
    pub fn param(&self, name: &str) -> Option<String> {
        query_param(&self.callback, name)
    }
    pub fn code(&self) -> String {
        self.param("code")
            .unwrap_or_else(|| panic!("no code in the callback {}", self.callback))
    }
}

/// Follow latchkey's redirects from `res`, signing in as `username` and allowing consent when
/// asked, until the answer leaves for the client.
pub async fn drive(app: &TestApp, res: Response, username: &str) -> Journey {
    drive_with_code(app, res, username, &mut || {
        panic!("a second factor was asked for; use drive_with_code")
    })
    .await
}

/// Start at an /authorize URL with the app's browser, as `username`.
pub async fn authorize_as(app: &TestApp, url: &str, username: &str) -> Journey {
    let res = browse(app, url).await;
    drive(app, res, username).await
}

/// Every `Set-Cookie` header of a response.
pub fn set_cookies(res: &Response) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("Set-Cookie is text").to_owned())
        .collect()
}

/// The value a response sets for cookie `name`, if it sets one.
pub fn cookie_value(res: &Response, name: &str) -> Option<String> {
    set_cookies(res).iter().find_map(|c| {
        let first = c.split(';').next()?;
        let (k, v) = first.split_once('=')?;
        (k.trim() == name).then(|| v.trim().to_owned())
    })
}

/// Sign in on the bare login page (no pending request); returns the new session cookie value.
pub async fn sign_in(app: &TestApp, username: &str) -> String {
    let res = submit_login(app, "/login", username, PASSWORD).await;
    assert_eq!(res.status(), 303, "login succeeds");
    cookie_value(&res, "latchkey_session").expect("a session cookie")
}

/// Follow latchkey's redirects (signing in as `username`) until an answer that is not one of
/// our redirects: the client's callback or a page.
pub async fn run_until_answer(app: &TestApp, url: &str, username: &str) -> Response {
    let mut res = browse(app, url).await;
    for _ in 0..8 {
        if !res.status().is_redirection() {
            return res;
        }
        let loc = location(&res);
        if !loc.starts_with('/') {
            return res;
        }
        res = if loc.starts_with("/login") {
            submit_login(app, &loc, username, PASSWORD).await
        } else {
            browse(app, &loc).await
        };
    }
    panic!("too many redirects");
}
