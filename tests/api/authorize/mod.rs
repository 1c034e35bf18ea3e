//! The authorization endpoint (OIDC Core §3.1.2): request validation and redirect URI attacks.

mod redirect_attacks;
mod validation;
