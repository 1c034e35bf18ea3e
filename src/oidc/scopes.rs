//! The scopes we know, what they release, and how we describe them to people.

/// Every scope latchkey understands. Others are ignored at /authorize (OIDC Core §3.1.2.1).
pub const SUPPORTED: &[&str] = &["openid", "profile", "email", "offline_access"];

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
    "sid",
    "at_hash",
    "name",
    "preferred_username",
    "updated_at",
    "email",
    "email_verified",
];

/// The claims each scope releases (OIDC Core §5.4).
pub fn claims_for_scope(scope: &str) -> &'static [&'static str] {
    match scope {
        "profile" => &["name", "preferred_username", "updated_at"],
        "email" => &["email", "email_verified"],
        _ => &[],
    }
}

/// Plain words for the consent page.
pub fn describe(scope: &str) -> &'static str {
    match scope {
        "openid" => "Know who you are (a stable identifier for your account)",
        "profile" => "See your name and username",
        "email" => "See your email address",
        "offline_access" => "Stay signed in to your account while you are away",
        _ => "Access you have not seen described",
    }
}
