//! `passkeys-impossible`: an issuer browsers will not hold passkeys for.

use super::Report;
use crate::config::Settings;

/// Browsers accept only a domain name as a passkey's relying party, on https (or http on
/// localhost): with any other issuer the passkey buttons are hidden and nobody can use one.
pub(super) fn check_passkeys(s: &Settings, r: &mut Report) {
    if let Err(why) = crate::crypto::passkey::relying_party_of(&s.issuer) {
        r.warning(
            "passkeys-impossible",
            format!("{why}: nobody can add or use a passkey, and the login page offers none"),
            "give latchkey an https issuer with a domain name, e.g. issuer = \"https://login.example.com\" (http://localhost:PORT works for local tests); passkeys are bound to that name, so choose it for good",
        );
    }
}
