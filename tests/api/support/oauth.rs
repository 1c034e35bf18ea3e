//! The protocol side: authorization requests, token requests, and assertions on OAuth
//! responses and errors.

use crate::support::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Response;
use serde_json::Value;

pub const STATE: &str = "af0ifjsldkj";

pub const NONCE: &str = "n-0S6_WzA2Mj";

/// An authorization request: code flow, scope `openid`, state, nonce and S256 PKCE by default.
#[derive(Clone, Debug)]
pub struct AuthReq {
    pub params: Vec<(String, String)>,
    pub verifier: String,
}

impl AuthReq {
    pub fn new(client_id: &str) -> Self {
        let (verifier, challenge) = pkce_pair();
        let params = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "openid"),
            ("state", STATE),
            ("nonce", NONCE),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Self { params, verifier }
    }

    /// Replace the value of `key` (or add it).
    pub fn set(mut self, key: &str, value: &str) -> Self {
        match self.params.iter_mut().find(|(k, _)| k == key) {
            Some(p) => p.1 = value.to_owned(),
            None => self.params.push((key.to_owned(), value.to_owned())),
        }
        self
    }

    /// Apply several [`AuthReq::set`]s.
    pub fn with(self, extra: &[(&str, &str)]) -> Self {
        extra.iter().fold(self, |r, (k, v)| r.set(k, v))
    }

    /// Leave `key` out.
    pub fn unset(mut self, key: &str) -> Self {
        self.params.retain(|(k, _)| k != key);
        self
    }

    /// Send `key` once more (a repeated parameter).
    pub fn add(mut self, key: &str, value: &str) -> Self {
        self.params.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn query(&self) -> String {
        serde_urlencoded::to_string(&self.params).expect("encode query")
    }

    pub fn url(&self, app: &TestApp) -> String {
        app.url(&format!("/authorize?{}", self.query()))
    }
}

/// Alice signs in through `client_id` (default request plus `extra`); returns (code, verifier).
pub async fn get_code(app: &TestApp, client_id: &str, extra: &[(&str, &str)]) -> (String, String) {
    let req = AuthReq::new(client_id).with(extra);
    let j = authorize_as(app, &req.url(app), "alice").await;
    assert!(
        j.callback.starts_with(REDIRECT_URI),
        "callback goes to the client: {}",
        j.callback
    );
    assert_eq!(j.param("error"), None, "no error in {}", j.callback);
    (j.code(), req.verifier)
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, RFC 6749 §2.3.1.
pub fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

/// POST a form to an endpoint of the app, optionally with HTTP Basic client credentials.
pub async fn post_form(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    basic_auth: Option<(&str, &str)>,
) -> Response {
    let mut rb = reqwest::Client::new()
        .post(app.url(path))
        .header("Accept", "application/json")
        .form(form);
    if let Some((id, secret)) = basic_auth {
        rb = rb.header("Authorization", basic(id, secret));
    }
    rb.send()
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e}"))
}

/// POST /token.
pub async fn token_request(
    app: &TestApp,
    form: &[(&str, &str)],
    basic_auth: Option<(&str, &str)>,
) -> Response {
    post_form(app, "/token", form, basic_auth).await
}

/// Redeem a code: Basic auth when `secret` is given, else `client_id` in the body (public client).
pub async fn redeem(
    app: &TestApp,
    client_id: &str,
    secret: Option<&str>,
    code: &str,
    verifier: Option<&str>,
) -> Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    match secret {
        Some(s) => token_request(app, &form, Some((client_id, s))).await,
        None => {
            form.push(("client_id", client_id));
            token_request(app, &form, None).await
        }
    }
}

/// Like [`redeem`], expecting success; returns the token response.
pub async fn exchange(
    app: &TestApp,
    client_id: &str,
    secret: Option<&str>,
    code: &str,
    verifier: Option<&str>,
) -> Value {
    let res = redeem(app, client_id, secret, code, verifier).await;
    token_ok(res).await
}

/// Alice signs in through `client_id` and the code is exchanged; returns the token response.
pub async fn tokens(
    app: &TestApp,
    client_id: &str,
    secret: Option<&str>,
    extra: &[(&str, &str)],
) -> Value {
    let (code, verifier) = get_code(app, client_id, extra).await;
    exchange(app, client_id, secret, &code, Some(&verifier)).await
}

/// grant_type=refresh_token with Basic client auth.
pub async fn refresh(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    refresh_token: &str,
    scope: Option<&str>,
) -> Response {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    token_request(app, &form, Some((client_id, secret))).await
}

/// A successful token response: 200, JSON, no-store; returns the body.
pub async fn token_ok(res: Response) -> Value {
    let status = res.status();
    assert_no_store(&res);
    let body: Value = res.json().await.expect("token response is JSON");
    assert_eq!(status, 200, "token request failed: {body}");
    assert!(body.get("error").is_none(), "{body}");
    body
}

pub fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string {key} in {v}"))
}

pub fn assert_no_store(res: &Response) {
    let cc = header(res, "cache-control").unwrap_or_default();
    assert!(
        cc.contains("no-store"),
        "Cache-Control must contain no-store, got {cc:?}"
    );
}

pub fn header(res: &Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().expect("header is text").to_owned())
}

