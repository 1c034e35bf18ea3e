//! Token revocation (RFC 7009) and introspection (RFC 7662).

mod revoke_introspect;
