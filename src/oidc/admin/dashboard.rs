//! What the admin dashboard shows besides the counts ([`super::gate::counts`]): sign-ins and
//! failed sign-ins per hour over the last week, the latest throttle blocks, the signing keys'
//! ages, and doctor's findings on the running server. All of it only reads.

use super::AdminError;
use crate::clock::Timestamp;
use crate::config::Settings;
use crate::doctor;
use crate::store::{Tx, audit};

/// Hours in the chart: the last 7 days, the current hour last.
pub const HOURS: usize = 7 * 24;
const HOUR: i64 = 3600;
/// How many throttle blocks the dashboard lists.
pub const THROTTLE_BLOCKS_SHOWN: i64 = 10;

/// Sign-ins and failed sign-ins per hour: `succeeded[i]` and `failed[i]` are hour `i`, which
/// starts at `from + 3600 i` (UTC hours; the last one is the current hour, still running).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourlySignIns {
    pub from: Timestamp,
    pub succeeded: Vec<i64>,
    pub failed: Vec<i64>,
}

impl HourlySignIns {
    /// Put `(hour, succeeded, failed)` rows into [`HOURS`] buckets starting at `from`.
    pub fn from_rows(from: Timestamp, rows: &[(i64, i64, i64)]) -> Self {
        let (mut succeeded, mut failed) = (vec![0; HOURS], vec![0; HOURS]);
        for &(hour, ok, bad) in rows {
            if let Some(i) = usize::try_from(hour).ok().filter(|&i| i < HOURS) {
                succeeded[i] = ok;
                failed[i] = bad;
            }
        }
        Self {
            from,
            succeeded,
            failed,
        }
    }

    pub fn total_succeeded(&self) -> i64 {
        self.succeeded.iter().sum()
    }

    pub fn total_failed(&self) -> i64 {
        self.failed.iter().sum()
    }
}

/// The start of the first hour of the chart that ends with the hour of `now`.
pub fn chart_start(now: Timestamp) -> Timestamp {
    (now.div_euclid(HOUR) - (HOURS as i64 - 1)) * HOUR
}

/// A sign-in or device-code limit that was hit: when, for which name, from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleBlock {
    pub at: Timestamp,
    /// `sign-in` or `device code`.
    pub what: &'static str,
    /// The username as typed (escaped by the audit log when it is no valid username).
    pub who: Option<String>,
    pub ip: Option<String>,
    /// How long later attempts had to wait.
    pub wait_secs: Option<i64>,
}

impl ThrottleBlock {
    fn from_event(e: audit::AuditEvent) -> Self {
        let wait_secs = e
            .detail
            .as_deref()
            .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .and_then(|v| v.get("wait_secs")?.as_i64());
        Self {
            at: e.at,
            what: if e.kind == audit::THROTTLED[0] {
                "sign-in"
            } else {
                "device code"
            },
            who: e.actor,
            ip: e.ip,
            wait_secs,
        }
    }
}

/// A signing key with its age and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAge {
    pub kid: String,
    pub alg: &'static str,
    pub created_at: Timestamp,
    pub age_secs: i64,
    /// Signing now; otherwise retired at `retired_at` and only published for verification.
    pub active: bool,
    pub retired_at: Option<Timestamp>,
    /// An active key is replaced then (`key_rotation_secs`); a retired one leaves the JWKS then
    /// (`key_retention_secs`).
    pub next_change_at: Timestamp,
}

/// The signing keys ([`super::keys::published`]: read only, the server made them at start)
/// with their ages: active keys first, then by algorithm, newest first.
pub fn key_ages(
    c: &Tx<'_>,
    settings: &Settings,
    now: Timestamp,
) -> Result<Vec<KeyAge>, AdminError> {
    let mut keys: Vec<KeyAge> = super::keys::published(c, now, settings.key_retention_secs)?
        .into_iter()
        .map(|k| KeyAge {
            alg: k.alg.as_str(),
            age_secs: now - k.created_at,
            active: k.retired_at.is_none(),
            next_change_at: match k.retired_at {
                None => k.created_at + settings.key_rotation_secs,
                Some(r) => r + settings.key_retention_secs,
            },
            created_at: k.created_at,
            retired_at: k.retired_at,
            kid: k.kid,
        })
        .collect();
    keys.sort_by(|a, b| (!a.active, a.alg, -a.created_at).cmp(&(!b.active, b.alg, -b.created_at)));
    Ok(keys)
}

/// Everything on the dashboard but the counts.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub sign_ins: HourlySignIns,
    /// Newest first, from the same 7 days as the chart.
    pub throttle_blocks: Vec<ThrottleBlock>,
    /// Active keys first, then by algorithm, newest first.
    pub keys: Vec<KeyAge>,
    /// `latchkey doctor`'s checks on this server, less [`doctor::QUICK_LEAVES_OUT`].
    pub findings: doctor::Report,
    pub findings_leave_out: &'static [&'static str],
}

/// The dashboard at `now`. Only reads: run it in a read unit, not in the write turn (doctor
/// reads every user: a quarter of a second with 100,000 users and a million audit events,
/// bench/RESULTS.md).
pub fn dashboard(c: &Tx<'_>, settings: &Settings, now: Timestamp) -> Result<Dashboard, AdminError> {
    let from = chart_start(now);
    let rows = audit::sign_ins_per_hour(c, from, HOURS as i64)?;
    let throttle_blocks = audit::latest_throttle_blocks(c, from, THROTTLE_BLOCKS_SHOWN)?
        .into_iter()
        .map(ThrottleBlock::from_event)
        .collect();
    Ok(Dashboard {
        sign_ins: HourlySignIns::from_rows(from, &rows),
        throttle_blocks,
        keys: key_ages(c, settings, now)?,
        findings: doctor::inspect_running(settings, now, c),
        findings_leave_out: doctor::QUICK_LEAVES_OUT,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_is_the_168_utc_hours_that_end_with_the_current_one() {
        let now = 1_700_000_000; // 22:13:20 UTC
        let from = chart_start(now);
        assert_eq!(from % HOUR, 0);
        assert_eq!(from + HOURS as i64 * HOUR, (now / HOUR + 1) * HOUR);
        assert!(now - from < HOURS as i64 * HOUR);
    }

    #[test]
    fn rows_land_in_their_hours_and_nothing_outside_the_week_does() {
        let s = HourlySignIns::from_rows(0, &[(0, 3, 1), (167, 5, 0), (168, 9, 9), (-1, 9, 9)]);
        assert_eq!(s.succeeded.len(), HOURS);
        assert_eq!((s.succeeded[0], s.failed[0]), (3, 1));
        assert_eq!(s.succeeded[167], 5);
        assert_eq!((s.total_succeeded(), s.total_failed()), (8, 1));
    }

    #[test]
    fn a_throttle_block_says_what_was_throttled_and_how_long_the_wait_was() {
        let b = ThrottleBlock::from_event(audit::AuditEvent {
            at: 5,
            kind: "device.user_code_throttled".into(),
            actor: Some("alice".into()),
            ip: Some("192.0.2.1".into()),
            detail: Some(r#"{"wait_secs":30}"#.into()),
            ..Default::default()
        });
        assert_eq!(b.what, "device code");
        assert_eq!(b.wait_secs, Some(30));
        assert_eq!(b.who.as_deref(), Some("alice"));
    }
}