/// RFC 6749 §5.2: exactly `status`, JSON, no-store, `error` = `code`, a clean description.
pub async fn assert_oauth_error(res: Response, status: u16, code: &str) -> Value {
    let got = res.status();
    assert_no_store(&res);
    let ct = header(&res, "content-type").unwrap_or_default();
    let body: Value = res.json().await.expect("error body is JSON");
    assert_eq!(got, status, "status for {body}");
    assert!(ct.starts_with("application/json"), "Content-Type {ct:?}");
    assert_eq!(body["error"], code, "error code in {body}");
    if let Some(d) = body.get("error_description") {
        assert_clean_description(d.as_str().expect("error_description is a string"));
    }
    body
}

/// RFC 6749: error_description uses only %x20-21 / %x23-5B / %x5D-7E (no `"`, no `\`).
pub fn assert_clean_description(d: &str) {
    assert!(
        d.bytes().all(|b| b == 0x20
            || b == 0x21
            || (0x23..=0x5B).contains(&b)
            || (0x5D..=0x7E).contains(&b)),
        "error_description has forbidden characters: {d:?}"
    );
}

/// An error page for a person: 400, HTML, and no redirect anywhere.
pub async fn assert_error_page(res: Response) -> String {
    let status = res.status();
    assert!(
        res.headers().get("location").is_none(),
        "must not redirect: {:?}",
        res.headers().get("location")
    );
    assert_eq!(status, 400, "error page status");
    let ct = header(&res, "content-type").unwrap_or_default();
    assert!(
        ct.starts_with("text/html"),
        "error page is HTML, got {ct:?}"
    );
    let body = res.text().await.expect("page body");
    assert!(
        !body.contains(REDIRECT_URI),
        "the page must not link to the redirect_uri: {body}"
    );
    body
}

/// An error sent back to the client in the query: 302 to `REDIRECT_URI` with `error` = `code`,
/// `state` echoed (or absent), `iss` = the issuer, no `code`, a clean description and only
/// the parameters an error response may carry. Returns the Location.
pub fn assert_redirect_error(
    app: &TestApp,
    res: &Response,
    code: &str,
    state: Option<&str>,
) -> String {
    assert_eq!(res.status(), 302, "expected a redirect to the client");
    let loc = location(res);
    assert_callback_error(app, &loc, code, state);
    loc
}

/// The checks of [`assert_redirect_error`] on a callback URL.
pub fn assert_callback_error(app: &TestApp, loc: &str, code: &str, state: Option<&str>) {
    assert!(
        loc.starts_with(&format!("{REDIRECT_URI}?")),
        "goes to the registered redirect_uri: {loc}"
    );
    assert_eq!(
        query_param(loc, "error").as_deref(),
        Some(code),
        "error in {loc}"
    );
    assert_eq!(
        query_param(loc, "state").as_deref(),
        state,
        "state in {loc}"
    );
    assert_eq!(
        query_param(loc, "iss").as_deref(),
        Some(app.settings.issuer.as_str()),
        "iss in {loc}"
    );
    assert_eq!(
        query_param(loc, "code"),
        None,
        "no code in an error response: {loc}"
    );
    if let Some(d) = query_param(loc, "error_description") {
        assert_clean_description(&d);
    }
    let url = url::Url::parse(loc).expect("callback URL");
    assert!(url.fragment().is_none(), "nothing in the fragment: {loc}");
    for (k, _) in url.query_pairs() {
        assert!(
            ["error", "error_description", "error_uri", "state", "iss"].contains(&k.as_ref()),
            "unexpected parameter {k} in an error response: {loc}"
        );
    }
}

/// GET /userinfo with `Authorization: Bearer <token>`.
pub async fn userinfo(app: &TestApp, access_token: &str) -> Response {
    reqwest::Client::new()
        .get(app.url("/userinfo"))
        .header("Authorization", format!("Bearer {access_token}"))
        .send()
        .await
        .expect("GET /userinfo")
}

/// Shannon entropy of a string, in bits (bits per character times length), as the
/// conformance suite measures tokens.
pub fn shannon_bits(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = s.chars().count() as f64;
    let per_char: f64 = counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum();
    per_char * n
}

/// True for a base64url string without padding.
pub fn is_base64url(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The HTTP client an `openidconnect` relying party uses (no redirects followed).
pub fn http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// POST /introspect as `app`: 200, no-store, JSON; returns the body.
pub async fn introspect(app: &TestApp, secret: &str, token: &str) -> Value {
    let res = post_form(
        app,
        "/introspect",
        &[("token", token)],
        Some(("app", secret)),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_no_store(&res);
    let ct = header(&res, "content-type").unwrap_or_default();
    assert!(ct.starts_with("application/json"), "{ct}");
    res.json().await.unwrap()
}

/// Like [`assert_oauth_error`] for a status, any error code; returns the body.
pub async fn assert_oauth_error_any(res: reqwest::Response, status: u16) -> Value {
    let got = res.status();
    assert_no_store(&res);
    let body: Value = res.json().await.expect("JSON error");
    assert_eq!(got, status, "{body}");
    assert!(body["error"].is_string(), "{body}");
    if let Some(d) = body["error_description"].as_str() {
        assert_clean_description(d);
    }
    body
}
