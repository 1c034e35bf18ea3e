//! Value types with `parse` constructors. A value that exists is valid. No I/O here.

pub mod access_names;
mod authn;
mod client_id;
mod duration;
mod email;
mod grant_type;
mod password_policy;
mod pkce;
pub mod printable;
mod redirect_uri;
mod scope;
mod user_code;
mod username;
mod web_origin;

pub use authn::{Acr, Method, Methods, acr_for_token, step_up_to};
pub use client_id::ClientId;
pub use duration::parse_duration_secs;
pub use email::Email;
pub use grant_type::{DEVICE_CODE, GrantType};
pub use password_policy::check_password;
pub use pkce::{CodeChallenge, CodeVerifier};
pub use redirect_uri::RedirectUri;
pub use scope::{DEFAULT_CLIENT_SCOPES, ScopeSet};
pub use user_code::{USER_CODE_ALPHABET, USER_CODE_LEN, UserCode};
pub use username::Username;
pub use web_origin::{WebOrigin, allowed_web_origins, cors_origin, origin_of_redirect_uri};

/// Why a value was refused; the message is safe to show to whoever sent it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}
