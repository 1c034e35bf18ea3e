use super::ParseError;
use std::collections::BTreeSet;

/// Scopes a client may ask for unless registered with others (`client add` without `--scopes`).
pub const DEFAULT_CLIENT_SCOPES: &str = "openid profile email groups offline_access";

/// A set of scope tokens (RFC 6749 §3.3), ordered so its string form is canonical.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<String>);

impl ScopeSet {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let mut set = BTreeSet::new();
        for tok in s.split(' ').filter(|t| !t.is_empty()) {
            let ok = tok
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
            if !ok {
                return Err(ParseError::new(format!("invalid scope token {tok:?}")));
            }
            set.insert(tok.to_owned());
        }
        Ok(Self(set))
    }
    pub fn contains(&self, s: &str) -> bool {
        self.0.contains(s)
    }
    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        Self(self.0.union(&other.0).cloned().collect())
    }
    pub fn intersection(&self, other: &ScopeSet) -> ScopeSet {
        Self(self.0.intersection(&other.0).cloned().collect())
    }
    pub fn retain(&mut self, f: impl FnMut(&String) -> bool) {
        self.0.retain(f)
    }
}

impl<S: Into<String>> FromIterator<S> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = S>>(it: I) -> Self {
        Self(it.into_iter().map(Into::into).collect())
    }
}

impl std::fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v: Vec<&str> = self.iter().collect();
        f.write_str(&v.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn scope_set_is_canonical_and_rejects_bad_characters() {
        let s = ScopeSet::parse("profile  openid email openid").unwrap();
        assert_eq!(s.to_string(), "email openid profile");
        assert!(ScopeSet::parse("a\"b").is_err());
        assert!(ScopeSet::parse("a\\b").is_err());
    }
}
