//! Read units: one snapshot each, and a connection handed back clean whatever the unit did.

use crate::store::{Store, StoreError};

fn events(c: &crate::store::Tx<'_>) -> crate::store::Result<i64> {
    c.conn()
        .query_row("SELECT COUNT(*) FROM audit_events", [], |r| r.get(0))
}

fn add_event(store: &Store) {
    store
        .write(|c| {
            c.conn().execute(
                "INSERT INTO audit_events (at, kind) VALUES (1, 'read-test')",
                [],
            )?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
}

#[test]
fn a_read_unit_sees_one_snapshot_while_a_write_commits_between_its_statements() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("latchkey.db")).unwrap();
    add_event(&store);
    let (before, during) = store
        .read(|c| {
            let before = events(c)?;
            // Committed on another thread while this unit is open.
            std::thread::scope(|s| s.spawn(|| add_event(&store)).join().unwrap());
            Ok((before, events(c)?))
        })
        .unwrap();
    assert_eq!(before, 1);
    assert_eq!(during, 1, "the second statement read a newer snapshot");
    assert_eq!(
        store.read(events).unwrap(),
        2,
        "the next unit sees the commit"
    );
}

/// `depth` read units open at once, each on its own pooled connection; `each` runs in every one,
/// innermost first.
fn nested(
    store: &Store,
    depth: usize,
    each: &dyn Fn(&crate::store::Tx<'_>) -> crate::store::Result<()>,
) -> crate::store::Result<()> {
    store.read(|c| {
        events(c)?;
        if depth > 1 {
            nested(store, depth - 1, each)?;
        }
        each(c)
    })
}

/// Reads open at once: the pool holds 8 (`Store::open_with`), and once a write has run, the
/// writer keeps one of them for the next batch.
const POOL: usize = 7;

#[test]
fn read_units_that_panic_or_fail_hand_their_connections_back_without_an_open_transaction() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("latchkey.db")).unwrap();
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        nested(&store, POOL, &|_| panic!("a unit that panics"))
    }));
    assert!(panicked.is_err());
    let failed = nested(&store, POOL, &|_| {
        Err(StoreError::NotFound("nothing".into()))
    });
    assert!(failed.is_err());

    // A connection left in its read transaction would refuse the writer's BEGIN, or still read
    // the old snapshot here.
    add_event(&store);
    nested(&store, POOL, &|c| {
        assert_eq!(events(c)?, 1);
        Ok(())
    })
    .unwrap();
}
