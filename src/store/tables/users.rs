//! Users.

use crate::store::Tx;
use crate::store::db::{Dialect, OptionalExtension, Row, ToValue, params};
use crate::store::{Result, StoreError, conflict_or};

#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    #[serde(skip)]
    pub id: i64,
    pub subject: String,
    pub username: String,
    pub email: String,
    pub email_verified: bool,
    pub name: Option<String>,
    #[serde(skip)]
    pub password_hash: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub password_changed_at: i64,
    /// Notice mails after sensitive changes (the account page turns them off).
    pub security_notices: bool,
}

pub struct NewUser<'a> {
    pub subject: &'a str,
    pub username: &'a str,
    pub email: &'a str,
    pub email_verified: bool,
    pub name: Option<&'a str>,
    pub password_hash: &'a str,
    pub is_admin: bool,
}

const COLUMNS: &str = "id, subject, username, email, email_verified, name, password_hash, \
                       is_admin, disabled, created_at, updated_at, password_changed_at, \
                       security_notices";

fn from_row(r: &Row<'_>) -> crate::store::Result<User> {
    Ok(User {
        id: r.get(0)?,
        subject: r.get(1)?,
        username: r.get(2)?,
        email: r.get(3)?,
        email_verified: r.get(4)?,
        name: r.get(5)?,
        password_hash: r.get(6)?,
        is_admin: r.get(7)?,
        disabled: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
        password_changed_at: r.get(11)?,
        security_notices: r.get(12)?,
    })
}

pub fn insert_user(tx: &Tx<'_>, u: &NewUser<'_>, now: i64) -> Result<User> {
    let c = tx.conn();
    let new_id = c.insert("INSERT INTO users (subject, username, email, email_verified, name, password_hash, is_admin, \
         created_at, updated_at, password_changed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?8)", params![u.subject, u.username, u.email, u.email_verified, u.name, u.password_hash, u.is_admin, now],
    )
    .map_err(|e| conflict_or(e, || format!("user {:?} already exists", u.username)))?;
    get_user(tx, new_id)
}

pub fn get_user(tx: &Tx<'_>, id: i64) -> Result<User> {
    let c = tx.conn();
    c.prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("no user with id {id}")))
}

/// Case-insensitive lookup by username: SQLite's column is `COLLATE NOCASE` (its unique index
/// answers); PostgreSQL's unique index is on `lower(username)`.
pub fn find_user_by_username(tx: &Tx<'_>, username: &str) -> Result<Option<User>> {
    let c = tx.conn();
    let sql = match tx.dialect() {
        Dialect::Sqlite => format!("SELECT {COLUMNS} FROM users WHERE username = ?1"),
        Dialect::Postgres => {
            format!("SELECT {COLUMNS} FROM users WHERE lower(username) = lower(?1)")
        }
    };
    c.prepare_cached(&sql)?
        .query_row([username], from_row)
        .optional()
}

/// Username order ignoring case, in the form each database has an index for: SQLite's
/// `NOCASE` column (`users_search_scan`), PostgreSQL's `lower(username)` (`users_username_nocase`).
fn username_order(tx: &Tx<'_>, table: &str) -> String {
    match tx.dialect() {
        Dialect::Sqlite => format!("{table}username"),
        Dialect::Postgres => format!("lower({table}username)"),
    }
}

pub fn find_user_by_subject(tx: &Tx<'_>, subject: &str) -> Result<Option<User>> {
    let c = tx.conn();
    c.prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE subject = ?1"))?
        .query_row([subject], from_row)
        .optional()
}

/// Users whose email is `email`, compared without case (at most `limit`).
pub fn list_users_by_email(tx: &Tx<'_>, email: &str, limit: i64) -> Result<Vec<User>> {
    let c = tx.conn();
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM users WHERE lower(email) = lower(?1) ORDER BY id LIMIT ?2"
    ))?;
    let rows = st.query_map(params![email, limit], from_row)?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// The user named `username`, or a NotFound error that says so.
pub fn get_user_by_username(tx: &Tx<'_>, username: &str) -> Result<User> {
    find_user_by_username(tx, username)?
        .ok_or_else(|| StoreError::NotFound(format!("no user named {username:?}")))
}

