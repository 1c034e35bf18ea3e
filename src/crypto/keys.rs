//! Signing keys: generation, the in-memory KeyRing, and the public JWK Set.

use super::CryptoError;
use josekit::jwk::Jwk;
use josekit::jwk::KeyPair;
use josekit::jwk::alg::ed::EdCurve;
use josekit::jws::{ES256, EdDSA, JwsSigner, JwsVerifier, RS256};

/// The JWS algorithms we sign with. Nothing else is ever accepted when verifying.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Alg {
    RS256,
    ES256,
    EdDSA,
}

impl Alg {
    pub const ALL: [Alg; 3] = [Alg::RS256, Alg::ES256, Alg::EdDSA];

    pub fn as_str(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::ES256 => "ES256",
            Alg::EdDSA => "EdDSA",
        }
    }
    pub fn parse(s: &str) -> Option<Alg> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A key as stored: the private key as PKCS#8 PEM. Never logged (Debug hides it).
#[derive(Clone)]
pub struct KeyMaterial {
    pub kid: String,
    pub alg: Alg,
    pub private_pem: String,
    pub created_at: i64,
    /// When the key stopped signing; it is still published for verification for a while.
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// Create a fresh key: RSA-2048 for RS256, P-256 for ES256, Ed25519 for EdDSA.
pub fn generate(alg: Alg, now: i64) -> Result<KeyMaterial, CryptoError> {
    let pem = match alg {
        Alg::RS256 => RS256.generate_key_pair(2048)?.to_pem_private_key(),
        Alg::ES256 => ES256.generate_key_pair()?.to_pem_private_key(),
        Alg::EdDSA => EdDSA
            .generate_key_pair(EdCurve::Ed25519)?
            .to_pem_private_key(),
    };
    let private_pem = String::from_utf8(pem).map_err(|e| CryptoError::Key(e.to_string()))?;
    let kid = format!(
        "{}-{}",
        alg.as_str().to_ascii_lowercase(),
        &super::random::token()[..16]
    );
    Ok(KeyMaterial {
        kid,
        alg,
        private_pem,
        created_at: now,
        retired_at: None,
    })
}

/// One loaded key, ready to sign and verify.
pub struct LoadedKey {
    pub kid: String,
    pub alg: Alg,
    pub active: bool,
    pub created_at: i64,
    pub public_jwk: Jwk,
    signer: Box<dyn JwsSigner>,
    verifier: Box<dyn JwsVerifier>,
}

impl LoadedKey {
    fn load(m: &KeyMaterial) -> Result<Self, CryptoError> {
        let pem = m.private_pem.as_bytes();
        let (signer, verifier, mut jwk): (Box<dyn JwsSigner>, Box<dyn JwsVerifier>, Jwk) =
            match m.alg {
                Alg::RS256 => {
                    let pair = RS256.key_pair_from_pem(pem)?;
                    let jwk = pair.to_jwk_public_key();
                    (
                        Box::new(RS256.signer_from_pem(pem)?),
                        Box::new(RS256.verifier_from_jwk(&jwk)?),
                        jwk,
                    )
                }
                Alg::ES256 => {
                    let pair = ES256.key_pair_from_pem(pem)?;
                    let jwk = pair.to_jwk_public_key();
                    (
                        Box::new(ES256.signer_from_pem(pem)?),
                        Box::new(ES256.verifier_from_jwk(&jwk)?),
                        jwk,
                    )
                }
                Alg::EdDSA => {
                    let pair = EdDSA.key_pair_from_pem(pem)?;
                    let jwk = pair.to_jwk_public_key();
                    (
                        Box::new(EdDSA.signer_from_pem(pem)?),
                        Box::new(EdDSA.verifier_from_jwk(&jwk)?),
                        jwk,
                    )
                }
            };
        jwk.set_key_id(&m.kid);
        jwk.set_algorithm(m.alg.as_str());
        jwk.set_key_use("sig");
        Ok(Self {
            kid: m.kid.clone(),
            alg: m.alg,
            active: m.retired_at.is_none(),
            created_at: m.created_at,
            public_jwk: jwk,
            signer,
            verifier,
        })
    }
    pub fn signer(&self) -> &dyn JwsSigner {
        self.signer.as_ref()
    }
    pub fn verifier(&self) -> &dyn JwsVerifier {
        self.verifier.as_ref()
    }
}

/// Every key the server knows: active ones sign, all of them verify and are published.
pub struct KeyRing {
    keys: Vec<LoadedKey>,
    jwks_json: String,
    /// Access tokens signed with this ring a moment ago (a new ring starts empty).
    recent: super::recently_signed::RecentlySigned,
}

impl KeyRing {
    pub fn load(materials: &[KeyMaterial]) -> Result<Self, CryptoError> {
        let keys = materials
            .iter()
            .map(LoadedKey::load)
            .collect::<Result<Vec<_>, _>>()?;
        let jwks: Vec<serde_json::Value> = keys
            .iter()
            .map(|k| serde_json::Value::Object(k.public_jwk.as_ref().clone()))
            .collect();
        let jwks_json = serde_json::json!({ "keys": jwks }).to_string();
        Ok(Self {
            keys,
            jwks_json,
            recent: Default::default(),
        })
    }
    /// The newest active key for `alg`.
    pub fn signing_key(&self, alg: Alg) -> Option<&LoadedKey> {
        self.keys
            .iter()
            .filter(|k| k.active && k.alg == alg)
            .max_by_key(|k| k.created_at)
    }
    pub fn recently_signed(&self) -> &super::recently_signed::RecentlySigned {
        &self.recent
    }
    pub fn by_kid(&self, kid: &str) -> Option<&LoadedKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }
    /// The public JWK Set document, serialised once.
    pub fn jwks_json(&self) -> &str {
        &self.jwks_json
    }
    pub fn keys(&self) -> &[LoadedKey] {
        &self.keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn generated_keys_load_and_publish_only_public_parts() {
        let mats: Vec<_> = Alg::ALL.iter().map(|a| generate(*a, 1).unwrap()).collect();
        let ring = KeyRing::load(&mats).unwrap();
        let jwks: serde_json::Value = serde_json::from_str(ring.jwks_json()).unwrap();
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 3);
        for k in keys {
            assert_eq!(k["use"], "sig");
            assert!(k["kid"].as_str().is_some_and(|s| !s.is_empty()));
            assert!(k.get("d").is_none(), "private part leaked: {k}");
            assert!(k.get("p").is_none());
        }
        for a in Alg::ALL {
            assert_eq!(ring.signing_key(a).unwrap().alg, a);
        }
    }
}
