//! PKCE (RFC 7636) verifiers and challenges.

use crate::support::*;
use sha2::{Digest, Sha256};

/// The S256 code challenge of `verifier`.
pub fn s256(verifier: &str) -> String {
    b64(Sha256::digest(verifier.as_bytes()))
}

/// A fresh PKCE pair: (verifier, S256 challenge).
pub fn pkce_pair() -> (String, String) {
    let verifier = latchkey::crypto::random::token();
    let challenge = s256(&verifier);
    (verifier, challenge)
}
