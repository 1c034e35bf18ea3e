//! Passkeys, user handles and WebAuthn ceremonies (migration 0011).

use super::{NOW, add_user, count, race};
use latchkey::store::passkeys::{self, Challenge, ChallengeKind, NewPasskey};
use latchkey::store::{Store, StoreError, users};

fn new_passkey<'a>(user_id: i64, credential_id: &'a str, name: &'a str) -> NewPasskey<'a> {
    NewPasskey {
        user_id,
        credential_id,
        name,
        credential: "{\"cred\":\"opaque\"}",
        backup_eligible: false,
    }
}

fn challenge(
    kind: ChallengeKind,
    user_id: Option<i64>,
    source: &str,
    expires_at: i64,
) -> Challenge {
    Challenge {
        kind,
        user_id,
        session_id: user_id.map(|_| 7),
        name: Some("Laptop".into()),
        state: "{\"state\":1}".into(),
        source: source.into(),
        expires_at,
    }
}

pub fn passkeys_round_trip_per_user_and_a_credential_id_belongs_to_one_account(store: &Store) {
    let alice = add_user(store, "alice");
    let bob = add_user(store, "bob");
    store
        .write(|c| {
            passkeys::insert_passkey(c, &new_passkey(alice.id, "cred-a1", "Laptop"), NOW)?;
            passkeys::insert_passkey(c, &new_passkey(alice.id, "cred-a2", "Phone"), NOW + 5)?;
            passkeys::insert_passkey(c, &new_passkey(bob.id, "cred-b1", "Key"), NOW)
        })
        .unwrap();
    let taken = store
        .write(|c| passkeys::insert_passkey(c, &new_passkey(bob.id, "cred-a1", "Stolen"), NOW));
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");

    let list = store
        .read(|c| passkeys::list_user_passkeys(c, alice.id))
        .unwrap();
    let names: Vec<&str> = list.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Laptop", "Phone"], "oldest first, only alice's");
    assert_eq!(list[0].credential, "{\"cred\":\"opaque\"}");
    assert_eq!((list[0].created_at, list[0].last_used_at), (NOW, None));
    assert_eq!(
        store
            .read(|c| passkeys::count_user_passkeys(c, bob.id))
            .unwrap(),
        1
    );

    let found = store
        .read(|c| passkeys::find_passkey_by_credential_id(c, "cred-a1"))
        .unwrap()
        .expect("found by credential id");
    assert_eq!((found.user_id, found.name.as_str()), (alice.id, "Laptop"));
    store
        .write(|c| {
            passkeys::record_passkey_use(c, found.id, Some("{\"cred\":\"v2\"}"), true, NOW + 60)
        })
        .unwrap();
    store
        .write(|c| passkeys::record_passkey_use(c, found.id, None, false, NOW + 90))
        .unwrap();
    let used = store
        .read(|c| passkeys::find_passkey_by_credential_id(c, "cred-a1"))
        .unwrap()
        .unwrap();
    assert_eq!(
        used.credential, "{\"cred\":\"v2\"}",
        "no update keeps the last one"
    );
    assert!(
        used.backup_eligible,
        "backup eligibility only ever turns on"
    );
    assert_eq!(used.last_used_at, Some(NOW + 90));
}

pub fn a_users_passkey_is_removed_only_by_them_and_reset_removes_only_theirs(store: &Store) {
    let alice = add_user(store, "alice");
    let bob = add_user(store, "bob");
    let (a1, _) = store
        .write(|c| {
            let a1 = passkeys::insert_passkey(c, &new_passkey(alice.id, "cred-a1", "Laptop"), NOW)?;
            passkeys::insert_passkey(c, &new_passkey(alice.id, "cred-a2", "Phone"), NOW)?;
            let b1 = passkeys::insert_passkey(c, &new_passkey(bob.id, "cred-b1", "Key"), NOW)?;
            Ok::<_, StoreError>((a1, b1))
        })
        .unwrap();
    assert_eq!(
        store
            .write(|c| passkeys::delete_user_passkey(c, bob.id, a1))
            .unwrap(),
        None
    );
    let gone = store
        .write(|c| passkeys::delete_user_passkey(c, alice.id, a1))
        .unwrap();
    assert_eq!(gone.map(|p| p.credential_id), Some("cred-a1".to_owned()));
    assert!(
        store
            .read(|c| passkeys::find_passkey_by_credential_id(c, "cred-a1"))
            .unwrap()
            .is_none()
    );

    assert_eq!(
        store
            .write(|c| passkeys::delete_all_for_user(c, alice.id))
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .read(|c| passkeys::count_user_passkeys(c, alice.id))
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .read(|c| passkeys::count_user_passkeys(c, bob.id))
            .unwrap(),
        1
    );
}

