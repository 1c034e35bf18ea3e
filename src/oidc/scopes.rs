//! The scopes we know, what they release, and how we describe them to people.

/// Every scope latchkey understands. Others are ignored at /authorize (OIDC Core §3.1.2.1).
pub const SUPPORTED: &[&str] = &["openid", "profile", "email", "groups", "offline_access"];

/// Claims we can release, for discovery.
pub const CLAIMS_SUPPORTED: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "amr",
    "acr",
    "sid",
    "at_hash",
    "name",
    "preferred_username",
    "updated_at",
    "email",
    "email_verified",
    "groups",
];

/// Claim names a custom scope may not release: the ones above, and those JWTs and OAuth
/// reserve (RFC 7519, RFC 9068, RFC 8693, OIDC Core §5.1).
pub const RESERVED_CLAIMS: &[&str] = &[
    "nbf",
    "jti",
    "typ",
    "azp",
    "acr",
    "c_hash",
    "client_id",
    "scope",
    "cnf",
    "act",
    "may_act",
    "roles",
    "entitlements",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "userinfo_claims",
    "events",
    "sub_jwk",
    "nonce_supported",
];

/// The claims each scope releases (OIDC Core §5.4).
pub fn claims_for_scope(scope: &str) -> &'static [&'static str] {
    match scope {
        "profile" => &["name", "preferred_username", "updated_at"],
        "email" => &["email", "email_verified"],
        "groups" => &["groups"],
        _ => &[],
    }
}

/// The scope that releases a standard claim (OIDC Core §5.4); None for claims no scope
/// releases (`sub`, `auth_time`, ...) and for names we do not know.
pub fn scope_of_claim(claim: &str) -> Option<&'static str> {
    SUPPORTED
        .iter()
        .copied()
        .find(|s| claims_for_scope(s).contains(&claim))
}

/// Plain words for the consent page.
pub fn describe(scope: &str) -> &'static str {
    match scope {
        "openid" => "Know who you are (a stable identifier for your account)",
        "profile" => "See your name and username",
        "email" => "See your email address",
        "groups" => "See which groups you belong to",
        "offline_access" => "Stay signed in to your account while you are away",
        _ => "Access you have not seen described",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_claim_a_scope_releases_names_that_scope() {
        for scope in SUPPORTED {
            for claim in claims_for_scope(scope) {
                assert_eq!(scope_of_claim(claim), Some(*scope), "{claim}");
            }
        }
        assert_eq!(scope_of_claim("email_verified"), Some("email"));
        assert_eq!(scope_of_claim("updated_at"), Some("profile"));
        assert_eq!(scope_of_claim("sub"), None);
        assert_eq!(scope_of_claim("auth_time"), None);
        assert_eq!(scope_of_claim("department"), None);
    }
}
