//! Browsers that signed in to an account before (the `latchkey_browser` cookie, hashed).

use crate::store::Result;
use crate::store::Tx;
use crate::store::db::{OptionalExtension, params};

/// How long a browser stays known without signing in again (the cookie's own lifetime).
pub const KNOWN_BROWSER_TTL_SECS: i64 = 400 * 86_400;

/// True when the browser with this cookie hash signed in as `user_id` and is still known.
/// MUST be false from exactly `KNOWN_BROWSER_TTL_SECS` after the last sign-in on, swept or not.
pub fn is_known_browser(tx: &Tx<'_>, token_hash: &str, user_id: i64, now: i64) -> Result<bool> {
    let c = tx.conn();
    Ok(c.prepare_cached(
        "SELECT 1 FROM known_browsers WHERE token_hash = ?1 AND user_id = ?2 AND last_used_at > ?3",
    )?
    .query_row(
        params![token_hash, user_id, now - KNOWN_BROWSER_TTL_SECS],
        |_| Ok(()),
    )
    .optional()?
    .is_some())
}

/// Record (or refresh) a successful sign-in of `user_id` from this browser.
/// One row per browser and user: a repeat MUST move `last_used_at` and keep `created_at`.
pub fn remember_browser(tx: &Tx<'_>, token_hash: &str, user_id: i64, now: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "INSERT INTO known_browsers (token_hash, user_id, created_at, last_used_at) VALUES (?1, ?2, ?3, ?3) \
         ON CONFLICT (token_hash, user_id) DO UPDATE SET last_used_at = excluded.last_used_at",
    )?
    .execute(params![token_hash, user_id, now])?;
    Ok(())
}

/// Whether any browser is still known to have signed in as `user_id`.
pub fn has_known_browsers(tx: &Tx<'_>, user_id: i64, now: i64) -> Result<bool> {
    let c = tx.conn();
    c.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM known_browsers WHERE user_id = ?1 AND last_used_at > ?2)",
    )?
    .query_row(params![user_id, now - KNOWN_BROWSER_TTL_SECS], |r| r.get(0))
}
