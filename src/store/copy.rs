//! `latchkey migrate-store`: copy every table of one store into another, empty one (SQLite to
//! PostgreSQL or back). Rows keep their ids and every value its kind, so the audit chain's
//! hashes still verify on the other side.

use crate::store::db::{Dialect, Value};
use crate::store::{Result, Store, StoreError, Tx};

/// Every table, parents before children (the order their foreign keys allow inserting in).
pub const TABLES: &[&str] = &[
    "users",
    "clients",
    "client_redirect_uris",
    "signing_keys",
    "sessions",
    "pending_authorizations",
    "auth_codes",
    "refresh_tokens",
    "revoked_access_tokens",
    "consents",
    "audit_events",
    "audit_chain",
    "session_clients",
    "backchannel_outbox",
    "groups",
    "group_members",
    "client_allowed_groups",
    "apis",
    "api_scopes",
    "client_api_scopes",
    "user_attributes",
    "custom_scopes",
    "custom_scope_claims",
    "device_authorizations",
    "known_browsers",
    "client_web_origins",
    "second_factors",
    "recovery_codes",
    "passkeys",
    "passkey_handles",
    "webauthn_challenges",
    "admin_keys",
    "upstream_identities",
    "upstream_flows",
    "upstream_links",
    "user_links",
    "mail_queue",
    "throttle_counters",
    "throttle_sources",
];

/// Tables a fresh schema already holds a row in (the migrations seed them): the copy replaces
/// that row, and it does not make the target "not empty".
const SEEDED: &[&str] = &["audit_chain"];

/// One table's rows in the source and, after the copy, in the target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Copied {
    pub table: &'static str,
    pub source: i64,
    pub target: i64,
}

fn count(tx: &Tx<'_>, table: &str) -> Result<i64> {
    tx.conn()
        .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
}

/// The first table holding data, if any (a target must have none).
pub fn first_nonempty(store: &Store) -> Result<Option<&'static str>> {
    store.read(|tx| {
        for table in TABLES.iter().filter(|t| !SEEDED.contains(t)) {
            if count(tx, table)? > 0 {
                return Ok(Some(*table));
            }
        }
        Ok(None)
    })
}

fn columns(tx: &Tx<'_>, table: &str) -> Result<Vec<String>> {
    let mut names = tx
        .conn()
        .prepare(&format!("SELECT * FROM {table} LIMIT 0"))?
        .column_names();
    names.sort();
    Ok(names)
}

/// Copy every table of `from` into `to` in one write unit of `to` (all or nothing), then count
/// both sides. `to` must be empty (see [`first_nonempty`]) and at the same schema.
pub fn copy_all(from: &Store, to: &Store) -> Result<Vec<Copied>> {
    // The read inside the write: a SQLite write unit may run on another writer's thread,
    // which cannot borrow this thread's read transaction.
    to.write(|dst| {
        from.read(|src| {
            for table in SEEDED {
                dst.conn().execute(&format!("DELETE FROM {table}"), [])?;
            }
            for table in TABLES {
                copy_table(src, dst, table)?;
            }
            if dst.dialect() == Dialect::Postgres {
                restart_identities(dst)?;
            }
            Ok::<_, StoreError>(())
        })
    })?;
    let sources = from.read(counts)?;
    let targets = to.read(counts)?;
    let out: Vec<Copied> = TABLES
        .iter()
        .zip(sources.iter().zip(targets.iter()))
        .map(|(table, (s, t))| Copied {
            table,
            source: *s,
            target: *t,
        })
        .collect();
    if let Some(bad) = out.iter().find(|c| c.source != c.target) {
        return Err(StoreError::Corrupt(format!(
            "the copy of {} has {} rows where the source has {}",
            bad.table, bad.target, bad.source
        )));
    }
    Ok(out)
}

fn counts(tx: &Tx<'_>) -> Result<Vec<i64>> {
    TABLES.iter().map(|t| count(tx, t)).collect()
}

fn copy_table(src: &Tx<'_>, dst: &Tx<'_>, table: &str) -> Result<()> {
    let cols = columns(src, table)?;
    let theirs = columns(dst, table)?;
    if cols != theirs {
        return Err(StoreError::Corrupt(format!(
            "the table {table} has different columns in the two stores ({} vs {}); are both at the same latchkey version?",
            cols.join(", "),
            theirs.join(", ")
        )));
    }
    let list = cols.join(", ");
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let mut insert = dst.conn().prepare(&format!(
        "INSERT INTO {table} ({list}) VALUES ({})",
        marks.join(", ")
    ))?;
    // Rows in key order, so ids and the audit chain come out as they went in.
    let order = if cols.iter().any(|c| c == "id") {
        " ORDER BY id"
    } else {
        ""
    };
    src.conn()
        .prepare(&format!("SELECT {list} FROM {table}{order}"))?
        .for_each([], |row| {
            let values = (0..cols.len())
                .map(|i| row.get::<_, Value>(i))
                .collect::<Result<Vec<Value>>>()?;
            insert.execute(values.as_slice())?;
            Ok(true)
        })
}

/// PostgreSQL hands out ids from sequences that the explicit ids above did not advance.
fn restart_identities(tx: &Tx<'_>) -> Result<()> {
    let c = tx.conn();
    let tables: Vec<String> = c
        .prepare(
            "SELECT table_name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_>>()?;
    for table in tables {
        c.query_row(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            ),
            [],
            |_| Ok(()),
        )?;
    }
    Ok(())
}

/// The `application_name` latchkey servers give their PostgreSQL connections, so tools can
/// tell whether a server is using a database.
pub const SERVE_APPLICATION_NAME: &str = "latchkey serve";

/// How many connections latchkey servers hold to this PostgreSQL database (0 on SQLite, where
/// the data dir's lock says it). Connections, not servers: a Unix socket has no client address,
/// and another role's sessions show none either, but their `application_name` is always seen.
pub fn servers_connected(store: &Store) -> Result<i64> {
    if store.dialect() != Dialect::Postgres {
        return Ok(0);
    }
    store.read(|tx| {
        tx.conn().query_row(
            "SELECT COUNT(*) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = ?1 AND pid <> pg_backend_pid()",
            [SERVE_APPLICATION_NAME],
            |r| r.get(0),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_list_names_every_table_of_the_sqlite_schema() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("latchkey.db")).unwrap();
        let mut found: Vec<String> = store
            .sql(|c| {
                let mut st = c.prepare(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'users_search%'",
                )?;
                let rows = st.query_map([], |r| r.get::<_, String>(0))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
            .unwrap();
        found.sort();
        let mut listed: Vec<String> = TABLES.iter().map(|t| t.to_string()).collect();
        listed.sort();
        assert_eq!(found, listed);
    }
}
