//! `database_url = "postgres://…"`: the connection, its TLS, and (through `database`) the
//! schema version and contents.

use super::Report;
use crate::config::Settings;
use crate::store::{self, Location};

const URL_FIX: &str = "check database_url (and database_password_file): the host, port, user, database and password must be the ones PostgreSQL accepts (try them with `psql \"URL\"`)";

/// A read-only connection to the configured PostgreSQL, or a finding that says why not; a
/// warning when the database is not on this machine and the connection is not encrypted.
pub(super) fn open_and_check(s: &Settings, r: &mut Report) -> Option<store::ReadOnly> {
    let shown = s.database.shown();
    let target = match s
        .database
        .location(&s.data_dir, s.data_dir.join("latchkey.db"))
    {
        Ok(Location::Postgres(t)) => t,
        Ok(Location::Sqlite(_)) => return None,
        Err(why) => {
            r.critical("database-password-file", why, URL_FIX);
            return None;
        }
    };
    let ro = match store::open_read_only_postgres(&target) {
        Ok(ro) => ro,
        Err(e) => {
            r.critical(
                "database-unreachable",
                format!("cannot connect to {shown}: {e}"),
                URL_FIX,
            );
            return None;
        }
    };
    match store::postgres_uses_tls(&ro.tx()) {
        Ok(Some(false)) if target.is_remote() => r.warning(
            "database-tls-off",
            format!(
                "{shown} is not on this machine and the connection is not encrypted (sslmode={}): passwords and tokens cross the network in the clear",
                target.ssl_mode()
            ),
            "turn on ssl in postgresql.conf and add ?sslmode=require to database_url",
        ),
        Ok(_) => {}
        Err(e) => r.warning(
            "check-failed",
            format!("could not ask PostgreSQL whether the connection is encrypted: {e}"),
            URL_FIX,
        ),
    }
    Some(ro)
}
