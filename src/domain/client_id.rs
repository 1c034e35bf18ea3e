use super::ParseError;

/// A client identifier: 1 to 128 URL-safe characters, so it survives every encoding unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let ok = !s.is_empty()
            && s.len() <= 128
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'~'));
        if !ok {
            return Err(ParseError::new(
                "client id must be 1 to 128 characters from A-Z a-z 0-9 . _ - ~",
            ));
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
