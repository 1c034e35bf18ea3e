//! Provider metadata: OIDC Discovery 1.0 and RFC 8414. Only what is really implemented.

use super::scopes::{CLAIMS_SUPPORTED, SUPPORTED};
use crate::config::Settings;
use serde_json::{Value, json};

pub fn metadata(s: &Settings) -> Value {
    json!({
        "issuer": s.issuer,
        "authorization_endpoint": s.endpoint("/authorize"),
        "token_endpoint": s.endpoint("/token"),
        "device_authorization_endpoint": s.endpoint("/device_authorization"),
        "userinfo_endpoint": s.endpoint("/userinfo"),
        "jwks_uri": s.endpoint("/jwks"),
        "revocation_endpoint": s.endpoint("/revoke"),
        "introspection_endpoint": s.endpoint("/introspect"),
        "end_session_endpoint": s.endpoint("/logout"),
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "scopes_supported": SUPPORTED,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials", crate::domain::DEVICE_CODE],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": CLAIMS_SUPPORTED,
        "claims_parameter_supported": true,
        "acr_values_supported": crate::domain::Acr::ALL.map(crate::domain::Acr::as_str),
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "claim_types_supported": ["normal"],
        "display_values_supported": ["page"],
    })
}

/// RFC 8414 metadata: the same document (every field there is an RFC 8414 field or a harmless extra).
pub fn oauth_metadata(s: &Settings) -> Value {
    metadata(s)
}
