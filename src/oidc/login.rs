//! Signing in with a password, and the browser session that follows.

use crate::config::Settings;
use crate::crypto::{password, random};
use crate::domain::{Acr, Method, Methods, Username, printable};
use crate::store::sessions::{self, NewSession, Session};
use crate::store::users::{self, User};
use crate::store::{Store, StoreError, Tx, audit, known_browsers};

/// Check a username and password. Unknown user, wrong password and disabled user all give
/// `None`, after the same argon2 work (no enumeration by answer or by timing).
/// The password hash is upgraded when its parameters are outdated.
pub fn check_password(store: &Store, username: &str, pw: &str) -> Result<Option<User>, StoreError> {
    Ok(match check_password_for_sign_in(store, username, pw)? {
        PasswordCheck::Valid(user) => Some(user),
        _ => None,
    })
}

/// What [`check_password_for_sign_in`] found. The page shows every failure alike; the
/// difference is only counted (metrics), as the audit log's typed name already tells it.
#[derive(Debug)]
pub enum PasswordCheck {
    Valid(User),
    /// No such user (or not a valid username).
    UnknownUser,
    /// The user exists, is enabled, and the password is wrong.
    WrongPassword,
    /// The user is disabled: whatever the password, so this never says it was right.
    Disabled,
}

/// As [`check_password`], saying why a sign-in fails.
pub fn check_password_for_sign_in(
    store: &Store,
    username: &str,
    pw: &str,
) -> Result<PasswordCheck, StoreError> {
    let user = match Username::parse(username) {
        Ok(u) => store.read(|c| users::find_user_by_username(c, u.as_str()))?,
        Err(_) => None,
    };
    let Some(user) = user else {
        password::verify_dummy(pw);
        return Ok(PasswordCheck::UnknownUser);
    };
    // An account made by an upstream provider has no password (an empty hash): it burns the
    // same time as any wrong password.
    let verdict = if pw.len() <= 1024 && !user.password_hash.is_empty() {
        password::verify(pw, &user.password_hash)
    } else {
        password::verify_dummy(pw);
        password::Verdict::Invalid
    };
    match verdict {
        _ if user.disabled => Ok(PasswordCheck::Disabled),
        password::Verdict::Invalid => Ok(PasswordCheck::WrongPassword),
        password::Verdict::Valid => Ok(PasswordCheck::Valid(user)),
        password::Verdict::ValidRehash(new_hash) => {
            store.write(|c| users::update_user_password_hash(c, user.id, &new_hash))?;
            Ok(PasswordCheck::Valid(user))
        }
    }
}

/// Where a request came from, for the session list and the audit log.
#[derive(Debug, Default, Clone)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A brand-new session (fresh id: no fixation). Returns the cookie secret and the row.
pub fn start_session(
    c: &Tx<'_>,
    user: &User,
    settings: &Settings,
    now: i64,
    info: &ClientInfo,
) -> Result<(String, Session), StoreError> {
    start_session_with(
        c,
        user,
        settings,
        now,
        info,
        &Methods::of(&[Method::Pwd]),
        None,
    )
}

/// A brand-new session signed in with `methods` (a password, or a passkey alone); `detail`
/// goes into the audit event (how the user signed in).
pub fn start_session_with(
    c: &Tx<'_>,
    user: &User,
    settings: &Settings,
    now: i64,
    info: &ClientInfo,
    methods: &Methods,
    detail: Option<String>,
) -> Result<(String, Session), StoreError> {
    let secret = random::token();
    let sid = random::token();
    let amr = methods.to_string();
    let s = sessions::insert_session(
        c,
        &NewSession {
            secret_hash: &random::hash_token(&secret),
            sid: &sid[..22],
            user_id: user.id,
            auth_time: now,
            amr: &amr,
            expires_at: now + settings.session_max_lifetime_secs,
            user_agent: info.user_agent.as_deref().map(|u| &u[..u.len().min(256)]),
            ip: info.ip.as_deref(),
        },
        now,
    )?;
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now,
            kind: "login.succeeded".into(),
            actor: Some(user.username.clone()),
            subject: Some(user.subject.clone()),
            ip: info.ip.clone(),
            detail,
            ..Default::default()
        },
    )?;
    Ok((secret, s))
}

/// A browser's live session as the sign-in sees it: the user, and the level their own policy
/// asks of every sign-in (`mfa::user_floor`). Below it, the password is done but the second
/// factor is not: the session may only finish signing in.
#[derive(Debug, Clone)]
pub struct Browser {
    pub session: Session,
    pub user: User,
    pub floor: Acr,
}

