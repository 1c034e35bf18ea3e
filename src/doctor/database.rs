//! Checks on the database itself (integrity, schema version), then the checks on its contents.

use super::{Depth, Report, clients, keys, users};
use crate::clock::Timestamp;
use crate::config::Settings;
use crate::store::{self, Tx, migrate};

/// Integrity (not at [`Depth::Quick`]: it reads every page) and schema version first; the
/// contents only when the database can be read and its schema is not newer than this latchkey.
pub(super) fn check_database(
    c: &Tx<'_>,
    s: &Settings,
    now: Timestamp,
    depth: Depth,
    r: &mut Report,
) {
    const RESTORE: &str = "stop latchkey and restore the last backup with `latchkey restore FILE` (README: \"Where data lives, and backups\"); `sqlite3 latchkey.db .recover` may save what a backup lacks";
    let sqlite = c.dialect() == store::db::Dialect::Sqlite;
    match (depth == Depth::Full && sqlite).then(|| store::quick_check(c)) {
        None => {}
        Some(Ok(rows)) if rows.len() == 1 && rows[0] == "ok" => {}
        Some(Ok(rows)) => r.critical(
            "database-integrity",
            format!("PRAGMA quick_check reports damage: {}", rows.join("; ")),
            RESTORE,
        ),
        Some(Err(e)) => {
            r.critical(
                "database-integrity",
                format!("the database cannot be checked: {e}"),
                RESTORE,
            );
            return;
        }
    }
    let latest = if sqlite {
        migrate::latest_version()
    } else {
        store::postgres::latest_version()
    };
    match migrate::schema_version(c) {
        Ok(0) => {
            r.warning(
                "schema-version",
                "the database has no schema yet: latchkey has never opened it",
                "start latchkey once (or run any admin command, e.g. `latchkey keys list`): it creates the tables and signing keys",
            );
            return;
        }
        Ok(v)
            if v > latest
                && (sqlite
                    || !store::postgres::schema_of(c).is_ok_and(|(found, from)| {
                        store::postgres::can_run_on(latest, found, from)
                    })) =>
        {
            r.critical(
                "schema-version",
                format!(
                    "the database has schema version {v}, newer than this latchkey supports ({latest}): this binary refuses to start on it"
                ),
                "run the newer latchkey that wrote it (or restore a backup made by this version)",
            );
            return;
        }
        Ok(v) if v > latest => r.info(
            "schema-version",
            format!(
                "the database has schema version {v}, newer than this latchkey's ({latest}), but every migration since is additive: this node keeps working"
            ),
            "upgrade this node when you can (see README: Running more than one node)",
        ),
        Ok(v) if v < latest => r.info(
            "schema-version",
            format!(
                "the database has schema version {v}; this latchkey's is {latest}: it migrates the database when it next starts"
            ),
            "nothing to do: `latchkey serve` (or any admin command) applies the migrations; take a backup first if you like",
        ),
        Ok(_) => {}
        Err(e) => r.warning(
            "check-failed",
            format!("could not read the schema version: {e}"),
            RESTORE,
        ),
    }
    r.guard("signing keys", |r| keys::check_keys(c, s, now, r));
    r.guard("clients", |r| clients::check_clients(c, now, r));
    r.guard("access", |r| clients::check_access(c, r));
    r.guard("users", |r| users::check_users(c, now, r));
}
