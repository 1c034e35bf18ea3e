//! Everything cryptographic, built on josekit and argon2 (the only module that imports them),
//! and the pool of low-priority threads password hashing runs on.

pub mod certificate;
pub mod jwt;
pub mod keys;
pub mod passkey;
pub mod password;
pub mod password_pool;
pub mod random;
pub mod recently_signed;
pub mod secret_key;
pub mod totp;

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
