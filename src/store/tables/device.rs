//! Device authorizations (RFC 8628): a device code and a user code, stored hashed, waiting for
//! a person's decision, then redeemed once.

use crate::store::Tx;
use crate::store::db::{OptionalExtension, Row, params};
use crate::store::{Result, StoreError, conflict_or};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    Pending,
    Approved,
    Denied,
    Issued,
}

impl DeviceStatus {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "approved" => Self::Approved,
            "denied" => Self::Denied,
            "issued" => Self::Issued,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    pub id: i64,
    pub client_pk: i64,
    pub scope: String,
    pub status: DeviceStatus,
    pub created_at: i64,
    pub expires_at: i64,
    pub interval_secs: i64,
    pub last_polled_at: Option<i64>,
    pub user_id: Option<i64>,
    pub sid: Option<String>,
    pub auth_time: Option<i64>,
    pub amr: Option<String>,
    /// The `acr` of the ID token, set with the approval (None before, or from before 0010).
    pub acr: Option<String>,
    pub resource: Option<String>,
}

pub struct NewDeviceAuthorization<'a> {
    pub device_code_hash: &'a str,
    pub user_code_hash: &'a str,
    pub client_pk: i64,
    pub scope: &'a str,
    pub resource: Option<&'a str>,
    pub expires_at: i64,
    pub interval_secs: i64,
    /// Where the request came from (see `oidc::throttle::source`).
    pub source: &'a str,
}

/// Who approved, from which browser session.
pub struct Approval<'a> {
    pub user_id: i64,
    pub sid: &'a str,
    pub auth_time: i64,
    pub amr: &'a str,
    pub acr: &'a str,
}

const COLUMNS: &str = "id, client_pk, scope, status, created_at, expires_at, interval_secs, \
                       last_polled_at, user_id, sid, auth_time, amr, resource, acr";

fn from_row(r: &Row<'_>) -> crate::store::Result<(DeviceAuthorization, String)> {
    Ok((
        DeviceAuthorization {
            id: r.get(0)?,
            client_pk: r.get(1)?,
            scope: r.get(2)?,
            status: DeviceStatus::Pending,
            created_at: r.get(4)?,
            expires_at: r.get(5)?,
            interval_secs: r.get(6)?,
            last_polled_at: r.get(7)?,
            user_id: r.get(8)?,
            sid: r.get(9)?,
            auth_time: r.get(10)?,
            amr: r.get(11)?,
            resource: r.get(12)?,
            acr: r.get(13)?,
        },
        r.get(3)?,
    ))
}

fn with_status(row: Option<(DeviceAuthorization, String)>) -> Result<Option<DeviceAuthorization>> {
    match row {
        None => Ok(None),
        Some((mut d, status)) => {
            d.status = DeviceStatus::parse(&status).ok_or_else(|| {
                StoreError::Corrupt(format!("device authorization has status {status:?}"))
            })?;
            Ok(Some(d))
        }
    }
}

/// A user code collision (with a live or not yet swept row) is a `Conflict`: draw another code.
/// A refused insert MUST change nothing; the row holding the code keeps it.
pub fn insert_device_authorization(
    tx: &Tx<'_>,
    n: &NewDeviceAuthorization<'_>,
    now: i64,
) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "INSERT INTO device_authorizations (device_code_hash, user_code_hash, client_pk, scope, \
         created_at, expires_at, interval_secs, resource, source) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        n.device_code_hash,
        n.user_code_hash,
        n.client_pk,
        n.scope,
        now,
        n.expires_at,
        n.interval_secs,
        n.resource,
        n.source
    ])
    .map_err(|e| conflict_or(e, || "the user code is taken".into()))?;
    Ok(())
}

/// How many unexpired device authorizations `source` has started.
pub fn count_device_from(tx: &Tx<'_>, source: &str, now: i64) -> Result<i64> {
    let c = tx.conn();
    c.prepare_cached(
        "SELECT COUNT(*) FROM device_authorizations WHERE source = ?1 AND expires_at > ?2",
    )?
    .query_row(params![source, now], |r| r.get(0))
}

/// The row of a device code, whatever its state (expired ones too, until swept).
/// MUST find expired rows: a late poll is answered `expired_token`, not `invalid_grant`.
pub fn find_device_by_device_code(
    tx: &Tx<'_>,
    device_code_hash: &str,
) -> Result<Option<DeviceAuthorization>> {
    let c = tx.conn();
    let row = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM device_authorizations WHERE device_code_hash = ?1"
        ))?
        .query_row([device_code_hash], from_row)
        .optional()?;
    with_status(row)
}

/// The row of a user code that still waits for a decision and has not expired.
pub fn find_pending_device_by_user_code(
    tx: &Tx<'_>,
    user_code_hash: &str,
    now: i64,
) -> Result<Option<DeviceAuthorization>> {
    let c = tx.conn();
    let row = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM device_authorizations \
                 WHERE user_code_hash = ?1 AND status = 'pending' AND expires_at > ?2"
        ))?
        .query_row(params![user_code_hash, now], from_row)
        .optional()?;
    with_status(row)
}

/// Remember a poll, and the interval the device must keep from now on.
/// Changes only `last_polled_at` and `interval_secs`, never the status.
pub fn update_device_poll(tx: &Tx<'_>, id: i64, now: i64, interval_secs: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "UPDATE device_authorizations SET last_polled_at = ?2, interval_secs = ?3 WHERE id = ?1",
    )?
    .execute(params![id, now, interval_secs])?;
    Ok(())
}

/// Record the person's decision; false when the row was no longer pending (someone decided
/// first) or has expired. `approval` is None for a denial.
///
/// MUST be atomic: of many concurrent deciders exactly one gets true, and the stored decision
/// (and approver) is that caller's. A decision is final; a refused one changes nothing.
pub fn decide_device(
    tx: &Tx<'_>,
    id: i64,
    approval: Option<&Approval<'_>>,
    now: i64,
) -> Result<bool> {
    let c = tx.conn();
    let n = match approval {
        Some(a) => c
            .prepare_cached(
                "UPDATE device_authorizations SET status = 'approved', user_id = ?2, sid = ?3, \
             auth_time = ?4, amr = ?5, decided_at = ?6, acr = ?7 \
             WHERE id = ?1 AND status = 'pending' AND expires_at > ?6",
            )?
            .execute(params![
                id,
                a.user_id,
                a.sid,
                a.auth_time,
                a.amr,
                now,
                a.acr
            ])?,
        None => c
            .prepare_cached(
                "UPDATE device_authorizations SET status = 'denied', decided_at = ?2 \
             WHERE id = ?1 AND status = 'pending' AND expires_at > ?2",
            )?
            .execute(params![id, now])?,
    };
    Ok(n == 1)
}

/// Redeem an approved authorization: exactly one caller ever gets true.
///
/// MUST be atomic: of many concurrent pollers exactly one gets true, and the row is `issued`
/// from then on. Pending, denied, issued or expired rows MUST give false and stay as they are.
pub fn consume_device(tx: &Tx<'_>, id: i64, now: i64) -> Result<bool> {
    let c = tx.conn();
    let n = c
        .prepare_cached(
            "UPDATE device_authorizations SET status = 'issued', issued_at = ?2 \
         WHERE id = ?1 AND status = 'approved' AND expires_at > ?2",
        )?
        .execute(params![id, now])?;
    Ok(n == 1)
}
