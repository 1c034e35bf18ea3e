use super::ParseError;
use std::collections::HashSet;
use std::sync::OnceLock;

/// The 10,000 most common passwords (see data/README.md), embedded in the binary.
const COMMON: &str = include_str!("../../data/common-passwords.txt");

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| COMMON.lines().filter(|l| !l.is_empty()).collect())
}

/// NIST SP 800-63B §5.1.1.2: at least 8 characters, at most 1024 bytes (argon2 input stays
/// bounded), and not one of the passwords attackers try first.
pub fn check_password(pw: &str) -> Result<(), ParseError> {
    if pw.chars().count() < 8 {
        return Err(ParseError::new(
            "password is too short: use at least 8 characters",
        ));
    }
    if pw.len() > 1024 {
        return Err(ParseError::new("password is too long: at most 1024 bytes"));
    }
    if common().contains(pw.to_lowercase().as_str()) {
        return Err(ParseError::new(
            "password is one of the 10,000 most common passwords: choose another",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        assert_eq!(common().len(), 10_000);
        for pw in [
            "password",
            "PASSWORD",
            "12345678",
            "iloveyou",
            "Passw0rd",
            "qwerty123",
        ] {
            assert!(check_password(pw).is_err(), "{pw}");
        }
        assert!(check_password("correct horse battery staple").is_ok());
    }

    #[test]
    fn length_limits_hold() {
        assert!(check_password("short").is_err());
        assert!(check_password(&"x".repeat(1025)).is_err());
        assert!(check_password(&"x1y2z3".repeat(100)).is_ok());
    }
}
