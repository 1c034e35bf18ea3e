use super::ParseError;

/// A login name. ASCII only, so SQLite's NOCASE collation makes uniqueness truly case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        if s.is_empty() || s.len() > 64 {
            return Err(ParseError::new("username must be 1 to 64 characters"));
        }
        let ok = s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
        if !ok {
            return Err(ParseError::new(
                "username may only contain letters, digits, '.', '_', '-' and '@'",
            ));
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn username_rejects_spaces_empty_and_non_ascii() {
        assert!(Username::parse("alice").is_ok());
        assert!(Username::parse("a.b-c_d@x").is_ok());
        assert!(Username::parse("").is_err());
        assert!(Username::parse("al ice").is_err());
        assert!(Username::parse("ålice").is_err());
        assert!(Username::parse(&"a".repeat(65)).is_err());
    }
}
