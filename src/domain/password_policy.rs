use super::ParseError;

/// NIST SP 800-63B: at least 8 characters, at most 1024 bytes (argon2 input stays bounded).
pub fn check_password(pw: &str) -> Result<(), ParseError> {
    if pw.chars().count() < 8 {
        return Err(ParseError::new(
            "password is too short: use at least 8 characters",
        ));
    }
    if pw.len() > 1024 {
        return Err(ParseError::new("password is too long: at most 1024 bytes"));
    }
    Ok(())
}
