//! Password hashing: argon2id with the OWASP parameters, in PHC strings.

use super::CryptoError;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::cell::RefCell;
use std::sync::OnceLock;

/// OWASP Password Storage Cheat Sheet: m=19456 KiB, t=2, p=1.
pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

fn params() -> Params {
    // The constants above are within argon2's limits, so this cannot fail.
    Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).unwrap_or_else(|_| Params::default())
}

thread_local! {
    /// argon2's m KiB work area, kept by the thread and reused from one hash to the next.
    /// Allocating and freeing 19 MiB per sign-in left glibc's arenas holding hundreds of MiB
    /// after a login storm (bench/README.md); [`release_memory`] gives it back.
    static SCRATCH: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Run argon2 with `params` over this thread's reusable work area. Work areas larger than our
/// own parameters need (an imported hash) are allocated for the call and freed after it.
fn run_argon2(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    if blocks <= self::params().block_count() {
        let done = SCRATCH.with(|scratch| {
            let mut scratch = scratch.try_borrow_mut().ok()?;
            if scratch.len() < blocks {
                *scratch = vec![Block::default(); blocks];
            }
            // Every block is overwritten on the first pass: what a previous hash left is unused.
            Some(argon2.hash_password_into_with_memory(password, salt, out, &mut scratch[..blocks]))
        });
        if let Some(done) = done {
            return done;
        }
    }
    argon2.hash_password_into_with_memory(password, salt, out, vec![Block::default(); blocks])
}

/// Give this thread's argon2 work area back to the system.
pub fn release_memory() {
    SCRATCH.with(|scratch| {
        if let Ok(mut scratch) = scratch.try_borrow_mut() {
            *scratch = Vec::new();
        }
    });
}

/// How many KiB of argon2 work area this thread holds.
pub fn held_memory_kib() -> usize {
    SCRATCH.with(|scratch| scratch.try_borrow().map_or(0, |s| s.len()))
}

fn err(e: impl std::fmt::Display) -> CryptoError {
    CryptoError::Password(e.to_string())
}

/// A PHC string `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` for `password` and a fresh salt.
pub fn hash(password: &str) -> Result<String, CryptoError> {
    hash_with_salt(password, &SaltString::generate(&mut OsRng))
}

fn hash_with_salt(password: &str, salt: &SaltString) -> Result<String, CryptoError> {
    let params = params();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes).map_err(err)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    run_argon2(
        Algorithm::Argon2id,
        Version::V0x13,
        params.clone(),
        password.as_bytes(),
        salt_bytes,
        &mut out,
    )
    .map_err(err)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(err)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(err)?),
    };
    Ok(phc.to_string())
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
    if !password_matches(password, &parsed) {
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

/// Recompute the hash with the stored algorithm, version, parameters and salt, and compare in
/// constant time (`Output`'s equality), as argon2's own `verify_password` does.
fn password_matches(password: &str, parsed: &PasswordHash<'_>) -> bool {
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(parsed) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    if run_argon2(
        algorithm,
        version,
        params,
        password.as_bytes(),
        salt_bytes,
        &mut out,
    )
    .is_err()
    {
        return false;
    }
    Output::new(&out).is_ok_and(|computed| computed == expected)
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
    fn our_hashes_are_exactly_what_the_argon2_crate_makes_and_checks() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let crate_hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params());
        for pw in ["correct horse", "", "päßwörd with spaces"] {
            let salt = SaltString::generate(&mut OsRng);
            // The work area is dirty from the previous round: the result must not depend on it.
            let ours = hash_with_salt(pw, &salt).unwrap();
            let theirs = crate_hasher
                .hash_password(pw.as_bytes(), &salt)
                .unwrap()
                .to_string();
            assert_eq!(ours, theirs);
            let parsed = PasswordHash::new(&ours).unwrap();
            assert!(crate_hasher.verify_password(pw.as_bytes(), &parsed).is_ok());
            assert_eq!(verify(pw, &theirs), Verdict::Valid);
            assert_eq!(verify(&format!("{pw}x"), &theirs), Verdict::Invalid);
        }
        // Other variants and versions verify too (imported hashes), and a flipped bit does not.
        for (alg, ver) in [
            (Algorithm::Argon2i, Version::V0x13),
            (Algorithm::Argon2d, Version::V0x10),
        ] {
            let other = Argon2::new(alg, ver, Params::new(64, 1, 1, None).unwrap());
            let salt = SaltString::generate(&mut OsRng);
            let h = other.hash_password(b"pw123456", &salt).unwrap().to_string();
            assert!(
                matches!(verify("pw123456", &h), Verdict::ValidRehash(_)),
                "{h}"
            );
            assert_eq!(verify("pw1234567", &h), Verdict::Invalid);
        }
        assert!(held_memory_kib() >= MEMORY_KIB as usize);
        release_memory();
        assert_eq!(held_memory_kib(), 0);
    }

    #[test]
    fn a_hash_needing_more_memory_than_ours_still_verifies_and_is_not_kept() {
        use argon2::password_hash::PasswordHasher;
        let big = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(MEMORY_KIB * 2, 1, 1, None).unwrap(),
        );
        let salt = SaltString::generate(&mut OsRng);
        let h = big.hash_password(b"pw123456", &salt).unwrap().to_string();
        release_memory();
        assert!(matches!(verify("pw123456", &h), Verdict::ValidRehash(_)));
        // The rehash used our own parameters: only their work area stays.
        assert_eq!(held_memory_kib(), MEMORY_KIB as usize);
    }

    #[test]
    fn old_parameters_are_rehashed_on_successful_login() {
        use argon2::password_hash::PasswordHasher;
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
