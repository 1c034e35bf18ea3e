//! Issue 5, security hardening (OAuth 2.0 Security BCP, RFC 9700, and the JWT pitfalls of
//! RFC 8725): one or more attacking tests per rule, named `rule_N_...` after the rule they attack,
//! each showing the attack fail against the running server over HTTP.
//!
//! Rules 9 (throttling), 14 (automatic rotation), 16 (audit log), 17 (fuzzing) and 18 (doctor)
//! have suites of their own. Several rules are also covered under other names in
//! authorize_rules.rs, token_rules.rs, userinfo_rules.rs, login_consent.rs, revoke_introspect.rs
//! and logout.rs; the tests here are the attacker's view, one rule at a time.

use crate::support::*;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use josekit::jws::{JwsAlgorithm, JwsSigner, JwsVerifier};
use latchkey::clock::{Clock, FixedClock, SystemClock};
use latchkey::config::Settings;
use latchkey::crypto::keys::{Alg, KeyMaterial, KeyRing};
use latchkey::crypto::{jwt, random};
use latchkey::store::{Store, clients, consents, keys, sessions, users};
use reqwest::Response;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A registered post-logout redirect URI of `app`.
const POST_LOGOUT: &str = "http://127.0.0.1:9/after-logout";

/// A second registered redirect URI of `app`, with a host name (for case and userinfo tricks).
const SECOND_REDIRECT: &str = "https://app.example/cb";

/// The redirect URI of the client `other`, on another origin than `app`'s.
const OTHER_REDIRECT: &str = "https://other.example/cb";

/// An HTML payload that also breaks out of an attribute value.
const XSS: &str = "\"'><script>alert(1)</script>";

const IMG_XSS: &str = "<img src=x onerror=alert(1)>";

const NEW_PASSWORD: &str = "a completely new passphrase 42";

fn unix_now() -> i64 {
    SystemClock.now()
}

/// A server with user alice whose clock the test moves, after `configure` adjusted the settings.
async fn spawn_at(clock: &FixedClock, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let port = free_port();
    let clock: Arc<dyn Clock> = Arc::new(clock.clone());
    let app = spawn_app_with_clock(
        |s| {
            s.bind = format!("127.0.0.1:{port}").parse().expect("bind");
            s.issuer = format!("http://127.0.0.1:{port}");
            configure(s);
        },
        clock,
    )
    .await;
    add_user(&app, "alice", "alice@example.com", Some("Alice Example"));
    app
}

/// The client most attacks target: confidential `app`, no consent screen, two redirect URIs
/// and a post-logout redirect URI.
fn app_spec() -> ClientSpec {
    ClientSpec {
        skip_consent: true,
        redirect_uris: vec![REDIRECT_URI.to_owned(), SECOND_REDIRECT.to_owned()],
        post_logout_redirect_uris: vec![POST_LOGOUT.to_owned()],
        ..Default::default()
    }
}

/// Another confidential client with the same redirect URI: the attacker's own registration.
fn other_spec() -> ClientSpec {
    ClientSpec {
        client_id: "other",
        skip_consent: true,
        ..Default::default()
    }
}

/// A client registered with a display name of the test's choosing.
fn add_client_named(app: &TestApp, spec: &ClientSpec, name: &str) -> String {
    let secret = random::token();
    let hash = random::hash_token(&secret);
    let grant_types: Vec<String> = spec.grant_types.iter().map(|s| s.to_string()).collect();
    let scopes: Vec<String> = spec.scopes.iter().map(|s| s.to_string()).collect();
    app.store
        .write(|c| {
            clients::insert_client(
                c,
                &clients::NewClient {
                    client_id: spec.client_id,
                    name,
                    secret_hash: Some(&hash),
                    grant_types: &grant_types,
                    scopes: &scopes,
                    skip_consent: spec.skip_consent,
                    require_pkce: true,
                    id_token_alg: "RS256",
                    backchannel_logout_uri: None,
                    redirect_uris: &spec.redirect_uris,
                    post_logout_redirect_uris: &spec.post_logout_redirect_uris,
                },
                1_700_000_000,
            )
        })
        .expect("insert client");
    secret
}

/// True when alice's browser (the app's cookie jar) still has a live session at `app`.
async fn signed_in(app: &TestApp) -> bool {
    let res = browse(app, &AuthReq::new("app").set("prompt", "none").url(app)).await;
    assert_eq!(res.status(), 302, "prompt=none answers the client");
    let loc = location(&res);
    match query_param(&loc, "error").as_deref() {
        None => {
            assert!(query_param(&loc, "code").is_some(), "{loc}");
            true
        }
        Some("login_required") => false,
        Some(other) => panic!("unexpected error {other} in {loc}"),
    }
}

/// GET /account with only the session cookie `name=value`: true when that session is alive.
async fn session_alive(app: &TestApp, name: &str, value: &str) -> bool {
    let res = plain_client()
        .get(app.url("/account"))
        .header("Cookie", format!("{name}={value}"))
        .send()
        .await
        .expect("GET /account");
    match res.status().as_u16() {
        200 => true,
        303 => {
            assert!(location(&res).starts_with("/login"), "{}", location(&res));
            false
        }
        s => panic!("GET /account answered {s}"),
    }
}

/// Every key the server signs and verifies with, read from its database.
fn key_materials(app: &TestApp) -> Vec<KeyMaterial> {
    app.store
        .read(|c| keys::list_keys(c, 0))
        .expect("read the signing keys")
}

/// The server's newest active key for `alg` (private part included).
fn our_key(app: &TestApp, alg: Alg) -> KeyMaterial {
    key_materials(app)
        .into_iter()
        .rfind(|k| k.alg == alg && k.retired_at.is_none())
        .unwrap_or_else(|| panic!("no active {alg:?} key"))
}

/// Sign `claims` with the server's own RS256 key through latchkey's own signer, so only what the
/// test changed in the claims (or `typ`) is wrong. Claims of the wrong JSON type, which that
/// signer refuses to write, are signed by hand with the same key and header.
fn mint(app: &TestApp, typ: &str, claims: &Value) -> String {
    let ring = KeyRing::load(&key_materials(app)).expect("load our keys");
    let map = claims.as_object().expect("claims are an object").clone();
    match jwt::sign(&ring, Alg::RS256, typ, map) {
        Ok(token) => token,
        Err(_) => {
            let key = our_key(app, Alg::RS256);
            let signer = josekit::jws::RS256
                .signer_from_pem(&key.private_pem)
                .expect("our RS256 key");
            let header = json!({ "alg": "RS256", "kid": key.kid, "typ": typ });
            compact(&header, claims, Some(&signer))
        }
    }
}

/// `claims` with `changes` applied; a `Null` removes the claim.
fn with_claims(claims: &Value, changes: &[(&str, Value)]) -> Value {
    let mut out = claims.clone();
    let map = out.as_object_mut().expect("claims are an object");
    for (k, v) in changes {
        if v.is_null() {
            map.remove(*k);
        } else {
            map.insert((*k).to_owned(), v.clone());
        }
    }
    out
}

/// A JWS in compact form with exactly this header, signed over `header.payload` by `signer`
/// (no signer: an empty signature).
fn compact(header: &Value, claims: &Value, signer: Option<&dyn JwsSigner>) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let sig = signer
        .map(|s| s.sign(input.as_bytes()).expect("sign"))
        .unwrap_or_default();
    format!("{input}.{}", b64(sig))
}

/// `header` with `typ` added unless it already has one.
fn typed(header: &Value, typ: &str) -> Value {
    let mut h = header.clone();
    let map = h.as_object_mut().expect("header is an object");
    if !map.contains_key("typ") {
        map.insert("typ".into(), typ.into());
    }
    h
}

/// A server where alice is signed in (the app's cookie jar holds her session) and holds the
/// tokens `app` got for her: every place that accepts a token, ready to be attacked.
struct Victim {
    app: TestApp,
    secret: String,
    access: String,
    id: String,
    rs_kid: String,
}

impl Victim {
    fn access_claims(&self) -> Value {
        jwt_claims(&self.access)
    }

    /// The access token's claims with a fresh `jti`.
    fn fresh_access_claims(&self) -> Value {
        with_claims(&self.access_claims(), &[("jti", random::token().into())])
    }

    fn id_claims(&self) -> Value {
        jwt_claims(&self.id)
    }

    /// Forge an access token and an ID token with `header` (the right `typ` added unless it has
    /// one) over the genuine claims, signed by `signer`, and show that nothing accepts them.
    async fn refused_everywhere(&self, what: &str, header: Value, signer: Option<&dyn JwsSigner>) {
        let at = compact(&typed(&header, "at+jwt"), &self.access_claims(), signer);
        self.refused_as_access_token(what, &at).await;
        let idt = compact(&typed(&header, "JWT"), &self.id_claims(), signer);
        self.refused_as_id_token_hint(what, &idt).await;
    }

    /// userinfo: 401 invalid_token; introspection: exactly `{"active": false}`.
    async fn refused_as_access_token(&self, what: &str, token: &str) {
        let res = userinfo(&self.app, token).await;
        let status = res.status();
        let challenge = header(&res, "www-authenticate").unwrap_or_default();
        let body = res.text().await.unwrap_or_default();
        assert_eq!(status, 401, "{what}: userinfo must refuse it, got {body}");
        assert!(
            challenge.contains("invalid_token"),
            "{what}: a Bearer invalid_token challenge, got {challenge:?}"
        );
        assert_eq!(
            introspect(&self.app, &self.secret, token).await,
            json!({ "active": false }),
            "{what}: introspection must call it inactive"
        );
    }

    /// As id_token_hint: /authorize with prompt=none answers invalid_request (no code), /logout
    /// (GET and POST) shows an error page and never redirects.
    async fn refused_as_id_token_hint(&self, what: &str, token: &str) {
        self.refused_at_authorize(what, token).await;
        self.refused_at_logout(what, token, &[]).await;
    }

    async fn refused_at_authorize(&self, what: &str, token: &str) {
        let app = &self.app;
        let url = AuthReq::new("app")
            .set("prompt", "none")
            .set("id_token_hint", token)
            .url(app);
        let res = browse(app, &url).await;
        assert!(
            res.status() == 302 && query_param(&location(&res), "error").is_some(),
            "{what}: /authorize must refuse the hint, got {} {:?}",
            res.status(),
            res.headers().get("location")
        );
        assert_redirect_error(app, &res, "invalid_request", Some(STATE));
    }

    /// /logout with the hint (and `extra` parameters), by GET and by POST: an error page.
    async fn refused_at_logout(&self, what: &str, token: &str, extra: &[(&str, &str)]) {
        let app = &self.app;
        let mut form = vec![
            ("id_token_hint", token),
            ("post_logout_redirect_uri", POST_LOGOUT),
            ("state", "s"),
        ];
        form.extend_from_slice(extra);
        let get = browse(
            app,
            &format!("/logout?{}", serde_urlencoded::to_string(&form).unwrap()),
        )
        .await;
        let post = app
            .client
            .post(app.url("/logout"))
            .form(&form)
            .send()
            .await
            .expect("POST /logout");
        for (method, res) in [("GET", get), ("POST", post)] {
            assert_eq!(res.status(), 400, "{what}: {method} /logout must refuse it");
            assert!(
                res.headers().get("location").is_none(),
                "{what}: {method} /logout must not redirect"
            );
        }
    }

    /// The genuine tokens still work and alice is still signed in: the attacks changed nothing.
    async fn unharmed(&self) {
        let res = userinfo(&self.app, &self.access).await;
        assert_eq!(res.status(), 200, "the genuine access token still works");
        assert!(signed_in(&self.app).await, "alice is still signed in");
    }
}

async fn victim() -> Victim {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).expect("a confidential client");
    add_client(&app, &other_spec());
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid profile email")],
    )
    .await;
    let access = str_of(&t, "access_token").to_owned();
    let id = str_of(&t, "id_token").to_owned();
    let (ah, ih) = (jwt_header(&access), jwt_header(&id));
    assert_eq!(ah["alg"], "RS256");
    assert_eq!(ih["alg"], "RS256");
    assert_eq!(ah["kid"], ih["kid"]);
    let rs_kid = ah["kid"].as_str().expect("kid").to_owned();
    let v = Victim {
        app,
        secret,
        access,
        id,
        rs_kid,
    };

    // Controls: the genuine tokens, copies re-signed by hand with our own key, and tokens minted
    // through latchkey's signer pass every check, so each refusal below is the attack's doing.
    let key = our_key(&v.app, Alg::RS256);
    let ours = josekit::jws::RS256
        .signer_from_pem(&key.private_pem)
        .expect("our RS256 key");
    let header = json!({ "alg": "RS256", "kid": v.rs_kid });
    let resigned_at = compact(
        &typed(&header, "at+jwt"),
        &v.fresh_access_claims(),
        Some(&ours),
    );
    let resigned_id = compact(&typed(&header, "JWT"), &v.id_claims(), Some(&ours));
    let minted_at = mint(&v.app, "at+jwt", &v.fresh_access_claims());
    let minted_id = mint(&v.app, "JWT", &v.id_claims());
    for at in [&v.access, &resigned_at, &minted_at] {
        assert_eq!(userinfo(&v.app, at).await.status(), 200, "control {at}");
        assert_eq!(
            introspect(&v.app, &v.secret, at).await["active"],
            true,
            "control"
        );
    }
    for idt in [&v.id, &resigned_id, &minted_id] {
        let url = AuthReq::new("app")
            .set("prompt", "none")
            .set("id_token_hint", idt)
            .url(&v.app);
        let loc = location(&browse(&v.app, &url).await);
        assert!(
            query_param(&loc, "code").is_some(),
            "control: a genuine hint is accepted: {loc}"
        );
    }
    v
}

// ---------------------------------------------------------------------------------------------
// Rule 1: algorithm pinning
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn rule_1_algorithm_pinning_rejects_alg_none() {
    let v = victim().await;
    for alg in ["none", "None", "NONE", "nOnE"] {
        v.refused_everywhere(
            &format!("alg {alg} with our kid"),
            json!({ "alg": alg, "kid": v.rs_kid }),
            None,
        )
        .await;
        v.refused_everywhere(
            &format!("alg {alg} without kid"),
            json!({ "alg": alg }),
            None,
        )
        .await;
    }
    // alg none in front of the genuine signature.
    let sig = v.access.rsplit('.').next().unwrap();
    let header = json!({ "alg": "none", "kid": v.rs_kid, "typ": "at+jwt" });
    let forged = format!(
        "{}.{}.{sig}",
        b64(header.to_string()),
        b64(v.access_claims().to_string())
    );
    v.refused_as_access_token("alg none with the genuine signature kept", &forged)
        .await;
    v.unharmed().await;
}

