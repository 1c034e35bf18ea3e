//! Embedded, forward-only migrations tracked in `PRAGMA user_version`.

use crate::support::*;
use latchkey::startup::{Application, StartupError};
use latchkey::store::rusqlite::{self, Connection};
use latchkey::store::{Store, StoreError, migrate, users};
use std::path::{Path, PathBuf};

const TABLES: [&str; 11] = [
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
];

fn empty_db_file(dir: &Path) -> PathBuf {
    let path = dir.join("test.db");
    std::fs::File::create(&path).expect("create empty file");
    path
}

fn table_names(c: &Connection) -> Vec<String> {
    let mut st = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn user_version(c: &Connection) -> i64 {
    c.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

/// A database from a future latchkey: schema version 999, with one table of precious data.
fn future_database(path: &Path) {
    let c = Connection::open(path).unwrap();
    c.execute_batch(
        "CREATE TABLE precious (v TEXT NOT NULL);
         INSERT INTO precious (v) VALUES ('keep me');
         PRAGMA user_version = 999;",
    )
    .unwrap();
}

fn assert_future_database_untouched(path: &Path) {
    let c = Connection::open(path).unwrap();
    assert_eq!(user_version(&c), 999);
    assert_eq!(table_names(&c), ["precious"]);
    let mode: String = c
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete", "not even switched to WAL");
    let v: String = c
        .query_row("SELECT v FROM precious", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, "keep me");
}

#[test]
fn latest_version_counts_the_embedded_migrations() {
    assert!(migrate::latest_version() >= 1);
    assert_eq!(migrate::latest_version(), migrate::MIGRATIONS.len() as i64);
    // Numbers strictly increase. A branch may leave a gap for a migration another branch adds
    // (0004_device was written beside 0003_access); the merge closes it.
    let mut previous = 0;
    for (name, sql) in migrate::MIGRATIONS {
        let n: u32 = name
            .get(..4)
            .and_then(|d| d.parse().ok())
            .filter(|_| name.as_bytes().get(4) == Some(&b'_'))
            .unwrap_or_else(|| panic!("migration {name} is not named NNNN_name"));
        assert!(n > previous, "migration {name} is out of order");
        previous = n;
        assert!(!sql.trim().is_empty(), "migration {name} is empty");
    }
}

#[test]
fn opening_an_empty_file_creates_every_table_and_sets_the_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = empty_db_file(dir.path());

    let store = Store::open(&path).unwrap();

    let (tables, version) = store
        .sql(|c| Ok((table_names(c), migrate::current_version(c)?)))
        .unwrap();
    for t in TABLES {
        assert!(
            tables.iter().any(|n| n == t),
            "table {t} missing: {tables:?}"
        );
    }
    assert_eq!(version, migrate::latest_version());
    assert_eq!(store.path(), Some(path.as_path()));
    assert!(store.ping());
}

#[test]
fn opening_a_path_that_does_not_exist_yet_creates_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.db");

    let store = Store::open(&path).unwrap();

    assert!(path.is_file());
    assert_eq!(
        store.sql(migrate::current_version).unwrap(),
        migrate::latest_version()
    );
}

#[test]
fn opening_twice_is_idempotent_and_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = empty_db_file(dir.path());
    let first = Store::open(&path).unwrap();
    first
        .write(|c| {
            users::insert_user(
                c,
                &users::NewUser {
                    subject: "sub-1",
                    username: "alice",
                    email: "alice@example.com",
                    email_verified: false,
                    name: None,
                    password_hash: "x",
                    is_admin: false,
                },
                1,
            )
        })
        .unwrap();
    let tables_before = first.sql(|c| Ok(table_names(c))).unwrap();
    drop(first);

    let second = Store::open(&path).unwrap();
    let third = Store::open(&path).unwrap();

    for store in [&second, &third] {
        assert_eq!(store.sql(|c| Ok(table_names(c))).unwrap(), tables_before);
        assert_eq!(
            store.sql(migrate::current_version).unwrap(),
            migrate::latest_version()
        );
        assert_eq!(store.read(users::count_users).unwrap(), 1);
    }
}

#[test]
fn migrate_on_an_up_to_date_connection_does_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = empty_db_file(dir.path());
    drop(Store::open(&path).unwrap());
    let mut c = Connection::open(&path).unwrap();
    let before = table_names(&c);

    migrate::migrate(&mut c, "test.db").unwrap();

    assert_eq!(table_names(&c), before);
    assert_eq!(user_version(&c), migrate::latest_version());
}

#[test]
fn a_database_with_a_newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    future_database(&path);

    let err = Store::open(&path)
        .err()
        .expect("a newer schema must be refused");

    match err {
        StoreError::SchemaTooNew {
            found, supported, ..
        } => {
            assert_eq!(found, 999);
            assert_eq!(supported, migrate::latest_version());
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    assert_future_database_untouched(&path);
}

#[test]
fn the_newer_schema_error_explains_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    future_database(&path);

    let msg = Store::open(&path).err().unwrap().to_string();

    assert!(msg.contains("newer"), "{msg}");
    assert!(msg.contains("999"), "{msg}");
    assert!(msg.contains(&path.display().to_string()), "{msg}");
}

