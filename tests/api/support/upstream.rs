//! Signing in with an upstream provider, for real: a second latchkey (issuer
//! `http://localhost:PORT`) is the OpenID provider of the one under test (issuer
//! `http://127.0.0.1:PORT`; cookies ignore ports, so the two hosts keep them apart), a browser
//! that walks both, and a stand-in for GitHub's OAuth and user API.

use crate::support::*;
use latchkey::config::{LinkRule, Upstream, UpstreamKind};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use tempfile::TempDir;

/// The upstream latchkey, the one under test (with one `[[upstream]]` table, id `up`), and
/// its app `app` (confidential, consent asked).
pub struct Pair {
    pub up: TestApp,
    pub down: TestApp,
    /// The downstream app's client secret.
    pub secret: String,
    /// Holds the client secret file.
    pub _secrets: TempDir,
}

pub const UPSTREAM_ID: &str = "up";
pub const UPSTREAM_NAME: &str = "Upstream Co";

/// A client secret file with mode 0600 in `dir`.
pub fn secret_file(dir: &Path, name: &str, secret: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, format!("{secret}\n")).expect("write the secret file");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    path
}

/// An `[[upstream]]` table as `latchkey.toml` would give it, with the documented defaults.
pub fn upstream_table(id: &str, kind: UpstreamKind, issuer: &str, secret_file: &Path) -> Upstream {
    let scopes: &[&str] = match kind {
        UpstreamKind::Oidc => &["openid", "email", "profile"],
        UpstreamKind::GitHub { .. } => &["read:user", "user:email"],
    };
    Upstream {
        id: id.into(),
        name: UPSTREAM_NAME.into(),
        kind,
        issuer: issuer.into(),
        client_id: "downstream".into(),
        client_secret_file: secret_file.to_owned(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        link: LinkRule::Manual,
        create_users: false,
        allowed_email_domains: vec![],
        groups_claim: None,
    }
}

/// Start the upstream latchkey and the one under test, `configure` adjusting its upstream.
pub async fn spawn_pair(configure: impl FnOnce(&mut Upstream)) -> Pair {
    spawn_pair_at(Arc::new(latchkey::clock::SystemClock), configure).await
}

/// [`spawn_pair`] with the downstream's clock (a `FixedClock` the test moves, say).
pub async fn spawn_pair_at(
    clock: Arc<dyn latchkey::clock::Clock>,
    configure: impl FnOnce(&mut Upstream),
) -> Pair {
    spawn_pair_via(clock, None, configure).await
}

/// [`spawn_pair`] with the upstream behind `proxy`: its issuer is the proxy's address, so the
/// browser and the downstream reach it only through the proxy.
pub async fn spawn_pair_behind(proxy: &Proxy, configure: impl FnOnce(&mut Upstream)) -> Pair {
    spawn_pair_via(
        Arc::new(latchkey::clock::SystemClock),
        Some(proxy),
        configure,
    )
    .await
}

async fn spawn_pair_via(
    clock: Arc<dyn latchkey::clock::Clock>,
    proxy: Option<&Proxy>,
    configure: impl FnOnce(&mut Upstream),
) -> Pair {
    let down_port = free_port();
    let up_port = free_port();
    let public_port = proxy.map_or(up_port, |p| p.port);
    let up = spawn_app_with(|s| {
        s.bind = format!("127.0.0.1:{up_port}").parse().expect("bind");
        s.issuer = format!("http://localhost:{public_port}");
    })
    .await;
    if let Some(p) = proxy {
        p.set_target(&up.address);
    }
    let callback = format!("http://127.0.0.1:{down_port}/upstream/{UPSTREAM_ID}/callback");
    let up_secret = add_client(
        &up,
        &ClientSpec {
            client_id: "downstream",
            redirect_uris: vec![callback],
            scopes: &["openid", "profile", "email", "groups"],
            ..Default::default()
        },
    )
    .expect("a confidential client");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = secret_file(dir.path(), "up.secret", &up_secret);
    let mut table = upstream_table(UPSTREAM_ID, UpstreamKind::Oidc, &up.settings.issuer, &file);
    configure(&mut table);
    let down = spawn_app_with_clock(
        |s| {
            s.bind = format!("127.0.0.1:{down_port}").parse().expect("bind");
            s.issuer = format!("http://127.0.0.1:{down_port}");
            s.upstreams = vec![table];
        },
        clock,
    )
    .await;
    let secret = add_client(&down, &federated_app_spec()).expect("a confidential client");
    Pair {
        up,
        down,
        secret,
        _secrets: dir,
    }
}

/// The downstream's app: confidential, consent asked, allowed the `groups` scope.
pub fn federated_app_spec() -> ClientSpec {
    ClientSpec {
        scopes: &["openid", "profile", "email", "groups", "offline_access"],
        ..Default::default()
    }
}

/// Add a user with a chosen email verification state (password [`PASSWORD`]).
pub fn add_user_verified(app: &TestApp, username: &str, email: &str, verified: bool) {
    let hash = latchkey::crypto::password::hash(PASSWORD).expect("hash");
    let subject = uuid::Uuid::new_v4().to_string();
    app.store
        .write(|c| {
            latchkey::store::users::insert_user(
                c,
                &latchkey::store::users::NewUser {
                    subject: &subject,
                    username,
                    email,
                    email_verified: verified,
                    name: None,
                    password_hash: &hash,
                    is_admin: false,
                },
                1_700_000_000,
            )
        })
        .expect("insert user");
}

/// Where a walk through both servers stopped.
#[derive(Debug)]
pub enum Stop {
    /// Leaving for the downstream app with this URL (code or error).
    Client(String),
    /// A page that is not a redirect: status, URL and body.
    Page(u16, String, String),
}

impl Stop {
    pub fn callback(&self) -> &str {
        match self {
            Stop::Client(url) => url,
            Stop::Page(status, url, body) => {
                panic!("expected to leave for the app, stopped at {status} {url}: {body}")
            }
        }
    }

    pub fn page(&self) -> (u16, &str, &str) {
        match self {
            Stop::Page(status, url, body) => (*status, url, body),
            Stop::Client(url) => panic!("expected a page, left for the app: {url}"),
        }
    }
}

/// How the walk answers what it meets.
pub struct Walk<'a> {
    /// Who signs in at the upstream.
    pub upstream_user: &'a str,
    /// `allow` or `deny` on the upstream's consent page.
    pub upstream_consent: &'a str,
    /// A code for the downstream's second-factor page.
    pub code: Option<Box<dyn FnMut() -> String + Send + 'a>>,
    /// Stop (as if leaving for the app) at a URL starting with this: a callback to replay.
    pub stop_at: Option<String>,
}

