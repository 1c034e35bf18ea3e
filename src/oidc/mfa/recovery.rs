//! Recovery codes: ten one-time codes, shown once when made (at enrolment, or again on the
//! account page), stored as keyed hashes (`SecretKey::mac`, owner: the user id). Using one is
//! audited; the account page shows how many are left and when one was last used.

use crate::crypto::random::{self, RECOVERY_ALPHABET, RECOVERY_LEN};
use crate::crypto::secret_key::SecretKey;
use crate::store::users::User;
use crate::store::{StoreError, Tx, second_factors};

/// How many codes are made at once.
pub const COUNT: usize = 10;
const PURPOSE: &str = "recovery-code";

/// A typed code in its canonical form (lower case, no dash or spaces), if it can be one.
pub fn normalize(typed: &str) -> Option<String> {
    let s: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (s.len() == RECOVERY_LEN && s.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))).then_some(s)
}

fn hash(key: &SecretKey, user: &User, canonical: &str) -> String {
    key.mac(PURPOSE, &user.id.to_string(), canonical.as_bytes())
}

/// New codes for `user`, replacing any they had; returns them (shown once, never stored).
pub fn generate(
    c: &Tx<'_>,
    key: &SecretKey,
    user: &User,
    now: i64,
) -> Result<Vec<String>, StoreError> {
    let codes: Vec<String> = (0..COUNT).map(|_| random::recovery_code()).collect();
    let hashes: Vec<String> = codes
        .iter()
        .filter_map(|c| normalize(c))
        .map(|c| hash(key, user, &c))
        .collect();
    second_factors::replace_recovery_codes(c, user.id, &hashes, now)?;
    super::audit(c, "mfa.recovery_codes_generated", user, None, None, now)?;
    Ok(codes)
}

/// Use a recovery code: true when it was one of the user's unused codes (now used, audited).
pub fn use_code(
    c: &Tx<'_>,
    key: &SecretKey,
    user: &User,
    typed: &str,
    ip: Option<&str>,
    now: i64,
) -> Result<bool, StoreError> {
    let Some(canonical) = normalize(typed) else {
        return Ok(false);
    };
    if !second_factors::use_recovery_code(c, user.id, &hash(key, user, &canonical), now)? {
        return Ok(false);
    }
    let (left, _, _) = second_factors::recovery_code_counts(c, user.id)?;
    let detail = serde_json::json!({ "left": left }).to_string();
    super::audit(c, "mfa.recovery_code_used", user, ip, Some(detail), now)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn typed_codes_are_compared_without_case_dashes_or_spaces() {
        assert_eq!(normalize("AB3CD-EF4GH").as_deref(), Some("ab3cdef4gh"));
        assert_eq!(normalize(" ab3cd ef4gh ").as_deref(), Some("ab3cdef4gh"));
        assert_eq!(normalize("123456"), None);
        assert_eq!(normalize("ab3cd-ef4g1"), None, "1 is not in the alphabet");
    }
}