#[tokio::test]
async fn rule_1_algorithm_pinning_rejects_hs256_hs384_hs512_with_our_kid() {
    let v = victim().await;
    let keys: [(&str, Vec<u8>); 3] = [
        ("a random secret", random::token().repeat(2).into_bytes()),
        ("our kid as the secret", v.rs_kid.repeat(8).into_bytes()),
        ("a secret of zero bytes", vec![0u8; 64]),
    ];
    for alg in [
        josekit::jws::HS256,
        josekit::jws::HS384,
        josekit::jws::HS512,
    ] {
        for (label, key) in &keys {
            let signer = alg.signer_from_bytes(key).expect("HMAC signer");
            v.refused_everywhere(
                &format!("{} with our kid, keyed with {label}", alg.name()),
                json!({ "alg": alg.name(), "kid": v.rs_kid }),
                Some(&signer),
            )
            .await;
        }
    }
    v.unharmed().await;
}

/// DER: tag, length, content.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A DER INTEGER holding the unsigned big-endian `bytes`.
fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let mut content = Vec::new();
    if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
        content.push(0);
    }
    content.extend(trimmed);
    der(0x02, &content)
}

fn pem(label: &str, der: &[u8]) -> String {
    let b = STANDARD.encode(der);
    let lines: Vec<&str> = b
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// Our RSA public key as published in the JWKS, in every encoding an HMAC library might be fed
/// by a verifier that takes "the key" and lets the token's `alg` decide what to do with it.
/// Returns (what, bytes).
fn rsa_public_key_encodings(jwk: &Value) -> Vec<(String, Vec<u8>)> {
    let n = URL_SAFE_NO_PAD
        .decode(jwk["n"].as_str().expect("n"))
        .expect("n is base64url");
    let e = URL_SAFE_NO_PAD
        .decode(jwk["e"].as_str().expect("e"))
        .expect("e is base64url");
    let pkcs1 = der(0x30, &[der_uint(&n), der_uint(&e)].concat());
    // AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }
    let alg_id = der(
        0x30,
        &[
            der(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
            ),
            vec![0x05, 0x00],
        ]
        .concat(),
    );
    let mut bits = vec![0u8];
    bits.extend(&pkcs1);
    let spki = der(0x30, &[alg_id, der(0x03, &bits)].concat());
    let spki_pem = pem("PUBLIC KEY", &spki);
    let pkcs1_pem = pem("RSA PUBLIC KEY", &pkcs1);
    vec![
        ("PEM SubjectPublicKeyInfo".into(), spki_pem.clone().into()),
        (
            "PEM SubjectPublicKeyInfo without the last newline".into(),
            spki_pem.trim_end().into(),
        ),
        (
            "PEM SubjectPublicKeyInfo with CRLF line ends".into(),
            spki_pem.replace('\n', "\r\n").into(),
        ),
        ("PEM PKCS#1 RSAPublicKey".into(), pkcs1_pem.clone().into()),
        (
            "PEM PKCS#1 RSAPublicKey without the last newline".into(),
            pkcs1_pem.trim_end().into(),
        ),
        ("DER SubjectPublicKeyInfo".into(), spki),
        ("DER PKCS#1 RSAPublicKey".into(), pkcs1),
        ("the JWK as published".into(), jwk.to_string().into()),
        (
            "the JWK with n and e only".into(),
            json!({ "kty": "RSA", "n": jwk["n"], "e": jwk["e"] })
                .to_string()
                .into(),
        ),
        ("the modulus bytes".into(), n),
        (
            "the base64url modulus".into(),
            jwk["n"].as_str().unwrap().as_bytes().to_vec(),
        ),
    ]
}

#[tokio::test]
async fn rule_1_algorithm_pinning_rejects_hs256_signed_with_our_rsa_public_key() {
    let v = victim().await;
    // The attacker's view: our public key, from the JWKS over HTTP.
    let jwks: Value = v.app.get("/jwks").await.json().await.expect("JWKS");
    let jwk = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == v.rs_kid.as_str())
        .expect("our RS256 key is published")
        .clone();
    let encodings = rsa_public_key_encodings(&jwk);

    // The rebuilt PEMs really are our public key: they verify the genuine token.
    let (input, sig) = v.access.rsplit_once('.').unwrap();
    let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
    for (what, bytes) in encodings.iter().filter(|(w, _)| w.starts_with("PEM")) {
        let verifier = josekit::jws::RS256
            .verifier_from_pem(bytes)
            .unwrap_or_else(|e| panic!("{what} does not parse: {e}"));
        verifier
            .verify(input.as_bytes(), &sig)
            .unwrap_or_else(|e| panic!("{what} is not our key: {e}"));
    }

    // HS256 keyed with every encoding, with our kid and without one; HS384 and HS512 keyed with
    // the encodings libraries most often read keys from.
    for (what, secret) in &encodings {
        let signer = josekit::jws::HS256.signer_from_bytes(secret).expect("HMAC");
        v.refused_everywhere(
            &format!("HS256 keyed with {what}, our kid"),
            json!({ "alg": "HS256", "kid": v.rs_kid }),
            Some(&signer),
        )
        .await;
        v.refused_everywhere(
            &format!("HS256 keyed with {what}, no kid"),
            json!({ "alg": "HS256" }),
            Some(&signer),
        )
        .await;
    }
    let common = [
        "PEM SubjectPublicKeyInfo",
        "PEM PKCS#1 RSAPublicKey",
        "DER SubjectPublicKeyInfo",
    ];
    for alg in [josekit::jws::HS384, josekit::jws::HS512] {
        for (what, secret) in encodings
            .iter()
            .filter(|(w, _)| common.contains(&w.as_str()))
        {
            let signer = alg.signer_from_bytes(secret).expect("HMAC");
            v.refused_everywhere(
                &format!("{} keyed with {what}, our kid", alg.name()),
                json!({ "alg": alg.name(), "kid": v.rs_kid }),
                Some(&signer),
            )
            .await;
        }
    }
    v.unharmed().await;
}

/// A fresh RSA key of the attacker's: (signer, public JWK).
fn attacker_rsa_key() -> (Box<dyn JwsSigner>, Value) {
    let pair = josekit::jws::RS256
        .generate_key_pair(2048)
        .expect("generate an RSA key");
    let signer = josekit::jws::RS256
        .signer_from_pem(pair.to_pem_private_key())
        .expect("RSA signer");
    let jwk = Value::Object(pair.to_jwk_public_key().as_ref().clone());
    (Box::new(signer), jwk)
}

#[tokio::test]
async fn rule_1_algorithm_pinning_rejects_an_unknown_kid() {
    let v = victim().await;
    let (attacker, _) = attacker_rsa_key();
    let key = our_key(&v.app, Alg::RS256);
    let ours = josekit::jws::RS256
        .signer_from_pem(&key.private_pem)
        .unwrap();
    for kid in [
        json!("attacker-key"),
        json!(format!("{}x", v.rs_kid)),
        json!(v.rs_kid.to_uppercase()),
        json!("../../../../../../dev/null"),
        json!("' OR '1'='1"),
        json!(""),
        json!(0),
        Value::Null,
    ] {
        v.refused_everywhere(
            &format!("an attacker's RSA key under kid {kid}"),
            json!({ "alg": "RS256", "kid": kid }),
            Some(attacker.as_ref()),
        )
        .await;
        if kid != json!(v.rs_kid) {
            // Even our own key's signature does not make an unknown kid acceptable.
            v.refused_everywhere(
                &format!("our own RSA key under the unknown kid {kid}"),
                json!({ "alg": "RS256", "kid": kid }),
                Some(&ours),
            )
            .await;
        }
    }
    v.refused_everywhere(
        "our own RSA key, no kid at all",
        json!({ "alg": "RS256" }),
        Some(&ours),
    )
    .await;
    v.unharmed().await;
}

#[tokio::test]
async fn rule_1_algorithm_pinning_rejects_a_token_signed_by_another_rsa_key_under_our_kid() {
    let v = victim().await;
    let (attacker, _) = attacker_rsa_key();
    v.refused_everywhere(
        "an attacker's RSA key under our kid",
        json!({ "alg": "RS256", "kid": v.rs_kid }),
        Some(attacker.as_ref()),
    )
    .await;
    v.unharmed().await;
}

#[tokio::test]
async fn rule_1_algorithm_pinning_rejects_es256_or_eddsa_headers_naming_our_rs256_key() {
    let v = victim().await;
    // Signed with our own genuine ES256 and EdDSA keys: the signatures are valid for those keys,
    // but the kid names the RS256 key, whose algorithm is RS256 only.
    let es = our_key(&v.app, Alg::ES256);
    let ed = our_key(&v.app, Alg::EdDSA);
    let es_signer = josekit::jws::ES256
        .signer_from_pem(&es.private_pem)
        .unwrap();
    let ed_signer = josekit::jws::EdDSA
        .signer_from_pem(&ed.private_pem)
        .unwrap();
    v.refused_everywhere(
        "ES256 (our ES256 key) naming our RS256 kid",
        json!({ "alg": "ES256", "kid": v.rs_kid }),
        Some(&es_signer),
    )
    .await;
    v.refused_everywhere(
        "EdDSA (our Ed25519 key) naming our RS256 kid",
        json!({ "alg": "EdDSA", "kid": v.rs_kid }),
        Some(&ed_signer),
    )
    .await;
    // And the other way round: our RSA key's signature under the ES256 key's kid.
    let rs = our_key(&v.app, Alg::RS256);
    let rs_signer = josekit::jws::RS256
        .signer_from_pem(&rs.private_pem)
        .unwrap();
    v.refused_everywhere(
        "RS256 (our RSA key) naming our ES256 kid",
        json!({ "alg": "RS256", "kid": es.kid }),
        Some(&rs_signer),
    )
    .await;
    v.refused_everywhere(
        "ES256 header naming our ES256 kid but signed by our RSA key",
        json!({ "alg": "ES256", "kid": es.kid }),
        Some(&rs_signer),
    )
    .await;
    v.unharmed().await;
}

#[tokio::test]
async fn rule_1_algorithm_pinning_rejects_other_rsa_algorithms_signed_with_our_own_rsa_key() {
    let v = victim().await;
    let key = our_key(&v.app, Alg::RS256);
    let pem = key.private_pem.as_bytes();
    let rs384 = josekit::jws::RS384.signer_from_pem(pem).unwrap();
    let rs512 = josekit::jws::RS512.signer_from_pem(pem).unwrap();
    let mut jwk = josekit::jws::RS256
        .key_pair_from_pem(pem)
        .unwrap()
        .to_jwk_private_key();
    jwk.set_algorithm("PS256");
    let ps256 = josekit::jws::PS256
        .signer_from_jwk(&jwk)
        .expect("PS256 signer from our RSA key");
    let signers: [(&str, &dyn JwsSigner); 3] =
        [("RS384", &rs384), ("RS512", &rs512), ("PS256", &ps256)];
    for (alg, signer) in signers {
        v.refused_everywhere(
            &format!("{alg} signed with our own RSA key under its kid"),
            json!({ "alg": alg, "kid": v.rs_kid }),
            Some(signer),
        )
        .await;
    }
    v.unharmed().await;
}

#[tokio::test]
async fn rule_1_algorithm_pinning_ignores_keys_the_token_brings_along_in_jwk_jku_or_x5u() {
    let v = victim().await;
    let (attacker, attacker_jwk) = attacker_rsa_key();
    for header in [
        json!({ "alg": "RS256", "kid": v.rs_kid, "jwk": attacker_jwk }),
        json!({ "alg": "RS256", "jwk": attacker_jwk }),
        json!({ "alg": "RS256", "kid": v.rs_kid, "jku": "https://evil.example/jwks" }),
        json!({ "alg": "RS256", "kid": "evil", "jku": "https://evil.example/jwks" }),
        json!({ "alg": "RS256", "kid": v.rs_kid, "x5u": "https://evil.example/cert.pem" }),
    ] {
        v.refused_everywhere(
            &format!("an attacker's key announced in the header {header}"),
            header,
            Some(attacker.as_ref()),
        )
        .await;
    }
    v.unharmed().await;
}

// ---------------------------------------------------------------------------------------------
// Rule 2: claims
// ---------------------------------------------------------------------------------------------

/// Access tokens minted with our own key whose claims are wrong in one way each.
async fn minted_access_tokens_refused(v: &Victim, cases: Vec<(&str, Value)>) {
    for (what, claims) in cases {
        let token = mint(&v.app, "at+jwt", &claims);
        v.refused_as_access_token(what, &token).await;
    }
}

#[tokio::test]
async fn rule_2_claims_expired_access_tokens_are_refused() {
    let v = victim().await;
    let now = unix_now();
    let base = v.fresh_access_claims();
    minted_access_tokens_refused(
        &v,
        vec![
            (
                "expired an hour ago",
                with_claims(
                    &base,
                    &[("iat", (now - 4000).into()), ("exp", (now - 3600).into())],
                ),
            ),
            (
                "expired five seconds ago",
                with_claims(
                    &base,
                    &[("iat", (now - 600).into()), ("exp", (now - 5).into())],
                ),
            ),
            ("without exp", with_claims(&base, &[("exp", Value::Null)])),
            (
                "exp as a string",
                with_claims(&base, &[("exp", (now + 600).to_string().into())]),
            ),
        ],
    )
    .await;
    v.unharmed().await;
}

#[tokio::test]
async fn rule_2_claims_not_yet_valid_access_tokens_are_refused() {
    let v = victim().await;
    let now = unix_now();
    let base = v.fresh_access_claims();
    minted_access_tokens_refused(
        &v,
        vec![
            (
                "nbf in an hour",
                with_claims(&base, &[("nbf", (now + 3600).into())]),
            ),
            (
                "nbf in five minutes",
                with_claims(&base, &[("nbf", (now + 300).into())]),
            ),
        ],
    )
    .await;
    v.unharmed().await;
}

#[tokio::test]
async fn rule_2_claims_access_tokens_issued_in_the_future_are_refused() {
    let v = victim().await;
    let now = unix_now();
    let base = v.fresh_access_claims();
    minted_access_tokens_refused(
        &v,
        vec![
            (
                "iat in an hour",
                with_claims(
                    &base,
                    &[("iat", (now + 3600).into()), ("exp", (now + 4200).into())],
                ),
            ),
            (
                "iat in a year",
                with_claims(
                    &base,
                    &[
                        ("iat", (now + 365 * 86_400).into()),
                        ("exp", (now + 365 * 86_400 + 600).into()),
                    ],
                ),
            ),
            ("without iat", with_claims(&base, &[("iat", Value::Null)])),
        ],
    )
    .await;
    v.unharmed().await;
}

#[tokio::test]
async fn rule_2_claims_tokens_from_another_issuer_are_refused() {
    let v = victim().await;
    let issuer = v.app.settings.issuer.clone();
    let wrong = [
        json!("https://evil.example"),
        json!(format!("{issuer}/")),
        json!(issuer.to_uppercase()),
        json!([issuer]),
        Value::Null,
    ];
    for iss in &wrong {
        let at = mint(
            &v.app,
            "at+jwt",
            &with_claims(&v.fresh_access_claims(), &[("iss", iss.clone())]),
        );
        v.refused_as_access_token(&format!("an access token with iss {iss}"), &at)
            .await;
        let idt = mint(
            &v.app,
            "JWT",
            &with_claims(&v.id_claims(), &[("iss", iss.clone())]),
        );
        v.refused_as_id_token_hint(&format!("an ID token with iss {iss}"), &idt)
            .await;
    }
    v.unharmed().await;
}

