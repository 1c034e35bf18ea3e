//! A storage conformance suite in the style of Dex's `storage/conformance`: every check is a
//! function over `&Store`, and each backend runs all of them on a fresh database via
//! [`store_conformance_tests!`]. Today there is one backend, SQLite in a temporary file.

use latchkey::store::{Durability, Store};

/// One `#[test]` per conformance check for each backend: `$open` yields `(guard, Store)`, where
/// the guard keeps the backend's resources (a temp dir, a container, ...) alive.
macro_rules! store_conformance_tests {
    ([$($backend:ident = $open:expr),+ $(,)?], $checks:tt) => {
        $(store_conformance_tests!($backend, $open, $checks);)+
    };
    ($backend:ident, $open:expr, [$($check:ident),* $(,)?]) => {
        mod $backend {
            $(
                #[test]
                fn $check() {
                    let (_guard, store) = $open;
                    super::conformance::$check(&store);
                }
            )*
        }
    };
}

/// A fresh SQLite database in a temporary directory.
fn open_sqlite() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("latchkey.db")).expect("open store");
    (dir, store)
}

/// The same with another `durability` setting: the mode changes when a write returns, never
/// what it does.
fn open_sqlite_with(mode: Durability) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open_with(&dir.path().join("latchkey.db"), mode).expect("open store");
    (dir, store)
}

store_conformance_tests!(
    [
        sqlite = super::open_sqlite(),
        sqlite_each = super::open_sqlite_with(super::Durability::Each),
        sqlite_relaxed = super::open_sqlite_with(super::Durability::Relaxed),
    ],
    [
        users_can_be_inserted_and_found_by_id_subject_and_case_insensitive_username,
        users_are_listed_in_username_order_and_counted,
        user_insert_with_duplicate_username_in_any_case_is_a_conflict_and_changes_nothing,
        user_insert_with_duplicate_subject_is_a_conflict,
        user_disable_and_enable_are_persisted,
        user_password_update_changes_the_hash_and_the_change_time,
        user_password_rehash_changes_only_the_hash,
        user_delete_removes_the_user_and_everything_issued_to_them,
        client_insert_round_trips_every_field_with_redirect_and_post_logout_uris,
        public_client_has_no_secret_and_its_secret_cannot_be_set,
        client_insert_with_duplicate_client_id_is_a_conflict_and_changes_nothing,
        clients_are_listed_in_client_id_order,
        client_secret_rotation_replaces_the_stored_hash,
        client_delete_cascades_to_redirect_uris_and_tokens,
        client_web_origins_are_the_redirect_origins_plus_added_ones_and_found_by_origin,
        keys_can_be_inserted_listed_retired_and_deleted_once_retired,
        sessions_can_be_found_by_secret_hash_touched_and_deleted,
        deleting_a_users_sessions_leaves_other_users_sessions_alone,
        refresh_token_can_be_found_by_hash_and_consumed_only_once,
        revoking_a_refresh_family_revokes_every_member_and_deny_lists_live_access_tokens,
        revoking_a_users_refresh_tokens_leaves_other_users_tokens_alone,
        revoking_tokens_from_a_replayed_code_revokes_the_whole_family,
        revoked_jti_insert_is_idempotent,
        audit_events_are_listed_newest_first_up_to_the_limit,
        audit_events_before_a_cutoff_are_deleted_oldest_first_in_batches,
        due_outbox_items_are_listed_oldest_first_skipping_clients_being_served,
        sweep_deletes_expired_rows_only,
    ]
);

/// The checks. Each gets an empty, migrated store and leaves it however it likes.
pub mod conformance {
    use latchkey::crypto::keys::{Alg, KeyMaterial};
    use latchkey::store::{
        Store, StoreError, audit, backchannel, clients, keys, refresh, sessions, sweep, users,
    };

    const NOW: i64 = 1_700_000_000;

    // ------------------------------------------------------------ fixtures

    fn new_user<'a>(subject: &'a str, username: &'a str) -> users::NewUser<'a> {
        users::NewUser {
            subject,
            username,
            email: "someone@example.com",
            email_verified: true,
            name: Some("Some One"),
            password_hash: "$argon2id$fake",
            is_admin: false,
        }
    }

    fn add_user(store: &Store, username: &str) -> users::User {
        let subject = format!("sub-{username}");
        store
            .write(|c| users::insert_user(c, &new_user(&subject, username), NOW))
            .expect("insert user")
    }

    fn add_client(store: &Store, client_id: &str, secret_hash: Option<&str>) -> clients::Client {
        let grants = vec!["authorization_code".to_owned(), "refresh_token".to_owned()];
        let scopes = vec!["openid".to_owned(), "email".to_owned()];
        let redirect = vec![format!("https://{client_id}.example/cb")];
        store
            .write(|c| {
                clients::insert_client(
                    c,
                    &clients::NewClient {
                        client_id,
                        name: client_id,
                        secret_hash,
                        grant_types: &grants,
                        scopes: &scopes,
                        skip_consent: false,
                        require_pkce: true,
                        id_token_alg: "RS256",
                        backchannel_logout_uri: None,
                        redirect_uris: &redirect,
                        post_logout_redirect_uris: &[],
                        web_origins: &[],
                    },
                    NOW,
                )
            })
            .expect("insert client")
    }

    fn add_session(
        store: &Store,
        user_id: i64,
        secret_hash: &str,
        expires_at: i64,
    ) -> sessions::Session {
        let sid = format!("sid-{secret_hash}");
        store
            .write(|c| {
                sessions::insert_session(
                    c,
                    &sessions::NewSession {
                        secret_hash,
                        sid: &sid,
                        user_id,
                        auth_time: NOW,
                        amr: "pwd",
                        expires_at,
                        user_agent: Some("test-agent"),
                        ip: Some("127.0.0.1"),
                    },
                    NOW,
                )
            })
            .expect("insert session")
    }

