//! JWS compact tokens: signing with our keys, verification pinned to our keys and algorithms.

use super::keys::{Alg, KeyRing};
use josekit::jws::JwsHeader;
use josekit::jwt::{self, JwtPayload};
use serde_json::{Map, Value};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwtError {
    #[error("no active signing key for {0}")]
    NoKey(&'static str),
    #[error("token is malformed")]
    Malformed,
    #[error("token header names an unknown key or algorithm")]
    UnknownKey,
    #[error("token has the wrong type")]
    WrongType,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("signing failed: {0}")]
    Sign(String),
}

/// Sign `claims` with the newest active key for `alg`, setting `typ` (e.g. `at+jwt`, `JWT`).
pub fn sign(
    ring: &KeyRing,
    alg: Alg,
    typ: &str,
    claims: Map<String, Value>,
) -> Result<String, JwtError> {
    let payload = JwtPayload::from_map(claims).map_err(|e| JwtError::Sign(e.to_string()))?;
    sign_payload(ring, alg, typ, &payload)
}

/// [`sign`], and remember the token so that this process takes it back without checking its
/// signature again ([`super::recently_signed`]): for access tokens, presented at once.
pub fn sign_remembered(
    ring: &KeyRing,
    alg: Alg,
    typ: &str,
    claims: Map<String, Value>,
) -> Result<String, JwtError> {
    let payload = JwtPayload::from_map(claims).map_err(|e| JwtError::Sign(e.to_string()))?;
    let token = sign_payload(ring, alg, typ, &payload)?;
    // The claims move into the cache: no copy of them is made.
    ring.recently_signed().remember(&token, typ, payload.into());
    Ok(token)
}

fn sign_payload(
    ring: &KeyRing,
    alg: Alg,
    typ: &str,
    payload: &JwtPayload,
) -> Result<String, JwtError> {
    let key = ring.signing_key(alg).ok_or(JwtError::NoKey(alg.as_str()))?;
    let mut header = JwsHeader::new();
    header.set_token_type(typ);
    header.set_key_id(&key.kid);
    jwt::encode_with_signer(payload, &header, key.signer())
        .map_err(|e| JwtError::Sign(e.to_string()))
}