pub fn a_user_handle_is_made_once_per_user_and_names_its_user(store: &Store) {
    let alice = add_user(store, "alice");
    let bob = add_user(store, "bob");
    let first = store
        .write(|c| passkeys::user_handle(c, alice.id, "h-alice"))
        .unwrap();
    let again = store
        .write(|c| passkeys::user_handle(c, alice.id, "h-other"))
        .unwrap();
    assert_eq!((first.as_str(), again.as_str()), ("h-alice", "h-alice"));
    store
        .write(|c| passkeys::user_handle(c, bob.id, "h-bob"))
        .unwrap();
    assert_eq!(
        store
            .read(|c| passkeys::find_user_by_handle(c, "h-bob"))
            .unwrap(),
        Some(bob.id)
    );
    assert_eq!(
        store
            .read(|c| passkeys::find_user_by_handle(c, "h-none"))
            .unwrap(),
        None
    );
    // delete_all_for_user keeps the handle: a new passkey on the same authenticator replaces the old.
    store
        .write(|c| passkeys::delete_all_for_user(c, alice.id))
        .unwrap();
    assert_eq!(
        store
            .read(|c| passkeys::find_user_by_handle(c, "h-alice"))
            .unwrap(),
        Some(alice.id)
    );
}

pub fn a_webauthn_challenge_is_handed_out_once_and_never_after_it_expires(store: &Store) {
    let alice = add_user(store, "alice");
    let live = challenge(ChallengeKind::Register, Some(alice.id), "src-1", NOW + 300);
    store
        .write(|c| {
            passkeys::insert_challenge(c, "h-live", &live)?;
            passkeys::insert_challenge(
                c,
                "h-old",
                &challenge(ChallengeKind::SignIn, None, "src-1", NOW),
            )?;
            passkeys::insert_challenge(
                c,
                "h-2nd",
                &challenge(
                    ChallengeKind::SecondFactor,
                    Some(alice.id),
                    "src-2",
                    NOW + 300,
                ),
            )
        })
        .unwrap();
    let dup = store.write(|c| passkeys::insert_challenge(c, "h-live", &live));
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    assert_eq!(
        store
            .read(|c| passkeys::count_challenges_from(c, "src-1", NOW))
            .unwrap(),
        1,
        "expired ones do not count"
    );

    assert_eq!(
        store
            .write(|c| passkeys::consume_challenge(c, "h-live", NOW))
            .unwrap(),
        Some(live)
    );
    assert_eq!(
        store
            .write(|c| passkeys::consume_challenge(c, "h-live", NOW))
            .unwrap(),
        None,
        "once"
    );
    assert_eq!(
        store
            .write(|c| passkeys::consume_challenge(c, "h-old", NOW))
            .unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        store
            .write(|c| passkeys::consume_challenge(c, "h-none", NOW))
            .unwrap(),
        None
    );
    let second = store
        .write(|c| passkeys::consume_challenge(c, "h-2nd", NOW))
        .unwrap()
        .unwrap();
    assert_eq!(second.kind, ChallengeKind::SecondFactor);

    store
        .write(|c| {
            passkeys::insert_challenge(
                c,
                "h-a",
                &challenge(ChallengeKind::SignIn, None, "s", NOW - 1),
            )?;
            passkeys::insert_challenge(
                c,
                "h-b",
                &challenge(ChallengeKind::SignIn, None, "s", NOW + 1),
            )
        })
        .unwrap();
    assert_eq!(
        store
            .write(|c| passkeys::delete_expired_challenges(c, NOW))
            .unwrap(),
        1
    );
    assert_eq!(count(store, "webauthn_challenges"), 1, "the live one stays");
}

pub fn a_webauthn_challenge_is_consumed_by_exactly_one_of_many_concurrent_finishes(store: &Store) {
    store
        .write(|c| {
            passkeys::insert_challenge(
                c,
                "h",
                &challenge(ChallengeKind::SignIn, None, "s", NOW + 300),
            )
        })
        .unwrap();
    let got = race(8, |_| {
        store
            .write(|c| passkeys::consume_challenge(c, "h", NOW))
            .unwrap()
    });
    assert_eq!(got.iter().filter(|g| g.is_some()).count(), 1, "{got:?}");
}

pub fn deleting_a_user_removes_their_passkeys_handle_and_ceremonies(store: &Store) {
    let alice = add_user(store, "alice");
    let bob = add_user(store, "bob");
    store
        .write(|c| {
            passkeys::insert_passkey(c, &new_passkey(alice.id, "cred-a1", "Laptop"), NOW)?;
            passkeys::insert_passkey(c, &new_passkey(bob.id, "cred-b1", "Key"), NOW)?;
            passkeys::user_handle(c, alice.id, "h-alice")?;
            passkeys::insert_challenge(
                c,
                "h",
                &challenge(ChallengeKind::Register, Some(alice.id), "s", NOW + 300),
            )
        })
        .unwrap();
    store.write(|c| users::delete_user(c, alice.id)).unwrap();
    assert_eq!(count(store, "passkeys"), 1, "bob's stays");
    assert_eq!(count(store, "passkey_handles"), 0);
    assert_eq!(count(store, "webauthn_challenges"), 0);
}
