//! Deleting what has expired, across tables.

use crate::store::Result;
use crate::store::Tx;

/// Remove expired codes, device authorizations, pending requests, refresh tokens and deny-list rows.
/// (Sessions end through `oidc::session_end`, which also notifies clients.)
/// Returns how many rows went.
///
/// MUST keep codes and device requests 600 s past their expiry (a replayed code is still
/// recognised, a late poll still hears `expired_token`), and known browsers until
/// `KNOWN_BROWSER_TTL_SECS` after their last sign-in; MUST never touch users or clients.
pub fn delete_expired(tx: &Tx<'_>, now: i64) -> Result<usize> {
    let c = tx.conn();
    let mut n = 0;
    for sql in SWEEPS {
        n += c.prepare_cached(sql)?.execute([now])?;
    }
    Ok(n)
}

/// Each finds its rows through an expiry index (migration 0005), whatever the table's size.
/// (`CAST(?1 AS BIGINT)`: PostgreSQL would type `?1 - 600` as a 32-bit integer.)
pub const SWEEPS: [&str; 9] = [
    "DELETE FROM auth_codes WHERE expires_at < CAST(?1 AS BIGINT) - 600",
    "DELETE FROM pending_authorizations WHERE expires_at < ?1",
    "DELETE FROM refresh_tokens WHERE expires_at < ?1",
    "DELETE FROM revoked_access_tokens WHERE expires_at < ?1",
    // Kept 10 minutes past expiry so a late poll still hears `expired_token`.
    "DELETE FROM device_authorizations WHERE expires_at < CAST(?1 AS BIGINT) - 600",
    // Browsers not seen for KNOWN_BROWSER_TTL_SECS (400 days).
    "DELETE FROM known_browsers WHERE last_used_at < CAST(?1 AS BIGINT) - 34560000",
    // Sign-ins sent to an upstream provider and never finished (10 minutes).
    "DELETE FROM upstream_flows WHERE expires_at < ?1",
    "DELETE FROM upstream_links WHERE expires_at < ?1",
    // One-time links a day past expiry (until then a used or expired one is told apart).
    "DELETE FROM user_links WHERE expires_at < CAST(?1 AS BIGINT) - 86400",
];
