//! Passkeys without a browser: the JSON ceremony endpoints refuse what they must (4xx JSON,
//! never a 500), ceremonies are single-use and expire, enrolment and removal need a fresh
//! sign-in and the CSRF token, the last way in stays, doctor's `passkeys-impossible`. Real
//! ceremonies with an authenticator run in Chromium: tests/e2e/passkeys.test.js.

mod account;
mod ceremonies;
mod doctor;

use crate::support::*;
use latchkey::clock::FixedClock;
use latchkey::crypto::random;
use latchkey::store::{passkeys, sessions, users};
use serde_json::{Value, json};

/// A server with user alice whose issuer is `http://localhost:PORT` (passkeys need a domain
/// name), and the clock it runs on.
pub async fn passkey_app() -> (TestApp, FixedClock) {
    let clock = clock_now();
    let app = spawn_at(&clock, |s| {
        s.issuer = format!("http://localhost:{}", s.bind.port());
    })
    .await;
    (app, clock)
}

/// The CSRF token of the page at `path`, for the app's browser.
pub async fn csrf_of(app: &TestApp, path: &str) -> String {
    let html = browse(app, path).await.text().await.unwrap();
    hidden(&html, "csrf_token").unwrap_or_else(|| panic!("no CSRF token on {path}: {html}"))
}

/// POST JSON with the app's browser: the status and the JSON answer (asserted to be JSON).
pub async fn post_json(app: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(path))
        .json(body)
        .send()
        .await
        .unwrap();
    json_answer(res).await
}

pub async fn json_answer(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        ct.starts_with("application/json"),
        "{status}: content-type {ct}"
    );
    assert_eq!(
        res.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    (status, res.json().await.unwrap())
}

/// A registered passkey for `username`, as webauthn-rs stores one (the key is a placeholder:
/// no ceremony here gets as far as checking a signature with it). Returns its row id.
pub fn store_passkey(app: &TestApp, username: &str, credential_id: &str, name: &str) -> i64 {
    let credential = json!({"cred": {
        "cred_id": credential_id,
        "cred": {"type_": "ES256", "key": {"EC_EC2": {"curve": "SECP256R1",
            "x": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "y": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}},
        "counter": 0, "transports": null, "user_verified": true,
        "backup_eligible": false, "backup_state": false, "registration_policy": "required",
        "extensions": {"cred_protect": "NotRequested", "hmac_create_secret": "NotRequested",
            "appid": "NotRequested", "cred_props": "Ignored"},
        "attestation": {"data": "None", "metadata": "None"}, "attestation_format": "none"
    }})
    .to_string();
    app.store
        .write(|c| {
            let u = users::get_user_by_username(c, username)?;
            let handle = format!("6f1b9d1e-6a8e-4d55-9b39-8a0f4e7d2c{:02x}", u.id);
            passkeys::user_handle(c, u.id, &handle)?;
            passkeys::insert_passkey(
                c,
                &passkeys::NewPasskey {
                    user_id: u.id,
                    credential_id,
                    name,
                    credential: &credential,
                    backup_eligible: false,
                },
                1,
            )
        })
        .unwrap()
}

/// A well-formed WebAuthn assertion that proves nothing: the signature is garbage and the
/// client data names another challenge. Its user handle is that of the first user (alice).
pub fn bogus_assertion(app: &TestApp, credential_id: &str) -> Value {
    use base64::Engine;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let client_data = json!({
        "type": "webauthn.get",
        "challenge": b64(b"not the challenge you sent"),
        "origin": app.settings.issuer,
    })
    .to_string();
    json!({
        "id": credential_id,
        "rawId": credential_id,
        "type": "public-key",
        "response": {
            "authenticatorData": b64(&[0u8; 37]),
            "clientDataJSON": b64(client_data.as_bytes()),
            "signature": b64(&[1u8; 64]),
            "userHandle": b64(&[0x6f, 0x1b, 0x9d, 0x1e, 0x6a, 0x8e, 0x4d, 0x55, 0x9b, 0x39, 0x8a, 0x0f, 0x4e, 0x7d, 0x2c, 0x01]),
        },
        "extensions": {},
    })
}

/// Make the session behind `cookie` count as signed in with a passkey after its password (as
/// the second-factor page does after a real assertion), now.
pub fn step_up_in_store(app: &TestApp, cookie: &str, now: i64) {
    let hash = random::hash_token(cookie);
    app.store
        .write(|c| {
            let s = sessions::find_session_by_secret(c, &hash)?.expect("the session");
            sessions::step_up_session(c, s.id, &hash, "pwd hwk user", now)
        })
        .unwrap();
}
