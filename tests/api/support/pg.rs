//! PostgreSQL for the tests: one throwaway cluster per test run, a fresh database per test.
//!
//! The cluster: when `LATCHKEY_TEST_PG_URL` is set (scripts/test starts one with
//! `scripts/pg-cluster start` before `cargo test`, passes its URL and stops it at the end), that
//! one. Otherwise (a local `cargo test`) the first test that needs it starts one itself in
//! `$TMPDIR/latchkey-test-pg` and leaves it running for the next run; `scripts/pg-cluster stop
//! $TMPDIR/latchkey-test-pg` removes it.

use latchkey::store::db::Conn;
use latchkey::store::postgres::conn::{PgConn, Target};
use latchkey::store::{Durability, Location, Store, StoreError};
use std::cell::RefCell;
use std::str::FromStr;
use std::sync::OnceLock;

/// The admin URL of the test cluster (its `postgres` database).
fn cluster_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("LATCHKEY_TEST_PG_URL")
            && !url.is_empty()
        {
            return url;
        }
        let dir = std::env::temp_dir().join("latchkey-test-pg");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg-cluster");
        let out = std::process::Command::new(script)
            .arg("start")
            .arg(&dir)
            .output()
            .expect("run scripts/pg-cluster");
        assert!(
            out.status.success(),
            "scripts/pg-cluster start {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("a URL")
            .trim()
            .to_owned()
    })
}

fn target(dbname: &str) -> Target {
    let mut config = tokio_postgres::Config::from_str(cluster_url()).expect("test cluster URL");
    config.dbname(dbname);
    Target { config }
}

thread_local! {
    /// The database of the test running on this thread, for [`inspect`].
    static CURRENT: RefCell<Option<Target>> = const { RefCell::new(None) };
}

/// A fresh, empty database in the test cluster; dropped with the guard.
pub struct PgDatabase {
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        CURRENT.with(|c| c.borrow_mut().take());
        if let Ok(admin) = target("postgres").connect() {
            let _ = admin.batch(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// A database with latchkey's PostgreSQL schema, migrated once per schema (its name hashes the
/// migrations, so a cluster left from an older checkout is never used with a stale one): each
/// test's database is a copy, which is quicker than migrating it.
fn template() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let mut h = openssl::sha::Sha256::new();
        for m in latchkey::store::postgres::MIGRATIONS {
            h.update(m.name.as_bytes());
            h.update(m.sql.as_bytes());
        }
        let name = format!("latchkey_template_{}", &hex(&h.finish())[..16]);
        let admin = target("postgres")
            .connect()
            .expect("connect to the test cluster");
        // Another test process may have made it: then migrating again finds nothing to do
        // (migrations run under an advisory lock).
        let _ = admin.batch(&format!("CREATE DATABASE {name}"));
        drop(
            Store::open_at(&Location::Postgres(target(&name)), Durability::Group)
                .expect("migrate the template database"),
        );
        name
    })
}

/// The URL of a new database (a copy of the migrated template) for a test's servers and CLI
/// commands (`LATCHKEY_TEST_STORE=postgres`); it lives as long as the cluster.
pub fn new_database_url() -> String {
    let name = format!(
        "t_{}",
        hex(&latchkey::crypto::random::token().as_bytes()[..8])
    );
    target("postgres")
        .connect()
        .expect("connect to the test cluster")
        .batch(&format!("CREATE DATABASE {name} TEMPLATE {}", template()))
        .expect("create a test database");
    let mut url = url::Url::parse(cluster_url()).expect("the test cluster's URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// A migrated store in a new database of the test cluster (the guard drops the database).
pub fn open_postgres() -> (PgDatabase, Store) {
    let template = template();
    let mut id = [0u8; 8];
    openssl::rand::rand_bytes(&mut id).expect("random bytes");
    let name = format!("t_{}", hex(&id));
    let admin = target("postgres")
        .connect()
        .expect("connect to the test cluster");
    // PostgreSQL waits a few seconds for the template's last connections to close.
    admin
        .batch(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .expect("create a test database");
    drop(admin);
    let guard = PgDatabase { name: name.clone() };
    let t = target(&name);
    CURRENT.with(|c| *c.borrow_mut() = Some(t.clone()));
    let store =
        Store::open_at(&Location::Postgres(t), Durability::Group).expect("open PostgreSQL store");
    (guard, store)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Raw SQL (`?N` placeholders) on the store's database, on either backend, outside any unit of
/// work: for tests that look at rows no store function returns. On PostgreSQL it uses a side
/// connection to the database [`open_postgres`] made for the test on this thread.
pub fn inspect<T>(
    store: &Store,
    f: impl FnOnce(Conn<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    match store.path() {
        Some(_) => store.sql(|c| f(Conn::Sqlite(c))),
        None => {
            let t = CURRENT
                .with(|c| c.borrow().clone())
                .expect("inspect on PostgreSQL outside a test that opened it");
            let conn: PgConn = t.connect()?;
            f(Conn::Postgres(&conn))
        }
    }
}
