use super::ParseError;

/// An email address: `local@domain`, checked for shape only (delivery is not our business).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let bad = || ParseError::new(format!("invalid email address: {s:?}"));
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return Err(bad());
        }
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if domain.is_empty() || !domain.split('.').all(label_ok) {
            return Err(bad());
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
    fn email_requires_local_part_and_domain() {
        assert!(Email::parse("alice@example.com").is_ok());
        assert!(Email::parse("a@x").is_ok());
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "a b@x.com",
            "a@x..com",
            "a@-x.com",
            "a@@x",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
