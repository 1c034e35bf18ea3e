//! Shared fixture and checks for the fuzz targets in `fuzz_targets/`.
//!
//! The fixture is built once per fuzzing process: a throw-away data dir (deleted at exit) with a
//! migrated SQLite store, one signing key per algorithm, three registered clients, settings for
//! an http and an https issuer, and a few valid tokens to mutate.

use latchkey::config::{Settings, Sources};
use latchkey::crypto::keys::{Alg, KeyRing};
use latchkey::crypto::random;
use latchkey::domain::{
    ClientId, CodeChallenge, CodeVerifier, Email, GrantType, RedirectUri, ScopeSet, Username,
    check_password,
};
use latchkey::oidc::error::ErrorCode;
use latchkey::oidc::params::Params;
use latchkey::oidc::signing_keys;
use latchkey::oidc::tokens::{self, AccessClaims, IdClaims};
use latchkey::store::{Store, clients};
use serde_json::Map;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The clock every target runs at.
pub const NOW: i64 = 1_700_000_000;
/// The confidential client's secret.
pub const SECRET: &str = "fuzz-secret-0123456789";
pub const PUBLIC_CLIENT: &str = "fuzz-public";
pub const CONFIDENTIAL_CLIENT: &str = "fuzz-conf";
/// Registered redirect URIs of the public client (with a query, loopback http, a native scheme).
pub const REDIRECTS: &[&str] = &[
    "https://app.example/cb",
    "https://app.example/cb?x=1",
    "http://127.0.0.1:8080/cb",
    "com.example.app:/oauth",
];

pub struct Fixture {
    pub store: Store,
    pub ring: KeyRing,
    pub settings: Settings,
    pub https_settings: Settings,
    /// Valid tokens we issued: ID tokens (typ JWT) and access tokens (typ at+jwt), every alg.
    pub tokens: Vec<String>,
}

static DIR: OnceLock<PathBuf> = OnceLock::new();

extern "C" fn remove_data_dir() {
    if let Some(d) = DIR.get() {
        let _ = std::fs::remove_dir_all(d);
    }
}

unsafe extern "C" {
    fn atexit(cb: extern "C" fn()) -> std::os::raw::c_int;
}

pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(build)
}

fn build() -> Fixture {
    let dir = tempfile::Builder::new()
        .prefix("latchkey-fuzz-")
        .tempdir()
        .expect("temp dir")
        .keep();
    DIR.set(dir.clone()).expect("fixture built once");
    // SAFETY: registering a plain `extern "C" fn()` with libc's atexit has no preconditions.
    unsafe {
        atexit(remove_data_dir);
    }
    let empty = dir.join("latchkey.toml");
    std::fs::write(&empty, "").expect("write empty config");
    let load = |issuer: &str| {
        Settings::load(&Sources {
            config_file: Some(empty.clone()),
            env: vec![],
            flags: vec![
                ("issuer", issuer.to_owned()),
                ("data_dir", dir.display().to_string()),
            ],
        })
        .expect("fuzz settings are valid")
    };
    let settings = load("http://localhost:8080");
    let https_settings = load("https://login.example");
    let store = Store::open(&dir.join("latchkey.db")).expect("open store");
    let ring = store
        .write(|c| -> Result<KeyRing, signing_keys::KeyError> {
            signing_keys::ensure_keys(c, NOW)?;
            signing_keys::load_ring(c, NOW, 3600)
        })
        .expect("keys");
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let redirects = s(REDIRECTS);
    let logout = s(&["https://app.example/signed-out"]);
    let user_scopes = s(&["openid", "profile", "email", "offline_access"]);
    let conf_scopes = s(&["openid", "profile", "email", "offline_access", "api:read"]);
    let code_grants = s(&["authorization_code", "refresh_token"]);
    let all_grants = s(&["authorization_code", "refresh_token", "client_credentials"]);
    let secret_hash = random::hash_token(SECRET);
    store
        .write(|c| -> latchkey::store::Result<()> {
            clients::insert_client(
                c,
                &clients::NewClient {
                    client_id: PUBLIC_CLIENT,
                    name: "Fuzz public",
                    secret_hash: None,
                    grant_types: &code_grants,
                    scopes: &user_scopes,
                    skip_consent: false,
                    require_pkce: true,
                    id_token_alg: "RS256",
                    backchannel_logout_uri: None,
                    redirect_uris: &redirects,
                    post_logout_redirect_uris: &logout,
                },
                NOW,
            )?;
            clients::insert_client(
                c,
                &clients::NewClient {
                    client_id: CONFIDENTIAL_CLIENT,
                    name: "Fuzz confidential",
                    secret_hash: Some(&secret_hash),
                    grant_types: &all_grants,
                    scopes: &conf_scopes,
                    skip_consent: true,
                    require_pkce: false,
                    id_token_alg: "ES256",
                    backchannel_logout_uri: None,
                    redirect_uris: &redirects[..1],
                    post_logout_redirect_uris: &logout,
                },
                NOW,
            )?;
            Ok(())
        })
        .expect("insert clients");

    let mut toks = Vec::new();
    for alg in Alg::ALL {
        let id = IdClaims {
            sub: "sub-alice".into(),
            aud: PUBLIC_CLIENT.into(),
            auth_time: NOW - 10,
            nonce: Some("n-0S6_WzA2Mj".into()),
            amr: vec!["pwd".into()],
            sid: Some("sid-1".into()),
            extra: Map::new(),
        };
        toks.push(tokens::sign_id_token(&ring, &settings, alg, NOW, &id, None).expect("id token"));
        let mut s = settings.clone();
        s.access_token_alg = alg;
        let at = AccessClaims::new(&s, NOW, "sub-alice", PUBLIC_CLIENT, "openid email");
        toks.push(tokens::sign_access_token(&ring, &s, &at).expect("access token"));
    }
    Fixture {
        store,
        ring,
        settings,
        https_settings,
        tokens: toks,
    }
}