impl<'a> Walk<'a> {
    pub fn as_user(user: &'a str) -> Self {
        Walk {
            upstream_user: user,
            upstream_consent: "allow",
            code: None,
            stop_at: None,
        }
    }
}

/// A page's HTML with the escapes a themed (minijinja) page uses undone: `&#x2f;` for `/`,
/// `&amp;`, `&#x3d;`. (Another test may install a theme for the whole test process.)
pub fn unescaped(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&amp;", "&")
}

/// The `href` of the "Sign in with ..." link on a login page.
pub fn upstream_link(html: &str) -> Option<String> {
    let html = unescaped(html);
    let start = html.find("href=\"/upstream/")? + "href=\"".len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

pub async fn submit(
    browser: &reqwest::Client,
    page_url: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = browser
        .get(page_url)
        .send()
        .await
        .expect("GET a form page")
        .text()
        .await
        .expect("form html");
    let mut form: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for k in ["csrf_token", "req", "next", "t"] {
        if let Some(v) = hidden(&html, k) {
            form.push((k.to_owned(), v));
        }
    }
    let target = url::Url::parse(page_url)
        .and_then(|u| u.join(action))
        .expect("form action URL");
    browser
        .post(target)
        .form(&form)
        .send()
        .await
        .expect("POST a form")
}

/// Follow both servers' redirects from `start` with `browser`: on the downstream's login page
/// take the upstream's button, sign in at the upstream, answer both consent pages, type a
/// second-factor code when asked, until the browser leaves for the app or stops at a page.
pub async fn walk(
    down: &TestApp,
    up_base: &str,
    browser: &reqwest::Client,
    start: &str,
    w: &mut Walk<'_>,
) -> Stop {
    let res = browser.get(start).send().await.expect("GET");
    walk_from(down, up_base, browser, start, res, w).await
}

/// [`walk`] from a response the browser got at `url`.
pub async fn walk_from(
    down: &TestApp,
    up_base: &str,
    browser: &reqwest::Client,
    url: &str,
    mut res: reqwest::Response,
    w: &mut Walk<'_>,
) -> Stop {
    let mut url = url.to_owned();
    for _ in 0..20 {
        if !res.status().is_redirection() {
            let status = res.status().as_u16();
            let body = res.text().await.unwrap_or_default();
            return Stop::Page(status, url, body);
        }
        let loc = url::Url::parse(&url)
            .and_then(|u| u.join(&location(&res)))
            .expect("Location resolves")
            .to_string();
        if loc.starts_with(REDIRECT_URI) || w.stop_at.as_deref().is_some_and(|p| loc.starts_with(p))
        {
            return Stop::Client(loc);
        }
        url = loc.clone();
        let on_up = loc.starts_with(&format!("{up_base}/"));
        let path = &loc[loc.find("://").map_or(0, |i| i + 3)..];
        let path = &path[path.find('/').unwrap_or(path.len())..];
        let login_page = path == "/login" || path.starts_with("/login?");
        res = if on_up && login_page {
            let user = w.upstream_user;
            submit(
                browser,
                &loc,
                "/login",
                &[("username", user), ("password", PASSWORD)],
            )
            .await
        } else if on_up && path.starts_with("/consent") {
            let d = w.upstream_consent;
            submit(browser, &loc, "/consent", &[("decision", d)]).await
        } else if !on_up && path.starts_with("/login/second-factor") {
            let code = (w.code.as_mut().expect("a second factor was asked for"))();
            submit(browser, &loc, "/login/second-factor", &[("code", &code)]).await
        } else if !on_up && path.starts_with("/login") {
            let html = browser
                .get(&loc)
                .send()
                .await
                .expect("GET")
                .text()
                .await
                .unwrap();
            let href = upstream_link(&html).expect("the login page offers the upstream");
            url = down.url(&href);
            browser.get(&url).send().await.expect("GET start")
        } else if !on_up && path.starts_with("/consent") {
            submit(browser, &loc, "/consent", &[("decision", "allow")]).await
        } else {
            browser.get(&loc).send().await.expect("GET")
        };
    }
    panic!("too many redirects");
}

/// An authorization request of the downstream app, walked through the upstream; returns the
/// walk's end and the request's PKCE verifier.
pub async fn sign_in_through(
    pair: &Pair,
    browser: &reqwest::Client,
    w: &mut Walk<'_>,
) -> (Stop, String) {
    authorize_through(&pair.down, &pair.up.settings.issuer, browser, w).await
}

/// [`sign_in_through`] for any provider at `up_base`.
pub async fn authorize_through(
    down: &TestApp,
    up_base: &str,
    browser: &reqwest::Client,
    w: &mut Walk<'_>,
) -> (Stop, String) {
    let req = AuthReq::new("app").set("scope", "openid email profile groups");
    let stop = walk(down, up_base, browser, &req.url(down), w).await;
    (stop, req.verifier)
}

/// Redeem the code of a finished walk at `down` (app `app` with `secret`); returns the ID
/// token's claims.
pub async fn id_token_at(down: &TestApp, secret: &str, stop: &Stop, verifier: &str) -> Value {
    let code = query_param(stop.callback(), "code")
        .unwrap_or_else(|| panic!("no code in {}", stop.callback()));
    let tokens = exchange(down, "app", Some(secret), &code, Some(verifier)).await;
    jwt_claims(tokens["id_token"].as_str().expect("an ID token"))
}

/// [`id_token_at`] the pair's downstream.
pub async fn id_token_of(pair: &Pair, stop: &Stop, verifier: &str) -> Value {
    id_token_at(&pair.down, &pair.secret, stop, verifier).await
}

/// The upstream user's `sub` (their subject at the upstream).
pub fn upstream_sub(pair: &Pair, username: &str) -> String {
    pair.up
        .store
        .read(|c| latchkey::store::users::get_user_by_username(c, username))
        .expect("upstream user")
        .subject
}