pub fn list_users(tx: &Tx<'_>) -> Result<Vec<User>> {
    let c = tx.conn();
    let order = username_order(tx, "");
    let mut st = c.prepare(&format!("SELECT {COLUMNS} FROM users ORDER BY {order}"))?;
    let rows = st.query_map([], from_row)?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// A query matching more users than this in the trigram index is common enough that a scan in
/// username order meets a page of matches soon; below it, sorting the matches is cheaper.
const INDEXED_MATCHES_MAX: i64 = 2000;

/// Users whose username, email or name contains `query` (case-insensitively; all users when it
/// is empty), in username order, after the username `after`, at most `limit`.
///
/// A query of three characters or more that matches at most [`INDEXED_MATCHES_MAX`] users is
/// answered from the trigram index (`users_search`, migration 0012): a few index probes and a
/// sort of the matches. Shorter or more common queries walk the username index with `LIKE` and
/// stop at `limit` matches, which comes soon because they are common; they read the index
/// `users_search_scan` only, never the table. (`LIKE` folds ASCII case only, the trigram index
/// Unicode case too.)
pub fn search_users(
    tx: &Tx<'_>,
    query: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<User>> {
    let c = tx.conn();
    let pg = tx.dialect() == Dialect::Postgres;
    let order = username_order(tx, "");
    // Two texts, not `?2 IS NULL OR ...`: that would keep SQLite from seeking to the cursor,
    // and a page deep in the list would read every user before it.
    let after_clause = match (after.is_some(), pg) {
        (true, false) => "username > ?2",
        (true, true) => "lower(username) > lower(?2)",
        (false, _) => "CAST(?2 AS TEXT) IS NULL",
    };
    let rows = |sql: &str, q: &dyn ToValue| -> Result<Vec<User>> {
        let mut st = c.prepare_cached(sql)?;
        let found = st.query_map(params![q, after, limit], from_row)?;
        found.collect::<Result<Vec<_>, _>>()
    };
    if query.is_empty() {
        return rows(
            &format!(
                "SELECT {COLUMNS} FROM users WHERE CAST(?1 AS TEXT) IS NULL AND {after_clause} \
                 ORDER BY {order} LIMIT ?3"
            ),
            &None::<String>,
        );
    }
    let pattern = format!("%{}%", escape_like(query));
    if pg {
        // No trigram index on PostgreSQL: the scan in username order, with ILIKE (which folds
        // Unicode case, where SQLite's LIKE folds ASCII only).
        return rows(
            &format!(
                "SELECT {COLUMNS} FROM users WHERE id IN ( \
                   SELECT id FROM users WHERE {after_clause} AND (username ILIKE ?1 ESCAPE '\\' \
                     OR email ILIKE ?1 ESCAPE '\\' OR name ILIKE ?1 ESCAPE '\\') \
                   ORDER BY {order} LIMIT ?3) \
                 ORDER BY {order}"
            ),
            &pattern,
        );
    }
    if query.chars().count() >= 3 {
        // A phrase of one trigram string: matches it as a substring of any column.
        let phrase = format!("\"{}\"", query.replace('"', "\"\""));
        let matches: i64 = c
            .prepare_cached(
                "SELECT COUNT(*) FROM (SELECT rowid FROM users_search \
                 WHERE users_search MATCH ?1 LIMIT ?2)",
            )?
            .query_row(params![phrase, INDEXED_MATCHES_MAX + 1], |r| r.get(0))?;
        if matches <= INDEXED_MATCHES_MAX {
            return rows(
                &format!(
                    "SELECT {COLUMNS} FROM users \
                     WHERE id IN (SELECT rowid FROM users_search WHERE users_search MATCH ?1) \
                       AND {after_clause} \
                     ORDER BY username LIMIT ?3"
                ),
                &phrase,
            );
        }
    }
    rows(
        &format!(
            "SELECT {COLUMNS} FROM users WHERE id IN ( \
               SELECT id FROM users INDEXED BY users_search_scan \
               WHERE {after_clause} AND (username LIKE ?1 ESCAPE '\\' \
                 OR email LIKE ?1 ESCAPE '\\' OR name LIKE ?1 ESCAPE '\\') \
               ORDER BY username LIMIT ?3) \
             ORDER BY username"
        ),
        &pattern,
    )
}

/// `%`, `_` and the escape character itself taken literally in a `LIKE ... ESCAPE '\'` pattern.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// Whether there is any user: one page read, where counting reads a whole index.
pub fn has_users(tx: &Tx<'_>) -> Result<bool> {
    let c = tx.conn();
    c.prepare_cached("SELECT EXISTS (SELECT 1 FROM users)")?
        .query_row([], |r| r.get(0))
}

pub fn count_users(tx: &Tx<'_>) -> Result<i64> {
    let c = tx.conn();
    c.prepare_cached("SELECT COUNT(*) FROM users")?
        .query_row([], |r| r.get(0))
}

/// Enabled users with the admin flag: the last one must stay (someone has to run the provider).
pub fn count_enabled_admins(tx: &Tx<'_>) -> Result<i64> {
    let c = tx.conn();
    c.prepare_cached("SELECT COUNT(*) FROM users WHERE is_admin = 1 AND disabled = 0")?
        .query_row([], |r| r.get(0))
}

pub fn update_user_disabled(tx: &Tx<'_>, id: i64, disabled: bool, now: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("UPDATE users SET disabled = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, disabled, now])?;
    Ok(())
}

/// The profile an admin may change: email (and whether it is verified), name, admin flag.
pub fn update_user_profile(tx: &Tx<'_>, id: i64, p: &UserProfile<'_>, now: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "UPDATE users SET email = ?2, email_verified = ?3, name = ?4, is_admin = ?5, updated_at = ?6 \
         WHERE id = ?1",
    )?
    .execute(params![id, p.email, p.email_verified, p.name, p.is_admin, now])?;
    Ok(())
}

pub struct UserProfile<'a> {
    pub email: &'a str,
    pub email_verified: bool,
    pub name: Option<&'a str>,
    pub is_admin: bool,
}

