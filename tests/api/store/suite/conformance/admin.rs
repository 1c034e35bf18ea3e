//! What the admin API and pages read and write (migration 0012): admin keys, the user search,
//! active sessions a page at a time, the audit log's filters.

use super::{NOW, add_session, add_user};
use latchkey::store::admin_keys::{self, NewAdminKey};
use latchkey::store::{Store, StoreError, audit, sessions, users};

fn new_key<'a>(name: &'a str, key_hash: &'a str) -> NewAdminKey<'a> {
    NewAdminKey {
        name,
        key_hash,
        created_by: "cli",
        expires_at: Some(NOW + 60),
    }
}

pub fn admin_keys_are_found_by_hash_revoked_once_and_keep_their_name(store: &Store) {
    let k = store
        .write(|c| admin_keys::insert_admin_key(c, &new_key("ci", "hash-1"), NOW))
        .unwrap();
    assert_eq!(
        (k.name.as_str(), k.created_by.as_str(), k.expires_at),
        ("ci", "cli", Some(NOW + 60))
    );
    let found = store
        .read(|c| admin_keys::find_admin_key_by_hash(c, "hash-1"))
        .unwrap();
    assert_eq!(found.as_ref(), Some(&k));
    assert!(
        store
            .read(|c| admin_keys::find_admin_key_by_hash(c, "hash-2"))
            .unwrap()
            .is_none()
    );

    let dup = store.write(|c| admin_keys::insert_admin_key(c, &new_key("CI", "hash-2"), NOW));
    assert!(
        matches!(dup, Err(StoreError::Conflict(_))),
        "names are unique in any case"
    );
    let dup = store.write(|c| admin_keys::insert_admin_key(c, &new_key("other", "hash-1"), NOW));
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "so are hashes");

    assert!(
        store
            .write(|c| admin_keys::revoke_admin_key(c, k.id, NOW + 1))
            .unwrap()
    );
    assert!(
        !store
            .write(|c| admin_keys::revoke_admin_key(c, k.id, NOW + 2))
            .unwrap()
    );
    let k = store.read(|c| admin_keys::get_admin_key(c, "Ci")).unwrap();
    assert_eq!(k.revoked_at, Some(NOW + 1), "the first revocation stays");
    let listed = store.read(admin_keys::list_admin_keys).unwrap();
    assert_eq!(listed, [k]);
    assert!(matches!(
        store.read(|c| admin_keys::get_admin_key(c, "nobody")),
        Err(StoreError::NotFound(_))
    ));
}

pub fn a_key_use_is_recorded_at_most_once_a_granularity(store: &Store) {
    let k = store
        .write(|c| admin_keys::insert_admin_key(c, &new_key("ci", "hash-1"), NOW))
        .unwrap();
    let used = |store: &Store| {
        store
            .read(|c| admin_keys::get_admin_key(c, "ci"))
            .unwrap()
            .last_used_at
    };
    for (at, expected) in [(NOW, NOW), (NOW + 59, NOW), (NOW + 60, NOW + 60)] {
        store
            .write(|c| admin_keys::touch_admin_key(c, k.id, at, 60))
            .unwrap();
        assert_eq!(used(store), Some(expected), "at +{}", at - NOW);
    }
}

fn add_named(store: &Store, username: &str, email: &str, name: Option<&str>) {
    store
        .write(|c| {
            users::insert_user(
                c,
                &users::NewUser {
                    subject: &format!("sub-{username}"),
                    username,
                    email,
                    email_verified: false,
                    name,
                    password_hash: "$argon2id$fake",
                    is_admin: false,
                },
                NOW,
            )
        })
        .unwrap();
}

fn search(store: &Store, q: &str, after: Option<&str>, limit: i64) -> Vec<String> {
    store
        .read(|c| users::search_users(c, q, after, limit))
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect()
}

