//! Shared fixture and checks for the fuzz targets in `fuzz_targets/`.
//!
//! The fixture is built once per fuzzing process: a throw-away data dir (deleted at exit) with a
//! migrated SQLite store, one signing key per algorithm, three registered clients, settings for
//! an http and an https issuer, and a few valid tokens to mutate.

mod predicates;
pub use predicates::*;

use latchkey::config::{Settings, Sources};
use latchkey::crypto::keys::{Alg, KeyRing};
use latchkey::crypto::random;
use latchkey::oidc::error::ErrorCode;
use latchkey::oidc::signing_keys;
use latchkey::oidc::signed_tokens::{self as tokens, AccessClaims, IdClaims};
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
                    web_origins: &[],
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
                    web_origins: &[],
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
            acr: "urn:latchkey:acr:pwd".into(),
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
        description_is_safe(description),
        "{} description has characters RFC 6749 forbids: {description:?}",
        code.as_str()
    );
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
