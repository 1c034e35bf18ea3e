//! Password hashing: argon2id with the OWASP parameters, in PHC strings.

use super::CryptoError;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;

/// OWASP Password Storage Cheat Sheet: m=19456 KiB, t=2, p=1.
pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

fn hasher() -> Argon2<'static> {
    // The constants above are within argon2's limits, so this cannot fail.
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .unwrap_or_else(|_| Params::default());
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash(password: &str) -> Result<String, CryptoError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CryptoError::Password(e.to_string()))
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Invalid,
    Valid,
    /// Valid, but hashed with other parameters: store the new hash.
    ValidRehash(String),
}

pub fn verify(password: &str, stored: &str) -> Verdict {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verdict::Invalid;
    };
    // Verify with the parameters in the PHC string, whatever they are.
    if Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_err()
    {
        return Verdict::Invalid;
    }
    if needs_rehash(&parsed) {
        match hash(password) {
            Ok(h) => Verdict::ValidRehash(h),
            Err(_) => Verdict::Valid,
        }
    } else {
        Verdict::Valid
    }
}

fn needs_rehash(parsed: &PasswordHash<'_>) -> bool {
    let current = match Params::try_from(parsed) {
        Ok(p) => p,
        Err(_) => return true,
    };
    parsed.algorithm.as_str() != "argon2id"
        || parsed.version != Some(Version::V0x13 as u32)
        || current.m_cost() != MEMORY_KIB
        || current.t_cost() != ITERATIONS
        || current.p_cost() != PARALLELISM
}

/// Burn the same time as a real check when the user does not exist (no enumeration by timing).
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash(&super::random::token()).unwrap_or_default());
    let _ = verify(password, stored);
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn hash_is_argon2id_phc_with_owasp_parameters() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert_eq!(verify("correct horse", &h), Verdict::Valid);
        assert_eq!(verify("wrong horse", &h), Verdict::Invalid);
        assert_eq!(verify("x", "not a phc string"), Verdict::Invalid);
    }
    #[test]
    fn old_parameters_are_rehashed_on_successful_login() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let old = weak.hash_password(b"pw123456", &salt).unwrap().to_string();
        match verify("pw123456", &old) {
            Verdict::ValidRehash(new) => {
                assert!(new.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
                assert_eq!(verify("pw123456", &new), Verdict::Valid);
            }
            other => panic!("expected rehash, got {other:?}"),
        }
        assert_eq!(verify("nope", &old), Verdict::Invalid);
    }
}