pub fn users_are_searched_by_part_of_username_email_or_name_in_username_order_after_a_cursor(
    store: &Store,
) {
    add_named(store, "Dora", "d@alpha.example", Some("Dora Smith"));
    add_named(store, "bert", "b@beta.example", Some("Bert Smithers"));
    add_named(store, "cleo", "c@alpha.example", None);
    add_named(store, "ann", "a@gamma.example", Some("Ann O'Smith"));

    assert_eq!(search(store, "", None, 10), ["ann", "bert", "cleo", "Dora"]);
    assert_eq!(search(store, "", Some("bert"), 2), ["cleo", "Dora"]);
    assert_eq!(search(store, "SMITH", None, 10), ["ann", "bert", "Dora"]);
    assert_eq!(search(store, "smith", Some("ann"), 1), ["bert"]);
    assert_eq!(search(store, "alpha", None, 10), ["cleo", "Dora"]);
    assert_eq!(search(store, "EO", None, 10), ["cleo"], "short: a scan");
    assert_eq!(search(store, "o'", None, 10), ["ann"]);
    assert!(search(store, "\"", None, 10).is_empty(), "quotes are text");
    assert!(
        search(store, "smith\" OR \"x", None, 10).is_empty(),
        "never FTS syntax"
    );
    assert!(
        search(store, "%", None, 10).is_empty(),
        "never a LIKE wildcard"
    );

    store
        .write(|c| {
            let u = users::get_user_by_username(c, "cleo")?;
            users::delete_user(c, u.id)
        })
        .unwrap();
    assert_eq!(
        search(store, "alpha", None, 10),
        ["Dora"],
        "gone from the index"
    );
}

pub fn live_sessions_are_listed_newest_first_with_their_username_after_a_cursor_and_per_user(
    store: &Store,
) {
    let alice = add_user(store, "alice");
    let bob = add_user(store, "bob");
    let a1 = add_session(store, alice.id, "a1", NOW + 3600);
    let b1 = add_session(store, bob.id, "b1", NOW + 3600);
    add_session(store, alice.id, "expired", NOW);
    let a2 = add_session(store, alice.id, "a2", NOW + 3600);
    let list = |user: Option<i64>, before: Option<i64>, limit| {
        store
            .read(|c| sessions::list_live_sessions(c, NOW, 600, user, before, limit))
            .unwrap()
            .into_iter()
            .map(|(s, u)| (s.sid, u))
            .collect::<Vec<_>>()
    };
    let pair = |s: &sessions::Session, u: &str| (s.sid.clone(), u.to_owned());

    assert_eq!(
        list(None, None, 10),
        [pair(&a2, "alice"), pair(&b1, "bob"), pair(&a1, "alice")]
    );
    assert_eq!(list(None, Some(a2.id), 1), [pair(&b1, "bob")]);
    assert_eq!(
        list(Some(alice.id), None, 10),
        [pair(&a2, "alice"), pair(&a1, "alice")]
    );
    let idle = store
        .read(|c| sessions::list_live_sessions(c, NOW + 601, 600, None, None, 10))
        .unwrap();
    assert!(idle.is_empty(), "idle too long is not active");
}

pub fn audit_events_are_found_by_kind_family_before_a_time_and_below_a_row_id(store: &Store) {
    for (at, kind) in [
        (NOW, "session.ended.logout"),
        (NOW + 1, "session.ended"),
        (NOW + 2, "session.endedx"),
        (NOW + 3, "user.created"),
    ] {
        store
            .write(|c| {
                audit::insert_audit_event(
                    c,
                    &audit::AuditEvent {
                        at,
                        kind: kind.into(),
                        ..Default::default()
                    },
                )
            })
            .unwrap();
    }
    let find = |f: audit::AuditFilter| {
        store
            .read(|c| audit::find_audit_records(c, &audit::AuditFilter { limit: 10, ..f }))
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.event.kind))
            .collect::<Vec<_>>()
    };
    let kinds = |f| find(f).into_iter().map(|(_, k)| k).collect::<Vec<_>>();

    assert_eq!(
        kinds(audit::AuditFilter {
            kind: Some("session.ended".into()),
            ..Default::default()
        }),
        ["session.ended", "session.ended.logout"]
    );
    assert_eq!(
        kinds(audit::AuditFilter {
            kind: Some("SESSION".into()),
            ..Default::default()
        }),
        [] as [&str; 0],
        "kinds match exactly"
    );
    assert_eq!(
        kinds(audit::AuditFilter {
            until: Some(NOW + 1),
            ..Default::default()
        }),
        ["session.ended.logout"]
    );
    let all = find(audit::AuditFilter::default());
    assert_eq!(
        kinds(audit::AuditFilter {
            before_id: Some(all[1].0),
            ..Default::default()
        }),
        ["session.ended", "session.ended.logout"]
    );
}
