//! Names admins give to groups, APIs, scopes, claims and attributes. They end up in tokens,
//! so they are kept to characters every JSON and HTTP consumer handles plainly.

use super::{ParseError, ScopeSet};

fn plain(s: &str, max: usize, extra: &[char]) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars().all(|ch| {
            ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.') || extra.contains(&ch)
        })
}

/// A group name: 1-64 of letters, digits, `_`, `-`, `.`.
pub fn group_name(s: &str) -> Result<String, ParseError> {
    if plain(s, 64, &[]) {
        Ok(s.to_owned())
    } else {
        Err(ParseError::new(format!(
            "invalid group name {s:?}: use 1-64 letters, digits, '_', '-' or '.'"
        )))
    }
}

/// An admin key's name: 1-64 of letters, digits, `_`, `-`, `.` (it is shown in the audit log as
/// `admin-key:NAME`).
pub fn admin_key_name(s: &str) -> Result<String, ParseError> {
    if plain(s, 64, &[]) {
        Ok(s.to_owned())
    } else {
        Err(ParseError::new(format!(
            "invalid admin key name {s:?}: use 1-64 letters, digits, '_', '-' or '.'"
        )))
    }
}

/// A claim or attribute name: 1-64 of letters, digits, `_`, `-`, `.`, `:`.
pub fn claim_name(s: &str) -> Result<String, ParseError> {
    if plain(s, 64, &[':']) {
        Ok(s.to_owned())
    } else {
        Err(ParseError::new(format!(
            "invalid claim name {s:?}: use 1-64 letters, digits, '_', '-', '.' or ':'"
        )))
    }
}

/// One scope token (RFC 6749 §3.3), at most 128 bytes.
pub fn scope_name(s: &str) -> Result<String, ParseError> {
    let set = ScopeSet::parse(s)?;
    if set.iter().count() != 1 || s.len() > 128 || s.contains(' ') {
        return Err(ParseError::new(format!(
            "invalid scope {s:?}: one scope token of at most 128 printable characters, no spaces"
        )));
    }
    Ok(s.to_owned())
}

/// An API identifier (RFC 8707 resource): an absolute URI without a fragment.
pub fn api_identifier(s: &str) -> Result<String, ParseError> {
    let bad = || {
        ParseError::new(format!(
            "invalid API identifier {s:?}: use an absolute URI without a fragment, e.g. https://api.example.com"
        ))
    };
    if s.len() > 512 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    match url::Url::parse(s) {
        Ok(u) if u.fragment().is_none() => Ok(s.to_owned()),
        _ => Err(bad()),
    }
}

/// An attribute value: at most 1024 characters, no control characters.
pub fn attribute_value(s: &str) -> Result<String, ParseError> {
    if s.chars().count() <= 1024 && !s.chars().any(char::is_control) {
        Ok(s.to_owned())
    } else {
        Err(ParseError::new(
            "an attribute value must be at most 1024 characters without control characters",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn names_are_checked() {
        assert!(group_name("eng-team.1").is_ok());
        assert!(group_name("").is_err());
        assert!(group_name("a b").is_err());
        assert!(group_name("<x>").is_err());
        assert!(claim_name("org:department").is_ok());
        assert!(claim_name("a\"b").is_err());
        assert!(scope_name("read:reports").is_ok());
        assert!(scope_name("two words").is_err());
        assert!(api_identifier("https://api.example.com").is_ok());
        assert!(api_identifier("urn:example:api").is_ok());
        assert!(api_identifier("https://api.example.com#x").is_err());
        assert!(api_identifier("/relative").is_err());
        assert!(attribute_value("Engineering").is_ok());
        assert!(attribute_value("a\nb").is_err());
    }
}
