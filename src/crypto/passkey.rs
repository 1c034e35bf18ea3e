//! Passkeys (WebAuthn Level 2/3) through webauthn-rs, the only user of it: the two halves of a
//! registration and of a sign-in, with the browser's JSON in and out, and the ceremony state
//! and credentials as opaque JSON strings for the store. No CBOR, COSE or attestation code of
//! our own.
//!
//! The relying party is the issuer: its host is the RP id, its origin the only origin allowed.
//! A passkey is bound to the RP id, so a new issuer host orphans every passkey (README).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use std::time::Duration;
use webauthn_rs::prelude::*;

/// How long the browser (and the user) has for one ceremony; the state is kept as long.
pub const CEREMONY_SECS: i64 = 300;

#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The issuer cannot be a WebAuthn relying party (see [`relying_party_of`]).
    #[error("{0}")]
    Impossible(String),
    /// The browser's answer is not a WebAuthn credential.
    #[error("malformed WebAuthn response: {0}")]
    Malformed(String),
    /// A well-formed answer that does not prove what it must (signature, challenge, origin,
    /// user verification, ...).
    #[error("the passkey was not accepted: {0}")]
    Rejected(String),
    /// Stored state or credential that does not deserialise.
    #[error("stored passkey data is corrupt: {0}")]
    Corrupt(String),
}

/// The RP id and origin for `issuer`, or why passkeys cannot work with it: browsers accept
/// only a domain name as the RP id (never an IP address), and only a secure origin (https, or
/// http on `localhost` and `*.localhost`).
pub fn relying_party_of(issuer: &str) -> Result<(String, Url), String> {
    let url = Url::parse(issuer).map_err(|e| format!("the issuer is not a URL: {e}"))?;
    let host = match url.host() {
        Some(url::Host::Domain(d)) => d.to_ascii_lowercase(),
        Some(_) => {
            return Err(format!(
                "the issuer {issuer} has an IP address as its host; browsers only accept a domain name as a passkey's relying party"
            ));
        }
        None => return Err(format!("the issuer {issuer} has no host")),
    };
    let local = host == "localhost" || host.ends_with(".localhost");
    if url.scheme() != "https" && !local {
        return Err(format!(
            "the issuer {issuer} is plain http on a host other than localhost; browsers offer passkeys only on https pages"
        ));
    }
    let origin = Url::parse(&url.origin().ascii_serialization())
        .map_err(|e| format!("the issuer's origin is not a URL: {e}"))?;
    Ok((host, origin))
}

/// A passkey that was just registered.
#[derive(Debug, Clone)]
pub struct NewCredential {
    /// base64url, no padding.
    pub credential_id: String,
    /// The serialised credential, for the store.
    pub credential: String,
    pub backup_eligible: bool,
}

/// A passkey that proved itself.
#[derive(Debug, Clone)]
pub struct Assertion {
    pub credential_id: String,
    /// The authenticator verified the user (PIN, biometrics). Always true: latchkey asks for it.
    pub user_verified: bool,
    /// The key may be synced: `swk` rather than `hwk`.
    pub backup_eligible: bool,
    /// The credential with its new counter and flags, when they changed.
    pub updated: Option<String>,
}

/// latchkey as a WebAuthn relying party.
pub struct RelyingParty {
    webauthn: Webauthn,
}