#[tokio::test]
async fn rule_2_claims_access_tokens_for_another_audience_are_refused() {
    let v = victim().await;
    let userinfo_url = v.app.url("/userinfo");
    let issuer = v.app.settings.issuer.clone();
    let base = v.fresh_access_claims();
    assert_eq!(base["aud"], userinfo_url.as_str(), "what our tokens carry");
    for aud in [
        json!("app"),
        json!(["app"]),
        json!("https://evil.example/userinfo"),
        json!(format!("{userinfo_url}/")),
        json!(issuer),
        json!([]),
        Value::Null,
    ] {
        let at = mint(
            &v.app,
            "at+jwt",
            &with_claims(&base, &[("aud", aud.clone())]),
        );
        v.refused_as_access_token(&format!("an access token with aud {aud}"), &at)
            .await;
    }
    v.unharmed().await;
}

#[tokio::test]
async fn rule_2_claims_access_tokens_with_the_wrong_typ_are_refused() {
    let v = victim().await;
    for typ in [
        "JWT",
        "jwt",
        "application/jwt",
        "JOSE",
        "at+jwt2",
        "id+jwt",
        "",
    ] {
        let at = mint(&v.app, typ, &v.fresh_access_claims());
        v.refused_as_access_token(&format!("an access token with typ {typ:?}"), &at)
            .await;
    }
    // And no typ at all, signed by hand with our key.
    let key = our_key(&v.app, Alg::RS256);
    let ours = josekit::jws::RS256
        .signer_from_pem(&key.private_pem)
        .unwrap();
    let no_typ = compact(
        &json!({ "alg": "RS256", "kid": v.rs_kid }),
        &v.fresh_access_claims(),
        Some(&ours),
    );
    v.refused_as_access_token("an access token without typ", &no_typ)
        .await;
    v.unharmed().await;
}

#[tokio::test]
async fn rule_2_claims_an_id_token_is_never_accepted_as_an_access_token() {
    let v = victim().await;
    v.refused_as_access_token("the genuine ID token", &v.id)
        .await;
    // Even one with the access token's audience: its typ says it is an ID token.
    let aud = v.access_claims()["aud"].clone();
    let id_for_userinfo = mint(
        &v.app,
        "JWT",
        &with_claims(
            &v.id_claims(),
            &[("aud", aud), ("scope", "openid profile email".into())],
        ),
    );
    v.refused_as_access_token(
        "an ID token whose aud is the userinfo endpoint",
        &id_for_userinfo,
    )
    .await;
    v.unharmed().await;
}

#[tokio::test]
async fn rule_2_claims_an_access_token_is_never_accepted_as_an_id_token_hint() {
    let v = victim().await;
    v.refused_as_id_token_hint("the genuine access token", &v.access)
        .await;
    // Even with the ID token's audience: its typ says it is an access token.
    let at_for_app = mint(
        &v.app,
        "at+jwt",
        &with_claims(&v.fresh_access_claims(), &[("aud", "app".into())]),
    );
    v.refused_as_id_token_hint("an access token whose aud is the client", &at_for_app)
        .await;
    v.unharmed().await;
}

/// OIDC Core §3.1.2.1 lets an expired ID token be a hint, but it must still be one we issued
/// to the client that sends it: an ID token obtained by another client (or minted for one) is
/// not a hint for `app`.
#[tokio::test]
async fn rule_2_claims_an_id_token_hint_issued_to_another_client_is_refused_at_authorize() {
    let v = victim().await;
    let third_secret = add_client(
        &v.app,
        &ClientSpec {
            client_id: "third",
            skip_consent: true,
            ..Default::default()
        },
    )
    .expect("secret");
    let t = tokens(&v.app, "third", Some(&third_secret), &[]).await;
    let third_id = str_of(&t, "id_token").to_owned();
    assert_eq!(jwt_claims(&third_id)["aud"], "third");
    let minted = mint(
        &v.app,
        "JWT",
        &with_claims(&v.id_claims(), &[("aud", "evil-client".into())]),
    );
    let mut accepted = Vec::new();
    for (what, hint) in [
        ("a genuine ID token issued to the client `third`", &third_id),
        (
            "an ID token for the unknown audience `evil-client`",
            &minted,
        ),
    ] {
        let url = AuthReq::new("app")
            .set("prompt", "none")
            .set("id_token_hint", hint)
            .url(&v.app);
        let res = browse(&v.app, &url).await;
        assert_eq!(res.status(), 302, "{what}");
        let loc = location(&res);
        if query_param(&loc, "error").as_deref() != Some("invalid_request") {
            accepted.push(format!("{what} -> {loc}"));
        }
    }
    assert!(
        accepted.is_empty(),
        "/authorize?client_id=app accepted id_token_hints whose aud is not app:\n{}",
        accepted.join("\n")
    );
    v.unharmed().await;
}

/// At logout the hint's audience names the client asking: one that contradicts `client_id`,
/// or names no registered client, is refused (an error page, no redirect, still signed in).
#[tokio::test]
async fn rule_2_claims_logout_refuses_an_id_token_hint_for_another_or_unknown_audience() {
    let v = victim().await;
    let third_secret = add_client(
        &v.app,
        &ClientSpec {
            client_id: "third",
            skip_consent: true,
            ..Default::default()
        },
    )
    .expect("secret");
    let t = tokens(&v.app, "third", Some(&third_secret), &[]).await;
    let third_id = str_of(&t, "id_token").to_owned();
    v.refused_at_logout(
        "an ID token of another client while client_id names app",
        &third_id,
        &[("client_id", "app")],
    )
    .await;
    let minted = mint(
        &v.app,
        "JWT",
        &with_claims(&v.id_claims(), &[("aud", "evil-client".into())]),
    );
    v.refused_at_logout("an ID token for an unknown audience", &minted, &[])
        .await;
    v.unharmed().await;
}

// ---------------------------------------------------------------------------------------------
// Rule 3: redirects
// ---------------------------------------------------------------------------------------------