/// A new password hash: the user's sessions and refresh tokens end with it (stolen credentials
/// stop working when the password is changed).
pub fn update_user_password(tx: &Tx<'_>, id: i64, hash: &str, now: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("UPDATE users SET password_hash = ?2, updated_at = ?3, password_changed_at = ?3 WHERE id = ?1")?
        .execute(params![id, hash, now],
    )?;
    Ok(())
}

/// Users whose email address is `email` (compared without regard to ASCII case), at most `limit`.
pub fn find_users_by_email(tx: &Tx<'_>, email: &str, limit: i64) -> Result<Vec<User>> {
    let c = tx.conn();
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM users WHERE lower(email) = lower(?1) ORDER BY id LIMIT ?2"
    ))?;
    let rows = st.query_map(params![email, limit], from_row)?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// A new email address and whether it is verified (the user's own change, or its verification).
pub fn update_user_email(
    tx: &Tx<'_>,
    id: i64,
    email: &str,
    verified: bool,
    now: i64,
) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "UPDATE users SET email = ?2, email_verified = ?3, updated_at = ?4 WHERE id = ?1",
    )?
    .execute(params![id, email, verified, now])?;
    Ok(())
}

/// Turn the user's notice mails on or off.
pub fn update_security_notices(tx: &Tx<'_>, id: i64, on: bool, now: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("UPDATE users SET security_notices = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, on, now])?;
    Ok(())
}

/// Only the hash changes (parameters upgraded at login): nothing else is invalidated.
pub fn update_user_password_hash(tx: &Tx<'_>, id: i64, hash: &str) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("UPDATE users SET password_hash = ?2 WHERE id = ?1")?
        .execute(params![id, hash])?;
    Ok(())
}

/// MUST cascade: the user's sessions, refresh tokens, codes, consents, group memberships,
/// attributes, known browsers, session-client records and the device requests they approved go
/// with them; nothing of other users changes.
pub fn delete_user(tx: &Tx<'_>, id: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("DELETE FROM users WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Disabled users who still hold unexpired sessions or live refresh tokens, as
/// `(username, sessions, refresh_tokens)`. Disabling ends both, so any row here is a leftover.
pub fn list_disabled_users_with_grants(tx: &Tx<'_>, now: i64) -> Result<Vec<(String, i64, i64)>> {
    let c = tx.conn();
    let order = username_order(tx, "u.");
    let mut st = c.prepare(&format!(
        "SELECT u.username, \
           (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id AND s.expires_at > ?1), \
           (SELECT COUNT(*) FROM refresh_tokens r WHERE r.user_id = u.id AND r.revoked_at IS NULL \
              AND r.used_at IS NULL AND r.expires_at > ?1) \
         FROM users u WHERE u.disabled = 1 ORDER BY {order}",
    ))?;
    let rows = st.query_map([now], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows
        .collect::<Result<Vec<(String, i64, i64)>, _>>()?
        .into_iter()
        .filter(|(_, s, r)| *s > 0 || *r > 0)
        .collect())
}
