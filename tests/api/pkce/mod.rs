//! PKCE (RFC 7636) at /authorize and /token, and attacks on it.

mod at_authorize;
mod at_token;
mod attacks;