#[test]
fn the_server_refuses_to_start_on_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    future_database(&db_path(dir.path()));

    let res = Application::build(test_settings(dir.path()));

    match res {
        Err(StartupError::Store(StoreError::SchemaTooNew { found: 999, .. })) => {}
        Err(other) => panic!("expected SchemaTooNew, got {other}"),
        Ok(_) => panic!("the server started on a database from the future"),
    }
    assert_future_database_untouched(&db_path(dir.path()));
}

#[test]
fn the_binary_refuses_a_newer_schema_with_a_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    future_database(&db_path(dir.path()));

    for args in [&["user", "list"][..], &["keys", "list"]] {
        let out = run_cli(dir.path(), args, None);

        let err = out.one_line_error();
        assert!(err.contains("newer"), "{args:?}: {err}");
    }
    assert_future_database_untouched(&db_path(dir.path()));
}

#[test]
fn pooled_connections_use_wal_foreign_keys_and_a_busy_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&empty_db_file(dir.path())).unwrap();

    let pragmas = |c: &Connection| -> rusqlite::Result<(String, i64, i64, i64)> {
        Ok((
            c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?,
            c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?,
            c.query_row("PRAGMA busy_timeout", [], |r| r.get(0))?,
            c.query_row("PRAGMA synchronous", [], |r| r.get(0))?,
        ))
    };
    // Nested reads hold two connections at once, so both come from the pool's init path.
    let (outer, inner) = store
        .sql(|c1| {
            let outer = pragmas(c1)?;
            let inner = store.sql(|c2| Ok(pragmas(c2)?))?;
            Ok((outer, inner))
        })
        .unwrap();

    for (journal, fk, busy, sync) in [outer, inner] {
        assert_eq!(journal.to_ascii_lowercase(), "wal");
        assert_eq!(fk, 1, "foreign_keys must be on");
        assert!(busy >= 1000, "busy_timeout {busy}ms is too short");
        // NORMAL: under group commit (the default) the store fsyncs the WAL itself before a
        // write returns (tests/api/durability.rs); `each` uses FULL.
        assert_eq!(sync, 1, "synchronous must be NORMAL with group commit");
    }
    // Write transactions get the same pragmas.
    let (_, fk, _, _) = store.sql_write(|c| Ok(pragmas(c)?)).unwrap();
    assert_eq!(fk, 1);
}

#[test]
fn foreign_keys_are_enforced_on_pooled_connections() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&empty_db_file(dir.path())).unwrap();

    let res = store.sql_write(|c| {
        c.execute(
            "INSERT INTO sessions (secret_hash, sid, user_id, auth_time, amr, created_at, last_seen_at, expires_at) \
             VALUES ('h', 's', 4242, 1, 'pwd', 1, 1, 2)",
            [],
        )?;
        Ok::<_, StoreError>(())
    });

    assert!(res.is_err(), "a session for a missing user must be refused");
    let n: i64 = store
        .sql(|c| Ok(c.query_row("SELECT COUNT(*) FROM sessions", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn a_failed_write_transaction_is_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&empty_db_file(dir.path())).unwrap();

    let res: Result<(), StoreError> = store.sql_write(|c| {
        c.execute(
            "INSERT INTO audit_events (at, kind) VALUES (1, 'half-done')",
            [],
        )?;
        Err(StoreError::Conflict("stop here".into()))
    });

    assert!(res.is_err());
    let n: i64 = store
        .sql(|c| Ok(c.query_row("SELECT COUNT(*) FROM audit_events", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(n, 0, "the insert before the error must not survive");
}

#[test]
fn a_file_that_is_not_a_database_is_refused_with_an_error_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.db");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 13) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();

    let msg = Store::open(&path)
        .err()
        .expect("garbage must be refused")
        .to_string();

    assert!(msg.contains("not a database"), "{msg}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "the file is left alone"
    );
}

#[test]
fn the_maintenance_sweep_finds_expired_rows_through_indexes_not_by_reading_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = empty_db_file(dir.path());
    drop(Store::open(&path).unwrap());
    let c = Connection::open(&path).unwrap();
    let sessions = format!("SELECT id {}", latchkey::store::sessions::EXPIRED_SESSIONS);
    for sql in latchkey::store::sweep::SWEEPS
        .iter()
        .copied()
        .chain([sessions.as_str()])
    {
        let mut st = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let values = [1_000_000i64, 3_600];
        let params = &values[..st.parameter_count()];
        let plan: Vec<String> = st
            .query_map(rusqlite::params_from_iter(params), |r| r.get(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(
            plan.iter().all(|step| !step.starts_with("SCAN")),
            "{sql} reads the whole table: {plan:?}"
        );
        assert!(
            plan.iter().any(|step| step.contains(" INDEX ")),
            "{sql}: {plan:?}"
        );
    }
}