impl Browser {
    /// The level the session's methods reach.
    pub fn level(&self) -> Acr {
        Methods::parse(&self.session.amr).acr()
    }
    /// Signed in: the user's own floor is met.
    pub fn complete(&self) -> bool {
        self.level() >= self.floor
    }
}

/// A second step of the sign-in succeeded with `method` (a second factor, or a passkey on top
/// of a session): the session gets the method, `auth_time` becomes now (the step-up time),
/// and the cookie secret is replaced. Returns the new cookie secret; None when the session
/// ended meanwhile. The caller audits the method.
pub fn step_up(
    c: &Tx<'_>,
    session: &Session,
    method: Method,
    now: i64,
) -> Result<Option<String>, StoreError> {
    step_up_with(c, session, &[method], now)
}

/// [`step_up`] with several methods at once (a passkey and the user verification it did).
pub fn step_up_with(
    c: &Tx<'_>,
    session: &Session,
    added: &[Method],
    now: i64,
) -> Result<Option<String>, StoreError> {
    let methods = added
        .iter()
        .fold(Methods::parse(&session.amr), |m, x| m.with(*x));
    let secret = random::token();
    let done = sessions::step_up_session(
        c,
        session.id,
        &random::hash_token(&secret),
        &methods.to_string(),
        now,
    )?;
    Ok(done.then_some(secret))
}

/// The signed-in session behind a cookie, with its user: `None` when unknown, expired, idle
/// too long, the user is disabled, or the second factor the user's policy asks for is still
/// due (see [`browser_session`] for those).
pub fn current_session(
    c: &Tx<'_>,
    cookie_secret: &str,
    settings: &Settings,
    now: i64,
) -> Result<Option<(Session, User)>, StoreError> {
    Ok(browser_session(c, cookie_secret, settings, now)?
        .filter(Browser::complete)
        .map(|b| (b.session, b.user)))
}

/// The live session behind a cookie, signed in or half-way (second factor due): `None` when
/// unknown, expired, idle too long, or the user is disabled.
pub fn browser_session(
    c: &Tx<'_>,
    cookie_secret: &str,
    settings: &Settings,
    now: i64,
) -> Result<Option<Browser>, StoreError> {
    if cookie_secret.len() != 43 {
        return Ok(None);
    }
    let Some(s) = sessions::find_session_by_secret(c, &random::hash_token(cookie_secret))? else {
        return Ok(None);
    };
    if s.expires_at <= now || s.last_seen_at + settings.session_idle_timeout_secs <= now {
        return Ok(None);
    }
    let user = users::get_user(c, s.user_id)?;
    if user.disabled {
        return Ok(None);
    }
    // Two factors meet every floor there is: no need to look the user's factors up.
    let floor = if Methods::parse(&s.amr).acr() >= Acr::Mfa {
        Acr::Mfa
    } else {
        super::mfa::user_floor(c, settings, &user)?
    };
    Ok(Some(Browser {
        session: s,
        user,
        floor,
    }))
}

/// True while the session `sid` has neither ended nor expired (by age or idleness): tokens
/// bound to it are worth issuing or refreshing only then.
pub fn session_is_live(
    c: &Tx<'_>,
    sid: &str,
    settings: &Settings,
    now: i64,
) -> Result<bool, StoreError> {
    Ok(sessions::find_session_by_sid(c, sid)?.is_some_and(|s| {
        s.expires_at > now && s.last_seen_at + settings.session_idle_timeout_secs > now
    }))
}

/// The id the sign-in throttle knows this browser by for `username`, when its known-browser
/// cookie says it signed in to that account before (see `login_throttle`).
pub fn known_browser_id(
    c: &Tx<'_>,
    cookie_secret: Option<&str>,
    username: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let Some(secret) = cookie_secret.filter(|s| s.len() == 43) else {
        return Ok(None);
    };
    let Ok(name) = Username::parse(username) else {
        return Ok(None);
    };
    let Some(user) = users::find_user_by_username(c, name.as_str())? else {
        return Ok(None);
    };
    let hash = random::hash_token(secret);
    Ok(known_browsers::is_known_browser(c, &hash, user.id, now)?
        .then(|| hash.chars().take(16).collect()))
}