    struct Refresh<'a> {
        hash: &'a str,
        family: &'a str,
        client_pk: i64,
        user_id: i64,
        code_hash: Option<&'a str>,
        expires_at: i64,
        jti: &'a str,
        access_expires_at: i64,
    }

    fn add_refresh(store: &Store, r: Refresh<'_>) {
        store
            .write(|c| {
                refresh::insert_refresh_token(
                    c,
                    &refresh::NewRefreshToken {
                        token_hash: r.hash,
                        family_id: r.family,
                        client_pk: r.client_pk,
                        user_id: r.user_id,
                        sid: Some("sid-1"),
                        scope: "openid offline_access",
                        claims: None,
                        auth_time: NOW - 5,
                        amr: "pwd",
                        code_hash: r.code_hash,
                        expires_at: r.expires_at,
                        access_jti: r.jti,
                        access_expires_at: r.access_expires_at,
                        resource: None,
                    },
                    NOW,
                )
            })
            .expect("insert refresh token");
    }

    /// A live refresh token for (client, user), its access token valid for 10 more minutes.
    fn live_refresh<'a>(
        hash: &'a str,
        family: &'a str,
        client_pk: i64,
        user_id: i64,
        jti: &'a str,
    ) -> Refresh<'a> {
        Refresh {
            hash,
            family,
            client_pk,
            user_id,
            code_hash: None,
            expires_at: NOW + 86_400,
            jti,
            access_expires_at: NOW + 600,
        }
    }

    fn find_refresh(store: &Store, hash: &str) -> refresh::RefreshToken {
        store
            .read(|c| refresh::find_refresh_token(c, hash))
            .unwrap()
            .unwrap_or_else(|| panic!("refresh token {hash} not found"))
    }

    fn jti_revoked(store: &Store, jti: &str) -> bool {
        store.read(|c| refresh::is_jti_revoked(c, jti)).unwrap()
    }

    fn key(kid: &str, alg: Alg, created_at: i64) -> KeyMaterial {
        KeyMaterial {
            kid: kid.to_owned(),
            alg,
            // The store keeps the PEM opaque; parsing it is the key ring's job.
            private_pem: format!("-----BEGIN PRIVATE KEY-----\n{kid}\n-----END PRIVATE KEY-----\n"),
            created_at,
            retired_at: None,
        }
    }

    fn kids(list: &[KeyMaterial]) -> Vec<&str> {
        list.iter().map(|k| k.kid.as_str()).collect()
    }

    fn count(store: &Store, table: &str) -> i64 {
        store
            .sql(|c| Ok(c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?))
            .unwrap()
    }

    // ------------------------------------------------------------ users

    pub fn users_can_be_inserted_and_found_by_id_subject_and_case_insensitive_username(
        store: &Store,
    ) {
        let inserted = add_user(store, "alice");

        assert_eq!(inserted.username, "alice");
        assert_eq!(inserted.subject, "sub-alice");
        assert_eq!(inserted.email, "someone@example.com");
        assert!(inserted.email_verified);
        assert_eq!(inserted.name.as_deref(), Some("Some One"));
        assert_eq!(inserted.password_hash, "$argon2id$fake");
        assert!(!inserted.is_admin && !inserted.disabled);
        assert_eq!(
            (
                inserted.created_at,
                inserted.updated_at,
                inserted.password_changed_at
            ),
            (NOW, NOW, NOW)
        );

        let by_id = store.read(|c| users::get_user(c, inserted.id)).unwrap();
        assert_eq!(by_id.subject, inserted.subject);
        for spelling in ["alice", "ALICE", "aLiCe"] {
            let found = store
                .read(|c| users::find_user_by_username(c, spelling))
                .unwrap()
                .unwrap_or_else(|| panic!("{spelling} not found"));
            assert_eq!(found.id, inserted.id);
            assert_eq!(found.username, "alice", "the stored spelling is kept");
        }
        let by_sub = store
            .read(|c| users::find_user_by_subject(c, "sub-alice"))
            .unwrap()
            .unwrap();
        assert_eq!(by_sub.id, inserted.id);

        assert!(
            store
                .read(|c| users::find_user_by_username(c, "bob"))
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .read(|c| users::find_user_by_subject(c, "SUB-ALICE"))
                .unwrap()
                .is_none(),
            "subjects are matched exactly"
        );
        assert!(matches!(
            store.read(|c| users::get_user_by_username(c, "bob")),
            Err(StoreError::NotFound(_))
        ));
        assert!(matches!(
            store.read(|c| users::get_user(c, inserted.id + 100)),
            Err(StoreError::NotFound(_))
        ));
    }

    pub fn users_are_listed_in_username_order_and_counted(store: &Store) {
        assert!(store.read(users::list_users).unwrap().is_empty());
        assert_eq!(store.read(users::count_users).unwrap(), 0);
        assert!(!store.read(users::has_users).unwrap());
        for name in ["carol", "alice", "bob"] {
            add_user(store, name);
        }

        let list = store.read(users::list_users).unwrap();

        let names: Vec<&str> = list.iter().map(|u| u.username.as_str()).collect();
        assert_eq!(names, ["alice", "bob", "carol"]);
        assert_eq!(store.read(users::count_users).unwrap(), 3);
        assert!(store.read(users::has_users).unwrap());
    }

    pub fn user_insert_with_duplicate_username_in_any_case_is_a_conflict_and_changes_nothing(
        store: &Store,
    ) {
        let alice = add_user(store, "alice");

        for (i, spelling) in ["alice", "ALICE", "Alice"].into_iter().enumerate() {
            let subject = format!("other-{i}");
            let res =
                store.write(|c| users::insert_user(c, &new_user(&subject, spelling), NOW + 1));

            assert!(
                matches!(res, Err(StoreError::Conflict(_))),
                "{spelling}: {res:?}"
            );
        }
        assert_eq!(store.read(users::count_users).unwrap(), 1);
        let still = store.read(|c| users::get_user(c, alice.id)).unwrap();
        assert_eq!(still.updated_at, NOW);
    }

    pub fn user_insert_with_duplicate_subject_is_a_conflict(store: &Store) {
        add_user(store, "alice");

        let res = store.write(|c| users::insert_user(c, &new_user("sub-alice", "bob"), NOW));

        assert!(matches!(res, Err(StoreError::Conflict(_))), "{res:?}");
        assert_eq!(store.read(users::count_users).unwrap(), 1);
    }

    pub fn user_disable_and_enable_are_persisted(store: &Store) {
        let alice = add_user(store, "alice");
        let bob = add_user(store, "bob");

        store
            .write(|c| users::update_user_disabled(c, alice.id, true, NOW + 10))
            .unwrap();
        let disabled = store.read(|c| users::get_user(c, alice.id)).unwrap();
        assert!(disabled.disabled);
        assert_eq!(disabled.updated_at, NOW + 10);
        assert!(!store.read(|c| users::get_user(c, bob.id)).unwrap().disabled);

        store
            .write(|c| users::update_user_disabled(c, alice.id, false, NOW + 20))
            .unwrap();
        let enabled = store.read(|c| users::get_user(c, alice.id)).unwrap();
        assert!(!enabled.disabled);
        assert_eq!(enabled.updated_at, NOW + 20);
    }

    pub fn user_password_update_changes_the_hash_and_the_change_time(store: &Store) {
        let alice = add_user(store, "alice");

        store
            .write(|c| users::update_user_password(c, alice.id, "$argon2id$new", NOW + 30))
            .unwrap();

        let u = store.read(|c| users::get_user(c, alice.id)).unwrap();
        assert_eq!(u.password_hash, "$argon2id$new");
        assert_eq!(u.password_changed_at, NOW + 30);
        assert_eq!(u.updated_at, NOW + 30);
        assert_eq!(u.created_at, NOW);
    }

    pub fn user_password_rehash_changes_only_the_hash(store: &Store) {
        let alice = add_user(store, "alice");

        store
            .write(|c| users::update_user_password_hash(c, alice.id, "$argon2id$rehashed"))
            .unwrap();

        let u = store.read(|c| users::get_user(c, alice.id)).unwrap();
        assert_eq!(u.password_hash, "$argon2id$rehashed");
        assert_eq!(u.password_changed_at, NOW);
        assert_eq!(u.updated_at, NOW);
    }

    pub fn user_delete_removes_the_user_and_everything_issued_to_them(store: &Store) {
        let alice = add_user(store, "alice");
        let bob = add_user(store, "bob");
        let app = add_client(store, "app", Some("h"));
        add_session(store, alice.id, "s-alice", NOW + 100);
        add_session(store, bob.id, "s-bob", NOW + 100);
        add_refresh(
            store,
            live_refresh("r-alice", "f-alice", app.id, alice.id, "j-alice"),
        );
        add_refresh(
            store,
            live_refresh("r-bob", "f-bob", app.id, bob.id, "j-bob"),
        );

        store.write(|c| users::delete_user(c, alice.id)).unwrap();

        assert!(matches!(
            store.read(|c| users::get_user(c, alice.id)),
            Err(StoreError::NotFound(_))
        ));
        assert!(
            store
                .read(|c| users::find_user_by_username(c, "alice"))
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .read(|c| sessions::find_session_by_secret(c, "s-alice"))
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .read(|c| refresh::find_refresh_token(c, "r-alice"))
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .read(|c| sessions::find_session_by_secret(c, "s-bob"))
                .unwrap()
                .is_some()
        );
        find_refresh(store, "r-bob");
        // The name is free again.
        add_user(store, "Alice");
    }

    // ------------------------------------------------------------ clients

    pub fn client_insert_round_trips_every_field_with_redirect_and_post_logout_uris(store: &Store) {
        let grants = vec![
            "authorization_code".to_owned(),
            "client_credentials".to_owned(),
        ];
        let scopes = vec!["openid".to_owned(), "profile".to_owned()];
        let redirect = vec![
            "https://app.example/cb".to_owned(),
            "https://app.example/alt".to_owned(),
            "https://app.example/cb".to_owned(),
        ];
        let post_logout = vec!["https://app.example/bye".to_owned()];

        let inserted = store
            .write(|c| {
                clients::insert_client(
                    c,
                    &clients::NewClient {
                        client_id: "app",
                        name: "The App",
                        secret_hash: Some("hash-1"),
                        grant_types: &grants,
                        scopes: &scopes,
                        skip_consent: true,
                        require_pkce: false,
                        id_token_alg: "ES256",
                        backchannel_logout_uri: Some("https://app.example/bcl"),
                        redirect_uris: &redirect,
                        post_logout_redirect_uris: &post_logout,
                        web_origins: &[],
                    },
                    NOW,
                )
            })
            .unwrap();

        let found = store
            .read(|c| clients::find_client(c, "app"))
            .unwrap()
            .expect("client found");
        let by_pk = store
            .read(|c| clients::get_client_by_pk(c, inserted.id))
            .unwrap();
        for cl in [&inserted, &found, &by_pk] {
            assert_eq!(cl.id, inserted.id);
            assert_eq!(cl.client_id, "app");
            assert_eq!(cl.name, "The App");
            assert!(!cl.is_public);
            assert_eq!(cl.secret_hash.as_deref(), Some("hash-1"));
            assert_eq!(cl.grant_types, grants);
            assert_eq!(cl.scopes, scopes);
            assert!(cl.skip_consent);
            assert!(!cl.require_pkce);
            assert_eq!(cl.id_token_alg, "ES256");
            assert_eq!(
                cl.backchannel_logout_uri.as_deref(),
                Some("https://app.example/bcl")
            );
            let mut uris = cl.redirect_uris.clone();
            uris.sort();
            assert_eq!(uris, ["https://app.example/alt", "https://app.example/cb"]);
            assert_eq!(cl.post_logout_redirect_uris, post_logout);
            assert_eq!(cl.created_at, NOW);
        }
        assert!(
            store
                .read(|c| clients::find_client(c, "APP"))
                .unwrap()
                .is_none(),
            "client ids are matched exactly"
        );
        assert!(matches!(
            store.read(|c| clients::get_client(c, "nope")),
            Err(StoreError::NotFound(_))
        ));
    }

    pub fn public_client_has_no_secret_and_its_secret_cannot_be_set(store: &Store) {
        let spa = add_client(store, "spa", None);

        assert!(spa.is_public);
        assert!(spa.secret_hash.is_none());

        // Either refused or ignored; never a public client with a secret.
        let _ = store.write(|c| clients::update_client_secret(c, spa.id, "sneaky", NOW + 1));
        let after = store.read(|c| clients::get_client(c, "spa")).unwrap();
        assert!(after.is_public);
        assert!(after.secret_hash.is_none());
    }

    pub fn client_insert_with_duplicate_client_id_is_a_conflict_and_changes_nothing(store: &Store) {
        let original = add_client(store, "app", Some("h1"));
        let other_uris = vec!["https://evil.example/cb".to_owned()];

        let res = store.write(|c| {
            clients::insert_client(
                c,
                &clients::NewClient {
                    client_id: "app",
                    name: "Impostor",
                    secret_hash: Some("h2"),
                    grant_types: &original.grant_types,
                    scopes: &original.scopes,
                    skip_consent: true,
                    require_pkce: false,
                    id_token_alg: "RS256",
                    backchannel_logout_uri: None,
                    redirect_uris: &other_uris,
                    post_logout_redirect_uris: &[],
                    web_origins: &[],
                },
                NOW,
            )
        });

        assert!(matches!(res, Err(StoreError::Conflict(_))), "{res:?}");
        let list = store.read(clients::list_clients).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].name, "app");
        assert_eq!(list[0].secret_hash.as_deref(), Some("h1"));
        assert_eq!(list[0].redirect_uris, original.redirect_uris);
    }

    pub fn clients_are_listed_in_client_id_order(store: &Store) {
        assert!(store.read(clients::list_clients).unwrap().is_empty());
        add_client(store, "zeta", Some("h"));
        add_client(store, "alpha", None);
        add_client(store, "mid", Some("h2"));

        let list = store.read(clients::list_clients).unwrap();

        let ids: Vec<&str> = list.iter().map(|c| c.client_id.as_str()).collect();
        assert_eq!(ids, ["alpha", "mid", "zeta"]);
        assert!(
            list.iter().all(|c| c.redirect_uris.len() == 1),
            "list includes redirect URIs"
        );
        assert_eq!(list[0].redirect_uris, ["https://alpha.example/cb"]);
    }

    pub fn client_secret_rotation_replaces_the_stored_hash(store: &Store) {
        let app = add_client(store, "app", Some("old-hash"));
        let other = add_client(store, "other", Some("other-hash"));

        store
            .write(|c| clients::update_client_secret(c, app.id, "new-hash", NOW + 5))
            .unwrap();

        let after = store.read(|c| clients::get_client(c, "app")).unwrap();
        assert_eq!(after.secret_hash.as_deref(), Some("new-hash"));
        assert!(!after.is_public);
        let untouched = store.read(|c| clients::get_client(c, "other")).unwrap();
        assert_eq!(untouched.secret_hash.as_deref(), Some("other-hash"));
        assert_eq!(untouched.id, other.id);
    }

    pub fn client_delete_cascades_to_redirect_uris_and_tokens(store: &Store) {
        let keep = add_client(store, "keep", Some("h0"));
        let app = add_client(store, "app", Some("h"));
        let alice = add_user(store, "alice");
        add_refresh(
            store,
            live_refresh("r-app", "f-app", app.id, alice.id, "j-app"),
        );
        add_refresh(
            store,
            live_refresh("r-keep", "f-keep", keep.id, alice.id, "j-keep"),
        );

        store.write(|c| clients::delete_client(c, app.id)).unwrap();

        assert!(
            store
                .read(|c| clients::find_client(c, "app"))
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            store.read(|c| clients::get_client_by_pk(c, app.id)),
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(
            count(store, "client_redirect_uris"),
            1,
            "only keep's URI is left"
        );
        assert!(
            store
                .read(|c| refresh::find_refresh_token(c, "r-app"))
                .unwrap()
                .is_none()
        );
        find_refresh(store, "r-keep");
        // A new client (which may reuse the row id) starts with only its own URIs.
        let again = add_client(store, "again", Some("h2"));
        assert_eq!(again.redirect_uris, ["https://again.example/cb"]);
        assert!(again.post_logout_redirect_uris.is_empty());
    }

    // ------------------------------------------------------------ keys

    pub fn keys_can_be_inserted_listed_retired_and_deleted_once_retired(store: &Store) {
        assert!(store.read(|c| keys::list_keys(c, 0)).unwrap().is_empty());
        store
            .write(|c| {
                keys::insert_key(c, &key("rs-1", Alg::RS256, NOW))?;
                keys::insert_key(c, &key("es-1", Alg::ES256, NOW + 1))?;
                keys::insert_key(c, &key("ed-1", Alg::EdDSA, NOW + 2))
            })
            .unwrap();

        let all = store.read(|c| keys::list_keys(c, 0)).unwrap();
        assert_eq!(kids(&all), ["rs-1", "es-1", "ed-1"], "oldest first");
        assert_eq!(all[1].alg, Alg::ES256);
        assert!(all[1].private_pem.contains("es-1"));
        assert!(all.iter().all(|k| k.retired_at.is_none()));

        // Rotating ES256: retire the old key, add a new one.
        let retired = store
            .write(|c| {
                let n = keys::retire_keys(c, Alg::ES256, NOW + 100)?;
                keys::insert_key(c, &key("es-2", Alg::ES256, NOW + 100))?;
                Ok::<_, StoreError>(n)
            })
            .unwrap();
        assert_eq!(retired, 1);
        let recent = store.read(|c| keys::list_keys(c, NOW + 100)).unwrap();
        assert_eq!(kids(&recent), ["rs-1", "es-1", "ed-1", "es-2"]);
        let es1 = &recent[1];
        assert_eq!(es1.retired_at, Some(NOW + 100));
        let later = store.read(|c| keys::list_keys(c, NOW + 101)).unwrap();
        assert_eq!(
            kids(&later),
            ["rs-1", "ed-1", "es-2"],
            "keys retired before the cut-off are not listed"
        );

        assert_eq!(
            store
                .write(|c| keys::delete_retired_keys(c, NOW + 100))
                .unwrap(),
            0,
            "retired exactly at the cut-off stays"
        );
        assert_eq!(
            store
                .write(|c| keys::delete_retired_keys(c, NOW + 101))
                .unwrap(),
            1
        );
        let left = store.read(|c| keys::list_keys(c, 0)).unwrap();
        assert_eq!(kids(&left), ["rs-1", "ed-1", "es-2"]);
        assert!(
            left.iter().all(|k| k.retired_at.is_none()),
            "active keys are never deleted"
        );
    }

    // ------------------------------------------------------------ sessions

    pub fn sessions_can_be_found_by_secret_hash_touched_and_deleted(store: &Store) {
        let alice = add_user(store, "alice");
        let s = add_session(store, alice.id, "secret-hash-1", NOW + 3600);

        assert_eq!(s.user_id, alice.id);
        assert_eq!(s.sid, "sid-secret-hash-1");
        assert_eq!(
            (s.created_at, s.last_seen_at, s.expires_at),
            (NOW, NOW, NOW + 3600)
        );
        assert_eq!(s.amr, "pwd");
        assert_eq!(s.user_agent.as_deref(), Some("test-agent"));
        assert_eq!(s.ip.as_deref(), Some("127.0.0.1"));

        let found = store
            .read(|c| sessions::find_session_by_secret(c, "secret-hash-1"))
            .unwrap()
            .expect("session found");
        assert_eq!(found.id, s.id);
        assert!(
            store
                .read(|c| sessions::find_session_by_secret(c, "secret-hash-2"))
                .unwrap()
                .is_none()
        );

        store
            .write(|c| sessions::touch_session(c, s.id, NOW + 60))
            .unwrap();
        let touched = store
            .read(|c| sessions::find_session_by_secret(c, "secret-hash-1"))
            .unwrap()
            .unwrap();
        assert_eq!(touched.last_seen_at, NOW + 60);
        assert_eq!(
            touched.expires_at,
            NOW + 3600,
            "touching never extends the absolute lifetime"
        );

        store.write(|c| sessions::delete_session(c, s.id)).unwrap();
        assert!(
            store
                .read(|c| sessions::find_session_by_secret(c, "secret-hash-1"))
                .unwrap()
                .is_none()
        );
    }

    pub fn deleting_a_users_sessions_leaves_other_users_sessions_alone(store: &Store) {
        let alice = add_user(store, "alice");
        let bob = add_user(store, "bob");
        add_session(store, alice.id, "a1", NOW + 100);
        add_session(store, bob.id, "b1", NOW + 100);
        let a2 = add_session(store, alice.id, "a2", NOW + 100);
        store
            .write(|c| sessions::touch_session(c, a2.id, NOW + 50))
            .unwrap();

        let listed = store
            .read(|c| sessions::list_user_sessions(c, alice.id))
            .unwrap();
        let sids: Vec<&str> = listed.iter().map(|s| s.sid.as_str()).collect();
        assert_eq!(sids, ["sid-a2", "sid-a1"], "most recently used first");

        let n = store
            .write(|c| sessions::delete_user_sessions(c, alice.id))
            .unwrap();

        assert_eq!(n, 2);
        assert!(
            store
                .read(|c| sessions::list_user_sessions(c, alice.id))
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .read(|c| sessions::list_user_sessions(c, bob.id))
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            store
                .write(|c| sessions::delete_user_sessions(c, alice.id))
                .unwrap(),
            0
        );
    }

    // ------------------------------------------------------------ refresh tokens

    pub fn refresh_token_can_be_found_by_hash_and_consumed_only_once(store: &Store) {
        let alice = add_user(store, "alice");
        let app = add_client(store, "app", Some("h"));
        add_refresh(
            store,
            live_refresh("rt-1", "fam-1", app.id, alice.id, "jti-1"),
        );

        let t = find_refresh(store, "rt-1");
        assert_eq!(t.family_id, "fam-1");
        assert_eq!((t.client_pk, t.user_id), (app.id, alice.id));
        assert_eq!(t.scope, "openid offline_access");
        assert_eq!(t.sid.as_deref(), Some("sid-1"));
        assert_eq!(
            (t.auth_time, t.created_at, t.expires_at),
            (NOW - 5, NOW, NOW + 86_400)
        );
        assert!(t.used_at.is_none() && t.revoked_at.is_none());
        assert!(
            store
                .read(|c| refresh::find_refresh_token(c, "rt-unknown"))
                .unwrap()
                .is_none()
        );

        let first = store
            .write(|c| refresh::consume_refresh_token(c, t.id, NOW + 10))
            .unwrap();
        let second = store
            .write(|c| refresh::consume_refresh_token(c, t.id, NOW + 11))
            .unwrap();

        assert!(first, "the first use succeeds");
        assert!(!second, "a second use is a replay");
        assert_eq!(find_refresh(store, "rt-1").used_at, Some(NOW + 10));
    }

    pub fn revoking_a_refresh_family_revokes_every_member_and_deny_lists_live_access_tokens(
        store: &Store,
    ) {
        let alice = add_user(store, "alice");
        let app = add_client(store, "app", Some("h"));
        add_refresh(
            store,
            live_refresh("f1-a", "fam-1", app.id, alice.id, "jti-f1-a"),
        );
        add_refresh(
            store,
            Refresh {
                access_expires_at: NOW - 1,
                ..live_refresh("f1-b", "fam-1", app.id, alice.id, "jti-f1-b-expired")
            },
        );
        add_refresh(
            store,
            live_refresh("f2-a", "fam-2", app.id, alice.id, "jti-f2-a"),
        );
        let f1a = find_refresh(store, "f1-a");
        assert!(
            store
                .write(|c| refresh::consume_refresh_token(c, f1a.id, NOW))
                .unwrap()
        );

        let n = store
            .write(|c| refresh::revoke_refresh_family(c, "fam-1", NOW))
            .unwrap();

        assert_eq!(n, 2);
        assert_eq!(find_refresh(store, "f1-a").revoked_at, Some(NOW));
        assert_eq!(find_refresh(store, "f1-b").revoked_at, Some(NOW));
        assert!(find_refresh(store, "f2-a").revoked_at.is_none());
        assert!(
            jti_revoked(store, "jti-f1-a"),
            "a live access token is deny-listed"
        );
        assert!(
            !jti_revoked(store, "jti-f1-b-expired"),
            "an already expired access token need not be remembered"
        );
        assert!(!jti_revoked(store, "jti-f2-a"));
        let f1b = find_refresh(store, "f1-b");
        assert!(
            !store
                .write(|c| refresh::consume_refresh_token(c, f1b.id, NOW + 1))
                .unwrap(),
            "a revoked token cannot be consumed"
        );
        assert_eq!(
            store
                .write(|c| refresh::revoke_refresh_family(c, "fam-1", NOW + 2))
                .unwrap(),
            0,
            "revoking twice changes nothing"
        );
        assert_eq!(find_refresh(store, "f1-a").revoked_at, Some(NOW));
    }

    pub fn revoking_a_users_refresh_tokens_leaves_other_users_tokens_alone(store: &Store) {
        let alice = add_user(store, "alice");
        let bob = add_user(store, "bob");
        let app = add_client(store, "app", Some("h"));
        add_refresh(store, live_refresh("a-1", "fa-1", app.id, alice.id, "ja-1"));
        add_refresh(store, live_refresh("a-2", "fa-2", app.id, alice.id, "ja-2"));
        add_refresh(store, live_refresh("b-1", "fb-1", app.id, bob.id, "jb-1"));

        let n = store
            .write(|c| refresh::revoke_user_refresh_tokens(c, alice.id, NOW))
            .unwrap();

        assert_eq!(n, 2);
        assert!(find_refresh(store, "a-1").revoked_at.is_some());
        assert!(find_refresh(store, "a-2").revoked_at.is_some());
        assert!(find_refresh(store, "b-1").revoked_at.is_none());
        assert!(jti_revoked(store, "ja-1") && jti_revoked(store, "ja-2"));
        assert!(!jti_revoked(store, "jb-1"));
    }

    pub fn revoking_tokens_from_a_replayed_code_revokes_the_whole_family(store: &Store) {
        let alice = add_user(store, "alice");
        let app = add_client(store, "app", Some("h"));
        add_refresh(
            store,
            Refresh {
                code_hash: Some("code-1"),
                ..live_refresh("first", "fam-code", app.id, alice.id, "j-first")
            },
        );
        // Rotated successor: same family, no code of its own.
        add_refresh(
            store,
            live_refresh("second", "fam-code", app.id, alice.id, "j-second"),
        );
        add_refresh(
            store,
            Refresh {
                code_hash: Some("code-2"),
                ..live_refresh("unrelated", "fam-other", app.id, alice.id, "j-other")
            },
        );

        let n = store
            .write(|c| refresh::revoke_refresh_tokens_from_code(c, "code-1", NOW))
            .unwrap();

        assert_eq!(n, 2);
        assert!(find_refresh(store, "first").revoked_at.is_some());
        assert!(find_refresh(store, "second").revoked_at.is_some());
        assert!(find_refresh(store, "unrelated").revoked_at.is_none());
        assert!(jti_revoked(store, "j-second"));
        assert!(!jti_revoked(store, "j-other"));
    }

    pub fn revoked_jti_insert_is_idempotent(store: &Store) {
        assert!(!jti_revoked(store, "jti-x"));

        store
            .write(|c| refresh::insert_revoked_jti(c, "jti-x", NOW + 600))
            .unwrap();
        store
            .write(|c| refresh::insert_revoked_jti(c, "jti-x", NOW + 600))
            .unwrap();

        assert!(jti_revoked(store, "jti-x"));
        assert!(!jti_revoked(store, "jti-y"));
        assert_eq!(count(store, "revoked_access_tokens"), 1);
    }

    // ------------------------------------------------------------ audit

    pub fn audit_events_are_listed_newest_first_up_to_the_limit(store: &Store) {
        assert!(
            store
                .read(|c| audit::list_audit_events(c, 10))
                .unwrap()
                .is_empty()
        );
        for (i, kind) in ["first", "second", "third"].into_iter().enumerate() {
            store
                .write(|c| {
                    audit::insert_audit_event(
                        c,
                        &audit::AuditEvent {
                            // Same second for two of them: order must not depend on the clock.
                            at: NOW + (i as i64).min(1),
                            kind: kind.into(),
                            actor: Some("tester".into()),
                            subject: Some("alice".into()),
                            client_id: Some("app".into()),
                            ip: Some("192.0.2.1".into()),
                            detail: Some(format!("event {i}")),
                        },
                    )
                })
                .unwrap();
        }

        let all = store.read(|c| audit::list_audit_events(c, 10)).unwrap();
        let two = store.read(|c| audit::list_audit_events(c, 2)).unwrap();

        let kinds: Vec<&str> = all.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["third", "second", "first"]);
        let kinds: Vec<&str> = two.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["third", "second"]);
        let e = &all[2];
        assert_eq!(e.at, NOW);
        assert_eq!(e.actor.as_deref(), Some("tester"));
        assert_eq!(e.subject.as_deref(), Some("alice"));
        assert_eq!(e.client_id.as_deref(), Some("app"));
        assert_eq!(e.ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(e.detail.as_deref(), Some("event 0"));
    }

    pub fn audit_events_before_a_cutoff_are_deleted_oldest_first_in_batches(store: &Store) {
        // Inserted out of time order: deletion follows `at`, not insertion.
        for at in [NOW - 10, NOW - 30, NOW - 1, NOW, NOW - 20, NOW + 5] {
            store
                .write(|c| {
                    audit::insert_audit_event(
                        c,
                        &audit::AuditEvent {
                            at,
                            kind: format!("at {at}"),
                            ..Default::default()
                        },
                    )
                })
                .unwrap();
        }
        let ats = || -> Vec<i64> {
            let mut v: Vec<i64> = store
                .read(|c| audit::list_audit_events(c, 100))
                .unwrap()
                .iter()
                .map(|e| e.at)
                .collect();
            v.sort();
            v
        };
        let delete = |limit| {
            store
                .write(|c| audit::delete_audit_events_before(c, NOW - 1, limit))
                .unwrap()
        };
        assert_eq!(delete(2), 2, "a batch is bounded");
        assert_eq!(
            ats(),
            [NOW - 10, NOW - 1, NOW, NOW + 5],
            "the oldest went first"
        );
        assert_eq!(delete(2), 1);
        assert_eq!(
            ats(),
            [NOW - 1, NOW, NOW + 5],
            "an event exactly at the cutoff stays"
        );
        assert_eq!(delete(2), 0, "nothing left before the cutoff");
    }

    // ------------------------------------------------------------ back-channel outbox

    pub fn due_outbox_items_are_listed_oldest_first_skipping_clients_being_served(store: &Store) {
        let a = add_client(store, "a", Some("h"));
        let b = add_client(store, "b", Some("h"));
        store
            .write(|c| {
                backchannel::insert_outbox(c, a.id, "sub-1", "sid-1", "logout", NOW)?;
                backchannel::insert_outbox(c, b.id, "sub-1", "sid-1", "logout", NOW)?;
                backchannel::insert_outbox(c, a.id, "sub-2", "sid-2", "logout", NOW)?;
                backchannel::insert_outbox(c, b.id, "sub-3", "sid-3", "logout", NOW + 10)
            })
            .unwrap();
        let due = |except: &[i64], limit| {
            store
                .read(|c| backchannel::list_due_outbox(c, NOW, except, limit))
                .unwrap()
                .into_iter()
                .map(|i| (i.client_pk, i.sid))
                .collect::<Vec<_>>()
        };
        let sid = |s: &str| s.to_owned();
        assert_eq!(
            due(&[], 10),
            [
                (a.id, sid("sid-1")),
                (b.id, sid("sid-1")),
                (a.id, sid("sid-2"))
            ],
            "oldest first; not yet due is left out"
        );
        assert_eq!(due(&[], 2).len(), 2);
        assert_eq!(due(&[a.id], 10), [(b.id, sid("sid-1"))]);
        assert!(due(&[a.id, b.id], 10).is_empty());

        let first = store
            .read(|c| backchannel::list_due_outbox(c, NOW, &[], 1))
            .unwrap()
            .remove(0);
        assert_eq!(first.attempts, 0);
        store
            .write(|c| backchannel::reschedule_outbox(c, first.id, NOW + 2))
            .unwrap();
        assert_eq!(due(&[], 10).len(), 2, "rescheduled: not due until then");
        let later = store
            .read(|c| backchannel::list_due_outbox(c, NOW + 2, &[b.id], 10))
            .unwrap();
        assert_eq!((later[0].id, later[0].attempts), (first.id, 1));
        store
            .write(|c| backchannel::delete_outbox(c, first.id))
            .unwrap();
        assert_eq!(due(&[b.id], 10), [(a.id, sid("sid-2"))]);
    }

    // ------------------------------------------------------------ sweep

    pub fn sweep_deletes_expired_rows_only(store: &Store) {
        let alice = add_user(store, "alice");
        let app = add_client(store, "app", Some("h"));
        add_session(store, alice.id, "s-expired", NOW - 1);
        add_session(store, alice.id, "s-live", NOW + 1);
        add_refresh(
            store,
            Refresh {
                expires_at: NOW - 1,
                ..live_refresh("r-expired", "f1", app.id, alice.id, "j1")
            },
        );
        add_refresh(store, live_refresh("r-live", "f2", app.id, alice.id, "j2"));
        store
            .write(|c| {
                refresh::insert_revoked_jti(c, "jti-expired", NOW - 1)?;
                refresh::insert_revoked_jti(c, "jti-live", NOW + 1)
            })
            .unwrap();
        store
            .sql_write(|c| {
                // No store functions for codes and pending requests yet: plain rows will do.
                for (hash, expires) in [("code-old", NOW - 601), ("code-recent", NOW - 1), ("code-live", NOW + 60)] {
                    c.execute(
                        "INSERT INTO auth_codes (code_hash, client_pk, user_id, redirect_uri, scope, auth_time, amr, created_at, expires_at) \
                         VALUES (?1, ?2, ?3, 'https://app.example/cb', 'openid', ?4, 'pwd', ?4, ?5)",
                        latchkey::store::rusqlite::params![hash, app.id, alice.id, NOW - 700, expires],
                    )?;
                }
                for (hash, expires) in [("pending-old", NOW - 1), ("pending-live", NOW + 60)] {
                    c.execute(
                        "INSERT INTO pending_authorizations (id_hash, client_pk, request, created_at, expires_at) \
                         VALUES (?1, ?2, '{}', ?3, ?4)",
                        latchkey::store::rusqlite::params![hash, app.id, NOW - 100, expires],
                    )?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();

        let removed = store.write(|c| sweep::delete_expired(c, NOW)).unwrap();
        assert_eq!(
            removed, 4,
            "one expired code, pending request, refresh token and jti"
        );
        // Sessions end through session_end, which also queues back-channel notifications.
        let ended = store
            .write(|c| latchkey::oidc::session_end::end_expired_sessions(c, NOW, 1_000_000_000))
            .unwrap();
        assert_eq!(ended, 1, "only the expired session ends");
        assert!(
            store
                .read(|c| sessions::find_session_by_secret(c, "s-expired"))
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .read(|c| sessions::find_session_by_secret(c, "s-live"))
                .unwrap()
                .is_some()
        );
        assert!(
            store
                .read(|c| refresh::find_refresh_token(c, "r-expired"))
                .unwrap()
                .is_none()
        );
        find_refresh(store, "r-live");
        assert!(!jti_revoked(store, "jti-expired"));
        assert!(jti_revoked(store, "jti-live"));
        let codes: Vec<String> = store
            .sql(|c| {
                let mut st = c.prepare("SELECT code_hash FROM auth_codes ORDER BY code_hash")?;
                let rows = st.query_map([], |r| r.get(0))?;
                Ok(rows.collect::<Result<Vec<String>, _>>()?)
            })
            .unwrap();
        assert_eq!(
            codes,
            ["code-live", "code-recent"],
            "recently expired codes stay a while so a replay can still be detected"
        );
        assert_eq!(count(store, "pending_authorizations"), 1);
        assert_eq!(count(store, "users"), 1, "users never expire");
        assert_eq!(count(store, "clients"), 1, "clients never expire");

        assert_eq!(
            store.write(|c| sweep::delete_expired(c, NOW)).unwrap(),
            0,
            "a second sweep finds nothing"
        );
    }

    pub fn client_web_origins_are_the_redirect_origins_plus_added_ones_and_found_by_origin(
        store: &Store,
    ) {
        let a = add_client(store, "a", None);
        add_client(store, "b", None);
        assert_eq!(a.web_origins, ["https://a.example"]);
        assert!(a.extra_web_origins.is_empty());
        let extra = vec![
            "https://cdn.example".to_owned(),
            "http://localhost:3000".to_owned(),
        ];
        store
            .write(|c| clients::add_web_origins(c, a.id, &extra))
            .unwrap();
        store
            .write(|c| clients::add_web_origins(c, a.id, &extra))
            .expect("adding a known origin again is a no-op");
        assert_eq!(
            store.read(|c| clients::find_web_origins(c, "a")).unwrap(),
            [
                "https://a.example",
                "http://localhost:3000",
                "https://cdn.example"
            ]
        );
        assert_eq!(
            store.read(|c| clients::find_web_origins(c, "b")).unwrap(),
            ["https://b.example"]
        );
        assert!(
            store
                .read(|c| clients::find_web_origins(c, "nobody"))
                .unwrap()
                .is_empty()
        );
        for (origin, allowed) in [
            ("https://a.example", true),
            ("https://b.example", true),
            ("https://cdn.example", true),
            ("http://localhost:3000", true),
            ("https://c.example", false),
            ("https://a.example:8443", false),
            ("http://a.example", false),
            ("https://a.exampl", false),
        ] {
            assert_eq!(
                store
                    .read(|c| clients::any_client_allows_web_origin(c, origin))
                    .unwrap(),
                allowed,
                "{origin}"
            );
        }
        store
            .write(|c| clients::delete_web_origins(c, a.id, &["https://cdn.example".to_owned()]))
            .unwrap();
        assert!(
            !store
                .read(|c| clients::any_client_allows_web_origin(c, "https://cdn.example"))
                .unwrap()
        );
        store.write(|c| clients::delete_client(c, a.id)).unwrap();
        assert_eq!(
            count(store, "client_web_origins"),
            0,
            "deleted with the client"
        );
        assert!(
            !store
                .read(|c| clients::any_client_allows_web_origin(c, "http://localhost:3000"))
                .unwrap()
        );
    }
}
