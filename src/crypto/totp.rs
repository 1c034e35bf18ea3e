//! Authenticator-app codes (TOTP, RFC 6238) through the `totp-rs` crate: what every app reads
//! — HMAC-SHA-1, 6 digits, 30-second steps — with one step of clock skew either way. Which step
//! a code matched is returned, so the caller can accept each code once.

use rand::RngCore;
use rand::rngs::OsRng;
use totp_rs::{Algorithm, Builder, Secret};

pub const DIGITS: u8 = 6;
pub const STEP_SECS: u64 = 30;
/// Steps accepted before and after the current one (RFC 6238 §5.2 recommends one).
pub const SKEW_STEPS: u16 = 1;
/// 160-bit seeds (RFC 4226 §4 recommends them).
pub const SEED_LEN: usize = 20;

/// A fresh seed from the OS.
pub fn new_seed() -> [u8; SEED_LEN] {
    let mut s = [0u8; SEED_LEN];
    OsRng.fill_bytes(&mut s);
    s
}

/// The seed as authenticator apps take it by hand: base32, no padding.
pub fn base32(seed: &[u8]) -> String {
    Secret::from(seed.to_vec()).to_base32()
}

/// What a person typed, as the 6 digits of a code (spaces and dashes ignored), if it is one.
pub fn normalize(typed: &str) -> Option<String> {
    let digits: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit()))
        .then_some(digits)
}

/// The time step a code of `seed` matches at `now` (± [`SKEW_STEPS`]), or None.
pub fn check(seed: &[u8], typed: &str, now: i64) -> Option<i64> {
    let code = normalize(typed)?;
    let now = u64::try_from(now).ok()?;
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(SKEW_STEPS)
        .with_step_duration(STEP_SECS)
        .with_secret(seed.to_vec())
        .build()
        .ok()?;
    totp.check(&code, now).and_then(|s| i64::try_from(s).ok())
}

/// Percent-encoding for a URI component: everything but RFC 3986 unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The `otpauth://totp/...` URI authenticator apps read (from the QR code, or a link):
/// labelled `issuer:account`, with the parameters every app understands.
pub fn otpauth_uri(issuer: &str, account: &str, seed: &[u8]) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        encode(issuer),
        encode(account),
        base32(seed),
        encode(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 (the 8-digit codes, last 6 digits: the same truncation).
    #[test]
    fn codes_match_the_rfc_6238_test_vectors_at_the_right_step() {
        let seed = b"12345678901234567890";
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(check(seed, code, t), Some(t / 30), "t={t}");
        }
    }

    #[test]
    fn one_step_of_skew_is_accepted_and_two_are_not() {
        let seed = b"12345678901234567890";
        let code = "005924"; // step 41152263
        let t = 1_234_567_890;
        assert_eq!(check(seed, code, t + 30), Some(t / 30));
        assert_eq!(check(seed, code, t - 30), Some(t / 30));
        assert_eq!(check(seed, code, t + 60), None);
        assert_eq!(check(seed, code, t - 60), None);
        assert_eq!(check(seed, "005 924", t), Some(t / 30));
        assert_eq!(check(seed, "00592", t), None);
        assert_eq!(check(seed, "0059245", t), None);
        assert_eq!(check(seed, "a05924", t), None);
    }

    #[test]
    fn the_otpauth_uri_names_issuer_account_and_parameters() {
        let uri = otpauth_uri("id.example.com:8443", "alice@x", b"12345678901234567890");
        assert_eq!(
            uri,
            "otpauth://totp/id.example.com%3A8443:alice%40x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=id.example.com%3A8443&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(base32(&new_seed()).len(), 32);
    }
}
