//! Everything cryptographic, built on josekit and argon2. The only module that imports them.

pub mod jwt;
pub mod keys;
pub mod password;
pub mod random;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("key error: {0}")]
    Key(String),
    #[error("password hashing failed: {0}")]
    Password(String),
}

impl From<josekit::JoseError> for CryptoError {
    fn from(e: josekit::JoseError) -> Self {
        CryptoError::Key(e.to_string())
    }
}