fn corrupt(e: impl std::fmt::Display) -> PasskeyError {
    PasskeyError::Corrupt(e.to_string())
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, PasskeyError> {
    serde_json::to_string(v).map_err(corrupt)
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, PasskeyError> {
    serde_json::from_str(s).map_err(corrupt)
}

fn parse_response<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, PasskeyError> {
    T::deserialize(v).map_err(|e| PasskeyError::Malformed(e.to_string()))
}

fn rejected(e: WebauthnError) -> PasskeyError {
    PasskeyError::Rejected(e.to_string())
}

/// The id of a credential in a browser's answer, base64url without padding.
pub fn credential_id_of(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

fn user_uuid(handle: &str) -> Result<Uuid, PasskeyError> {
    Uuid::parse_str(handle).map_err(corrupt)
}

/// A fresh random user handle (a UUID, as webauthn-rs wants it).
pub fn new_user_handle() -> String {
    Uuid::new_v4().to_string()
}

fn passkey_of(stored: &str) -> Result<Passkey, PasskeyError> {
    from_json(stored)
}

impl RelyingParty {
    /// The relying party of this issuer (see [`relying_party_of`]).
    pub fn for_issuer(issuer: &str) -> Result<Self, PasskeyError> {
        let (rp_id, origin) = relying_party_of(issuer).map_err(PasskeyError::Impossible)?;
        let webauthn = WebauthnBuilder::new(&rp_id, &origin)
            .and_then(|b| {
                b.rp_name("latchkey")
                    .timeout(Duration::from_secs(CEREMONY_SECS as u64))
                    .build()
            })
            .map_err(|e| PasskeyError::Impossible(e.to_string()))?;
        Ok(Self { webauthn })
    }

    /// Options for `navigator.credentials.create` and the state to keep until the answer.
    /// `existing`: the user's stored credentials, which the authenticator must not register
    /// twice. The key is asked to be discoverable (a passkey signs in without a username) and
    /// to verify the user.
    pub fn begin_registration(
        &self,
        user_handle: &str,
        username: &str,
        display_name: &str,
        existing: &[String],
    ) -> Result<(Value, String), PasskeyError> {
        let exclude = existing
            .iter()
            .map(|c| passkey_of(c).map(|p| p.cred_id().clone()))
            .collect::<Result<Vec<_>, _>>()?;
        let (ccr, state) = self
            .webauthn
            .start_passkey_registration(
                user_uuid(user_handle)?,
                username,
                display_name,
                Some(exclude),
            )
            .map_err(rejected)?;
        let mut options = serde_json::to_value(&ccr).map_err(corrupt)?;
        // webauthn-rs leaves residency to the authenticator; latchkey's passkey sign-in is
        // usernameless, so it needs a discoverable credential. Only the browser's hint
        // changes: the state and its checks stay webauthn-rs's.
        if let Some(sel) = options
            .pointer_mut("/publicKey/authenticatorSelection")
            .and_then(Value::as_object_mut)
        {
            sel.insert("residentKey".into(), "required".into());
            sel.insert("requireResidentKey".into(), true.into());
        }
        Ok((options, to_json(&state)?))
    }

    /// Check the browser's answer to [`Self::begin_registration`].
    pub fn finish_registration(
        &self,
        response: &Value,
        state: &str,
    ) -> Result<NewCredential, PasskeyError> {
        let reg: RegisterPublicKeyCredential = parse_response(response)?;
        let state: PasskeyRegistration = from_json(state)?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&reg, &state)
            .map_err(rejected)?;
        let backup_eligible = Credential::from(passkey.clone()).backup_eligible;
        Ok(NewCredential {
            credential_id: credential_id_of(passkey.cred_id()),
            credential: to_json(&passkey)?,
            backup_eligible,
        })
    }

    /// Options for a usernameless sign-in (`navigator.credentials.get` without allowed
    /// credentials, user verification required), and the state to keep.
    pub fn begin_sign_in(&self) -> Result<(Value, String), PasskeyError> {
        let (rcr, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(rejected)?;
        let options = serde_json::to_value(&rcr).map_err(corrupt)?;
        Ok((options, to_json(&state)?))
    }

    /// The user handle and credential id a usernameless answer claims (not yet verified).
    pub fn identify(&self, response: &Value) -> Result<(String, String), PasskeyError> {
        let cred: PublicKeyCredential = parse_response(response)?;
        let (user, cred_id) = self
            .webauthn
            .identify_discoverable_authentication(&cred)
            .map_err(|e| PasskeyError::Malformed(e.to_string()))?;
        Ok((user.to_string(), credential_id_of(cred_id)))
    }

    /// Verify a usernameless answer against the stored credential it names.
    pub fn finish_sign_in(
        &self,
        response: &Value,
        state: &str,
        credential: &str,
    ) -> Result<Assertion, PasskeyError> {
        let cred: PublicKeyCredential = parse_response(response)?;
        let state: DiscoverableAuthentication = from_json(state)?;
        let passkey = passkey_of(credential)?;
        let result = self
            .webauthn
            .finish_discoverable_authentication(&cred, state, &[DiscoverableKey::from(&passkey)])
            .map_err(rejected)?;
        assertion(passkey, &result)
    }

    /// Options for a passkey on top of a session: one of `credentials` (the user's own).
    pub fn begin_second_factor(
        &self,
        credentials: &[String],
    ) -> Result<(Value, String), PasskeyError> {
        let keys = credentials
            .iter()
            .map(|c| passkey_of(c))
            .collect::<Result<Vec<_>, _>>()?;
        let (rcr, state) = self
            .webauthn
            .start_passkey_authentication(&keys)
            .map_err(rejected)?;
        let options = serde_json::to_value(&rcr).map_err(corrupt)?;
        Ok((options, to_json(&state)?))
    }

    /// The credential id of any answer (registration or assertion), base64url.
    pub fn response_credential_id(&self, response: &Value) -> Result<String, PasskeyError> {
        let cred: PublicKeyCredential = parse_response(response)?;
        Ok(credential_id_of(cred.get_credential_id()))
    }

    /// Verify an answer to [`Self::begin_second_factor`] made with `credential`.
    pub fn finish_second_factor(
        &self,
        response: &Value,
        state: &str,
        credential: &str,
    ) -> Result<Assertion, PasskeyError> {
        let cred: PublicKeyCredential = parse_response(response)?;
        let state: PasskeyAuthentication = from_json(state)?;
        let passkey = passkey_of(credential)?;
        let result = self
            .webauthn
            .finish_passkey_authentication(&cred, &state)
            .map_err(rejected)?;
        if result.cred_id() != passkey.cred_id() {
            return Err(PasskeyError::Rejected(
                "the answer was made with another passkey".into(),
            ));
        }
        assertion(passkey, &result)
    }
}

fn assertion(
    mut passkey: Passkey,
    result: &AuthenticationResult,
) -> Result<Assertion, PasskeyError> {
    let changed = passkey.update_credential(result) == Some(true);
    Ok(Assertion {
        credential_id: credential_id_of(result.cred_id()),
        user_verified: result.user_verified(),
        backup_eligible: result.backup_eligible(),
        updated: if changed {
            Some(to_json(&passkey)?)
        } else {
            None
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_issuers_host_and_origin() {
        let (id, origin) = relying_party_of("https://Login.Example.com/sso").unwrap();
        assert_eq!(id, "login.example.com");
        assert_eq!(origin.as_str(), "https://login.example.com/");
        let (id, origin) = relying_party_of("http://localhost:8080").unwrap();
        assert_eq!(id, "localhost");
        assert_eq!(origin.as_str(), "http://localhost:8080/");
        assert!(relying_party_of("http://auth.localhost:9000").is_ok());
        assert!(RelyingParty::for_issuer("http://localhost:8080").is_ok());
    }

    #[test]
    fn an_ip_address_or_plain_http_elsewhere_makes_passkeys_impossible() {
        for issuer in [
            "http://127.0.0.1:8080",
            "https://192.0.2.7",
            "https://[::1]:8443",
            "http://login.example.com",
        ] {
            assert!(relying_party_of(issuer).is_err(), "{issuer}");
            assert!(matches!(
                RelyingParty::for_issuer(issuer),
                Err(PasskeyError::Impossible(_))
            ));
        }
    }

    #[test]
    fn registration_options_ask_for_a_discoverable_user_verified_key_and_state_round_trips() {
        let rp = RelyingParty::for_issuer("https://login.example.com").unwrap();
        let handle = new_user_handle();
        let (options, state) = rp
            .begin_registration(&handle, "alice", "Alice", &[])
            .unwrap();
        let sel = &options["publicKey"]["authenticatorSelection"];
        assert_eq!(sel["residentKey"], "required");
        assert_eq!(sel["userVerification"], "required");
        assert_eq!(options["publicKey"]["rp"]["id"], "login.example.com");
        assert!(serde_json::from_str::<PasskeyRegistration>(&state).is_ok());
        let garbage = serde_json::json!({"id": "x", "type": "public-key"});
        assert!(matches!(
            rp.finish_registration(&garbage, &state),
            Err(PasskeyError::Malformed(_))
        ));
    }

    #[test]
    fn a_usernameless_sign_in_allows_any_credential_and_requires_user_verification() {
        let rp = RelyingParty::for_issuer("http://localhost:8080").unwrap();
        let (options, state) = rp.begin_sign_in().unwrap();
        assert_eq!(options["publicKey"]["userVerification"], "required");
        assert_eq!(
            options["publicKey"]["allowCredentials"],
            serde_json::json!([])
        );
        assert!(serde_json::from_str::<DiscoverableAuthentication>(&state).is_ok());
    }
}