/// Verify a token we issued: the `kid` must be one of ours and the header `alg` must be that
/// key's own algorithm (so `none`, HS*, and key-confusion tricks never reach a verifier).
/// `typ` must equal `expected_typ` (case-insensitively, as RFC 8725 §3.11 allows).
/// Claims (exp, iss, aud) are the caller's to check.
pub fn verify(
    ring: &KeyRing,
    token: &str,
    expected_typ: &[&str],
) -> Result<Map<String, Value>, JwtError> {
    if token.len() > 16 * 1024 || token.split('.').count() != 3 {
        return Err(JwtError::Malformed);
    }
    if let Some(claims) = ring.recently_signed().claims(token, expected_typ) {
        return Ok(claims);
    }
    let header = jwt::decode_header(token).map_err(|_| JwtError::Malformed)?;
    let kid = header
        .claim("kid")
        .and_then(Value::as_str)
        .ok_or(JwtError::UnknownKey)?;
    let alg = header
        .claim("alg")
        .and_then(Value::as_str)
        .ok_or(JwtError::UnknownKey)?;
    let key = ring.by_kid(kid).ok_or(JwtError::UnknownKey)?;
    if Alg::parse(alg) != Some(key.alg) {
        return Err(JwtError::UnknownKey);
    }
    let typ = header.claim("typ").and_then(Value::as_str).unwrap_or("");
    if !expected_typ.iter().any(|t| t.eq_ignore_ascii_case(typ)) {
        return Err(JwtError::WrongType);
    }
    let (payload, _) =
        jwt::decode_with_verifier(token, key.verifier()).map_err(|_| JwtError::BadSignature)?;
    Ok(payload.claims_set().clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::keys::generate;

    fn ring() -> KeyRing {
        let mats: Vec<_> = Alg::ALL.iter().map(|a| generate(*a, 1).unwrap()).collect();
        KeyRing::load(&mats).unwrap()
    }

    #[test]
    fn signed_tokens_verify_for_every_algorithm() {
        let ring = ring();
        for alg in Alg::ALL {
            let mut c = Map::new();
            c.insert("sub".into(), "abc".into());
            let t = sign(&ring, alg, "at+jwt", c).unwrap();
            let claims = verify(&ring, &t, &["at+jwt"]).unwrap();
            assert_eq!(claims["sub"], "abc");
            assert_eq!(verify(&ring, &t, &["JWT"]), Err(JwtError::WrongType));
        }
    }

    #[test]
    fn alg_none_and_foreign_keys_are_rejected() {
        let ring = ring();
        let other = super::super::keys::KeyRing::load(&[generate(Alg::ES256, 1).unwrap()]).unwrap();
        let t = sign(&other, Alg::ES256, "JWT", Map::new()).unwrap();
        assert_eq!(verify(&ring, &t, &["JWT"]), Err(JwtError::UnknownKey));
        // alg none with one of our kids
        let kid = &ring.signing_key(Alg::RS256).unwrap().kid;
        use base64::Engine;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let h = e.encode(format!(r#"{{"alg":"none","kid":"{kid}","typ":"JWT"}}"#));
        let p = e.encode(r#"{"sub":"x"}"#);
        assert_eq!(
            verify(&ring, &format!("{h}.{p}."), &["JWT"]),
            Err(JwtError::UnknownKey)
        );
        let h = e.encode(format!(r#"{{"alg":"HS256","kid":"{kid}","typ":"JWT"}}"#));
        assert_eq!(
            verify(&ring, &format!("{h}.{p}.abc"), &["JWT"]),
            Err(JwtError::UnknownKey)
        );
        assert_eq!(verify(&ring, "garbage", &["JWT"]), Err(JwtError::Malformed));
    }

    fn claims(sub: &str) -> Map<String, Value> {
        let mut c = Map::new();
        c.insert("sub".into(), sub.into());
        c
    }

    #[test]
    fn a_remembered_token_comes_back_with_its_claims_and_any_other_bytes_are_verified() {
        let ring = ring();
        for alg in Alg::ALL {
            let t = sign_remembered(&ring, alg, "at+jwt", claims("abc")).unwrap();
            assert_eq!(verify(&ring, &t, &["at+jwt"]).unwrap()["sub"], "abc");
            // The type is checked on the remembered token as on any other.
            assert_eq!(verify(&ring, &t, &["JWT"]), Err(JwtError::WrongType));
            // Same header and payload, another signature: not ours, so it is checked and fails.
            let (head, sig) = t.rsplit_once('.').unwrap();
            let flipped = if sig.starts_with('A') { "B" } else { "A" };
            let forged = format!("{head}.{flipped}{}", &sig[1..]);
            assert_eq!(
                verify(&ring, &forged, &["at+jwt"]),
                Err(JwtError::BadSignature)
            );
        }
        assert_eq!(ring.recently_signed().remembered(), Alg::ALL.len());
    }

    #[test]
    fn a_new_ring_remembers_nothing_and_memory_is_bounded() {
        let ring = ring();
        let t = sign_remembered(&ring, Alg::ES256, "at+jwt", claims("abc")).unwrap();
        // A reloaded ring without the signing key refuses the token, remembered or not.
        let others = [generate(Alg::ES256, 1).unwrap()];
        let reloaded = KeyRing::load(&others).unwrap();
        assert_eq!(reloaded.recently_signed().remembered(), 0);
        assert_eq!(
            verify(&reloaded, &t, &["at+jwt"]),
            Err(JwtError::UnknownKey)
        );
        let first = t;
        for n in 0..crate::crypto::recently_signed::CAPACITY {
            sign_remembered(&ring, Alg::EdDSA, "at+jwt", claims(&n.to_string())).unwrap();
        }
        assert_eq!(
            ring.recently_signed().remembered(),
            crate::crypto::recently_signed::CAPACITY
        );
        assert!(ring.recently_signed().claims(&first, &["at+jwt"]).is_none());
        // Forgotten, it still verifies by its signature.
        assert_eq!(verify(&ring, &first, &["at+jwt"]).unwrap()["sub"], "abc");
    }
}
