//! A browser without JavaScript: drives latchkey's login and consent pages with a cookie jar,
//! and sets up a server whose issuer is its real address (what a relying party needs).

use crate::helpers::{TestApp, spawn_app_with};
use latchkey::config::Settings;
use latchkey::crypto::{password, random};
use latchkey::store::{clients, users};
use reqwest::Response;
use reqwest::header::LOCATION;

pub const PASSWORD: &str = "correct horse battery staple";
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/cb";

/// A free port on loopback (bound, read, released).
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

/// A server whose issuer is `http://127.0.0.1:PORT`, with user alice and nothing else.
pub async fn spawn_oidc_app() -> TestApp {
    spawn_oidc_app_with(|_| {}).await
}

pub async fn spawn_oidc_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let port = free_port();
    let app = spawn_app_with(|s| {
        s.bind = format!("127.0.0.1:{port}").parse().expect("bind");
        s.issuer = format!("http://127.0.0.1:{port}");
        configure(s);
    })
    .await;
    add_user(&app, "alice", "alice@example.com", Some("Alice Example"));
    app
}

pub fn add_user(app: &TestApp, username: &str, email: &str, name: Option<&str>) -> users::User {
    let hash = password::hash(PASSWORD).expect("hash");
    let subject = uuid::Uuid::new_v4().to_string();
    app.store
        .write(|c| {
            users::insert_user(
                c,
                &users::NewUser {
                    subject: &subject,
                    username,
                    email,
                    email_verified: true,
                    name,
                    password_hash: &hash,
                    is_admin: false,
                },
                1_700_000_000,
            )
        })
        .expect("insert user")
}

/// How a test client is registered.
#[derive(Clone)]
pub struct ClientSpec {
    pub client_id: &'static str,
    pub public: bool,
    pub skip_consent: bool,
    pub require_pkce: bool,
    pub grant_types: &'static [&'static str],
    pub scopes: &'static [&'static str],
    pub redirect_uris: Vec<String>,
    pub id_token_alg: &'static str,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
}

impl Default for ClientSpec {
    fn default() -> Self {
        Self {
            client_id: "app",
            public: false,
            skip_consent: false,
            require_pkce: true,
            grant_types: &["authorization_code", "refresh_token"],
            scopes: &["openid", "profile", "email", "offline_access"],
            redirect_uris: vec![REDIRECT_URI.to_owned()],
            id_token_alg: "RS256",
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
        }
    }
}

/// Register a client; returns its secret (None for public clients).
pub fn add_client(app: &TestApp, spec: &ClientSpec) -> Option<String> {
    let secret = (!spec.public).then(random::token);
    let hash = secret.as_deref().map(random::hash_token);
    let grant_types: Vec<String> = spec.grant_types.iter().map(|s| s.to_string()).collect();
    let scopes: Vec<String> = spec.scopes.iter().map(|s| s.to_string()).collect();
    app.store
        .write(|c| {
            clients::insert_client(
                c,
                &clients::NewClient {
                    client_id: spec.client_id,
                    name: &format!("The {} app", spec.client_id),
                    secret_hash: hash.as_deref(),
                    grant_types: &grant_types,
                    scopes: &scopes,
                    skip_consent: spec.skip_consent,
                    require_pkce: spec.public || spec.require_pkce,
                    id_token_alg: spec.id_token_alg,
                    backchannel_logout_uri: spec.backchannel_logout_uri.as_deref(),
                    redirect_uris: &spec.redirect_uris,
                    post_logout_redirect_uris: &spec.post_logout_redirect_uris,
                },
                1_700_000_000,
            )
        })
        .expect("insert client");
    secret
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
    if let Some(req) = hidden(&html, "req") {
        form.push(("req", req));
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
