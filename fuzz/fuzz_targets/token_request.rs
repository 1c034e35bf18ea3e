//! Token request parsing: `Params::parse` of the body + `oidc::client_auth::extract` with an
//! arbitrary Authorization header, a Basic-credentials round trip, and the whole token
//! endpoint logic (`oidc::token::handle`) against the fixture's store.
#![no_main]

use arbitrary::Arbitrary;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use latchkey::oidc::client_auth::{self, AuthMethod};
use latchkey::oidc::error::ErrorCode;
use latchkey::oidc::params::Params;
use latchkey::oidc::token;
use latchkey_fuzz::{
    CONFIDENTIAL_CLIENT, KEYS, NOW, SECRET, check_description, check_params, fixture, form,
};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input<'a> {
    authorization: Option<&'a str>,
    body: &'a str,
    /// Selects a body prefix that authenticates a client.
    prefix: u8,
    id: &'a str,
    secret: &'a str,
}

const PREFIXES: &[&str] = &[
    "",
    "client_id=fuzz-public&",
    "client_id=fuzz-conf&client_secret=fuzz-secret-0123456789&",
    "grant_type=client_credentials&client_id=fuzz-conf&client_secret=fuzz-secret-0123456789&",
    "grant_type=authorization_code&client_id=fuzz-public&redirect_uri=https://app.example/cb&",
];

fuzz_target!(|input: Input<'_>| {
    let f = fixture();
    let body = format!(
        "{}{}",
        PREFIXES[input.prefix as usize % PREFIXES.len()],
        input.body
    );
    let p = Params::parse(&body);
    check_params(&p, KEYS);

    match client_auth::extract(input.authorization, &p) {
        Ok(creds) => {
            assert!(!creds.client_id.is_empty(), "empty client_id accepted");
            assert_eq!(
                creds.method == AuthMethod::Basic,
                input.authorization.is_some()
            );
            if creds.method != AuthMethod::Basic {
                assert_eq!(Some(creds.client_id.as_str()), p.get("client_id"));
                assert_eq!(creds.secret.as_deref(), p.get("client_secret"));
            }
        }
        Err(e) => {
            assert!(matches!(
                e.code,
                ErrorCode::InvalidRequest | ErrorCode::InvalidClient
            ));
            check_description(e.code, e.description());
        }
    }

    // client_secret_basic round trip (RFC 6749 §2.3.1): whatever id and secret are encoded
    // is what comes out.
    let header = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", form(input.id), form(input.secret)))
    );
    let decoded = client_auth::extract(Some(&header), &Params::default());
    if input.id.is_empty() {
        assert!(decoded.is_err());
    } else {
        let creds = decoded.expect("well-formed Basic credentials are accepted");
        assert_eq!(creds.client_id, input.id);
        assert_eq!(creds.secret.as_deref(), Some(input.secret));
        let authenticated = f
            .store
            .read(|c| Ok(client_auth::authenticate(c, &creds)))
            .expect("store read");
        let right = input.id == CONFIDENTIAL_CLIENT && input.secret == SECRET;
        assert_eq!(authenticated.is_ok(), right, "{creds:?}");
    }

    // The token endpoint never answers a request with a server error.
    match token::handle(&f.store, &f.ring, &f.settings, NOW, input.authorization, &p) {
        Ok(resp) => {
            assert_eq!(resp.token_type, "Bearer");
            assert!(resp.expires_in > 0);
        }
        Err(e) => {
            assert_ne!(e.code, ErrorCode::ServerError, "server error: {e}");
            check_description(e.code, e.description());
        }
    }
});
