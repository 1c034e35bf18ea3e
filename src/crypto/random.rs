//! Opaque random tokens and how we store them (hashed).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// 256 random bits from the OS, base64url without padding (43 characters).
pub fn token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a high-entropy secret, base64url. Tokens carry 256 random bits, so a fast
/// hash is enough: there is nothing to brute-force, and lookups stay a single index probe.
pub fn hash_token(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time equality for secrets.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()).into()
}

/// A generated password for humans: 20 characters from an alphabet without look-alikes (~115 bits).
pub fn password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut out = String::with_capacity(20);
    while out.len() < 20 {
        let mut b = [0u8; 1];
        OsRng.fill_bytes(&mut b);
        // Rejection sampling keeps the distribution uniform.
        let limit = 256 - (256 % ALPHABET.len());
        if (b[0] as usize) < limit {
            out.push(ALPHABET[b[0] as usize % ALPHABET.len()] as char);
        }
    }
    out
}

/// The alphabet of recovery codes: lower case letters and digits without look-alikes.
pub const RECOVERY_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Characters in a recovery code (~49.5 bits; they are only ever checked against keyed hashes,
/// behind the sign-in throttle).
pub const RECOVERY_LEN: usize = 10;

/// A one-time recovery code, `xxxxx-xxxxx`, uniformly drawn from [`RECOVERY_ALPHABET`].
pub fn recovery_code() -> String {
    let n = RECOVERY_ALPHABET.len();
    let limit = 256 - (256 % n);
    let mut out = String::with_capacity(RECOVERY_LEN + 1);
    let mut drawn = 0;
    while drawn < RECOVERY_LEN {
        let mut b = [0u8; 1];
        OsRng.fill_bytes(&mut b);
        if (b[0] as usize) < limit {
            if drawn == RECOVERY_LEN / 2 {
                out.push('-');
            }
            out.push(RECOVERY_ALPHABET[b[0] as usize % n] as char);
            drawn += 1;
        }
    }
    out
}

/// A device flow user code (RFC 8628 §6.1): 8 letters from an alphabet without look-alikes,
/// uniformly drawn (~34.6 bits), canonical form (no dash).
pub fn user_code() -> crate::domain::UserCode {
    use crate::domain::{USER_CODE_ALPHABET, USER_CODE_LEN, UserCode};
    let n = USER_CODE_ALPHABET.len();
    // Rejection sampling keeps the distribution uniform.
    let limit = 256 - (256 % n);
    let mut picks = [0usize; USER_CODE_LEN];
    let mut filled = 0;
    while filled < USER_CODE_LEN {
        let mut b = [0u8; 1];
        OsRng.fill_bytes(&mut b);
        if (b[0] as usize) < limit {
            picks[filled] = b[0] as usize % n;
            filled += 1;
        }
    }
    UserCode::from_picks(picks)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn tokens_are_43_base64url_chars_and_distinct() {
        let a = token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, token());
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(hash_token(&a), a);
        assert_eq!(hash_token(&a), hash_token(&a));
    }

    #[test]
    fn recovery_codes_are_two_groups_of_five_from_the_alphabet() {
        let a = recovery_code();
        assert_eq!(a.len(), 11);
        assert_eq!(&a[5..6], "-");
        assert!(
            a.replace('-', "")
                .bytes()
                .all(|b| RECOVERY_ALPHABET.contains(&b))
        );
        assert_ne!(a, recovery_code());
    }

    #[test]
    fn user_codes_are_8_letters_of_the_alphabet_and_distinct() {
        let a = user_code();
        assert_eq!(a.as_str().len(), 8);
        assert!(
            a.as_str()
                .bytes()
                .all(|b| crate::domain::USER_CODE_ALPHABET.contains(&b))
        );
        assert_ne!(a, user_code());
    }
}
