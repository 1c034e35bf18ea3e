//! Upkeep by one node at a time (`Store::try_upkeep`), the signing keys' version every node
//! polls, and a rotation decided by several nodes at once.

use super::{NOW, key, race};
use latchkey::crypto::keys::Alg;
use latchkey::oidc::signing_keys;
use latchkey::store::db::Dialect;
use latchkey::store::upkeep::{self, KeysVersion};
use latchkey::store::{Store, StoreError, keys};

fn version(store: &Store) -> KeysVersion {
    store.read(upkeep::keys_version).unwrap()
}

pub fn an_upkeep_round_runs_unless_another_one_holds_the_lock_and_releases_it_after(store: &Store) {
    let inner = store
        .try_upkeep(|outer| {
            // Another round while this one runs: on PostgreSQL another session (as another
            // node would be) finds the lock taken; a SQLite file has one node, so it runs.
            outer.try_upkeep(|_| Ok::<_, StoreError>("inner"))
        })
        .unwrap()
        .expect("the first round runs");
    match store.dialect() {
        Dialect::Postgres => assert_eq!(inner, None, "skipped while the lock is held"),
        Dialect::Sqlite => assert_eq!(inner, Some("inner")),
    }
    let failed = store.try_upkeep(|_| Err::<(), _>(StoreError::Conflict("boom".into())));
    assert!(failed.is_err(), "a failed round reports its error");
    assert_eq!(
        store.try_upkeep(|_| Ok::<_, StoreError>(7)).unwrap(),
        Some(7),
        "the lock is released after a round, a failed one too"
    );
}

pub fn the_keys_version_changes_with_every_new_retired_and_deleted_key(store: &Store) {
    let empty = version(store);
    assert_eq!(version(store), empty, "nothing changed, same version");
    store
        .write(|c| keys::insert_key(c, &key("k1", Alg::RS256, NOW)))
        .unwrap();
    let one = version(store);
    assert_ne!(one, empty);
    store
        .write(|c| keys::retire_keys(c, Alg::RS256, NOW + 1))
        .unwrap();
    let retired = version(store);
    assert_ne!(retired, one, "a retirement changes it");
    // A new key and the retired one forgotten in one unit: same number of rows, another version.
    store
        .write(|c| {
            keys::insert_key(c, &key("k2", Alg::RS256, NOW + 2))?;
            keys::delete_retired_keys(c, NOW + 2)
        })
        .unwrap();
    let replaced = version(store);
    assert_ne!(replaced, retired);
    assert_ne!(replaced, one);
}

pub fn a_rotation_decided_by_several_nodes_at_the_same_moment_is_made_once(store: &Store) {
    for alg in Alg::ALL {
        store
            .write(|c| keys::insert_key(c, &key(&format!("old-{alg:?}"), alg, NOW)))
            .unwrap();
    }
    let later = NOW + 100;
    let made = race(4, |_| {
        store
            .write(|c| signing_keys::rotate_due(c, later, 100))
            .unwrap()
            .len()
    });
    assert_eq!(
        made.iter().sum::<usize>(),
        3,
        "one new key per algorithm: {made:?}"
    );
    let live = store.read(|c| keys::list_keys(c, later)).unwrap();
    for alg in Alg::ALL {
        let active = live
            .iter()
            .filter(|k| k.alg == alg && k.retired_at.is_none())
            .count();
        assert_eq!(active, 1, "{alg:?} has one active key");
    }
}
