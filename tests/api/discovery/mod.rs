//! Discovery documents and the JWK Set.

mod discovery_jwks;