/// Near misses of `REDIRECT_URI` (`http://127.0.0.1:9/cb`) and `SECOND_REDIRECT`
/// (`https://app.example/cb`): none is registered, so none may be redirected to.
fn near_misses() -> Vec<String> {
    [
        // prefixes and suffixes
        "http://127.0.0.1:9/c",
        "http://127.0.0.1:9/",
        "http://127.0.0.1:9",
        "http://127.0.0.1:9/cbx",
        "http://127.0.0.1:9/cb/evil",
        "http://127.0.0.1:9/cb/../evil",
        "http://127.0.0.1:9//cb",
        "http://127.0.0.1:9/cb/",
        "https://app.example/cb/",
        "https://app.example/cb.evil.example",
        "https://app.example/cb;evil",
        // extra query or fragment
        "http://127.0.0.1:9/cb?",
        "http://127.0.0.1:9/cb?next=https://evil.example",
        "http://127.0.0.1:9/cb#",
        "http://127.0.0.1:9/cb#evil",
        "https://app.example/cb?x=1",
        "https://app.example/cb#x",
        // case changes
        "HTTP://127.0.0.1:9/cb",
        "http://127.0.0.1:9/CB",
        "https://APP.example/cb",
        "https://app.EXAMPLE/cb",
        "https://app.example/CB",
        "HTTPS://app.example/cb",
        // other spellings of the same place
        "http://127.0.0.1:09/cb",
        "http://localhost:9/cb",
        "http://2130706433:9/cb",
        "http://[::ffff:127.0.0.1]:9/cb",
        "https://app.example:443/cb",
        "https://app.example./cb",
        "https://app.example/./cb",
        "https://app.example/x/../cb",
        "http://app.example/cb",
        "//app.example/cb",
        "https:app.example/cb",
        "https:/app.example/cb",
        // userinfo tricks
        "http://127.0.0.1:9@evil.example/cb",
        "https://app.example@evil.example/cb",
        "https://evil.example@app.example/cb",
        "https://app.example%40evil.example/cb",
        "https://app.example\\@evil.example/cb",
        "https://app.example.evil.example/cb",
        "https://evil.example/cb?https://app.example/cb",
        "https://evil.example/https://app.example/cb",
        // percent-encoding variations
        "http://127.0.0.1:9/%63b",
        "http://127.0.0.1:9/c%62",
        "http://127.0.0.1:9/%63%62",
        "https://app.example/%63b",
        "https://app.example/cb%2F",
        "https://app.example/cb%2f",
        "https://app.example/cb%23",
        "https://app.example/cb%3F",
        "https://app.example/cb%00",
        "https://app.example/cb%20",
        "https%3A%2F%2Fapp.example%2Fcb",
        // whitespace and wildcards
        "https://app.example/cb ",
        " https://app.example/cb",
        "https://app.example/cb\t",
        "https://app.example/cb\n",
        "*",
        "https://*.example/cb",
        "https://app.example/*",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

#[tokio::test]
async fn rule_3_redirects_authorize_refuses_every_near_miss_of_a_registered_redirect_uri() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    // alice is signed in and the client skips consent: a wrongly accepted redirect_uri would
    // receive a code at once.
    tokens(&app, "app", Some(&secret), &[]).await;
    for uri in near_misses() {
        for method in ["GET", "POST"] {
            let req = AuthReq::new("app").set("redirect_uri", &uri);
            let res = match method {
                "GET" => browse(&app, &req.url(&app)).await,
                _ => app
                    .client
                    .post(app.url("/authorize"))
                    .form(&req.params)
                    .send()
                    .await
                    .unwrap(),
            };
            assert!(
                res.headers().get("location").is_none(),
                "{method} redirect_uri {uri:?} must not redirect, got {:?}",
                res.headers().get("location")
            );
            let body = assert_error_page(res).await;
            assert!(
                !body.contains("evil.example") && !body.contains("app.example"),
                "{uri:?}: the page must not echo the address: {body}"
            );
        }
    }
    // Controls: the registered URIs, exactly as registered, do get a code.
    for uri in [REDIRECT_URI, SECOND_REDIRECT] {
        let res = browse(
            &app,
            &AuthReq::new("app").set("redirect_uri", uri).url(&app),
        )
        .await;
        let loc = location(&res);
        assert!(loc.starts_with(&format!("{uri}?")), "{loc}");
        assert!(query_param(&loc, "code").is_some(), "{loc}");
    }
}

#[tokio::test]
async fn rule_3_redirects_an_error_before_the_redirect_uri_is_trusted_is_a_page_not_a_redirect() {
    let app = spawn_oidc_app().await;
    add_client(&app, &app_spec());
    let evil = "https://evil.example/cb";
    for (what, req) in [
        (
            "an unknown client with an attacker's redirect_uri",
            AuthReq::new("nobody").set("redirect_uri", evil),
        ),
        (
            "no client_id",
            AuthReq::new("app")
                .unset("client_id")
                .set("redirect_uri", evil),
        ),
        (
            "an unregistered redirect_uri and a bad response_type",
            AuthReq::new("app")
                .set("redirect_uri", evil)
                .set("response_type", "token"),
        ),
        (
            "an unregistered redirect_uri and a bad scope",
            AuthReq::new("app")
                .set("redirect_uri", evil)
                .set("scope", "profile"),
        ),
        (
            "a repeated redirect_uri (registered first, attacker's second)",
            AuthReq::new("app").add("redirect_uri", evil),
        ),
        (
            "a repeated client_id",
            AuthReq::new("app")
                .add("client_id", "other")
                .set("redirect_uri", evil),
        ),
    ] {
        let res = browse(&app, &req.url(&app)).await;
        assert!(
            res.headers().get("location").is_none(),
            "{what}: must not redirect"
        );
        let body = assert_error_page(res).await;
        assert!(!body.contains("evil.example"), "{what}: {body}");
    }
    for path in [
        "/authorize/resume?req=https://evil.example",
        "/consent?req=https://evil.example",
        "/login?req=https://evil.example",
        "/authorize/resume",
    ] {
        let res = browse(&app, path).await;
        assert!(res.headers().get("location").is_none(), "{path}");
        assert_eq!(res.status(), 400, "{path}");
    }
}

#[tokio::test]
async fn rule_3_redirects_the_login_return_path_never_leaves_the_site() {
    let app = spawn_oidc_app().await;
    for next in [
        "https://evil.example/",
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example\\",
        "http:evil.example",
        "https:/evil.example",
        "javascript:alert(1)",
        "/account@evil.example",
        "/account/../..//evil.example",
        "/account?next=https://evil.example",
        " /account",
        "/%2F%2Fevil.example",
        "%2F%2Fevil.example",
    ] {
        let b = fresh_browser();
        let page = b
            .get(app.url(&format!(
                "/login?{}",
                serde_urlencoded::to_string([("next", next)]).unwrap()
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{next}");
        let html = page.text().await.unwrap();
        assert!(
            hidden(&html, "next").is_none_or(|n| n == "/account"),
            "{next}: the form must not carry it"
        );
        let csrf = hidden(&html, "csrf_token").unwrap();
        let res = b
            .post(app.url("/login"))
            .form(&[
                ("username", "alice"),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{next}: signs in");
        let loc = location(&res);
        assert!(
            loc.starts_with('/') && !loc.starts_with("//") && !loc.starts_with("/\\"),
            "{next}: sent to {loc}"
        );
        assert!(
            !loc.contains("evil") && !loc.contains("javascript"),
            "{next}: sent to {loc}"
        );
    }
}

#[tokio::test]
async fn rule_3_redirects_logout_never_redirects_to_an_unregistered_address() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    add_client(
        &app,
        &ClientSpec {
            client_id: "other",
            skip_consent: true,
            post_logout_redirect_uris: vec!["https://other.example/bye".into()],
            ..Default::default()
        },
    );
    let near = [
        "https://evil.example/",
        "http://127.0.0.1:9/after-logout/",
        "http://127.0.0.1:9/after-logout?x=1",
        "http://127.0.0.1:9/after-logout#x",
        "http://127.0.0.1:9/AFTER-LOGOUT",
        "http://127.0.0.1:9/after-logoutx",
        "http://127.0.0.1:9/after",
        "http://127.0.0.1:9@evil.example/after-logout",
        "http://127.0.0.1:9/%61fter-logout",
        // registered, but for another client
        "https://other.example/bye",
        // the login redirect URI is not a post-logout one
        REDIRECT_URI,
    ];
    let signed_out_page = |res: Response, what: String| async move {
        assert!(
            res.headers().get("location").is_none(),
            "{what}: must not redirect, got {:?}",
            res.headers().get("location")
        );
        assert!(
            res.status() == 200 || res.status() == 400,
            "{what}: a page, got {}",
            res.status()
        );
        let body = res.text().await.unwrap();
        assert!(!body.contains("evil.example"), "{what}: {body}");
    };
    for uri in near {
        for extra in [vec![], vec![("client_id", "app")]] {
            let mut q = vec![("post_logout_redirect_uri", uri), ("state", "s")];
            q.extend(extra.iter().copied());
            let url = format!("/logout?{}", serde_urlencoded::to_string(&q).unwrap());
            signed_out_page(browse(&app, &url).await, format!("GET {url}")).await;
            let res = app
                .client
                .post(app.url("/logout"))
                .form(&q)
                .send()
                .await
                .unwrap();
            signed_out_page(res, format!("POST {q:?}")).await;
        }
    }
    // With a valid id_token_hint alice is signed out at once, but still not sent anywhere else.
    for uri in near {
        let t = tokens(&app, "app", Some(&secret), &[]).await;
        let q = [
            ("id_token_hint", str_of(&t, "id_token")),
            ("post_logout_redirect_uri", uri),
        ];
        let url = format!("/logout?{}", serde_urlencoded::to_string(q).unwrap());
        signed_out_page(browse(&app, &url).await, format!("hint + {uri}")).await;
    }
    // A tampered confirmation form (its hidden post_logout_redirect_uri replaced) is no better.
    sign_in(&app, "alice").await;
    let page = browse(&app, "/logout?client_id=app").await;
    let csrf = hidden(&page.text().await.unwrap(), "csrf_token").expect("confirmation form");
    let res = app
        .client
        .post(app.url("/logout"))
        .form(&[
            ("confirm", "yes"),
            ("csrf_token", csrf.as_str()),
            ("client_id", "app"),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    signed_out_page(res, "a tampered confirmation".into()).await;
    assert!(
        !signed_in(&app).await,
        "the confirmation itself was genuine"
    );
    // Control: the registered address, with its client, is where the browser goes.
    let url = format!(
        "/logout?{}",
        serde_urlencoded::to_string([
            ("client_id", "app"),
            ("post_logout_redirect_uri", POST_LOGOUT)
        ])
        .unwrap()
    );
    assert_eq!(location(&browse(&app, &url).await), POST_LOGOUT);
}

// ---------------------------------------------------------------------------------------------
// Rule 4: PKCE
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn rule_4_pkce_only_s256_is_accepted_at_authorize() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    tokens(&app, "app", Some(&secret), &[]).await;
    let verifier = random::token();
    for (what, req) in [
        (
            "plain",
            AuthReq::new("app")
                .set("code_challenge", &verifier)
                .set("code_challenge_method", "plain"),
        ),
        (
            "plain with a 43-character challenge",
            AuthReq::new("app").set("code_challenge_method", "plain"),
        ),
        (
            "s256 in lower case",
            AuthReq::new("app").set("code_challenge_method", "s256"),
        ),
        (
            "S384",
            AuthReq::new("app").set("code_challenge_method", "S384"),
        ),
        (
            "S256 with a trailing space",
            AuthReq::new("app").set("code_challenge_method", "S256 "),
        ),
        (
            "no method (RFC 7636 would default to plain)",
            AuthReq::new("app").unset("code_challenge_method"),
        ),
        (
            "a method without a challenge",
            AuthReq::new("app").unset("code_challenge"),
        ),
        (
            "no PKCE at all",
            AuthReq::new("app")
                .unset("code_challenge")
                .unset("code_challenge_method"),
        ),
    ] {
        let res = browse(&app, &req.url(&app)).await;
        assert!(
            query_param(&location(&res), "code").is_none(),
            "{what}: no code"
        );
        assert_redirect_error(&app, &res, "invalid_request", Some(STATE));
    }
}

#[tokio::test]
async fn rule_4_pkce_a_malformed_code_challenge_is_refused() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    tokens(&app, "app", Some(&secret), &[]).await;
    let good = s256(&random::token());
    for (what, challenge) in [
        ("42 characters", good[..42].to_owned()),
        ("44 characters", format!("{good}A")),
        ("with base64 padding", format!("{good}=")),
        ("standard base64 characters", format!("{}+/", &good[..41])),
        ("the hex SHA-256", hex_sha256(&random::token())),
        ("a space inside", format!("{} {}", &good[..21], &good[22..])),
    ] {
        let res = browse(
            &app,
            &AuthReq::new("app")
                .set("code_challenge", &challenge)
                .url(&app),
        )
        .await;
        assert!(query_param(&location(&res), "code").is_none(), "{what}");
        assert_redirect_error(&app, &res, "invalid_request", Some(STATE));
    }
}

fn hex_sha256(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A code for `app` whose challenge is the S256 of exactly `verifier` (whatever it is).
async fn code_for_verifier(app: &TestApp, verifier: &str) -> String {
    let req = AuthReq::new("app").set("code_challenge", &s256(verifier));
    let j = authorize_as(app, &req.url(app), "alice").await;
    j.code()
}

#[tokio::test]
async fn rule_4_pkce_verifier_length_and_charset_are_checked_at_token() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    // Each bad verifier's challenge is its own S256, so only the verifier rules can refuse it.
    for (what, verifier) in [
        ("42 characters", "a".repeat(42)),
        ("129 characters", "a".repeat(129)),
        ("1 character", "a".to_owned()),
        ("a plus sign", format!("{}+", "a".repeat(42))),
        ("a slash", format!("{}/", "a".repeat(42))),
        ("a space", format!("{} b", "a".repeat(42))),
        ("a percent sign", format!("{}%", "a".repeat(42))),
        ("an equals sign", format!("{}=", "a".repeat(42))),
        ("non-ASCII letters", "é".repeat(43)),
        ("a NUL byte", format!("{}\0", "a".repeat(42))),
    ] {
        let code = code_for_verifier(&app, &verifier).await;
        let res = redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 400, "{what}: refused, got {body}");
        assert!(
            body["error"] == "invalid_grant" || body["error"] == "invalid_request",
            "{what}: {body}"
        );
    }
    // Controls: 43 and 128 characters using every allowed character are fine.
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    for verifier in [
        alphabet[alphabet.len() - 43..].to_owned(),
        alphabet.repeat(2)[..128].to_owned(),
    ] {
        let code = code_for_verifier(&app, &verifier).await;
        exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    }
}

#[tokio::test]
async fn rule_4_pkce_downgrade_a_challenge_without_a_verifier_is_refused() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let spa = ClientSpec {
        client_id: "spa",
        public: true,
        skip_consent: true,
        ..Default::default()
    };
    add_client(&app, &spa);
    // No verifier, and an empty one (which counts as absent).
    for verifier in [None, Some("")] {
        let (code, _) = get_code(&app, "app", &[]).await;
        let res = redeem(&app, "app", Some(&secret), &code, verifier).await;
        assert_oauth_error(res, 400, "invalid_grant").await;
        let (code, _) = get_code(&app, "spa", &[]).await;
        let res = redeem(&app, "spa", None, &code, verifier).await;
        assert_oauth_error(res, 400, "invalid_grant").await;
    }
    // A wrong verifier, and the challenge itself sent as the verifier.
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let res = redeem(&app, "app", Some(&secret), &code, Some(&s256(&verifier))).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    let (code, _) = get_code(&app, "app", &[]).await;
    let res = redeem(&app, "app", Some(&secret), &code, Some(&random::token())).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn rule_4_pkce_a_verifier_for_a_code_issued_without_a_challenge_is_refused() {
    let app = spawn_oidc_app().await;
    let secret = add_client(
        &app,
        &ClientSpec {
            require_pkce: false,
            ..app_spec()
        },
    )
    .unwrap();
    let req = AuthReq::new("app")
        .unset("code_challenge")
        .unset("code_challenge_method");
    let code = authorize_as(&app, &req.url(&app), "alice").await.code();
    let res = redeem(&app, "app", Some(&secret), &code, Some(&random::token())).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}

// ---------------------------------------------------------------------------------------------
// Rule 5: authorization codes
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn rule_5_codes_are_single_use_and_a_replay_revokes_what_was_issued() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let (code, verifier) = get_code(&app, "app", &[("scope", "openid offline_access")]).await;
    let t = exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    let access = str_of(&t, "access_token").to_owned();
    let refresh_token = str_of(&t, "refresh_token").to_owned();
    assert_eq!(userinfo(&app, &access).await.status(), 200);

    let res = redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    assert_eq!(
        userinfo(&app, &access).await.status(),
        401,
        "the replay revoked the access token"
    );
    assert_eq!(
        introspect(&app, &secret, &access).await,
        json!({ "active": false })
    );
    let res = refresh(&app, "app", &secret, &refresh_token, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;

    // Two redemptions racing: exactly one wins.
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let (a, b) = tokio::join!(
        redeem(&app, "app", Some(&secret), &code, Some(&verifier)),
        redeem(&app, "app", Some(&secret), &code, Some(&verifier)),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 400], "exactly one redemption succeeds");
}

#[tokio::test]
async fn rule_5_codes_expire_after_60_seconds() {
    let clock = clock_now();
    let app = spawn_at(&clock, |_| {}).await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let (code, verifier) = get_code(&app, "app", &[]).await;
    clock.advance(61);
    let res = redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    // Control: 59 seconds is still in time.
    let (code, verifier) = get_code(&app, "app", &[]).await;
    clock.advance(59);
    exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
}

#[tokio::test]
async fn rule_5_codes_are_bound_to_the_client() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let other_secret = add_client(&app, &other_spec()).unwrap();
    add_client(
        &app,
        &ClientSpec {
            client_id: "spa",
            public: true,
            ..Default::default()
        },
    );
    // Redeemed by another confidential client with its own valid secret.
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let res = redeem(&app, "other", Some(&other_secret), &code, Some(&verifier)).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    // By a public client, and by someone naming `app` without its secret.
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let res = redeem(&app, "spa", None, &code, Some(&verifier)).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    let res = redeem(&app, "app", None, &code, Some(&verifier)).await;
    assert_oauth_error(res, 401, "invalid_client").await;
    // Basic auth as `other` while the body names `app`.
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let res = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
            ("client_id", "app"),
        ],
        Some(("other", &other_secret)),
    )
    .await;
    assert_oauth_error(res, 400, "invalid_request").await;
    // Control: the rightful client redeems a code of its own.
    let (code, verifier) = get_code(&app, "app", &[]).await;
    exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
}

#[tokio::test]
async fn rule_5_codes_are_bound_to_the_redirect_uri() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    for (what, uri) in [
        ("the client's other registered URI", Some(SECOND_REDIRECT)),
        ("a trailing slash", Some("http://127.0.0.1:9/cb/")),
        ("an extra query", Some("http://127.0.0.1:9/cb?x=1")),
        ("another case", Some("http://127.0.0.1:9/CB")),
        ("none", None),
    ] {
        let (code, verifier) = get_code(&app, "app", &[]).await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", verifier.as_str()),
        ];
        if let Some(u) = uri {
            form.push(("redirect_uri", u));
        }
        let res = token_request(&app, &form, Some(("app", &secret))).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap();
        assert_eq!(status, 400, "{what}: {body}");
        assert!(
            body["error"] == "invalid_grant" || body["error"] == "invalid_request",
            "{what}: {body}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Rule 6: refresh tokens
// ---------------------------------------------------------------------------------------------

async fn refreshed(app: &TestApp, secret: &str, token: &str) -> Value {
    token_ok(refresh(app, "app", secret, token, None).await).await
}

#[tokio::test]
async fn rule_6_refresh_tokens_rotate_and_a_reuse_revokes_the_whole_family() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let t0 = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let r0 = str_of(&t0, "refresh_token").to_owned();
    let t1 = refreshed(&app, &secret, &r0).await;
    let r1 = str_of(&t1, "refresh_token").to_owned();
    assert_ne!(r1, r0, "rotated");
    let t2 = refreshed(&app, &secret, &r1).await;
    let r2 = str_of(&t2, "refresh_token").to_owned();
    assert_ne!(r2, r1, "rotated");
    let a2 = str_of(&t2, "access_token").to_owned();
    assert_eq!(userinfo(&app, &a2).await.status(), 200);

    // The stolen r0 is replayed: refused, and the legitimate r2 dies with it.
    let res = refresh(&app, "app", &secret, &r0, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    let res = refresh(&app, "app", &secret, &r2, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    assert_eq!(
        userinfo(&app, &a2).await.status(),
        401,
        "access tokens of the family are revoked too"
    );
    assert_eq!(
        introspect(&app, &secret, &r2).await,
        json!({ "active": false })
    );

    // Two refreshes racing with the same token: at most one gets new tokens.
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let r = str_of(&t, "refresh_token").to_owned();
    let (a, b) = tokio::join!(
        refresh(&app, "app", &secret, &r, None),
        refresh(&app, "app", &secret, &r, None),
    );
    let wins = [a.status(), b.status()]
        .iter()
        .filter(|s| s.as_u16() == 200)
        .count();
    assert!(wins <= 1, "a refresh token is used at most once");
}

#[tokio::test]
async fn rule_6_refresh_tokens_are_bound_to_the_client() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let other_secret = add_client(&app, &other_spec()).unwrap();
    add_client(
        &app,
        &ClientSpec {
            client_id: "spa",
            public: true,
            ..Default::default()
        },
    );
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let r = str_of(&t, "refresh_token").to_owned();
    let res = refresh(&app, "other", &other_secret, &r, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    let res = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &r),
            ("client_id", "spa"),
        ],
        None,
    )
    .await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    let res = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &r),
            ("client_id", "app"),
        ],
        None,
    )
    .await;
    assert_oauth_error(res, 401, "invalid_client").await;
    // Introspection by another client does not reveal it either.
    let res = post_form(
        &app,
        "/introspect",
        &[("token", &r)],
        Some(("other", &other_secret)),
    )
    .await;
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({ "active": false })
    );
    // Control: the rightful client still can.
    refreshed(&app, &secret, &r).await;
}

