use super::ParseError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// An S256 code challenge: base64url of a SHA-256 digest, so exactly 43 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let ok = s.len() == 43
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(ParseError::new(
                "code_challenge must be the base64url SHA-256 of the verifier (43 characters)",
            ));
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// True when `verifier` hashes to this challenge (compared in constant time).
    pub fn matches(&self, verifier: &CodeVerifier) -> bool {
        let digest = Sha256::digest(verifier.0.as_bytes());
        let computed = URL_SAFE_NO_PAD.encode(digest);
        subtle::ConstantTimeEq::ct_eq(computed.as_bytes(), self.0.as_bytes()).into()
    }
}

/// A PKCE code verifier (RFC 7636 §4.1): 43 to 128 unreserved characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeVerifier(String);

impl CodeVerifier {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let ok = (43..=128).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !ok {
            return Err(ParseError::new(
                "code_verifier must be 43 to 128 characters from A-Z a-z 0-9 - . _ ~",
            ));
        }
        Ok(Self(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        let v = CodeVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        let c = CodeChallenge::parse("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM").unwrap();
        assert!(c.matches(&v));
        let other = CodeVerifier::parse(&"a".repeat(43)).unwrap();
        assert!(!c.matches(&other));
    }
    #[test]
    fn pkce_verifier_length_and_charset_are_checked() {
        assert!(CodeVerifier::parse(&"a".repeat(42)).is_err());
        assert!(CodeVerifier::parse(&"a".repeat(129)).is_err());
        assert!(CodeVerifier::parse(&format!("{}+", "a".repeat(43))).is_err());
    }
}
