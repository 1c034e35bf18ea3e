//! Tests named after OpenID conformance modules (oidcc_*), and a real relying party library.

mod acr;
mod basic;
mod oidc_rp;