#[tokio::test]
async fn rule_6_refresh_tokens_have_an_absolute_lifetime_that_rotation_does_not_extend() {
    let clock = clock_now();
    let app = spawn_at(&clock, |s| s.refresh_token_ttl_secs = 3600).await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let mut r = str_of(&t, "refresh_token").to_owned();
    for _ in 0..3 {
        clock.advance(1000);
        r = str_of(&refreshed(&app, &secret, &r).await, "refresh_token").to_owned();
    }
    // 3,601 seconds after the code was redeemed, the newest token of the family is dead.
    clock.advance(601);
    let res = refresh(&app, "app", &secret, &r, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn rule_6_refresh_tokens_are_revoked_when_the_password_changes() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let offline = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let online = tokens(&app, "app", Some(&secret), &[]).await;
    // alice changes her password on her account page, in this very browser.
    let html = browse(&app, "/account").await.text().await.unwrap();
    let csrf = hidden(&html, "csrf_token").expect("account page");
    let res = app
        .client
        .post(app.url("/account/password"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
            ("confirm_password", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("password was changed"));
    for (what, t) in [("offline", &offline), ("session-bound", &online)] {
        let res = refresh(&app, "app", &secret, str_of(t, "refresh_token"), None).await;
        let body = assert_oauth_error(res, 400, "invalid_grant").await;
        assert_eq!(body["error"], "invalid_grant", "{what}");
    }
}

#[tokio::test]
async fn rule_6_refresh_tokens_are_revoked_when_the_user_is_disabled_and_stay_dead_after() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let offline = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let r = str_of(&offline, "refresh_token").to_owned();
    app.cli(&["user", "disable", "alice"], None).ok();
    let res = refresh(&app, "app", &secret, &r, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    assert_eq!(
        userinfo(&app, str_of(&offline, "access_token"))
            .await
            .status(),
        401
    );
    app.cli(&["user", "enable", "alice"], None).ok();
    let res = refresh(&app, "app", &secret, &r, None).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    assert_eq!(
        introspect(&app, &secret, &r).await,
        json!({ "active": false })
    );
}

// ---------------------------------------------------------------------------------------------
// Rule 7: sessions
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn rule_7_sessions_get_a_new_id_at_login_and_at_reauthentication() {
    let app = spawn_oidc_app().await;
    add_client(&app, &app_spec());
    // A session id planted by an attacker before login is not adopted.
    let planted = random::token();
    let http = plain_client();
    let page = http
        .get(app.url("/login"))
        .header("Cookie", format!("latchkey_session={planted}"))
        .send()
        .await
        .unwrap();
    let csrf = cookie_value(&page, "latchkey_csrf").expect("a CSRF cookie");
    let res = http
        .post(app.url("/login"))
        .header(
            "Cookie",
            format!("latchkey_session={planted}; latchkey_csrf={csrf}"),
        )
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let issued = cookie_value(&res, "latchkey_session").expect("a session");
    assert_ne!(issued, planted);
    assert!(!session_alive(&app, "latchkey_session", &planted).await);

    // Re-authentication (prompt=login, then max_age=0) replaces the session each time.
    let first = sign_in(&app, "alice").await;
    let mut previous = vec![first];
    for extra in [("prompt", "login"), ("max_age", "0")] {
        let res = browse(&app, &AuthReq::new("app").with(&[extra]).url(&app)).await;
        let login = location(&res);
        assert!(login.starts_with("/login?req="), "{extra:?}: {login}");
        let res = submit_login(&app, &login, "alice", PASSWORD).await;
        assert_eq!(res.status(), 303);
        let new = cookie_value(&res, "latchkey_session").expect("a new session cookie");
        for old in &previous {
            assert_ne!(&new, old, "{extra:?}: a new session id");
            assert!(
                !session_alive(&app, "latchkey_session", old).await,
                "{extra:?}: the old session ended"
            );
        }
        assert!(session_alive(&app, "latchkey_session", &new).await);
        previous.push(new);
    }
}

#[tokio::test]
async fn rule_7_sessions_end_after_the_idle_timeout() {
    let clock = clock_now();
    let app = spawn_at(&clock, |s| {
        s.session_idle_timeout_secs = 600;
        s.session_max_lifetime_secs = 3600;
    })
    .await;
    let cookie = sign_in(&app, "alice").await;
    clock.advance(590);
    assert!(session_alive(&app, "latchkey_session", &cookie).await);
    clock.advance(590);
    assert!(
        session_alive(&app, "latchkey_session", &cookie).await,
        "use restarts the idle clock"
    );
    clock.advance(601);
    assert!(
        !session_alive(&app, "latchkey_session", &cookie).await,
        "idle longer than the timeout"
    );
}

#[tokio::test]
async fn rule_7_sessions_end_at_their_absolute_lifetime_even_when_used() {
    let clock = clock_now();
    let app = spawn_at(&clock, |s| {
        s.session_idle_timeout_secs = 600;
        s.session_max_lifetime_secs = 3600;
    })
    .await;
    let cookie = sign_in(&app, "alice").await;
    for _ in 0..7 {
        clock.advance(500);
        assert!(session_alive(&app, "latchkey_session", &cookie).await);
    }
    clock.advance(100);
    assert!(
        !session_alive(&app, "latchkey_session", &cookie).await,
        "3,600 seconds after sign-in"
    );
}

#[tokio::test]
async fn rule_7_sessions_logout_deletes_the_session_on_the_server() {
    let app = spawn_oidc_app().await;
    add_client(&app, &app_spec());
    let hash_in_db = |cookie: &str| {
        let hash = random::hash_token(cookie);
        app.store
            .read(|c| sessions::find_session_by_secret(c, &hash))
            .unwrap()
            .is_some()
    };
    // By the logout confirmation.
    let cookie = sign_in(&app, "alice").await;
    assert!(hash_in_db(&cookie));
    let html = browse(&app, "/logout").await.text().await.unwrap();
    let csrf = hidden(&html, "csrf_token").expect("confirmation form");
    let res = app
        .client
        .post(app.url("/logout"))
        .form(&[("confirm", "yes"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(!hash_in_db(&cookie), "the row is gone");
    assert!(
        !session_alive(&app, "latchkey_session", &cookie).await,
        "a copy of the cookie is worthless"
    );
    // By "Sign out" on the account page.
    let cookie = sign_in(&app, "alice").await;
    let html = browse(&app, "/account").await.text().await.unwrap();
    let csrf = hidden(&html, "csrf_token").unwrap();
    let sid = hidden(&html, "sid").unwrap();
    let res = app
        .client
        .post(app.url("/account/sessions/end"))
        .form(&[("csrf_token", csrf.as_str()), ("sid", sid.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(!hash_in_db(&cookie));
    assert!(!session_alive(&app, "latchkey_session", &cookie).await);
    // By RP-initiated logout with an id_token_hint.
    let secret = add_client(
        &app,
        &ClientSpec {
            client_id: "rp",
            skip_consent: true,
            ..Default::default()
        },
    )
    .unwrap();
    let t = tokens(&app, "rp", Some(&secret), &[]).await;
    let sessions_before = app
        .store
        .read(|c| {
            let alice = users::get_user_by_username(c, "alice")?;
            sessions::list_user_sessions(c, alice.id)
        })
        .unwrap();
    assert_eq!(sessions_before.len(), 1);
    let url = format!(
        "/logout?{}",
        serde_urlencoded::to_string([("id_token_hint", str_of(&t, "id_token"))]).unwrap()
    );
    assert_eq!(browse(&app, &url).await.status(), 200);
    let sessions_after = app
        .store
        .read(|c| {
            let alice = users::get_user_by_username(c, "alice")?;
            sessions::list_user_sessions(c, alice.id)
        })
        .unwrap();
    assert!(sessions_after.is_empty(), "{sessions_after:?}");
}

/// Attribute names (lower case) and values of one Set-Cookie header.
fn cookie_attributes(cookie: &str) -> Vec<(String, String)> {
    cookie
        .split(';')
        .skip(1)
        .map(|a| {
            let (k, v) = a.split_once('=').unwrap_or((a, ""));
            (k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase())
        })
        .collect()
}

fn cookie_named(res: &Response, name: &str) -> String {
    set_cookies(res)
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", set_cookies(res)))
}

#[tokio::test]
async fn rule_7_sessions_cookies_are_httponly_samesite_and_host_only() {
    let app = spawn_oidc_app().await;
    let page = plain_client().get(app.url("/login")).send().await.unwrap();
    let csrf_cookie = cookie_named(&page, "latchkey_csrf");
    let res = submit_login(&app, "/login", "alice", PASSWORD).await;
    let session_cookie = cookie_named(&res, "latchkey_session");
    for (what, cookie, same_site) in [
        ("session", &session_cookie, &["lax"][..]),
        ("csrf", &csrf_cookie, &["lax", "strict"][..]),
    ] {
        let attrs = cookie_attributes(cookie);
        let has = |k: &str| attrs.iter().any(|(n, _)| n == k);
        let value = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert!(has("httponly"), "{what}: {cookie}");
        assert!(
            value("samesite").is_some_and(|v| same_site.contains(&v.as_str())),
            "{what}: {cookie}"
        );
        assert_eq!(value("path").as_deref(), Some("/"), "{what}: {cookie}");
        assert!(!has("domain"), "{what}: host-only: {cookie}");
    }
}

#[tokio::test]
async fn rule_7_sessions_cookies_are_secure_and_host_prefixed_with_an_https_issuer() {
    let app = spawn_oidc_app_with(|s| s.issuer = "https://login.example".into()).await;
    let http = plain_client();
    let page = http.get(app.url("/login")).send().await.unwrap();
    let csrf_cookie = cookie_named(&page, "__Host-latchkey_csrf");
    let csrf = cookie_value(&page, "__Host-latchkey_csrf").unwrap();
    let res = http
        .post(app.url("/login"))
        .header("Cookie", format!("__Host-latchkey_csrf={csrf}"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session_cookie = cookie_named(&res, "__Host-latchkey_session");
    assert!(
        set_cookies(&res).iter().all(|c| c.starts_with("__Host-")),
        "every cookie has the prefix: {:?}",
        set_cookies(&res)
    );
    for cookie in [&csrf_cookie, &session_cookie] {
        let attrs = cookie_attributes(cookie);
        let has = |k: &str| attrs.iter().any(|(n, _)| n == k);
        assert!(has("secure") && has("httponly"), "{cookie}");
        assert!(!has("domain"), "{cookie}");
        assert!(
            attrs.iter().any(|(n, v)| n == "path" && v == "/"),
            "{cookie}"
        );
    }
    let value = cookie_value(&res, "__Host-latchkey_session").unwrap();
    assert!(session_alive(&app, "__Host-latchkey_session", &value).await);
    // The same value under the unprefixed name (which a sibling subdomain or a plain-http
    // attacker could set) is ignored.
    assert!(!session_alive(&app, "latchkey_session", &value).await);
}

// ---------------------------------------------------------------------------------------------
// Rule 8: CSRF
// ---------------------------------------------------------------------------------------------

/// One way to forge a POST of our forms.
struct Forgery {
    what: &'static str,
    token: Option<String>,
    headers: Vec<(&'static str, String)>,
}

/// Every forgery a form must refuse, given the genuine token of this browser and a genuine
/// token of another browser.
fn forgeries(app: &TestApp, valid: &str, foreign: &str) -> Vec<Forgery> {
    let f = |what, token: Option<&str>, headers: Vec<(&'static str, String)>| Forgery {
        what,
        token: token.map(str::to_owned),
        headers,
    };
    let issuer = &app.settings.issuer;
    vec![
        f("no token", None, vec![]),
        f("a wrong token", Some(&random::token()), vec![]),
        f("a truncated token", Some(&valid[..valid.len() - 1]), vec![]),
        f(
            "the token with a byte changed",
            Some(&flip_last(valid)),
            vec![],
        ),
        f("the token of another browser", Some(foreign), vec![]),
        f(
            "a cross-site Origin",
            Some(valid),
            vec![("Origin", "https://evil.example".into())],
        ),
        f(
            "an Origin that only starts like ours",
            Some(valid),
            vec![("Origin", format!("{issuer}.evil.example"))],
        ),
        f(
            "Sec-Fetch-Site: cross-site",
            Some(valid),
            vec![("Sec-Fetch-Site", "cross-site".into())],
        ),
        f(
            "Sec-Fetch-Site: same-site",
            Some(valid),
            vec![("Sec-Fetch-Site", "same-site".into())],
        ),
        f(
            "Origin: null from another site",
            Some(valid),
            vec![
                ("Origin", "null".into()),
                ("Sec-Fetch-Site", "cross-site".into()),
            ],
        ),
    ]
}

fn flip_last(s: &str) -> String {
    let mut v = s.to_owned();
    let last = v.pop().unwrap();
    v.push(if last == 'A' { 'B' } else { 'A' });
    v
}

/// POST `fields` (plus the forgery's token and headers) to `path` from alice's browser.
async fn post_forged(app: &TestApp, path: &str, fields: &[(&str, &str)], f: &Forgery) -> Response {
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    if let Some(t) = &f.token {
        form.push(("csrf_token", t));
    }
    let mut rb = app.client.post(app.url(path)).form(&form);
    for (k, v) in &f.headers {
        rb = rb.header(*k, v);
    }
    rb.send().await.expect("POST")
}

/// A genuine CSRF token of another browser.
async fn foreign_token(app: &TestApp) -> String {
    let html = fresh_browser()
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    hidden(&html, "csrf_token").expect("csrf")
}

#[tokio::test]
async fn rule_8_csrf_the_login_form_refuses_forged_posts() {
    let app = spawn_oidc_app().await;
    let html = browse(&app, "/login").await.text().await.unwrap();
    let valid = hidden(&html, "csrf_token").unwrap();
    let foreign = foreign_token(&app).await;
    assert_ne!(valid, foreign);
    let fields = [("username", "alice"), ("password", PASSWORD)];
    for f in forgeries(&app, &valid, &foreign) {
        let res = post_forged(&app, "/login", &fields, &f).await;
        assert_eq!(res.status(), 403, "{}", f.what);
        assert!(
            cookie_value(&res, "latchkey_session").is_none(),
            "{}: no session",
            f.what
        );
        assert!(res.headers().get("location").is_none(), "{}", f.what);
    }
    // Control: the genuine form signs in.
    let genuine = Forgery {
        what: "genuine",
        token: Some(valid),
        headers: vec![],
    };
    let res = post_forged(&app, "/login", &fields, &genuine).await;
    assert_eq!(res.status(), 303);
    assert!(cookie_value(&res, "latchkey_session").is_some());
}

#[tokio::test]
async fn rule_8_csrf_the_consent_form_refuses_forged_posts() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    let res = browse(&app, &AuthReq::new("app").url(&app)).await;
    let res = submit_login(&app, &location(&res), "alice", PASSWORD).await;
    let res = browse(&app, &location(&res)).await;
    let consent = location(&res);
    assert!(consent.starts_with("/consent?req="), "{consent}");
    let html = browse(&app, &consent).await.text().await.unwrap();
    let valid = hidden(&html, "csrf_token").unwrap();
    let req = hidden(&html, "req").unwrap();
    let foreign = foreign_token(&app).await;
    let fields = [("decision", "allow"), ("req", req.as_str())];
    for f in forgeries(&app, &valid, &foreign) {
        let res = post_forged(&app, "/consent", &fields, &f).await;
        assert_eq!(res.status(), 403, "{}", f.what);
        assert!(res.headers().get("location").is_none(), "{}", f.what);
    }
    let (codes, granted): (i64, i64) = app
        .store
        .read(|c| {
            Ok((
                c.query_row("SELECT COUNT(*) FROM auth_codes", [], |r| r.get(0))?,
                c.query_row("SELECT COUNT(*) FROM consents", [], |r| r.get(0))?,
            ))
        })
        .unwrap();
    assert_eq!(
        (codes, granted),
        (0, 0),
        "no code issued, no consent recorded"
    );
    // Control: the genuine form gives the client its code.
    let genuine = Forgery {
        what: "genuine",
        token: Some(valid),
        headers: vec![],
    };
    let res = post_forged(&app, "/consent", &fields, &genuine).await;
    assert_eq!(res.status(), 302);
    assert!(query_param(&location(&res), "code").is_some());
}

#[tokio::test]
async fn rule_8_csrf_the_logout_confirmation_refuses_forged_posts() {
    let app = spawn_oidc_app().await;
    add_client(&app, &app_spec());
    sign_in(&app, "alice").await;
    let html = browse(&app, "/logout").await.text().await.unwrap();
    let valid = hidden(&html, "csrf_token").expect("a confirmation form");
    let foreign = foreign_token(&app).await;
    for f in forgeries(&app, &valid, &foreign) {
        let res = post_forged(&app, "/logout", &[("confirm", "yes")], &f).await;
        assert_eq!(res.status(), 403, "{}", f.what);
        assert!(signed_in(&app).await, "{}: still signed in", f.what);
    }
    let genuine = Forgery {
        what: "genuine",
        token: Some(valid),
        headers: vec![],
    };
    let res = post_forged(&app, "/logout", &[("confirm", "yes")], &genuine).await;
    assert_eq!(res.status(), 200);
    assert!(!signed_in(&app).await);
}

#[tokio::test]
async fn rule_8_csrf_the_account_forms_refuse_forged_posts() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    tokens(&app, "app", Some(&secret), &[]).await;
    let html = browse(&app, "/account").await.text().await.unwrap();
    let valid = hidden(&html, "csrf_token").unwrap();
    let sid = hidden(&html, "sid").unwrap();
    let foreign = foreign_token(&app).await;
    let state = || {
        app.store
            .read(|c| {
                let alice = users::get_user_by_username(c, "alice")?;
                let client = clients::get_client(c, "app")?;
                Ok((
                    alice.password_hash.clone(),
                    consents::find_consent(c, alice.id, client.id)?,
                    sessions::list_user_sessions(c, alice.id)?.len(),
                ))
            })
            .unwrap()
    };
    let before = state();
    assert!(before.1.is_some(), "alice consented to app");
    let forms: [(&str, Vec<(&str, &str)>); 3] = [
        ("/account/sessions/end", vec![("sid", sid.as_str())]),
        ("/account/apps/revoke", vec![("client_id", "app")]),
        (
            "/account/password",
            vec![
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        ),
    ];
    for (path, fields) in &forms {
        for f in forgeries(&app, &valid, &foreign) {
            let res = post_forged(&app, path, fields, &f).await;
            assert_eq!(res.status(), 403, "{path}: {}", f.what);
        }
    }
    assert_eq!(state(), before, "nothing changed");
    assert_eq!(
        browse(&app, "/account").await.status(),
        200,
        "still signed in"
    );
    // Control: the genuine revoke form works.
    let genuine = Forgery {
        what: "genuine",
        token: Some(valid),
        headers: vec![],
    };
    let res = post_forged(&app, "/account/apps/revoke", &forms[1].1, &genuine).await;
    assert_eq!(res.status(), 200);
    assert!(state().1.is_none(), "consent revoked");
}

// ---------------------------------------------------------------------------------------------
// Rule 10: no user enumeration
// ---------------------------------------------------------------------------------------------

/// A browser whose connections come from `ip` (any 127.x.y.z reaches the server over loopback),
/// so that each attempt counts against its own client IP and stays clear of the per-IP throttle
/// of rule 9.
fn browser_from(ip: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .local_address(IpAddr::V4(ip))
        .build()
        .expect("build HTTP client")
}

/// What a failed sign-in looked like from the outside.
struct Attempt {
    status: u16,
    /// The page with the CSRF token and the typed username replaced by placeholders.
    body: String,
    /// Response header names (without `date`), sorted.
    header_names: Vec<String>,
    elapsed: Duration,
}

async fn timed_login_attempt(
    app: &TestApp,
    ip: Ipv4Addr,
    username: &str,
    password: &str,
) -> Attempt {
    let b = browser_from(ip);
    let html = b
        .get(app.url("/login"))
        .send()
        .await
        .expect("GET /login")
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf_token").expect("csrf");
    let start = Instant::now();
    let res = b
        .post(app.url("/login"))
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .expect("POST /login");
    let elapsed = start.elapsed();
    let status = res.status().as_u16();
    let mut header_names: Vec<String> = res
        .headers()
        .keys()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k != "date")
        .collect();
    header_names.sort();
    let body = res
        .text()
        .await
        .unwrap()
        .replace(&csrf, "CSRF")
        .replace(&format!("value=\"{username}\""), "value=\"USER\"");
    Attempt {
        status,
        body,
        header_names,
        elapsed,
    }
}

#[tokio::test]
async fn rule_10_no_user_enumeration_unknown_wrong_password_and_disabled_look_the_same() {
    let app = spawn_oidc_app().await;
    for name in ["carol", "dave"] {
        add_user(&app, name, &format!("{name}@example.com"), None);
        disable_user(&app, name);
    }
    let cases = [
        ("wrong password", "alice", "not the password"),
        ("unknown user", "nobody", PASSWORD),
        (
            "unknown user, wrong password",
            "nobody2",
            "not the password",
        ),
        ("disabled user, right password", "carol", PASSWORD),
        ("disabled user, wrong password", "dave", "not the password"),
        ("an impossible username", "no such user!", PASSWORD),
    ];
    let mut seen = Vec::new();
    for (i, (what, user, pw)) in cases.iter().enumerate() {
        let a = timed_login_attempt(&app, Ipv4Addr::new(127, 0, 10, 1 + i as u8), user, pw).await;
        assert!(
            !a.body.contains(user),
            "{what}: the username appears only in its field"
        );
        seen.push((*what, a));
    }
    let (first, reference) = &seen[0];
    assert_eq!(reference.status, 401);
    for (what, a) in &seen[1..] {
        assert_eq!(a.status, reference.status, "{what} vs {first}: status");
        assert_eq!(
            a.header_names, reference.header_names,
            "{what} vs {first}: headers"
        );
        assert_eq!(a.body, reference.body, "{what} vs {first}: body");
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// An unknown user costs the same argon2 work as a wrong password (a dummy hash is checked):
/// medians of interleaved attempts, each from its own account and IP, stay within a generous
/// factor of each other. Without the dummy hash an unknown user answers some 20 times faster.
#[tokio::test]
async fn rule_10_no_user_enumeration_timing_of_unknown_and_disabled_users_matches_a_wrong_password()
{
    const ROUNDS: usize = 5;
    let app = spawn_oidc_app().await;
    for i in 0..ROUNDS {
        add_user(&app, &format!("known{i}"), "k@example.com", None);
        add_user(&app, &format!("disabled{i}"), "d@example.com", None);
        disable_user(&app, &format!("disabled{i}"));
    }
    add_user(&app, "warmup", "w@example.com", None);
    // Warm up both paths (the dummy hash is computed on first use).
    timed_login_attempt(
        &app,
        Ipv4Addr::new(127, 0, 11, 1),
        "warmup-unknown",
        "x1y2z3w4",
    )
    .await;
    timed_login_attempt(&app, Ipv4Addr::new(127, 0, 11, 2), "warmup", "x1y2z3w4").await;

    let (mut unknown, mut wrong, mut disabled) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        for k in 0..3 {
            let kind = (round + k) % 3;
            let ip = Ipv4Addr::new(127, 0, 12, (round * 3 + k + 1) as u8);
            match kind {
                0 => {
                    let a =
                        timed_login_attempt(&app, ip, &format!("ghost{round}"), "x1y2z3w4").await;
                    assert_eq!(a.status, 401);
                    unknown.push(a.elapsed);
                }
                1 => {
                    let a =
                        timed_login_attempt(&app, ip, &format!("known{round}"), "x1y2z3w4").await;
                    assert_eq!(a.status, 401);
                    wrong.push(a.elapsed);
                }
                _ => {
                    let a =
                        timed_login_attempt(&app, ip, &format!("disabled{round}"), PASSWORD).await;
                    assert_eq!(a.status, 401);
                    disabled.push(a.elapsed);
                }
            }
        }
    }
    // Control: the measurement tells password work from none. A POST refused for its CSRF token
    // (no argon2 at all) is far quicker than a wrong password.
    let mut no_work = Vec::new();
    for i in 0..ROUNDS {
        let b = browser_from(Ipv4Addr::new(127, 0, 13, 1 + i as u8));
        let start = Instant::now();
        let res = b
            .post(app.url("/login"))
            .form(&[("username", "alice"), ("password", "x1y2z3w4")])
            .send()
            .await
            .unwrap();
        no_work.push(start.elapsed());
        assert_eq!(res.status(), 403);
    }
    let (u, w, d) = (median(unknown), median(wrong), median(disabled));
    let n = median(no_work);
    eprintln!(
        "rule 10 medians: unknown user {u:?}, wrong password {w:?}, disabled user {d:?}, \
         no password work {n:?}"
    );
    assert!(
        n * 2 < w,
        "the timing cannot tell argon2 work ({w:?}) from none ({n:?})"
    );
    assert!(
        u * 2 >= w,
        "an unknown user answers much faster ({u:?}) than a wrong password ({w:?})"
    );
    assert!(
        d * 2 >= w,
        "a disabled user answers much faster ({d:?}) than a wrong password ({w:?})"
    );
}

// ---------------------------------------------------------------------------------------------
// Rule 11: headers
// ---------------------------------------------------------------------------------------------

/// The directives of a Content-Security-Policy, by name.
fn csp_directives(csp: &str) -> Vec<(String, Vec<String>)> {
    csp.split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            let mut parts = d.split_whitespace();
            let name = parts.next().unwrap().to_ascii_lowercase();
            (name, parts.map(str::to_owned).collect())
        })
        .collect()
}

/// The security headers every HTML page must carry; `form_origins` are the only origins (besides
/// 'self') forms may post to.
fn assert_page_headers(what: &str, res: &Response, form_origins: &[&str]) {
    let ct = header(res, "content-type").unwrap_or_default();
    assert!(
        ct.starts_with("text/html"),
        "{what}: an HTML page, got {ct}"
    );
    let csp = header(res, "content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    let dirs = csp_directives(&csp);
    let get = |name: &str| {
        dirs.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{what}: no {name} in {csp}"))
    };
    let default_src = get("default-src");
    assert!(
        default_src == ["'none'"] || default_src == ["'self'"],
        "{what}: default-src {default_src:?}"
    );
    assert_eq!(get("frame-ancestors"), ["'none'"], "{what}: {csp}");
    let mut form_action = get("form-action");
    form_action.sort();
    let mut expected: Vec<String> = std::iter::once("'self'")
        .chain(form_origins.iter().copied())
        .map(str::to_owned)
        .collect();
    expected.sort();
    assert_eq!(form_action, expected, "{what}: form-action in {csp}");
    for (name, sources) in &dirs {
        for s in sources {
            assert!(
                !matches!(
                    s.as_str(),
                    "*" | "'unsafe-inline'" | "'unsafe-eval'" | "http:" | "https:"
                ),
                "{what}: {name} allows {s}"
            );
        }
    }
    assert_eq!(
        header(res, "x-frame-options").as_deref(),
        Some("DENY"),
        "{what}"
    );
    assert_eq!(
        header(res, "x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        header(res, "referrer-policy").as_deref(),
        Some("no-referrer"),
        "{what}"
    );
    let cc = header(res, "cache-control").unwrap_or_default();
    assert!(cc.contains("no-store"), "{what}: Cache-Control {cc:?}");
}

#[tokio::test]
async fn rule_11_headers_every_html_page_is_locked_down() {
    let app = spawn_oidc_app().await;
    let client_origin = "http://127.0.0.1:9";
    let other_origin = "https://other.example";
    add_client(
        &app,
        &ClientSpec {
            post_logout_redirect_uris: vec![POST_LOGOUT.into()],
            ..Default::default()
        },
    );
    add_client(
        &app,
        &ClientSpec {
            client_id: "other",
            skip_consent: true,
            redirect_uris: vec![OTHER_REDIRECT.into()],
            ..Default::default()
        },
    );

    assert_page_headers("home, signed out", &browse(&app, "/").await, &[]);
    assert_page_headers("the bare login page", &browse(&app, "/login").await, &[]);
    let res = browse(&app, &AuthReq::new("app").url(&app)).await;
    let login = location(&res);
    assert_page_headers(
        "the login page of a request",
        &browse(&app, &login).await,
        &[client_origin],
    );
    let failed = submit_login(&app, &login, "alice", "not the password").await;
    assert_eq!(failed.status(), 401);
    assert_page_headers("a failed login", &failed, &[client_origin]);
    let forged = app
        .client
        .post(app.url("/login"))
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_page_headers("a login refused for CSRF", &forged, &[]);

    let res = submit_login(&app, &login, "alice", PASSWORD).await;
    let consent = location(&browse(&app, &location(&res)).await);
    assert!(consent.starts_with("/consent"), "{consent}");
    assert_page_headers(
        "the consent page",
        &browse(&app, &consent).await,
        &[client_origin],
    );
    let forged = app
        .client
        .post(app.url("/consent"))
        .form(&[("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_page_headers("a consent refused for CSRF", &forged, &[]);

    let form_post = browse(
        &app,
        &AuthReq::new("other")
            .set("redirect_uri", OTHER_REDIRECT)
            .set("response_mode", "form_post")
            .url(&app),
    )
    .await;
    assert_eq!(form_post.status(), 200);
    assert_page_headers("the form_post page", &form_post, &[other_origin]);
    // Another client's origin never leaks into this client's pages.
    let res = browse(&app, &AuthReq::new("app").set("prompt", "login").url(&app)).await;
    let page = browse(&app, &location(&res)).await;
    assert!(
        !header(&page, "content-security-policy")
            .unwrap()
            .contains("other.example")
    );

    assert_page_headers("the account page", &browse(&app, "/account").await, &[]);
    assert_page_headers("home, signed in", &browse(&app, "/").await, &[]);
    assert_page_headers(
        "the authorize error page",
        &browse(&app, &AuthReq::new("nobody").url(&app)).await,
        &[],
    );
    assert_page_headers(
        "the expired request page",
        &browse(&app, "/consent?req=bogus").await,
        &[],
    );
    let url = format!(
        "/logout?{}",
        serde_urlencoded::to_string([
            ("client_id", "app"),
            ("post_logout_redirect_uri", POST_LOGOUT)
        ])
        .unwrap()
    );
    assert_page_headers(
        "the logout confirmation for a client",
        &browse(&app, &url).await,
        &[client_origin],
    );
    let confirm = browse(&app, "/logout").await;
    assert_page_headers("the logout confirmation", &confirm, &[]);
    let csrf = hidden(&confirm.text().await.unwrap(), "csrf_token").unwrap();
    let forged = app
        .client
        .post(app.url("/logout"))
        .form(&[("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_page_headers("a logout refused for CSRF", &forged, &[]);
    let done = app
        .client
        .post(app.url("/logout"))
        .form(&[("confirm", "yes"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert_page_headers("the signed-out page", &done, &[]);
    assert_page_headers(
        "an invalid logout request",
        &browse(&app, "/logout?id_token_hint=x.y.z").await,
        &[],
    );
}

#[tokio::test]
async fn rule_11_headers_token_responses_are_never_cached() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    // token_ok and assert_oauth_error check Cache-Control: no-store.
    let (code, verifier) = get_code(&app, "app", &[("scope", "openid offline_access")]).await;
    let t = exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    let r = str_of(&t, "refresh_token");
    token_ok(refresh(&app, "app", &secret, r, None).await).await;
    let res = redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    let res = token_request(&app, &[("grant_type", "password")], Some(("app", &secret))).await;
    assert_oauth_error(res, 400, "unsupported_grant_type").await;
    let res = token_request(&app, &[("grant_type", "authorization_code")], None).await;
    assert_oauth_error(res, 401, "invalid_client").await;
    for res in [
        userinfo(&app, str_of(&t, "access_token")).await,
        userinfo(&app, "garbage").await,
        post_form(
            &app,
            "/introspect",
            &[("token", str_of(&t, "access_token"))],
            Some(("app", &secret)),
        )
        .await,
        post_form(&app, "/introspect", &[("token", "x")], None).await,
        post_form(&app, "/revoke", &[("token", "x")], Some(("app", &secret))).await,
    ] {
        let url = res.url().to_string();
        let cc = header(&res, "cache-control").unwrap_or_default();
        assert!(cc.contains("no-store"), "{url}: Cache-Control {cc:?}");
    }
}

#[tokio::test]
async fn rule_11_hsts_is_sent_when_the_issuer_is_https() {
    let https = spawn_oidc_app_with(|s| s.issuer = "https://login.example".into()).await;
    let http = spawn_oidc_app().await;
    for app in [&https, &http] {
        let expect = app.settings.issuer.starts_with("https://");
        let responses = [
            ("home page", app.get("/").await),
            ("login page", app.get("/login").await),
            (
                "error page",
                browse(app, &AuthReq::new("nobody").url(app)).await,
            ),
            (
                "discovery",
                app.get("/.well-known/openid-configuration").await,
            ),
            ("JWKS", app.get("/jwks").await),
            ("healthz", app.get("/healthz").await),
            (
                "token error",
                token_request(app, &[("grant_type", "x")], None).await,
            ),
            ("userinfo error", userinfo(app, "x").await),
        ];
        for (what, res) in responses {
            let hsts = header(&res, "strict-transport-security");
            if !expect {
                assert_eq!(hsts, None, "{what}: no HSTS on an http issuer");
                continue;
            }
            let hsts = hsts.unwrap_or_else(|| panic!("{what}: no Strict-Transport-Security"));
            let max_age: i64 = hsts
                .split(';')
                .map(str::trim)
                .find_map(|d| {
                    d.to_ascii_lowercase()
                        .strip_prefix("max-age=")
                        .map(str::to_owned)
                })
                .and_then(|v| v.trim_matches('"').parse().ok())
                .unwrap_or_else(|| panic!("{what}: no max-age in {hsts}"));
            assert!(max_age >= 31_536_000, "{what}: max-age {max_age}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rule 12: escaping
// ---------------------------------------------------------------------------------------------

/// `payload` appears nowhere raw in `html`, and its `<` is shown escaped (it was displayed, safely).
fn assert_escaped(what: &str, html: &str, payload: &str) {
    assert!(!html.contains(payload), "{what}: raw {payload:?} in {html}");
    assert!(
        !html.contains("<script>alert(1)") && !html.contains("<img src=x"),
        "{what}: live markup in {html}"
    );
    let lower = html.to_ascii_lowercase();
    assert!(
        [
            "&lt;script",
            "&#60;script",
            "&#x3c;script",
            "&lt;img",
            "&#60;img",
            "&#x3c;img"
        ]
        .iter()
        .any(|e| lower.contains(e)),
        "{what}: the value should be shown, escaped: {html}"
    );
}

/// The HTML-unescaped value of a hidden input.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn rule_12_escaping_login_hint_and_a_failed_username_are_escaped() {
    let app = spawn_oidc_app().await;
    add_client(&app, &app_spec());
    let res = browse(&app, &AuthReq::new("app").set("login_hint", XSS).url(&app)).await;
    let login = location(&res);
    let html = browse(&app, &login).await.text().await.unwrap();
    assert_escaped("login_hint", &html, XSS);
    let res = submit_login(&app, &login, XSS, PASSWORD).await;
    assert_eq!(res.status(), 401);
    assert_escaped("a failed username", &res.text().await.unwrap(), XSS);
}

#[tokio::test]
async fn rule_12_escaping_state_and_error_details_are_escaped_in_the_form_post_page() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    tokens(&app, "app", Some(&secret), &[]).await;
    let res = browse(
        &app,
        &AuthReq::new("app")
            .set("response_mode", "form_post")
            .set("state", XSS)
            .url(&app),
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert_escaped("state in form_post", &html, XSS);
    let state = hidden(&html, "state").expect("state field");
    assert_eq!(
        unescape(&state),
        XSS,
        "the client gets its state back exactly"
    );
    // An error whose description names an attacker's parameter.
    let res = browse(
        &app,
        &AuthReq::new("app")
            .set("response_mode", "form_post")
            .set("state", XSS)
            .add("<script>alert(1)</script>", "1")
            .add("<script>alert(1)</script>", "2")
            .url(&app),
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(hidden(&html, "error").is_some(), "{html}");
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(!html.contains(XSS), "{html}");
}

#[tokio::test]
async fn rule_12_escaping_a_client_name_with_html_is_escaped_on_every_page() {
    let app = spawn_oidc_app().await;
    let name = "<script>alert(1)</script>";
    let spec = ClientSpec {
        client_id: "evil",
        post_logout_redirect_uris: vec![POST_LOGOUT.into()],
        ..Default::default()
    };
    add_client_named(&app, &spec, name);
    let res = browse(&app, &AuthReq::new("evil").url(&app)).await;
    let login = location(&res);
    let html = browse(&app, &login).await.text().await.unwrap();
    assert_escaped("login page", &html, name);
    let res = submit_login(&app, &login, "alice", PASSWORD).await;
    let consent = location(&browse(&app, &location(&res)).await);
    let html = browse(&app, &consent).await.text().await.unwrap();
    assert_escaped("consent page", &html, name);
    let res = submit_consent(&app, &consent, "allow").await;
    assert!(query_param(&location(&res), "code").is_some());
    let html = browse(&app, "/account").await.text().await.unwrap();
    assert_escaped("account page", &html, name);
    let confirm = browse(&app, "/logout?client_id=evil")
        .await
        .text()
        .await
        .unwrap();
    assert_escaped("logout confirmation", &confirm, name);
    let csrf = hidden(&confirm, "csrf_token").unwrap();
    let done = app
        .client
        .post(app.url("/logout"))
        .form(&[
            ("confirm", "yes"),
            ("csrf_token", csrf.as_str()),
            ("client_id", "evil"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert_escaped("signed-out page", &done.text().await.unwrap(), name);
}

#[tokio::test]
async fn rule_12_escaping_error_pages_never_echo_raw_input() {
    let app = spawn_oidc_app().await;
    add_client(&app, &app_spec());
    sign_in(&app, "alice").await;
    let enc = |pairs: &[(&str, &str)]| serde_urlencoded::to_string(pairs).unwrap();
    let paths = [
        format!("/authorize?{}", AuthReq::new(IMG_XSS).query()),
        format!(
            "/authorize?{}",
            AuthReq::new("app")
                .set("redirect_uri", &format!("{REDIRECT_URI}{IMG_XSS}"))
                .query()
        ),
        format!(
            "/authorize?{}",
            AuthReq::new("app").add("client_id", IMG_XSS).query()
        ),
        format!("/logout?{}", enc(&[("client_id", IMG_XSS)])),
        format!("/logout?{}", enc(&[("id_token_hint", IMG_XSS)])),
        format!("/login?{}", enc(&[("req", IMG_XSS)])),
        format!("/consent?{}", enc(&[("req", IMG_XSS)])),
        format!("/authorize/resume?{}", enc(&[("req", IMG_XSS)])),
        format!(
            "/static/{}",
            enc(&[("x", IMG_XSS)]).trim_start_matches("x=")
        ),
        format!("/{}", enc(&[("x", IMG_XSS)]).trim_start_matches("x=")),
    ];
    for path in paths {
        let res = browse(&app, &path).await;
        let status = res.status();
        assert!(status.is_client_error(), "{path}: got {status}");
        assert!(res.headers().get("location").is_none(), "{path}");
        let body = res.text().await.unwrap();
        assert!(
            !body.contains("onerror") && !body.contains("<img"),
            "{path}: the input is echoed: {body}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Rule 13: secrets
// ---------------------------------------------------------------------------------------------

/// Every value of every column of every table, as text (table.column, value).
fn every_stored_value(app: &TestApp) -> Vec<(String, String)> {
    app.store
        .read(|c| {
            let tables: Vec<String> = c
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut out = Vec::new();
            for t in tables {
                let cols: Vec<String> = c
                    .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))?
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                for col in cols {
                    let mut st = c.prepare(&format!(
                        "SELECT CAST(\"{col}\" AS BLOB) FROM \"{t}\" WHERE \"{col}\" IS NOT NULL"
                    ))?;
                    let values: Vec<Vec<u8>> =
                        st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
                    for v in values {
                        out.push((
                            format!("{t}.{col}"),
                            String::from_utf8_lossy(&v).into_owned(),
                        ));
                    }
                }
            }
            Ok(out)
        })
        .expect("read the whole database")
}

/// The raw bytes of the database files (main file, WAL, shared memory).
fn database_bytes(app: &TestApp) -> Vec<u8> {
    let db = db_path(app.data_path());
    let mut out = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", db.display());
        if let Ok(bytes) = std::fs::read(&path) {
            out.extend(bytes);
        }
    }
    out
}

fn contains_bytes(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn rule_13_secrets_session_ids_codes_refresh_tokens_and_client_secrets_are_stored_hashed() {
    let app = spawn_oidc_app().await;
    let added = app
        .cli(
            &[
                "client",
                "add",
                "cli-app",
                "--redirect-uri",
                REDIRECT_URI,
                "--skip-consent",
                "--json",
            ],
            None,
        )
        .json();
    let client_secret = added["client_secret"]
        .as_str()
        .expect("a generated client secret")
        .to_owned();
    // A full flow, keeping every secret the browser and the client saw.
    let res = browse(&app, &AuthReq::new("cli-app").url(&app)).await;
    let login = location(&res);
    let handle = query_param(&app.url(&login), "req").expect("pending request handle");
    let login_html = browse(&app, &login).await.text().await.unwrap();
    let csrf = hidden(&login_html, "csrf_token").unwrap();
    let res = submit_login(&app, &login, "alice", PASSWORD).await;
    let session = cookie_value(&res, "latchkey_session").expect("session cookie");
    let j = drive(&app, res, "alice").await;
    let code = j.code();
    // That code stays unredeemed; a second one, with a known verifier, is exchanged.
    let (code2, verifier2) = get_code(&app, "cli-app", &[("scope", "openid offline_access")]).await;
    let t = exchange(
        &app,
        "cli-app",
        Some(&client_secret),
        &code2,
        Some(&verifier2),
    )
    .await;
    let refresh1 = str_of(&t, "refresh_token").to_owned();
    let t2 = token_ok(refresh(&app, "cli-app", &client_secret, &refresh1, None).await).await;
    let refresh2 = str_of(&t2, "refresh_token").to_owned();
    let secrets = [
        ("the client secret", client_secret.as_str()),
        ("the session cookie", session.as_str()),
        ("the pending request handle", handle.as_str()),
        ("an unredeemed code", code.as_str()),
        ("a redeemed code", code2.as_str()),
        ("the PKCE verifier", verifier2.as_str()),
        ("a used refresh token", refresh1.as_str()),
        ("a live refresh token", refresh2.as_str()),
        ("the access token", str_of(&t2, "access_token")),
        ("the ID token", str_of(&t2, "id_token")),
        ("the CSRF token", csrf.as_str()),
        ("the password", PASSWORD),
    ];
    let stored = every_stored_value(&app);
    let bytes = database_bytes(&app);
    for (what, secret) in secrets {
        for (column, value) in &stored {
            assert!(!value.contains(secret), "{what} is stored in {column}");
        }
        assert!(
            !contains_bytes(&bytes, secret),
            "{what} is somewhere in the database files"
        );
    }
    // Control: the scan does see the stored hashes.
    for (what, secret, column) in [
        (
            "client secret",
            client_secret.as_str(),
            "clients.secret_hash",
        ),
        ("session cookie", session.as_str(), "sessions.secret_hash"),
        ("code", code.as_str(), "auth_codes.code_hash"),
        (
            "refresh token",
            refresh2.as_str(),
            "refresh_tokens.token_hash",
        ),
    ] {
        let h = random::hash_token(secret);
        assert!(
            stored.iter().any(|(c, v)| c == column && *v == h),
            "the {what}'s hash is in {column}"
        );
    }
}

#[tokio::test]
async fn rule_13_secrets_generated_secrets_have_at_least_256_bits() {
    let app = spawn_oidc_app().await;
    let mut samples: Vec<(&str, String)> = Vec::new();
    for id in ["gen-a", "gen-b"] {
        let out = app
            .cli(
                &[
                    "client",
                    "add",
                    id,
                    "--redirect-uri",
                    REDIRECT_URI,
                    "--skip-consent",
                    "--json",
                ],
                None,
            )
            .json();
        samples.push(("client secret", str_of(&out, "client_secret").to_owned()));
    }
    let rotated = app
        .cli(&["client", "rotate-secret", "gen-a", "--json"], None)
        .json();
    samples.push((
        "rotated client secret",
        str_of(&rotated, "client_secret").to_owned(),
    ));
    let secret = samples[0].1.clone();
    for _ in 0..2 {
        let b = fresh_browser();
        let html = b
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        samples.push(("CSRF token", hidden(&html, "csrf_token").unwrap()));
        samples.push(("session cookie", sign_in(&app, "alice").await));
        let res = browse(
            &app,
            &AuthReq::new("gen-b").set("prompt", "login").url(&app),
        )
        .await;
        samples.push((
            "pending request handle",
            query_param(&app.url(&location(&res)), "req").unwrap(),
        ));
    }
    let secret = rotated["client_secret"]
        .as_str()
        .unwrap_or(&secret)
        .to_owned();
    for _ in 0..2 {
        let (code, verifier) = get_code(&app, "gen-a", &[("scope", "openid offline_access")]).await;
        samples.push(("code", code.clone()));
        let t = exchange(&app, "gen-a", Some(&secret), &code, Some(&verifier)).await;
        samples.push(("refresh token", str_of(&t, "refresh_token").to_owned()));
        samples.push((
            "access token jti",
            jwt_claims(str_of(&t, "access_token"))["jti"]
                .as_str()
                .unwrap()
                .to_owned(),
        ));
    }
    for (what, s) in &samples {
        assert!(
            s.len() >= 43 && is_base64url(s),
            "{what} {s:?}: at least 43 base64url characters (256 bits)"
        );
        assert!(shannon_bits(s) >= 128.0, "{what} {s:?} looks random");
        let dupes = samples.iter().filter(|(_, o)| o == s).count();
        assert_eq!(dupes, 1, "{what} repeats");
    }
}

/// `latchkey serve` as a child process, its stderr captured.
struct ChildServer {
    child: std::process::Child,
    log: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl ChildServer {
    fn start(data_dir: &std::path::Path, port: u16, log_level: &str) -> Self {
        use std::io::BufRead;
        let mut child = latchkey_cmd(data_dir)
            .arg("serve")
            .arg("--bind")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--issuer")
            .arg(format!("http://127.0.0.1:{port}"))
            .env("LATCHKEY_LOG_LEVEL", log_level)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start latchkey serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        let reader = std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "latchkey serve did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            child,
            log,
            reader: Some(reader),
        }
    }

    /// Stop the server and return everything it logged.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        self.log.lock().unwrap().clone()
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn rule_13_secrets_token_values_passwords_and_private_keys_never_reach_the_logs() {
    let data_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ChildServer::start(data_dir.path(), port, "trace");
    let mut settings = test_settings(data_dir.path());
    settings.bind = format!("127.0.0.1:{port}").parse().unwrap();
    settings.issuer = format!("http://127.0.0.1:{port}");
    let store = Store::open(&db_path(data_dir.path())).expect("open the server's database");
    let app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        data_dir,
        client: fresh_browser(),
        store,
        settings,
    };
    add_user(&app, "alice", "alice@example.com", Some("Alice Example"));
    let secret = add_client(&app, &app_spec()).unwrap();
    let wrong_password = "hunter2 but a much longer one";
    let failed = submit_login(&app, "/login", "alice", wrong_password).await;
    assert_eq!(failed.status(), 401);
    let session = sign_in(&app, "alice").await;
    let (code, verifier) = get_code(&app, "app", &[("scope", "openid offline_access")]).await;
    let t = exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    // Failures log their reasons: make sure they are exercised too.
    let r1 = str_of(&t, "refresh_token").to_owned();
    let t2 = token_ok(refresh(&app, "app", &secret, &r1, None).await).await;
    let reuse = refresh(&app, "app", &secret, &r1, None).await;
    assert_oauth_error(reuse, 400, "invalid_grant").await;
    let replay = redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    assert_oauth_error(replay, 400, "invalid_grant").await;
    let wrong_secret = random::token();
    let res = refresh(
        &app,
        "app",
        &wrong_secret,
        str_of(&t2, "refresh_token"),
        None,
    )
    .await;
    assert_oauth_error(res, 401, "invalid_client").await;
    assert_eq!(
        userinfo(&app, str_of(&t, "access_token")).await.status(),
        401
    );
    introspect(&app, &secret, str_of(&t2, "access_token")).await;
    post_form(
        &app,
        "/revoke",
        &[("token", str_of(&t2, "access_token"))],
        Some(("app", &secret)),
    )
    .await;
    let url = format!(
        "/logout?{}",
        serde_urlencoded::to_string([("id_token_hint", str_of(&t2, "id_token"))]).unwrap()
    );
    browse(&app, &url).await;
    let private_key = our_key(&app, Alg::RS256).private_pem;
    let key_line = private_key
        .lines()
        .nth(5)
        .expect("a line of the PEM body")
        .to_owned();

    let log = server.stop();
    assert!(log.contains("listening"), "the log was captured: {log}");
    for (what, secret) in [
        ("the client secret", secret.as_str()),
        ("a wrong client secret", wrong_secret.as_str()),
        ("the password", PASSWORD),
        ("a wrong password", wrong_password),
        ("the session cookie", session.as_str()),
        ("the code", code.as_str()),
        ("the PKCE verifier", verifier.as_str()),
        ("the access token", str_of(&t, "access_token")),
        ("the ID token", str_of(&t, "id_token")),
        ("a refresh token", r1.as_str()),
        ("the rotated refresh token", str_of(&t2, "refresh_token")),
        ("a private signing key", key_line.as_str()),
        ("a private key marker", "PRIVATE KEY"),
    ] {
        assert!(!log.contains(secret), "{what} is in the log:\n{log}");
    }
}

// ---------------------------------------------------------------------------------------------
// Rule 15: limits
// ---------------------------------------------------------------------------------------------

async fn assert_healthy(app: &TestApp) {
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200, "the server is still healthy");
}

#[tokio::test]
async fn rule_15_limits_a_body_over_64_kib_is_refused_with_a_4xx() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    sign_in(&app, "alice").await;
    let big = "x".repeat(70 * 1024);
    for path in [
        "/token",
        "/login",
        "/authorize",
        "/consent",
        "/logout",
        "/introspect",
        "/revoke",
        "/userinfo",
        "/account/password",
        "/account/apps/revoke",
    ] {
        let res = app
            .client
            .post(app.url(path))
            .header("Authorization", basic("app", &secret))
            .form(&[("grant_type", "authorization_code"), ("junk", big.as_str())])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: no answer: {e}"));
        let status = res.status();
        assert!(
            status.is_client_error(),
            "{path}: a 70 KiB body must get a 4xx (413), got {status}"
        );
    }
    assert_healthy(&app).await;
}

#[tokio::test]
async fn rule_15_limits_oversized_values_of_protocol_parameters_get_a_4xx_never_a_5xx() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let long = "a".repeat(10_000);
    // /authorize: an error page before the client is trusted, an error redirect after.
    for req in [
        AuthReq::new(&long),
        AuthReq::new("app").set("redirect_uri", &format!("{REDIRECT_URI}{long}")),
    ] {
        assert_error_page(browse(&app, &req.url(&app)).await).await;
    }
    for key in [
        "state",
        "nonce",
        "scope",
        "code_challenge",
        "prompt",
        "max_age",
    ] {
        let res = browse(&app, &AuthReq::new("app").set(key, &long).url(&app)).await;
        assert_eq!(res.status(), 302, "{key}");
        let loc = location(&res);
        assert!(
            query_param(&loc, "error").is_some() && query_param(&loc, "code").is_none(),
            "{key}: refused, got {loc:.200}"
        );
    }
    // /token
    for (what, form) in [
        (
            "code",
            vec![
                ("grant_type", "authorization_code"),
                ("code", long.as_str()),
                ("redirect_uri", REDIRECT_URI),
            ],
        ),
        (
            "refresh_token",
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", long.as_str()),
            ],
        ),
        ("grant_type", vec![("grant_type", long.as_str())]),
    ] {
        let res = token_request(&app, &form, Some(("app", &secret))).await;
        let status = res.status();
        assert!(status.is_client_error(), "/token {what}: got {status}");
    }
    let res = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", long.as_str()),
        ],
        None,
    )
    .await;
    assert_oauth_error(res, 401, "invalid_client").await;
    let res = token_request(
        &app,
        &[("grant_type", "refresh_token")],
        Some((long.as_str(), long.as_str())),
    )
    .await;
    assert_oauth_error(res, 401, "invalid_client").await;
    // /login
    for (user, pw) in [(long.as_str(), PASSWORD), ("alice", long.as_str())] {
        let res = submit_login(&app, "/login", user, pw).await;
        assert!(
            res.status().is_client_error(),
            "login: got {}",
            res.status()
        );
        assert!(cookie_value(&res, "latchkey_session").is_none());
    }
    // /userinfo and /introspect
    assert_eq!(userinfo(&app, &long).await.status(), 401);
    assert_eq!(
        introspect(&app, &secret, &long).await,
        json!({ "active": false })
    );
    assert_healthy(&app).await;
}

/// A valid request for each endpoint, with `extra` parameters added: (what, response).
async fn valid_requests_with(
    app: &TestApp,
    secret: &str,
    extra: &[(String, String)],
) -> Vec<(&'static str, Response)> {
    let mut out = Vec::new();
    // /authorize (alice is signed in: without the extras this gets a code)
    let mut req = AuthReq::new("app");
    for (k, v) in extra {
        req = req.add(k, v);
    }
    out.push(("/authorize", browse(app, &req.url(app)).await));
    // /token
    let (code, verifier) = get_code(app, "app", &[]).await;
    let mut form: Vec<(&str, &str)> = vec![
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", &verifier),
    ];
    form.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    out.push((
        "/token",
        token_request(app, &form, Some(("app", secret))).await,
    ));
    // /login
    let b = fresh_browser();
    let html = b
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf_token").unwrap();
    let mut form: Vec<(&str, &str)> = vec![
        ("username", "alice"),
        ("password", PASSWORD),
        ("csrf_token", &csrf),
    ];
    form.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    out.push((
        "/login",
        b.post(app.url("/login")).form(&form).send().await.unwrap(),
    ));
    out
}

/// A refusal: a 4xx, or (at /authorize, once the client is trusted) an error sent back to it.
fn assert_refused(what: &str, res: &Response) {
    let status = res.status();
    if status == 302 {
        let loc = location(res);
        assert!(
            loc.starts_with(REDIRECT_URI)
                && query_param(&loc, "error").as_deref() == Some("invalid_request"),
            "{what}: must be refused, got a redirect to {loc:.300}"
        );
    } else {
        assert!(
            status.is_client_error(),
            "{what}: must be refused, got {status}"
        );
    }
}

/// The generic cap on a parameter's length (`MAX_VALUE_BYTES`, 16 KiB) holds for parameters
/// the endpoint does not even read. (A 10,000-character value of an unknown parameter is under
/// that cap and is ignored like any unknown parameter; 10,000-character values of the protocol
/// parameters are refused by their own limits, see the test above.)
#[tokio::test]
async fn rule_15_limits_a_value_over_the_length_cap_is_refused_for_any_parameter() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    sign_in(&app, "alice").await;
    // Controls: the same requests without the extra parameter succeed.
    for (what, res) in valid_requests_with(&app, &secret, &[]).await {
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "control {what}: {}",
            res.status()
        );
        if what == "/authorize" {
            assert!(query_param(&location(&res), "code").is_some());
        }
    }
    let under = [("x".to_owned(), "a".repeat(10_000))];
    for (what, res) in valid_requests_with(&app, &secret, &under).await {
        assert!(
            !res.status().is_server_error(),
            "{what} with a 10,000-character parameter: {}",
            res.status()
        );
    }
    let over = [(
        "x".to_owned(),
        "a".repeat(latchkey::oidc::params::MAX_VALUE_BYTES + 1),
    )];
    for (what, res) in valid_requests_with(&app, &secret, &over).await {
        assert_refused(&format!("{what} with a parameter over the cap"), &res);
    }
    assert_healthy(&app).await;
}

#[tokio::test]
async fn rule_15_limits_a_thousand_parameters_are_refused() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    sign_in(&app, "alice").await;
    let extra: Vec<(String, String)> = (0..1000)
        .map(|i| (format!("p{i}"), "1".to_owned()))
        .collect();
    for (what, res) in valid_requests_with(&app, &secret, &extra).await {
        assert_refused(&format!("{what} with 1,000 extra parameters"), &res);
    }
    assert_healthy(&app).await;
}

#[tokio::test]
async fn rule_15_limits_a_huge_header_or_too_many_headers_get_a_4xx() {
    let app = spawn_oidc_app().await;
    let big = "x".repeat(140 * 1024);
    let res = plain_client()
        .get(app.url("/"))
        .header("X-Big", big.as_str())
        .send()
        .await
        .expect("an answer to a 140 KiB header");
    assert!(
        res.status().is_client_error(),
        "140 KiB header: {}",
        res.status()
    );
    let mut rb = plain_client().get(app.url("/"));
    for i in 0..200 {
        rb = rb.header(format!("x-h{i}"), "1");
    }
    let res = rb.send().await.expect("an answer to 200 headers");
    assert!(
        res.status().is_client_error(),
        "200 headers: {}",
        res.status()
    );
    // Large but legal ones are handled, not crashed on.
    let res = plain_client()
        .get(app.url("/"))
        .header("Cookie", format!("latchkey_session={}", "a".repeat(20_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "an oversized session cookie is ignored");
    let res = userinfo(&app, &"a.b.".repeat(5_000)).await;
    assert_eq!(res.status(), 401);
    assert_healthy(&app).await;
}

#[tokio::test]
async fn rule_15_limits_repeated_oauth_parameters_are_invalid_request() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    sign_in(&app, "alice").await;
    // /authorize, once the client is trusted: an error back to the client. The repeat carries
    // the same value, so only the repetition itself is wrong.
    let base = AuthReq::new("app").set("response_mode", "query");
    for key in [
        "response_type",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "response_mode",
    ] {
        let value = base
            .params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap();
        let res = browse(&app, &base.clone().add(key, &value).url(&app)).await;
        let loc = location(&res);
        assert_eq!(res.status(), 302, "{key}");
        assert_eq!(
            query_param(&loc, "error").as_deref(),
            Some("invalid_request"),
            "{key}: {loc}"
        );
        assert!(query_param(&loc, "code").is_none(), "{key}");
    }
    for key in ["prompt", "max_age", "login_hint"] {
        let value = if key == "max_age" {
            "3600"
        } else if key == "prompt" {
            "none"
        } else {
            "alice"
        };
        let req = base.clone().set(key, value).add(key, value);
        let res = browse(&app, &req.url(&app)).await;
        let loc = location(&res);
        assert_eq!(
            query_param(&loc, "error").as_deref(),
            Some("invalid_request"),
            "{key}: {loc}"
        );
    }
    // Before the client is trusted: an error page.
    for key in ["client_id", "redirect_uri"] {
        let value = if key == "client_id" {
            "app"
        } else {
            REDIRECT_URI
        };
        assert_error_page(browse(&app, &base.clone().add(key, value).url(&app)).await).await;
    }
    // /token
    for key in [
        "grant_type",
        "code",
        "redirect_uri",
        "code_verifier",
        "client_id",
        "scope",
    ] {
        let (code, verifier) = get_code(&app, "app", &[]).await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier.as_str()),
            ("client_id", "app"),
            ("scope", "openid"),
        ];
        let dup = *form.iter().find(|(k, _)| *k == key).unwrap();
        form.push(dup);
        let res = token_request(&app, &form, Some(("app", &secret))).await;
        assert_oauth_error(res, 400, "invalid_request").await;
    }
    let res = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "app"),
            ("client_secret", &secret),
            ("client_secret", &secret),
        ],
        None,
    )
    .await;
    assert_oauth_error(res, 400, "invalid_request").await;
}

#[tokio::test]
async fn rule_15_limits_repeated_parameters_are_invalid_request_at_revoke_and_introspect() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let r = str_of(&t, "refresh_token");
    let a = str_of(&t, "access_token");
    let mut wrong = Vec::new();
    for path in ["/introspect", "/revoke"] {
        for (what, form) in [
            ("token twice", vec![("token", r), ("token", a)]),
            (
                "token_type_hint twice",
                vec![
                    ("token", a),
                    ("token_type_hint", "access_token"),
                    ("token_type_hint", "refresh_token"),
                ],
            ),
        ] {
            let res = post_form(&app, path, &form, Some(("app", &secret))).await;
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            let code = serde_json::from_str::<Value>(&body)
                .ok()
                .map(|v| v["error"].clone());
            if status != 400 || code != Some(json!("invalid_request")) {
                wrong.push(format!("{path} with {what}: {status} {body}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "repeated parameters must be 400 invalid_request:\n{}",
        wrong.join("\n")
    );
}