/// An OAuth error description must be safe to put in a JSON string or a header (RFC 6749).
pub fn check_description(code: ErrorCode, description: &str) {
    assert!(
        description
            .chars()
            .all(|c| c == ' ' || c == '!' || ('#'..='[').contains(&c) || (']'..='~').contains(&c)),
        "{} description has characters RFC 6749 forbids: {description:?}",
        code.as_str()
    );
}

/// Every domain parser on one string: never panics, and what it accepts keeps its promises.
pub fn check_domain(s: &str) {
    if let Ok(v) = ClientId::parse(s) {
        assert_eq!(v.as_str(), s);
        assert!((1..=128).contains(&s.len()), "client id length: {s:?}");
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_~".contains(&b))
        );
    }
    if let Ok(v) = Username::parse(s) {
        assert_eq!(v.as_str(), s);
        assert!((1..=64).contains(&s.len()));
        assert!(s.is_ascii() && !s.contains(char::is_whitespace));
    }
    if let Ok(v) = Email::parse(s) {
        assert_eq!(v.as_str(), s);
        assert!(s.contains('@') && s.len() <= 254);
        assert!(!s.chars().any(|c| c.is_whitespace() || c.is_control()));
    }
    if let Ok(v) = RedirectUri::parse(s) {
        assert_eq!(v.as_str(), s);
        assert!(
            !s.contains('#'),
            "redirect URI with a fragment accepted: {s:?}"
        );
        let u = url::Url::parse(s).expect("an accepted redirect URI is a URL");
        assert!(u.username().is_empty() && u.password().is_none());
        if u.scheme() == "http" {
            assert!(
                matches!(u.host_str(), Some("localhost" | "[::1]"))
                    || u.host_str().is_some_and(|h| h.starts_with("127.")),
                "plain http to a non-loopback host accepted: {s:?}"
            );
        }
    }
    if let Ok(set) = ScopeSet::parse(s) {
        let shown = set.to_string();
        let again = ScopeSet::parse(&shown).expect("a displayed scope set parses");
        assert_eq!(again, set, "scope set display is not canonical for {s:?}");
        assert_eq!(again.to_string(), shown);
    }
    if let Ok(v) = CodeVerifier::parse(s) {
        assert!((43..=128).contains(&s.len()));
        let _ = v;
    }
    if let Ok(c) = CodeChallenge::parse(s) {
        assert_eq!(c.as_str().len(), 43);
        if let Ok(v) = CodeVerifier::parse(s) {
            // A challenge is a hash; a string equal to its own hash would be a SHA-256 fixpoint.
            assert!(
                !c.matches(&v),
                "verifier matches itself as a challenge: {s:?}"
            );
        }
    }
    if let Ok(g) = GrantType::parse(s) {
        assert_eq!(g.as_str(), s);
    }
    let _ = check_password(s);
}

/// A CSP source expression for an origin (CSP 3 `host-source` / `scheme-source`). Anything else
/// in a `form-action` list rewrites the policy: `;` ends the directive, `,` starts another
/// policy, `'` quotes a keyword.
pub fn is_csp_source(origin: &str) -> bool {
    let scheme_ok = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
    };
    if let Some(scheme) = origin.strip_suffix(':') {
        return scheme_ok(scheme);
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    let (host, port) = if rest.starts_with('[') {
        match rest.find(']') {
            Some(end) => (&rest[..=end], rest[end + 1..].strip_prefix(':')),
            None => return false,
        }
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if rest.len() > host.len() && port.is_none() {
        return false;
    }
    let host_ok = if let Some(ip6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !ip6.is_empty()
            && ip6
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        // (a fully qualified name may end in a dot)
        let host = host.strip_suffix('.').unwrap_or(host);
        !host.is_empty()
            && host
                .split('.')
                .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    };
    scheme_ok(scheme)
        && host_ok
        && port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// The origin of an accepted redirect URI goes into the CSP `form-action` of the login and
/// consent pages, so it must be a CSP source expression.
pub fn check_redirect_origin(s: &str) {
    if RedirectUri::parse(s).is_ok()
        && let Some(origin) = latchkey::web::headers::origin_of(s)
    {
        assert!(
            is_csp_source(&origin),
            "redirect URI {s:?} accepted; its origin {origin:?} is no CSP source expression"
        );
    }
}

/// Params never holds an empty value and agrees with itself about repeats.
pub fn check_params(p: &Params, keys: &[&str]) {
    for k in keys {
        if let Some(v) = p.get(k) {
            assert!(!v.is_empty(), "empty value kept for {k}");
        }
        if p.is_repeated(k) {
            assert!(p.get(k).is_some(), "{k} repeated but absent");
            assert!(p.first_repeated().is_some());
        }
    }
    if p.first_repeated().is_none() {
        assert!(keys.iter().all(|k| !p.is_repeated(k)));
    }
}

/// Parameter names the endpoints read.
pub const KEYS: &[&str] = &[
    "client_id",
    "client_secret",
    "redirect_uri",
    "response_type",
    "response_mode",
    "scope",
    "state",
    "nonce",
    "prompt",
    "max_age",
    "login_hint",
    "id_token_hint",
    "claims",
    "code_challenge",
    "code_challenge_method",
    "code_verifier",
    "code",
    "grant_type",
    "refresh_token",
    "token",
    "token_type_hint",
    "post_logout_redirect_uri",
    "username",
    "password",
    "csrf",
    "decision",
    "request",
    "request_uri",
];
