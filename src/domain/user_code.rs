use super::ParseError;

/// The letters of a user code (RFC 8628 §6.1): consonants only, so no look-alikes (0/O, 1/I)
/// and no words; case does not matter when typed.
pub const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
/// Letters in a user code: 20^8 ≈ 2^34.6 codes.
pub const USER_CODE_LEN: usize = 8;

/// A device flow user code, in canonical form (8 upper-case letters, no dash).
/// People see it as `XXXX-XXXX` and may type it in any case, with or without the dash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCode(String);

impl UserCode {
    /// Accepts what a person types: any case, an optional dash, spaces around or between.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let canonical: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\t'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let ok = canonical.len() == USER_CODE_LEN
            && canonical.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
        if !ok {
            return Err(ParseError::new(
                "a code is 8 letters, like BCDF-GHJK (letter case and the dash do not matter)",
            ));
        }
        Ok(Self(canonical))
    }
    /// The code whose letters are `USER_CODE_ALPHABET[i % 20]` for each pick (random ones,
    /// from `crypto::random::user_code`).
    pub fn from_picks(picks: [usize; USER_CODE_LEN]) -> Self {
        Self(
            picks
                .iter()
                .map(|i| USER_CODE_ALPHABET[i % USER_CODE_ALPHABET.len()] as char)
                .collect(),
        )
    }
    /// The canonical form, for hashing and storing.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The form people read: `XXXX-XXXX`.
    pub fn display(&self) -> String {
        format!("{}-{}", &self.0[..4], &self.0[4..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn user_codes_ignore_case_and_dash_and_refuse_other_letters() {
        let a = UserCode::parse("bcdf-ghjk").unwrap();
        assert_eq!(a.as_str(), "BCDFGHJK");
        assert_eq!(a.display(), "BCDF-GHJK");
        assert_eq!(UserCode::parse(" BCDFGHJK ").unwrap(), a);
        assert_eq!(UserCode::parse("BCDF GHJK").unwrap(), a);
        for bad in [
            "BCDF-GHJ",
            "BCDF-GHJKL",
            "ABCD-EFGH",
            "BCDF-GHJ0",
            "",
            "BCDF-GHJÉ",
        ] {
            assert!(UserCode::parse(bad).is_err(), "{bad}");
        }
    }
}
