//! Checks on the users: nobody to sign in or administer, weak or unreadable password hashes,
//! disabled users who still hold sessions or refresh tokens.

use super::Report;
use super::text::{names, plural};
use crate::clock::Timestamp;
use crate::crypto::password;
use crate::store::{StoreError, Tx, users};

/// OWASP's equivalent argon2id minimums (memory KiB, iterations), all with p=1: a hash at least as
/// strong as one of them is fine.
const OWASP_ARGON2ID: [(u32, u32); 5] = [
    (47_104, 1),
    (19_456, 2),
    (12_288, 3),
    (9_216, 4),
    (7_168, 5),
];

/// Nobody to sign in or administer, password hashes doctor finds weak or cannot read, and
/// disabled users who still hold grants.
pub(super) fn check_users(c: &Tx<'_>, now: Timestamp, r: &mut Report) -> Result<(), StoreError> {
    let list = users::list_users(c)?;
    if list.is_empty() {
        r.info(
            "no-users",
            "there are no users yet: nobody can sign in",
            "latchkey user add USERNAME --email EMAIL --admin",
        );
    } else if !list.iter().any(|u| u.is_admin && !u.disabled) {
        r.info(
            "no-admin",
            "no enabled user is an administrator",
            "latchkey user add USERNAME --email EMAIL --admin (or `latchkey user enable USERNAME` for a disabled administrator)",
        );
    }

    let (mut weak, mut unreadable) = (Vec::new(), Vec::new());
    // Accounts without a password (invited, signing in with a passkey alone, or made by an
    // upstream provider) are not broken.
    for u in list.iter().filter(|u| !u.password_hash.is_empty()) {
        match parse_phc(&u.password_hash) {
            None => unreadable.push(u.username.clone()),
            Some(h) if !h.alg.starts_with("argon2") => unreadable.push(u.username.clone()),
            Some(h) if is_weak(&h) => weak.push(u.username.clone()),
            Some(_) => {}
        }
    }
    if !weak.is_empty() {
        r.warning(
            "password-hash-weak",
            format!(
                "{} password hashes weaker than OWASP's argon2id minimum (m={} KiB, t={}, p={} or an equivalent): {}; latchkey re-hashes each with the current parameters at that user's next sign-in",
                users_phrase(weak.len()),
                password::MEMORY_KIB,
                password::ITERATIONS,
                password::PARALLELISM,
                names(&weak)
            ),
            "nothing to do for users who sign in; for accounts nobody uses, `latchkey user set-password USERNAME` or `latchkey user disable USERNAME`",
        );
    }
    if !unreadable.is_empty() {
        r.warning(
            "password-hash-unreadable",
            format!(
                "{} a password hash latchkey cannot read (not an argon2 PHC string), so they cannot sign in: {}",
                users_phrase(unreadable.len()),
                names(&unreadable)
            ),
            "latchkey user set-password USERNAME",
        );
    }

    for (username, sessions, refresh) in users::list_disabled_users_with_grants(c, now)? {
        let mut held = Vec::new();
        if sessions > 0 {
            held.push(plural(sessions, "session"));
        }
        if refresh > 0 {
            held.push(plural(refresh, "live refresh token"));
        }
        r.warning(
            "disabled-user-grants",
            format!(
                "disabled user {username} still holds {} (disabling normally ends them; the user was disabled by hand or by an older latchkey)",
                held.join(" and ")
            ),
            format!(
                "latchkey user disable {username} (ends the sessions and revokes the refresh tokens again)"
            ),
        );
    }
    Ok(())
}

/// The parameters of a PHC string `$argon2id$v=19$m=19456,t=2,p=1$salt$hash`.
#[derive(Debug, PartialEq, Eq)]
struct Phc {
    alg: String,
    version: u32,
    m: u32,
    t: u32,
    p: u32,
}

fn parse_phc(s: &str) -> Option<Phc> {
    let mut parts = s.split('$');
    if !parts.next()?.is_empty() {
        return None;
    }
    let alg = parts.next()?.to_owned();
    let mut params = parts.next()?;
    // Hashes from before argon2 1.3 have no version field.
    let version = match params.strip_prefix("v=") {
        Some(v) => {
            let v = v.parse().ok()?;
            params = parts.next()?;
            v
        }
        None => 0x10,
    };
    let (mut m, mut t, mut p) = (None, None, None);
    for kv in params.split(',') {
        let (k, v) = kv.split_once('=')?;
        match k {
            "m" => m = v.parse().ok(),
            "t" => t = v.parse().ok(),
            "p" => p = v.parse().ok(),
            _ => {}
        }
    }
    let salt = parts.next()?;
    let hash = parts.next()?;
    if salt.is_empty() || hash.is_empty() || parts.next().is_some() {
        return None;
    }
    Some(Phc {
        alg,
        version,
        m: m?,
        t: t?,
        p: p?,
    })
}

/// Below OWASP's argon2id recommendation (any of its equivalent settings), or not argon2id v1.3.
fn is_weak(h: &Phc) -> bool {
    h.alg != "argon2id"
        || h.version < 0x13
        || h.p == 0
        || !OWASP_ARGON2ID.iter().any(|&(m, t)| h.m >= m && h.t >= t)
}

/// `1 user has` / `3 users have`.
fn users_phrase(n: usize) -> String {
    if n == 1 {
        "1 user has".into()
    } else {
        format!("{n} users have")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phc_strings_parse_with_and_without_version() {
        assert_eq!(
            parse_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA"),
            Some(Phc {
                alg: "argon2id".into(),
                version: 19,
                m: 19456,
                t: 2,
                p: 1
            })
        );
        assert_eq!(
            parse_phc("$argon2i$m=4096,t=3,p=1$c2FsdA$aGFzaA").map(|h| h.version),
            Some(0x10)
        );
        for bad in [
            "",
            "plain",
            "$2b$12$abcdefghijklmnopqrstuv",
            "$argon2id$v=19$m=19456,t=2$s$h",
            "$argon2id$v=19$m=19456,t=2,p=1$s",
        ] {
            assert_eq!(parse_phc(bad), None, "{bad}");
        }
    }

    #[test]
    fn owasp_equivalents_are_not_weak_and_less_is() {
        let h = |alg: &str, m, t| Phc {
            alg: alg.into(),
            version: 19,
            m,
            t,
            p: 1,
        };
        assert!(!is_weak(&h(
            "argon2id",
            password::MEMORY_KIB,
            password::ITERATIONS
        )));
        assert!(!is_weak(&h("argon2id", 47_104, 1)));
        assert!(!is_weak(&h("argon2id", 65_536, 3)));
        assert!(is_weak(&h("argon2id", 19_455, 2)));
        assert!(is_weak(&h("argon2id", 4096, 1)));
        assert!(is_weak(&h("argon2i", 65_536, 3)));
    }
}