/// Remember that this browser signed in as `user`; returns the cookie secret to set when the
/// browser had none (or an unusable one).
pub fn remember_browser(
    c: &Tx<'_>,
    cookie_secret: Option<&str>,
    user: &User,
    now: i64,
) -> Result<Option<String>, StoreError> {
    let (secret, new) = match cookie_secret.filter(|s| s.len() == 43) {
        Some(s) => (s.to_owned(), false),
        None => (random::token(), true),
    };
    known_browsers::remember_browser(c, &random::hash_token(&secret), user.id, now)?;
    Ok(new.then_some(secret))
}

/// Record activity, at most once a minute (so most requests stay read-only).
pub fn touch(c: &Tx<'_>, s: &Session, now: i64) -> Result<(), StoreError> {
    if now - s.last_seen_at >= 60 {
        sessions::touch_session(c, s.id, now)?;
    }
    Ok(())
}

/// A sign-in limit was exceeded: later attempts wait `secs`.
pub fn audit_throttled(
    c: &Tx<'_>,
    username: &str,
    now: i64,
    secs: i64,
    info: &ClientInfo,
) -> Result<(), StoreError> {
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now,
            kind: "login.throttled".into(),
            actor: Some(audit_name(username)),
            ip: info.ip.clone(),
            detail: Some(format!("{{\"wait_secs\":{secs}}}")),
            ..Default::default()
        },
    )
}

pub fn audit_failed_login(
    c: &Tx<'_>,
    username: &str,
    now: i64,
    info: &ClientInfo,
) -> Result<(), StoreError> {
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now,
            kind: "login.failed".into(),
            actor: Some(audit_name(username)),
            ip: info.ip.clone(),
            ..Default::default()
        },
    )
}

/// How many typed characters of an invalid username the audit log keeps.
const AUDIT_NAME_CHARS: usize = 64;

/// The typed username of a failed or throttled sign-in, as the audit log records it.
///
/// A valid username (`Username::parse`) is kept exactly as typed, so `latchkey audit --user
/// alice` finds the failures on alice's account. Anything else is attacker-controlled text and is
/// stored escaped rather than dropped, so an admin can still see what was tried: the first 64
/// characters, each one outside the username alphabet (letters, digits, `.`, `_`, `-`, `@`)
/// written as `\u{HEX}` (a newline is `\u{a}`, ESC `\u{1b}`, a space `\u{20}`, a backslash
/// `\u{5c}`), then `\u{2026}` (an ellipsis) when more was typed. The result is printable ASCII
/// without spaces, at most 64 x 10 + 8 bytes long, and never a valid username itself (it is
/// empty or holds a `\`), so it can neither forge a line of output nor pass for a real user.
pub fn audit_name(typed: &str) -> String {
    if Username::parse(typed).is_ok() {
        return typed.to_owned();
    }
    let in_alphabet = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
    let mut out = String::new();
    for c in typed.chars().take(AUDIT_NAME_CHARS) {
        printable::push_char(&mut out, c, |c| !in_alphabet(c));
    }
    if typed.chars().nth(AUDIT_NAME_CHARS).is_some() {
        out.push_str("\\u{2026}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::audit_name;

    #[test]
    fn audit_name_keeps_valid_usernames_and_escapes_everything_else() {
        assert_eq!(audit_name("alice"), "alice");
        assert_eq!(audit_name("ALICE.b-c_d@x"), "ALICE.b-c_d@x");
        assert_eq!(
            audit_name("x\n2026-11-29 12:00:00  login.succeeded  actor=admin"),
            "x\\u{a}2026-11-29\\u{20}12\\u{3a}00\\u{3a}00\\u{20}\\u{20}login.succeeded\\u{20}\\u{20}actor\\u{3d}admin"
        );
        assert_eq!(
            audit_name("\u{1b}[2J\u{202e}\\"),
            "\\u{1b}\\u{5b}2J\\u{202e}\\u{5c}"
        );
        assert_eq!(audit_name(""), "");
    }

    #[test]
    fn audit_name_of_a_long_invalid_username_is_bounded_and_never_a_valid_username() {
        let long = "a".repeat(65);
        assert_eq!(audit_name(&long), format!("{}\\u{{2026}}", "a".repeat(64)));
        let worst = "\u{10ffff}".repeat(10_000);
        assert!(audit_name(&worst).len() <= 64 * 10 + 8);
        for typed in [long.as_str(), "al ice", "a\\b", "\u{7f}"] {
            assert!(
                crate::domain::Username::parse(&audit_name(typed)).is_err(),
                "{typed:?}"
            );
        }
    }
}
