//! A storage conformance suite in the style of Dex's `storage/conformance`: every check is a
//! function over `&Store`, and each backend runs all of them on a fresh database via
//! [`store_conformance_tests!`]: SQLite in a temporary file (in each durability mode) and
//! PostgreSQL in a fresh database of a throwaway cluster (`support::pg`). Every check runs on
//! both: the few that look at rows directly use `support::pg::inspect`, which works on either.

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
        postgres = crate::support::pg::open_postgres(),
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
        a_refresh_token_is_consumed_by_exactly_one_of_many_concurrent_rotations,
        revoking_a_refresh_family_revokes_every_member_and_deny_lists_live_access_tokens,
        revoking_a_users_refresh_tokens_leaves_other_users_tokens_alone,
        revoking_tokens_from_a_replayed_code_revokes_the_whole_family,
        revoked_jti_insert_is_idempotent,
        audit_events_are_listed_newest_first_up_to_the_limit,
        audit_rows_are_written_unsealed_and_sealed_once_each_at_their_position,
        a_sealed_prefix_is_pruned_in_chain_order_and_becomes_the_checkpoint,
        due_outbox_items_are_listed_oldest_first_skipping_clients_being_served,
        sweep_deletes_expired_rows_only,
        a_code_round_trips_every_field_and_is_consumed_only_once,
        an_expired_code_is_invalid_but_a_consumed_one_stays_a_replay_after_expiry,
        code_insert_with_a_taken_hash_is_refused_and_changes_nothing,
        a_code_is_consumed_by_exactly_one_of_many_concurrent_redeemers,
        a_device_authorization_round_trips_and_is_found_by_device_code_and_pending_user_code,
        a_device_decision_moves_pending_to_approved_or_denied_once,
        an_expired_device_request_can_be_neither_decided_nor_issued,
        a_device_request_is_decided_by_exactly_one_of_many_concurrent_deciders,
        an_approved_device_code_is_issued_to_exactly_one_of_many_concurrent_pollers,
        device_polls_record_the_time_and_the_interval_the_device_must_keep,
        device_insert_with_a_taken_user_code_is_a_conflict_and_changes_nothing,
        device_authorizations_are_counted_per_source_while_unexpired,
        a_pending_request_is_found_until_it_expires_and_can_be_updated_and_deleted,
        pending_requests_are_counted_per_source_while_unexpired,
        a_consent_is_kept_per_user_and_client_replaced_by_upsert_and_deleted,
        a_users_apps_are_those_consented_signed_into_or_holding_a_live_refresh_token_by_name,
        groups_are_found_in_any_case_listed_by_name_and_unique_in_any_case,
        group_members_are_added_and_removed_once_and_listed_from_both_sides,
        a_client_restricted_to_groups_admits_only_their_members,
        a_group_restricting_a_client_cannot_be_deleted_and_the_refusal_changes_nothing,
        an_api_round_trips_with_its_scopes_sorted_and_is_found_by_identifier,
        api_identifiers_and_scope_names_are_unique_and_a_refused_insert_changes_nothing,
        client_api_scope_grants_are_idempotent_listed_per_api_and_revocable,
        deleting_an_api_or_one_of_its_scopes_removes_the_grants_of_it,
        user_attributes_are_upserted_listed_per_user_and_deleted,
        custom_scopes_round_trip_with_sorted_unique_claims_and_unique_names,
        custom_scopes_release_the_union_of_their_claims_once_each,
        deleting_a_custom_scope_removes_its_claims,
        a_known_browser_is_known_for_its_user_until_400_days_after_its_last_sign_in,
        a_session_is_found_by_its_sid,
        expired_sessions_are_those_past_their_lifetime_or_idle_too_long,
        live_sessions_are_counted_as_exactly_those_not_expired,
        session_clients_are_upserted_and_only_back_channel_clients_are_listed,
        revoking_a_sessions_refresh_tokens_spares_offline_and_other_sessions_tokens,
        revoking_a_users_tokens_at_one_client_spares_their_other_clients_and_other_users,
        audit_events_are_found_by_person_client_and_time_newest_first,
        disabled_users_still_holding_live_sessions_or_refresh_tokens_are_listed,
        client_name_and_scope_updates_change_only_that_client,
        a_settings_update_replaces_every_setting_and_list_of_that_client_only_and_keeps_its_secret,
        secret_set_times_are_listed_for_confidential_clients_and_move_on_rotation,
        deleting_a_user_removes_their_consents_groups_attributes_browsers_codes_and_approvals,
        deleting_a_client_removes_everything_held_for_it_and_nothing_else,
        passkeys_round_trip_per_user_and_a_credential_id_belongs_to_one_account,
        a_users_passkey_is_removed_only_by_them_and_reset_removes_only_theirs,
        a_user_handle_is_made_once_per_user_and_names_its_user,
        a_webauthn_challenge_is_handed_out_once_and_never_after_it_expires,
        a_webauthn_challenge_is_consumed_by_exactly_one_of_many_concurrent_finishes,
        deleting_a_user_removes_their_passkeys_handle_and_ceremonies,
        admin_keys_are_found_by_hash_revoked_once_and_keep_their_name,
        a_key_use_is_recorded_at_most_once_a_granularity,
        users_are_searched_by_part_of_username_email_or_name_in_username_order_after_a_cursor,
        live_sessions_are_listed_newest_first_with_their_username_after_a_cursor_and_per_user,
        audit_events_are_found_by_kind_family_before_a_time_and_below_a_row_id,
        claimed_outbox_items_are_not_due_again_until_their_lease_ends,
        a_due_outbox_item_is_claimed_by_exactly_one_of_many_concurrent_claimers,
        due_mail_is_claimed_oldest_first_and_not_due_again_until_its_lease_ends,
        a_due_mail_is_claimed_by_exactly_one_of_many_concurrent_claimers,
        an_upkeep_round_runs_unless_another_one_holds_the_lock_and_releases_it_after,
        the_keys_version_changes_with_every_new_retired_and_deleted_key,
        a_rotation_decided_by_several_nodes_at_the_same_moment_is_made_once,
    ]
);

/// The checks. Each gets an empty, migrated store and leaves it however it likes.
pub mod conformance {
    use latchkey::crypto::keys::{Alg, KeyMaterial};
    use latchkey::store::codes::{AuthCode, Consumed};
    use latchkey::store::device::{Approval, DeviceStatus, NewDeviceAuthorization};
    use latchkey::store::{
        Store, StoreError, apis, attributes, audit, audit_chain, backchannel, clients, codes,
        consents, device, groups, keys, known_browsers, pending, refresh, sessions, sweep, users,
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

    /// A confidential client that wants back-channel logout notifications.
    fn add_client_with_backchannel(store: &Store, client_id: &str) -> clients::Client {
        let grants = vec!["authorization_code".to_owned()];
        let scopes = vec!["openid".to_owned()];
        let redirect = vec![format!("https://{client_id}.example/cb")];
        let bcl = format!("https://{client_id}.example/bcl");
        store
            .write(|c| {
                clients::insert_client(
                    c,
                    &clients::NewClient {
                        client_id,
                        name: client_id,
                        secret_hash: Some("h"),
                        grant_types: &grants,
                        scopes: &scopes,
                        skip_consent: false,
                        require_pkce: true,
                        id_token_alg: "RS256",
                        backchannel_logout_uri: Some(&bcl),
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
        sid: Option<&'a str>,
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
                        sid: r.sid,
                        scope: "openid offline_access",
                        claims: None,
                        auth_time: NOW - 5,
                        amr: "pwd",
                        acr: Some("urn:latchkey:acr:pwd"),
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

    /// A live refresh token for (client, user) from browser session `sid-1`, its access token
    /// valid for 10 more minutes.
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
            sid: Some("sid-1"),
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
        crate::support::pg::inspect(store, |c| {
            c.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
        })
        .unwrap()
    }

    /// Run `f(i)` on `n` threads released together; the results in thread order.
    fn race<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
        let start = std::sync::Barrier::new(n);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    let (f, start) = (&f, &start);
                    s.spawn(move || {
                        start.wait();
                        f(i)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("racing thread"))
                .collect()
        })
    }

    fn code(hash: &str, client_pk: i64, user_id: i64, expires_at: i64) -> AuthCode {
        AuthCode {
            code_hash: hash.to_owned(),
            client_pk,
            user_id,
            sid: Some("sid-1".into()),
            redirect_uri: "https://app.example/cb".into(),
            scope: "openid email".into(),
            nonce: Some("n-0S6_WzA2Mj".into()),
            code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
            claims: Some(r#"{"userinfo":{"email":null}}"#.into()),
            auth_time: NOW - 5,
            amr: "pwd".into(),
            acr: Some("urn:latchkey:acr:pwd".into()),
            expires_at,
            resource: Some("https://api.example".into()),
        }
    }

    fn add_code(store: &Store, a: &AuthCode) {
        store
            .write(|c| codes::insert_code(c, a, NOW))
            .expect("insert code");
    }

    fn consume_code(store: &Store, hash: &str, now: i64) -> Consumed {
        store.write(|c| codes::consume_code(c, hash, now)).unwrap()
    }

    fn new_device<'a>(
        device_code_hash: &'a str,
        user_code_hash: &'a str,
        client_pk: i64,
        source: &'a str,
    ) -> NewDeviceAuthorization<'a> {
        NewDeviceAuthorization {
            device_code_hash,
            user_code_hash,
            client_pk,
            scope: "openid offline_access",
            resource: None,
            expires_at: NOW + 600,
            interval_secs: 5,
            source,
        }
    }

    fn add_device(store: &Store, n: &NewDeviceAuthorization<'_>) -> device::DeviceAuthorization {
        store
            .write(|c| device::insert_device_authorization(c, n, NOW))
            .expect("insert device authorization");
        find_device(store, n.device_code_hash)
    }

    fn find_device(store: &Store, device_code_hash: &str) -> device::DeviceAuthorization {
        store
            .read(|c| device::find_device_by_device_code(c, device_code_hash))
            .unwrap()
            .unwrap_or_else(|| panic!("device code {device_code_hash} not found"))
    }

    fn approval(user_id: i64) -> Approval<'static> {
        Approval {
            user_id,
            sid: "sid-approver",
            auth_time: NOW - 30,
            amr: "pwd mfa",
            acr: "urn:latchkey:acr:mfa",
        }
    }

    fn add_pending(store: &Store, id_hash: &str, client_pk: i64, source: &str, expires_at: i64) {
        store
            .write(|c| {
                pending::insert_pending(
                    c,
                    &pending::NewPending {
                        id_hash,
                        client_pk,
                        request: &format!(r#"{{"id":"{id_hash}"}}"#),
                        source,
                        expires_at,
                    },
                    NOW,
                )
            })
            .expect("insert pending request");
    }

    fn find_pending(store: &Store, id_hash: &str, now: i64) -> Option<String> {
        store
            .read(|c| pending::find_pending(c, id_hash, now))
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
        let extra_origins = vec!["https://cdn.example".to_owned()];

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
                        web_origins: &extra_origins,
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
            // Redirect URIs, post-logout URIs and web origins each land in their own list.
            assert_eq!(cl.extra_web_origins, extra_origins);
            assert_eq!(
                cl.web_origins,
                ["https://app.example", "https://cdn.example"]
            );
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

    pub fn a_refresh_token_is_consumed_by_exactly_one_of_many_concurrent_rotations(store: &Store) {
        let alice = add_user(store, "alice");
        let app = add_client(store, "app", Some("h"));
        add_refresh(
            store,
            live_refresh("contested", "fam-1", app.id, alice.id, "jti-1"),
        );
        let t = find_refresh(store, "contested");

        let results = race(8, |i| {
            store.write(|c| refresh::consume_refresh_token(c, t.id, NOW + 1 + i as i64))
        });

        let winners: Vec<usize> = results
            .into_iter()
            .enumerate()
            .filter_map(|(i, r)| r.unwrap().then_some(i))
            .collect();
        assert_eq!(winners.len(), 1, "exactly one rotation wins: {winners:?}");
        assert_eq!(
            find_refresh(store, "contested").used_at,
            Some(NOW + 1 + winners[0] as i64),
            "the winner's use is the one stored"
        );
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

    fn insert_events(store: &Store, kinds: &[&str]) {
        for kind in kinds {
            store
                .write(|c| {
                    audit::insert_audit_event(
                        c,
                        &audit::AuditEvent {
                            at: NOW,
                            kind: (*kind).into(),
                            ..Default::default()
                        },
                    )
                })
                .unwrap();
        }
    }

    fn kinds(rows: &[audit_chain::ChainRow]) -> Vec<String> {
        rows.iter()
            .map(|r| match &r.cells[1] {
                audit_chain::Cell::Text(t) => String::from_utf8_lossy(t).into_owned(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    pub fn audit_rows_are_written_unsealed_and_sealed_once_each_at_their_position(store: &Store) {
        let ends = store.read(audit_chain::chain_ends).unwrap();
        assert_eq!((ends.pruned_seq, ends.head_seq), (0, 0));
        assert_eq!(ends.pruned_hash, [0; 32]);
        assert_eq!(ends.head_hash, [0; 32]);
        insert_events(store, &["a", "b", "c"]);

        let unsealed = store
            .read(|c| audit_chain::unsealed_audit_rows(c, 2))
            .unwrap();
        assert_eq!(kinds(&unsealed), ["a", "b"], "lowest id first, bounded");
        let first = &unsealed[0];
        assert_eq!((first.seq, first.hash.as_deref()), (None, None));
        assert_eq!(first.cells[0], audit_chain::Cell::Int(NOW));
        assert_eq!(first.cells[2], audit_chain::Cell::Null, "no actor");

        store
            .write(|c| {
                assert!(audit_chain::seal_audit_row(c, first.id, 1, &[7; 32])?);
                assert!(
                    !audit_chain::seal_audit_row(c, first.id, 9, &[9; 32])?,
                    "a sealed row is never sealed again"
                );
                audit_chain::set_chain_head(c, 1, &[7; 32], first.id)
            })
            .unwrap();
        let left = store
            .read(|c| audit_chain::unsealed_audit_rows(c, 10))
            .unwrap();
        assert_eq!(kinds(&left), ["b", "c"]);
        let sealed = store
            .read(|c| audit_chain::oldest_sealed_audit_rows(c, 10))
            .unwrap();
        assert_eq!(kinds(&sealed), ["a"]);
        assert_eq!(
            (sealed[0].seq, sealed[0].hash.as_deref()),
            (Some(1), Some(&[7u8; 32][..]))
        );
        let ends = store.read(audit_chain::chain_ends).unwrap();
        assert_eq!(
            (ends.head_seq, ends.head_hash, ends.head_id),
            (1, vec![7; 32], first.id)
        );

        let mut seen = Vec::new();
        let scan = store
            .read(|c| {
                audit_chain::scan_chain(c, &mut |_, row| {
                    seen.push(row.seq);
                    Ok(true)
                })
            })
            .unwrap();
        assert_eq!(seen, [Some(1)], "the scan gives sealed rows only");
        assert_eq!(scan.unsealed, 2);
        assert_eq!(scan.first_unsealed_id, Some(left[0].id));
    }

    pub fn a_sealed_prefix_is_pruned_in_chain_order_and_becomes_the_checkpoint(store: &Store) {
        insert_events(store, &["a", "b", "c", "d"]);
        let rows = store
            .read(|c| audit_chain::unsealed_audit_rows(c, 10))
            .unwrap();
        // Sealed out of id order: the chain's order is `seq`, not `id`.
        let order = [(2usize, 1i64), (0, 2), (3, 3), (1, 4)];
        store
            .write(|c| {
                for (i, seq) in order {
                    audit_chain::seal_audit_row(c, rows[i].id, seq, &[seq as u8; 32])?;
                }
                audit_chain::set_chain_head(c, 4, &[4; 32], rows[1].id)
            })
            .unwrap();
        let oldest = store
            .read(|c| audit_chain::oldest_sealed_audit_rows(c, 3))
            .unwrap();
        assert_eq!(kinds(&oldest), ["c", "a", "d"], "chain order, bounded");

        let n = store
            .write(|c| {
                audit_chain::prune_audit_chain(
                    c,
                    2,
                    &audit_chain::PrunedRow {
                        id: rows[0].id,
                        at: NOW,
                        hash: &[2; 32],
                    },
                )
            })
            .unwrap();
        assert_eq!(n, 2, "positions 1 and 2 went");
        let left = store
            .read(|c| audit_chain::oldest_sealed_audit_rows(c, 10))
            .unwrap();
        assert_eq!(kinds(&left), ["d", "b"]);
        let ends = store.read(audit_chain::chain_ends).unwrap();
        assert_eq!(ends.pruned_seq, 2);
        assert_eq!(ends.pruned_hash, [2; 32]);
        assert_eq!(ends.pruned_id, Some(rows[0].id));
        assert_eq!(ends.pruned_at, Some(NOW));
        assert_eq!(ends.head_seq, 4, "the head stays");
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
            .write(|c| {
                for (hash, expires) in [
                    ("code-old", NOW - 601),
                    ("code-recent", NOW - 1),
                    ("code-live", NOW + 60),
                ] {
                    codes::insert_code(c, &code(hash, app.id, alice.id, expires), NOW - 700)?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();
        add_pending(store, "pending-old", app.id, "src", NOW - 1);
        add_pending(store, "pending-live", app.id, "src", NOW + 60);
        for (dc, expires) in [
            ("dc-old", NOW - 601),
            ("dc-recent", NOW - 1),
            ("dc-live", NOW + 60),
        ] {
            add_device(
                store,
                &NewDeviceAuthorization {
                    expires_at: expires,
                    ..new_device(dc, &format!("u{dc}"), app.id, "src")
                },
            );
        }
        let ttl = known_browsers::KNOWN_BROWSER_TTL_SECS;
        store
            .write(|c| {
                known_browsers::remember_browser(c, "browser-old", alice.id, NOW - ttl - 1)?;
                known_browsers::remember_browser(c, "browser-edge", alice.id, NOW - ttl)?;
                known_browsers::remember_browser(c, "browser-live", alice.id, NOW - 1)
            })
            .unwrap();

        let removed = store.write(|c| sweep::delete_expired(c, NOW)).unwrap();
        assert_eq!(
            removed, 6,
            "one expired code, pending request, refresh token, jti, device request and browser"
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
        let codes: Vec<String> = crate::support::pg::inspect(store, |c| {
            let mut st = c.prepare("SELECT code_hash FROM auth_codes ORDER BY code_hash")?;
            st.query_map([], |r| r.get(0))?.collect()
        })
        .unwrap();
        assert_eq!(
            codes,
            ["code-live", "code-recent"],
            "recently expired codes stay a while so a replay can still be detected"
        );
        assert_eq!(count(store, "pending_authorizations"), 1);
        assert!(
            store
                .read(|c| device::find_device_by_device_code(c, "dc-old"))
                .unwrap()
                .is_none()
        );
        find_device(store, "dc-recent");
        find_device(store, "dc-live");
        assert_eq!(
            count(store, "device_authorizations"),
            2,
            "recently expired device requests stay a while so a late poll hears expired_token"
        );
        assert_eq!(count(store, "known_browsers"), 2);
        let known = |token: &str| {
            store
                .read(|c| known_browsers::is_known_browser(c, token, alice.id, NOW))
                .unwrap()
        };
        assert!(!known("browser-old") && !known("browser-edge") && known("browser-live"));
        assert_eq!(count(store, "users"), 1, "users never expire");
        assert_eq!(count(store, "clients"), 1, "clients never expire");

        assert_eq!(
            store.write(|c| sweep::delete_expired(c, NOW)).unwrap(),
            0,
            "a second sweep finds nothing"
        );
    }

    // ------------------------------------------------------------ authorization codes

    pub fn a_code_round_trips_every_field_and_is_consumed_only_once(store: &Store) {
        let alice = add_user(store, "alice");
        let app = add_client(store, "app", Some("h"));
        let inserted = code("code-1", app.id, alice.id, NOW + 60);
        add_code(store, &inserted);

        let Consumed::Fresh(got) = consume_code(store, "code-1", NOW + 1) else {
            panic!("the first redemption gets the code");
        };
        assert_eq!(got.code_hash, "code-1");
        assert_eq!((got.client_pk, got.user_id), (app.id, alice.id));
        assert_eq!(got.sid, inserted.sid);
        assert_eq!(got.redirect_uri, inserted.redirect_uri);
        assert_eq!(got.scope, inserted.scope);
        assert_eq!(got.nonce, inserted.nonce);
        assert_eq!(got.code_challenge, inserted.code_challenge);
        assert_eq!(got.claims, inserted.claims);
        assert_eq!((got.auth_time, got.expires_at), (NOW - 5, NOW + 60));
        assert_eq!(got.amr, "pwd");
        assert_eq!(got.resource, inserted.resource);

        // Nothing issued from it is on record yet: a replay has nothing to deny-list.
        assert!(matches!(
            consume_code(store, "code-1", NOW + 2),
            Consumed::Replayed {
                access_jti: None,
                access_expires_at: None
            }
        ));
        store
            .write(|c| codes::update_code_access_token(c, "code-1", "jti-from-code", NOW + 600))
            .unwrap();
        let replay = consume_code(store, "code-1", NOW + 3);
        assert!(
            matches!(
                &replay,
                Consumed::Replayed { access_jti: Some(j), access_expires_at: Some(e) }
                    if j == "jti-from-code" && *e == NOW + 600
            ),
            "a replay reports what was issued from the code: {replay:?}"
        );
        assert!(matches!(
            consume_code(store, "code-unknown", NOW + 1),
            Consumed::Invalid
        ));
    }

    pub fn an_expired_code_is_invalid_but_a_consumed_one_stays_a_replay_after_expiry(
        store: &Store,
    ) {
        let alice = add_user(store, "alice");
        let app = add_client(store, "app", Some("h"));
        add_code(store, &code("expired", app.id, alice.id, NOW + 60));
        add_code(store, &code("used", app.id, alice.id, NOW + 60));
        assert!(matches!(
            consume_code(store, "used", NOW),
            Consumed::Fresh(_)
        ));

        assert!(
            matches!(consume_code(store, "expired", NOW + 60), Consumed::Invalid),
            "a code is dead at its expiry time"
        );
        assert!(
            matches!(consume_code(store, "expired", NOW + 59), Consumed::Fresh(_)),
            "the failed attempt after expiry was not recorded as a use"
        );
        assert!(
            matches!(
                consume_code(store, "used", NOW + 3600),
                Consumed::Replayed { .. }
            ),
            "a replay is still recognised after the code expired"
        );
    }

    pub fn code_insert_with_a_taken_hash_is_refused_and_changes_nothing(store: &Store) {
        let alice = add_user(store, "alice");
        let bob = add_user(store, "bob");
        let app = add_client(store, "app", Some("h"));
        add_code(store, &code("code-1", app.id, alice.id, NOW + 60));

        let res =
            store.write(|c| codes::insert_code(c, &code("code-1", app.id, bob.id, NOW + 120), NOW));

        assert!(res.is_err(), "{res:?}");
        let Consumed::Fresh(got) = consume_code(store, "code-1", NOW + 1) else {
            panic!("the first code is still there, unused");
        };
        assert_eq!((got.user_id, got.expires_at), (alice.id, NOW + 60));
    }

    pub fn a_code_is_consumed_by_exactly_one_of_many_concurrent_redeemers(store: &Store) {
        let alice = add_user(store, "alice");
        let app = add_client(store, "app", Some("h"));
        add_code(store, &code("contested", app.id, alice.id, NOW + 60));

        let results = race(8, |_| {
            store.write(|c| codes::consume_code(c, "contested", NOW + 1))
        });

        let outcomes: Vec<&str> = results
            .into_iter()
            .map(|r| match r.unwrap() {
                Consumed::Fresh(_) => "fresh",
                Consumed::Replayed { .. } => "replayed",
                Consumed::Invalid => "invalid",
            })
            .collect();
        let fresh = outcomes.iter().filter(|o| **o == "fresh").count();
        let replayed = outcomes.iter().filter(|o| **o == "replayed").count();
        assert_eq!(fresh, 1, "exactly one redeemer gets the code: {outcomes:?}");
        assert_eq!(
            replayed, 7,
            "every other redeemer is told it is a replay, never `Invalid`: {outcomes:?}"
        );
    }

    // ------------------------------------------------------------ device authorizations

    pub fn a_device_authorization_round_trips_and_is_found_by_device_code_and_pending_user_code(
        store: &Store,
    ) {
        let app = add_client(store, "tv", None);
        let d = add_device(
            store,
            &NewDeviceAuthorization {
                resource: Some("https://api.example"),
                ..new_device("dc-1", "uc-1", app.id, "198.51.100.7")
            },
        );

        assert_eq!(d.client_pk, app.id);
        assert_eq!(d.scope, "openid offline_access");
        assert_eq!(d.status, DeviceStatus::Pending);
        assert_eq!((d.created_at, d.expires_at), (NOW, NOW + 600));
        assert_eq!(d.interval_secs, 5);
        assert_eq!(d.last_polled_at, None);
        assert!(d.user_id.is_none() && d.sid.is_none());
        assert!(d.auth_time.is_none() && d.amr.is_none());
        assert_eq!(d.resource.as_deref(), Some("https://api.example"));

        let by_user_code = store
            .read(|c| device::find_pending_device_by_user_code(c, "uc-1", NOW + 1))
            .unwrap()
            .expect("found by user code");
        assert_eq!(by_user_code.id, d.id);
        let none = |device_code: &str, user_code: &str, now| {
            store
                .read(|c| device::find_device_by_device_code(c, device_code))
                .unwrap()
                .is_none()
                && store
                    .read(|c| device::find_pending_device_by_user_code(c, user_code, now))
                    .unwrap()
                    .is_none()
        };
        assert!(none("dc-unknown", "uc-unknown", NOW));
        assert!(
            none("dc-unknown", "dc-1", NOW),
            "a device code is not a user code"
        );
        assert!(
            store
                .read(|c| device::find_pending_device_by_user_code(c, "uc-1", NOW + 600))
                .unwrap()
                .is_none(),
            "an expired user code is not found"
        );
        assert_eq!(
            find_device(store, "dc-1").id,
            d.id,
            "an expired device code is still found (until swept), to answer expired_token"
        );
    }

    pub fn a_device_decision_moves_pending_to_approved_or_denied_once(store: &Store) {
        let alice = add_user(store, "alice");
        let app = add_client(store, "tv", None);
        let a = add_device(store, &new_device("dc-a", "uc-a", app.id, "src"));
        let b = add_device(store, &new_device("dc-b", "uc-b", app.id, "src"));
        let decide = |id, approve: bool, now| {
            let who = approval(alice.id);
            store
                .write(|c| device::decide_device(c, id, approve.then_some(&who), now))
                .unwrap()
        };

        assert!(decide(a.id, true, NOW + 10));
        let approved = find_device(store, "dc-a");
        assert_eq!(approved.status, DeviceStatus::Approved);
        assert_eq!(approved.user_id, Some(alice.id));
        assert_eq!(approved.sid.as_deref(), Some("sid-approver"));
        assert_eq!(approved.auth_time, Some(NOW - 30));
        assert_eq!(approved.amr.as_deref(), Some("pwd mfa"));
        assert!(
            store
                .read(|c| device::find_pending_device_by_user_code(c, "uc-a", NOW + 11))
                .unwrap()
                .is_none(),
            "a decided user code is no longer pending"
        );
        assert!(
            !decide(a.id, false, NOW + 11),
            "a second decision is refused"
        );
        assert_eq!(find_device(store, "dc-a").status, DeviceStatus::Approved);

        assert!(decide(b.id, false, NOW + 10));
        let denied = find_device(store, "dc-b");
        assert_eq!(denied.status, DeviceStatus::Denied);
        assert!(denied.user_id.is_none() && denied.sid.is_none());
        assert!(!decide(b.id, true, NOW + 11), "a denial is final");
        assert_eq!(find_device(store, "dc-b").status, DeviceStatus::Denied);
        assert!(
            !store
                .write(|c| device::consume_device(c, b.id, NOW + 12))
                .unwrap(),
            "a denied request is never issued"
        );
        assert_eq!(find_device(store, "dc-b").status, DeviceStatus::Denied);
    }

    pub fn an_expired_device_request_can_be_neither_decided_nor_issued(store: &Store) {
        let alice = add_user(store, "alice");
        let app = add_client(store, "tv", None);
        let late = add_device(store, &new_device("dc-late", "uc-late", app.id, "src"));
        let approved = add_device(store, &new_device("dc-ok", "uc-ok", app.id, "src"));
        let who = approval(alice.id);
        assert!(
            store
                .write(|c| device::decide_device(c, approved.id, Some(&who), NOW + 10))
                .unwrap()
        );

        assert!(
            !store
                .write(|c| device::decide_device(c, late.id, Some(&who), NOW + 600))
                .unwrap()
        );
        assert!(
            !store
                .write(|c| device::consume_device(c, approved.id, NOW + 600))
                .unwrap()
        );

        let late = find_device(store, "dc-late");
        assert_eq!(late.status, DeviceStatus::Pending);
        assert!(late.user_id.is_none());
        assert_eq!(find_device(store, "dc-ok").status, DeviceStatus::Approved);
    }

    pub fn a_device_request_is_decided_by_exactly_one_of_many_concurrent_deciders(store: &Store) {
        let alice = add_user(store, "alice");
        let bob = add_user(store, "bob");
        let app = add_client(store, "tv", None);
        let d = add_device(store, &new_device("dc-1", "uc-1", app.id, "src"));

        // Even threads approve as alice, odd ones as bob, every third one denies.
        let results = race(8, |i| {
            let who = approval(if i % 2 == 0 { alice.id } else { bob.id });
            let approve = i % 3 != 0;
            store
                .write(|c| device::decide_device(c, d.id, approve.then_some(&who), NOW + 10))
                .map(|won| won.then_some((i, approve, who.user_id)))
        });

        let winners: Vec<_> = results.into_iter().filter_map(|r| r.unwrap()).collect();
        assert_eq!(winners.len(), 1, "exactly one decision counts: {winners:?}");
        let (_, approved, user_id) = winners[0];
        let stored = find_device(store, "dc-1");
        if approved {
            assert_eq!(stored.status, DeviceStatus::Approved);
            assert_eq!(
                stored.user_id,
                Some(user_id),
                "the winner's approval is stored"
            );
        } else {
            assert_eq!(stored.status, DeviceStatus::Denied);
            assert_eq!(stored.user_id, None);
        }
    }

    pub fn an_approved_device_code_is_issued_to_exactly_one_of_many_concurrent_pollers(
        store: &Store,
    ) {
        let alice = add_user(store, "alice");
        let app = add_client(store, "tv", None);
        let d = add_device(store, &new_device("dc-1", "uc-1", app.id, "src"));
        assert!(
            !store
                .write(|c| device::consume_device(c, d.id, NOW + 1))
                .unwrap(),
            "a pending request cannot be issued"
        );
        let who = approval(alice.id);
        assert!(
            store
                .write(|c| device::decide_device(c, d.id, Some(&who), NOW + 5))
                .unwrap()
        );

        let results = race(8, |_| {
            store.write(|c| device::consume_device(c, d.id, NOW + 10))
        });

        let issued = results.into_iter().filter(|r| *r.as_ref().unwrap()).count();
        assert_eq!(issued, 1, "exactly one poller gets the tokens");
        let stored = find_device(store, "dc-1");
        assert_eq!(stored.status, DeviceStatus::Issued);
        assert_eq!(stored.user_id, Some(alice.id), "the approval is kept");
        assert!(
            !store
                .write(|c| device::consume_device(c, d.id, NOW + 11))
                .unwrap(),
            "an issued request is never issued again"
        );
    }

    pub fn device_polls_record_the_time_and_the_interval_the_device_must_keep(store: &Store) {
        let app = add_client(store, "tv", None);
        let d = add_device(store, &new_device("dc-1", "uc-1", app.id, "src"));
        let other = add_device(store, &new_device("dc-2", "uc-2", app.id, "src"));

        store
            .write(|c| device::update_device_poll(c, d.id, NOW + 5, d.interval_secs))
            .unwrap();
        let polled = find_device(store, "dc-1");
        assert_eq!(
            (polled.last_polled_at, polled.interval_secs),
            (Some(NOW + 5), 5)
        );

        // Too soon: slow_down makes the interval 5 seconds longer from now on.
        store
            .write(|c| device::update_device_poll(c, d.id, NOW + 6, polled.interval_secs + 5))
            .unwrap();
        let slowed = find_device(store, "dc-1");
        assert_eq!(
            (slowed.last_polled_at, slowed.interval_secs),
            (Some(NOW + 6), 10)
        );
        assert_eq!(
            slowed.status,
            DeviceStatus::Pending,
            "polling decides nothing"
        );
        let untouched = find_device(store, "dc-2");
        assert_eq!(
            (untouched.last_polled_at, untouched.interval_secs),
            (None, other.interval_secs)
        );
    }

    pub fn device_insert_with_a_taken_user_code_is_a_conflict_and_changes_nothing(store: &Store) {
        let app = add_client(store, "tv", None);
        let other = add_client(store, "other", None);
        let first = add_device(store, &new_device("dc-1", "uc-1", app.id, "src"));
        // Expired but not yet swept: its user code is still taken.
        add_device(
            store,
            &NewDeviceAuthorization {
                expires_at: NOW - 1,
                ..new_device("dc-old", "uc-old", app.id, "src")
            },
        );

        for user_code in ["uc-1", "uc-old"] {
            let res = store.write(|c| {
                device::insert_device_authorization(
                    c,
                    &new_device("dc-new", user_code, other.id, "elsewhere"),
                    NOW,
                )
            });
            assert!(
                matches!(res, Err(StoreError::Conflict(_))),
                "{user_code}: {res:?}"
            );
        }

        assert!(
            store
                .read(|c| device::find_device_by_device_code(c, "dc-new"))
                .unwrap()
                .is_none()
        );
        let still = store
            .read(|c| device::find_pending_device_by_user_code(c, "uc-1", NOW))
            .unwrap()
            .expect("the first request keeps its user code");
        assert_eq!((still.id, still.client_pk), (first.id, app.id));
        assert_eq!(
            store
                .read(|c| device::count_device_from(c, "elsewhere", NOW))
                .unwrap(),
            0
        );
    }

    pub fn device_authorizations_are_counted_per_source_while_unexpired(store: &Store) {
        let app = add_client(store, "tv", None);
        let count_from = |source: &str, now| {
            store
                .read(|c| device::count_device_from(c, source, now))
                .unwrap()
        };
        assert_eq!(count_from("a", NOW), 0);
        add_device(store, &new_device("dc-1", "uc-1", app.id, "a"));
        add_device(
            store,
            &NewDeviceAuthorization {
                expires_at: NOW + 100,
                ..new_device("dc-2", "uc-2", app.id, "a")
            },
        );
        add_device(store, &new_device("dc-3", "uc-3", app.id, "b"));

        assert_eq!(count_from("a", NOW), 2);
        assert_eq!(count_from("b", NOW), 1);
        assert_eq!(count_from("c", NOW), 0);
        assert_eq!(
            count_from("a", NOW + 100),
            1,
            "expired ones are not counted"
        );
        assert_eq!(count_from("a", NOW + 600), 0);
    }

    // ------------------------------------------------------------ pending authorization requests

    pub fn a_pending_request_is_found_until_it_expires_and_can_be_updated_and_deleted(
        store: &Store,
    ) {
        let app = add_client(store, "app", Some("h"));
        add_pending(store, "p-1", app.id, "src", NOW + 60);
        add_pending(store, "p-2", app.id, "src", NOW + 60);

        assert_eq!(
            find_pending(store, "p-1", NOW).as_deref(),
            Some(r#"{"id":"p-1"}"#)
        );
        assert_eq!(find_pending(store, "p-unknown", NOW), None);
        assert_eq!(
            find_pending(store, "p-1", NOW + 59).as_deref(),
            Some(r#"{"id":"p-1"}"#)
        );
        assert_eq!(
            find_pending(store, "p-1", NOW + 60),
            None,
            "expired: not found"
        );

        store
            .write(|c| pending::update_pending(c, "p-1", r#"{"id":"p-1","step":2}"#))
            .unwrap();
        assert_eq!(
            find_pending(store, "p-1", NOW).as_deref(),
            Some(r#"{"id":"p-1","step":2}"#)
        );
        assert_eq!(
            find_pending(store, "p-2", NOW).as_deref(),
            Some(r#"{"id":"p-2"}"#),
            "only the named request changes"
        );

        store.write(|c| pending::delete_pending(c, "p-1")).unwrap();
        assert_eq!(find_pending(store, "p-1", NOW), None);
        assert!(find_pending(store, "p-2", NOW).is_some());
        store
            .write(|c| pending::delete_pending(c, "p-1"))
            .expect("deleting twice is not an error");
    }

    pub fn pending_requests_are_counted_per_source_while_unexpired(store: &Store) {
        let app = add_client(store, "app", Some("h"));
        let count_from = |source: &str, now| {
            store
                .read(|c| pending::count_pending_from(c, source, now))
                .unwrap()
        };
        assert_eq!(count_from("a", NOW), 0);
        add_pending(store, "p-1", app.id, "a", NOW + 60);
        add_pending(store, "p-2", app.id, "a", NOW + 10);
        add_pending(store, "p-3", app.id, "b", NOW + 60);
        add_pending(store, "p-4", app.id, "a", NOW - 1);

        assert_eq!(count_from("a", NOW), 2);
        assert_eq!(count_from("b", NOW), 1);
        assert_eq!(count_from("c", NOW), 0);
        assert_eq!(count_from("a", NOW + 10), 1, "expired ones are not counted");
    }

    // ------------------------------------------------------------ consents

    pub fn a_consent_is_kept_per_user_and_client_replaced_by_upsert_and_deleted(store: &Store) {
        let alice = add_user(store, "alice");
        let bob = add_user(store, "bob");
        let app = add_client(store, "app", Some("h"));
        let other = add_client(store, "other", Some("h"));
        let find = |user_id, client_pk| {
            store
                .read(|c| consents::find_consent(c, user_id, client_pk))
                .unwrap()
        };
        assert_eq!(find(alice.id, app.id), None);

        store
            .write(|c| consents::upsert_consent(c, alice.id, app.id, "openid email", NOW))
            .unwrap();
        store
            .write(|c| consents::upsert_consent(c, bob.id, app.id, "openid", NOW))
            .unwrap();
        assert_eq!(find(alice.id, app.id).as_deref(), Some("openid email"));
        assert_eq!(find(alice.id, other.id), None);

        store
            .write(|c| consents::upsert_consent(c, alice.id, app.id, "openid profile", NOW + 9))
            .unwrap();
        assert_eq!(
            find(alice.id, app.id).as_deref(),
            Some("openid profile"),
            "a new grant replaces the old one"
        );
        assert_eq!(count(store, "consents"), 2);
        let granted_at: i64 = crate::support::pg::inspect(store, |c| {
            c.query_row(
                "SELECT granted_at FROM consents WHERE user_id = ?1 AND client_pk = ?2",
                [alice.id, app.id],
                |r| r.get(0),
            )
        })
        .unwrap();
        assert_eq!(granted_at, NOW + 9);
        assert_eq!(find(bob.id, app.id).as_deref(), Some("openid"));

        store
            .write(|c| consents::delete_consent(c, alice.id, app.id))
            .unwrap();
        assert_eq!(find(alice.id, app.id), None);
        assert_eq!(find(bob.id, app.id).as_deref(), Some("openid"));
        store
            .write(|c| consents::delete_consent(c, alice.id, app.id))
            .expect("deleting twice is not an error");
    }

    pub fn a_users_apps_are_those_consented_signed_into_or_holding_a_live_refresh_token_by_name(
        store: &Store,
    ) {
        let alice = add_user(store, "alice");
        let bob = add_user(store, "bob");
        let consented = add_client(store, "zeta", Some("h"));
        let signed_in = add_client(store, "alpha", Some("h"));
        let holding = add_client(store, "mid", Some("h"));
        let used = add_client(store, "used", Some("h"));
        let revoked = add_client(store, "revoked", Some("h"));
        let expired = add_client(store, "expired", Some("h"));
        let bobs = add_client(store, "bobs", Some("h"));
        store
            .write(|c| {
                consents::upsert_consent(c, alice.id, consented.id, "openid email", NOW)?;
                consents::upsert_consent(c, bob.id, bobs.id, "openid", NOW)?;
                sessions::upsert_session_client(c, "sid-a", signed_in.id, alice.id, NOW)
            })
            .unwrap();
        add_refresh(
            store,
            live_refresh("r-mid", "f-mid", holding.id, alice.id, "j1"),
        );
        add_refresh(
            store,
            live_refresh("r-used", "f-used", used.id, alice.id, "j2"),
        );
        add_refresh(
            store,
            live_refresh("r-rev", "f-rev", revoked.id, alice.id, "j3"),
        );
        add_refresh(
            store,
            Refresh {
                expires_at: NOW,
                ..live_refresh("r-exp", "f-exp", expired.id, alice.id, "j4")
            },
        );
        store
            .write(|c| {
                let u = refresh::find_refresh_token(c, "r-used")?.expect("r-used");
                refresh::consume_refresh_token(c, u.id, NOW)?;
                refresh::revoke_refresh_family(c, "f-rev", NOW)
            })
            .unwrap();

        let apps = store
            .read(|c| consents::list_user_apps(c, alice.id, NOW))
            .unwrap();

        let listed: Vec<(&str, Option<&str>)> = apps
            .iter()
            .map(|a| (a.client_id.as_str(), a.scope.as_deref()))
            .collect();
        assert_eq!(
            listed,
            [
                ("alpha", None),
                ("mid", None),
                ("zeta", Some("openid email"))
            ],
            "sorted by name; used, revoked and expired tokens do not count"
        );
        assert_eq!(apps[2].client_pk, consented.id);
        assert_eq!(apps[2].name, "zeta");
        assert!(
            store
                .read(|c| consents::list_user_apps(c, alice.id + bob.id + 100, NOW))
                .unwrap()
                .is_empty()
        );
    }

    // ------------------------------------------------------------ groups

    pub fn groups_are_found_in_any_case_listed_by_name_and_unique_in_any_case(store: &Store) {
        assert!(store.read(groups::list_groups).unwrap().is_empty());
        let staff = store
            .write(|c| groups::insert_group(c, "staff", Some("Everyone at work"), NOW))
            .unwrap();
        store
            .write(|c| groups::insert_group(c, "admins", None, NOW + 1))
            .unwrap();

        assert_eq!(staff.name, "staff");
        assert_eq!(staff.description.as_deref(), Some("Everyone at work"));
        assert_eq!(staff.created_at, NOW);
        for spelling in ["staff", "STAFF", "Staff"] {
            let g = store
                .read(|c| groups::find_group(c, spelling))
                .unwrap()
                .unwrap_or_else(|| panic!("{spelling} not found"));
            assert_eq!((g.id, g.name.as_str()), (staff.id, "staff"));
        }
        assert!(matches!(
            store.read(|c| groups::get_group(c, "nobody")),
            Err(StoreError::NotFound(_))
        ));
        let res = store.write(|c| groups::insert_group(c, "Staff", Some("impostor"), NOW + 2));
        assert!(matches!(res, Err(StoreError::Conflict(_))), "{res:?}");

        let names: Vec<String> = store
            .read(groups::list_groups)
            .unwrap()
            .into_iter()
            .map(|g| g.name)
            .collect();
        assert_eq!(names, ["admins", "staff"]);
        let still = store.read(|c| groups::get_group(c, "staff")).unwrap();
        assert_eq!(still.description.as_deref(), Some("Everyone at work"));
    }

    pub fn group_members_are_added_and_removed_once_and_listed_from_both_sides(store: &Store) {
        let alice = add_user(store, "alice");
        let bob = add_user(store, "bob");
        let staff = store
            .write(|c| groups::insert_group(c, "staff", None, NOW))
            .unwrap();
        let admins = store
            .write(|c| groups::insert_group(c, "admins", None, NOW))
            .unwrap();
        let add = |g: i64, u: i64| {
            store
                .write(|c| groups::insert_member(c, g, u, NOW))
                .unwrap()
        };
        let remove = |g: i64, u: i64| store.write(|c| groups::delete_member(c, g, u)).unwrap();
        let members = |g: i64| store.read(|c| groups::list_member_usernames(c, g)).unwrap();
        let groups_of = |u: i64| store.read(|c| groups::list_user_group_names(c, u)).unwrap();

        assert!(add(staff.id, bob.id));
        assert!(add(staff.id, alice.id));
        assert!(add(admins.id, alice.id));
        assert!(!add(staff.id, alice.id), "already a member");
        assert_eq!(count(store, "group_members"), 3);

        assert_eq!(members(staff.id), ["alice", "bob"]);
        assert_eq!(groups_of(alice.id), ["admins", "staff"]);
        assert_eq!(groups_of(bob.id), ["staff"]);

        assert!(remove(staff.id, alice.id));
        assert!(!remove(staff.id, alice.id), "no longer a member");
        assert_eq!(members(staff.id), ["bob"]);
        assert_eq!(groups_of(alice.id), ["admins"]);
    }

    pub fn a_client_restricted_to_groups_admits_only_their_members(store: &Store) {
        let alice = add_user(store, "alice");
        let bob = add_user(store, "bob");
        let app = add_client(store, "app", Some("h"));
        let open = add_client(store, "open", Some("h"));
        let staff = store
            .write(|c| groups::insert_group(c, "staff", None, NOW))
            .unwrap();
        let admins = store
            .write(|c| groups::insert_group(c, "admins", None, NOW))
            .unwrap();
        store
            .write(|c| groups::insert_member(c, staff.id, alice.id, NOW))
            .unwrap();
        let may = |u: i64, cl: i64| {
            store
                .read(|c| groups::user_may_use_client(c, u, cl))
                .unwrap()
        };
        assert!(
            may(alice.id, app.id) && may(bob.id, app.id),
            "no groups: open to all"
        );

        store
            .write(|c| {
                groups::insert_client_allowed_group(c, app.id, staff.id)?;
                groups::insert_client_allowed_group(c, app.id, staff.id)?;
                groups::insert_client_allowed_group(c, app.id, admins.id)
            })
            .expect("allowing a group twice is not an error");

        assert_eq!(
            store
                .read(|c| groups::list_client_allowed_groups(c, app.id))
                .unwrap(),
            ["admins", "staff"]
        );
        assert_eq!(count(store, "client_allowed_groups"), 2);
        assert_eq!(
            store
                .read(|c| groups::list_clients_restricted_to(c, staff.id))
                .unwrap(),
            ["app"]
        );
        assert!(may(alice.id, app.id), "a member of an allowed group");
        assert!(!may(bob.id, app.id), "in no allowed group");
        assert!(may(bob.id, open.id), "other clients stay open");
        assert!(
            store
                .read(|c| groups::list_client_allowed_groups(c, open.id))
                .unwrap()
                .is_empty()
        );

        assert!(
            store
                .write(|c| groups::delete_client_allowed_group(c, app.id, staff.id))
                .unwrap()
        );
        assert!(
            !store
                .write(|c| groups::delete_client_allowed_group(c, app.id, staff.id))
                .unwrap()
        );
        assert!(
            !may(alice.id, app.id),
            "only admins now, and alice is not one"
        );
        assert!(
            store
                .write(|c| groups::delete_client_allowed_group(c, app.id, admins.id))
                .unwrap()
        );
        assert!(may(bob.id, app.id), "no groups left: open to all again");
    }

    pub fn a_group_restricting_a_client_cannot_be_deleted_and_the_refusal_changes_nothing(
        store: &Store,
    ) {
        let alice = add_user(store, "alice");
        let app = add_client(store, "app", Some("h"));
        let staff = store
            .write(|c| groups::insert_group(c, "staff", None, NOW))
            .unwrap();
        store
            .write(|c| {
                groups::insert_member(c, staff.id, alice.id, NOW)?;
                groups::insert_client_allowed_group(c, app.id, staff.id)
            })
            .unwrap();

        let res = store.write(|c| groups::delete_group(c, &staff));

        assert!(matches!(res, Err(StoreError::Conflict(_))), "{res:?}");
        assert!(
            store
                .read(|c| groups::find_group(c, "staff"))
                .unwrap()
                .is_some()
        );
        assert_eq!(
            store
                .read(|c| groups::list_user_group_names(c, alice.id))
                .unwrap(),
            ["staff"]
        );
        assert!(
            !store
                .read(|c| groups::user_may_use_client(c, alice.id + 100, app.id))
                .unwrap(),
            "the client is still restricted"
        );

        // Once no client depends on it, it goes, and its memberships with it.
        store
            .write(|c| {
                groups::delete_client_allowed_group(c, app.id, staff.id)?;
                groups::delete_group(c, &staff)
            })
            .unwrap();
        assert!(
            store
                .read(|c| groups::find_group(c, "staff"))
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .read(|c| groups::list_user_group_names(c, alice.id))
                .unwrap()
                .is_empty()
        );
        assert_eq!(count(store, "group_members"), 0);
    }

    // ------------------------------------------------------------ APIs

    fn api_scope(scope: &str, description: Option<&str>) -> apis::ApiScope {
        apis::ApiScope {
            scope: scope.to_owned(),
            description: description.map(str::to_owned),
        }
    }

    fn scope_names(api: &apis::Api) -> Vec<&str> {
        api.scopes.iter().map(|s| s.scope.as_str()).collect()
    }

    fn add_api(store: &Store, identifier: &str, name: &str, scopes: &[&str]) -> apis::Api {
        let scopes: Vec<apis::ApiScope> = scopes.iter().map(|s| api_scope(s, None)).collect();
        store
            .write(|c| apis::insert_api(c, identifier, name, &scopes, NOW))
            .expect("insert API")
    }

    pub fn an_api_round_trips_with_its_scopes_sorted_and_is_found_by_identifier(store: &Store) {
        assert!(store.read(apis::list_apis).unwrap().is_empty());
        assert!(store.read(apis::list_identifiers).unwrap().is_empty());
        let scopes = [
            api_scope("orders:write", Some("Place orders")),
            api_scope("orders:read", None),
        ];
        let inserted = store
            .write(|c| apis::insert_api(c, "https://orders.example", "Orders", &scopes, NOW))
            .unwrap();
        add_api(
            store,
            "https://billing.example",
            "Billing",
            &["billing:read"],
        );

        let found = store
            .read(|c| apis::find_api(c, "https://orders.example"))
            .unwrap()
            .expect("API found");
        for api in [&inserted, &found] {
            assert_eq!(api.id, inserted.id);
            assert_eq!(api.identifier, "https://orders.example");
            assert_eq!(api.name, "Orders");
            assert_eq!(api.created_at, NOW);
            assert_eq!(scope_names(api), ["orders:read", "orders:write"]);
            assert_eq!(api.scopes[0].description, None);
            assert_eq!(api.scopes[1].description.as_deref(), Some("Place orders"));
        }
        assert!(matches!(
            store.read(|c| apis::get_api(c, "https://nope.example")),
            Err(StoreError::NotFound(_))
        ));
        let listed: Vec<String> = store
            .read(apis::list_apis)
            .unwrap()
            .into_iter()
            .map(|a| a.identifier)
            .collect();
        assert_eq!(
            listed,
            ["https://billing.example", "https://orders.example"]
        );
        let mut identifiers = store.read(apis::list_identifiers).unwrap();
        identifiers.sort();
        assert_eq!(identifiers, listed);

        assert!(
            store
                .read(|c| apis::is_api_scope(c, "orders:read"))
                .unwrap()
        );
        assert!(!store.read(|c| apis::is_api_scope(c, "orders")).unwrap());
        assert_eq!(
            store
                .read(|c| apis::find_scope_owner(c, "orders:write"))
                .unwrap(),
            Some(("Orders".to_owned(), Some("Place orders".to_owned())))
        );
        assert_eq!(
            store
                .read(|c| apis::find_scope_owner(c, "billing:read"))
                .unwrap(),
            Some(("Billing".to_owned(), None))
        );
        assert_eq!(
            store.read(|c| apis::find_scope_owner(c, "openid")).unwrap(),
            None
        );
    }

    pub fn api_identifiers_and_scope_names_are_unique_and_a_refused_insert_changes_nothing(
        store: &Store,
    ) {
        let orders = add_api(store, "https://orders.example", "Orders", &["orders:read"]);

        let same_id = store
            .write(|c| apis::insert_api(c, "https://orders.example", "Impostor", &[], NOW + 1));
        assert!(
            matches!(same_id, Err(StoreError::Conflict(_))),
            "{same_id:?}"
        );

        // A new API that would take another API's scope: refused as a whole.
        let taken = [api_scope("shop:read", None), api_scope("orders:read", None)];
        let res = store.write(|c| apis::insert_api(c, "https://shop.example", "Shop", &taken, NOW));
        assert!(matches!(res, Err(StoreError::Conflict(_))), "{res:?}");
        assert!(
            store
                .read(|c| apis::find_api(c, "https://shop.example"))
                .unwrap()
                .is_none()
        );
        assert!(!store.read(|c| apis::is_api_scope(c, "shop:read")).unwrap());

        let again = store.write(|c| {
            apis::insert_api_scope(c, orders.id, &api_scope("orders:read", Some("dup")))
        });
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

        let all = store.read(apis::list_apis).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].name, "Orders");
        assert_eq!(scope_names(&all[0]), ["orders:read"]);
        assert_eq!(all[0].scopes[0].description, None);
    }

    pub fn client_api_scope_grants_are_idempotent_listed_per_api_and_revocable(store: &Store) {
        let orders = add_api(
            store,
            "https://orders.example",
            "Orders",
            &["orders:read", "orders:write"],
        );
        let billing = add_api(
            store,
            "https://billing.example",
            "Billing",
            &["billing:read"],
        );
        let app = add_client(store, "app", Some("h"));
        let other = add_client(store, "other", Some("h"));
        store
            .write(|c| {
                apis::insert_client_api_scope(c, app.id, "orders:write")?;
                apis::insert_client_api_scope(c, app.id, "orders:read")?;
                apis::insert_client_api_scope(c, app.id, "orders:read")?;
                apis::insert_client_api_scope(c, app.id, "billing:read")?;
                apis::insert_client_api_scope(c, other.id, "orders:read")
            })
            .expect("granting twice is not an error");
        assert_eq!(count(store, "client_api_scopes"), 4);
        let per_api = |cl: i64, api: i64| {
            store
                .read(|c| apis::list_client_api_scopes(c, cl, api))
                .unwrap()
        };

        assert_eq!(per_api(app.id, orders.id), ["orders:read", "orders:write"]);
        assert_eq!(per_api(app.id, billing.id), ["billing:read"]);
        assert_eq!(per_api(other.id, orders.id), ["orders:read"]);
        assert!(per_api(other.id, billing.id).is_empty());
        let pair = |a: &str, s: &str| (a.to_owned(), s.to_owned());
        assert_eq!(
            store.read(|c| apis::list_client_grants(c, app.id)).unwrap(),
            [
                pair("https://billing.example", "billing:read"),
                pair("https://orders.example", "orders:read"),
                pair("https://orders.example", "orders:write"),
            ]
        );

        assert!(
            store
                .write(|c| apis::delete_client_api_scope(c, app.id, "orders:write"))
                .unwrap()
        );
        assert!(
            !store
                .write(|c| apis::delete_client_api_scope(c, app.id, "orders:write"))
                .unwrap()
        );
        assert_eq!(per_api(app.id, orders.id), ["orders:read"]);
        assert_eq!(per_api(other.id, orders.id), ["orders:read"]);
    }

    pub fn deleting_an_api_or_one_of_its_scopes_removes_the_grants_of_it(store: &Store) {
        let orders = add_api(
            store,
            "https://orders.example",
            "Orders",
            &["orders:read", "orders:write"],
        );
        let billing = add_api(
            store,
            "https://billing.example",
            "Billing",
            &["billing:read"],
        );
        let app = add_client(store, "app", Some("h"));
        store
            .write(|c| {
                apis::insert_client_api_scope(c, app.id, "orders:read")?;
                apis::insert_client_api_scope(c, app.id, "orders:write")?;
                apis::insert_client_api_scope(c, app.id, "billing:read")
            })
            .unwrap();

        assert!(
            store
                .write(|c| apis::delete_api_scope(c, orders.id, "orders:write"))
                .unwrap()
        );
        assert!(
            !store
                .write(|c| apis::delete_api_scope(c, billing.id, "orders:read"))
                .unwrap(),
            "a scope is deleted only through its own API"
        );
        let orders_now = store
            .read(|c| apis::get_api(c, "https://orders.example"))
            .unwrap();
        assert_eq!(scope_names(&orders_now), ["orders:read"]);
        assert_eq!(
            store
                .read(|c| apis::list_client_api_scopes(c, app.id, orders.id))
                .unwrap(),
            ["orders:read"]
        );
        assert_eq!(
            count(store, "client_api_scopes"),
            2,
            "the grant went with the scope"
        );

        store.write(|c| apis::delete_api(c, orders.id)).unwrap();

        assert!(
            store
                .read(|c| apis::find_api(c, "https://orders.example"))
                .unwrap()
                .is_none()
        );
        assert!(
            !store
                .read(|c| apis::is_api_scope(c, "orders:read"))
                .unwrap()
        );
        assert_eq!(
            store.read(apis::list_identifiers).unwrap(),
            ["https://billing.example"]
        );
        assert_eq!(
            store.read(|c| apis::list_client_grants(c, app.id)).unwrap(),
            [(
                "https://billing.example".to_owned(),
                "billing:read".to_owned()
            )]
        );
        assert_eq!(count(store, "client_api_scopes"), 1);
        // The name is free again.
        add_api(
            store,
            "https://orders2.example",
            "Orders 2",
            &["orders:read"],
        );
    }

    // ------------------------------------------------------------ attributes and custom scopes

    pub fn user_attributes_are_upserted_listed_per_user_and_deleted(store: &Store) {
        let alice = add_user(store, "alice");
        let bob = add_user(store, "bob");
        let attrs = |u: i64| {
            store
                .read(|c| attributes::list_user_attributes(c, u))
                .unwrap()
                .into_iter()
                .collect::<Vec<_>>()
        };
        let kv = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert!(attrs(alice.id).is_empty());

        store
            .write(|c| {
                attributes::upsert_user_attribute(c, alice.id, "department", "sales")?;
                attributes::upsert_user_attribute(c, alice.id, "badge", "42")?;
                attributes::upsert_user_attribute(c, bob.id, "department", "ops")?;
                attributes::upsert_user_attribute(c, alice.id, "department", "legal")
            })
            .unwrap();

        assert_eq!(
            attrs(alice.id),
            [kv("badge", "42"), kv("department", "legal")],
            "an upsert replaces the value"
        );
        assert_eq!(attrs(bob.id), [kv("department", "ops")]);
        assert_eq!(count(store, "user_attributes"), 3);

        assert!(
            store
                .write(|c| attributes::delete_user_attribute(c, alice.id, "department"))
                .unwrap()
        );
        assert!(
            !store
                .write(|c| attributes::delete_user_attribute(c, alice.id, "department"))
                .unwrap()
        );
        assert_eq!(attrs(alice.id), [kv("badge", "42")]);
        assert_eq!(attrs(bob.id), [kv("department", "ops")]);
    }

    fn add_custom_scope(store: &Store, name: &str, claims: &[&str]) -> attributes::CustomScope {
        let claims: Vec<String> = claims.iter().map(|c| (*c).to_owned()).collect();
        store
            .write(|c| attributes::insert_custom_scope(c, name, Some("desc"), &claims, NOW))
            .expect("insert custom scope")
    }

    pub fn custom_scopes_round_trip_with_sorted_unique_claims_and_unique_names(store: &Store) {
        assert!(
            store
                .read(attributes::list_custom_scopes)
                .unwrap()
                .is_empty()
        );
        let inserted = add_custom_scope(store, "work", &["department", "badge", "department"]);
        add_custom_scope(store, "billing", &[]);

        let found = store
            .read(|c| attributes::find_custom_scope(c, "work"))
            .unwrap()
            .expect("found");
        for s in [&inserted, &found] {
            assert_eq!(s.name, "work");
            assert_eq!(s.description.as_deref(), Some("desc"));
            assert_eq!(s.claims, ["badge", "department"]);
            assert_eq!(s.created_at, NOW);
        }
        assert!(matches!(
            store.read(|c| attributes::get_custom_scope(c, "nope")),
            Err(StoreError::NotFound(_))
        ));

        let res = store.write(|c| {
            attributes::insert_custom_scope(c, "work", None, &["salary".to_owned()], NOW + 1)
        });
        assert!(matches!(res, Err(StoreError::Conflict(_))), "{res:?}");

        let list = store.read(attributes::list_custom_scopes).unwrap();
        let names: Vec<&str> = list.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["billing", "work"]);
        assert!(list[0].claims.is_empty());
        assert_eq!(
            list[1].claims,
            ["badge", "department"],
            "the refused insert added nothing"
        );
        assert_eq!(list[1].description.as_deref(), Some("desc"));
    }

    pub fn custom_scopes_release_the_union_of_their_claims_once_each(store: &Store) {
        add_custom_scope(store, "work", &["department", "badge"]);
        add_custom_scope(store, "hr", &["department", "manager"]);
        let claims = |scopes: &[&str]| {
            let mut v = store
                .read(|c| attributes::claims_of_scopes(c, scopes.iter().copied()))
                .unwrap();
            v.sort();
            v
        };

        assert_eq!(
            claims(&["openid", "work", "hr", "work"]),
            ["badge", "department", "manager"]
        );
        assert_eq!(claims(&["hr"]), ["department", "manager"]);
        assert!(
            claims(&["openid", "email"]).is_empty(),
            "standard scopes are not custom"
        );
        assert!(claims(&[]).is_empty());
    }

    pub fn deleting_a_custom_scope_removes_its_claims(store: &Store) {
        add_custom_scope(store, "work", &["department", "badge"]);
        add_custom_scope(store, "hr", &["manager"]);

        assert!(
            store
                .write(|c| attributes::delete_custom_scope(c, "work"))
                .unwrap()
        );
        assert!(
            !store
                .write(|c| attributes::delete_custom_scope(c, "work"))
                .unwrap()
        );

        assert!(
            store
                .read(|c| attributes::find_custom_scope(c, "work"))
                .unwrap()
                .is_none()
        );
        assert!(
            store
                .read(|c| attributes::claims_of_scopes(c, ["work"].into_iter()))
                .unwrap()
                .is_empty()
        );
        assert_eq!(count(store, "custom_scope_claims"), 1, "hr keeps its claim");
        let again = add_custom_scope(store, "work", &["team"]);
        assert_eq!(
            again.claims,
            ["team"],
            "a new scope of the same name starts empty"
        );
    }

    // ------------------------------------------------------------ known browsers

    pub fn a_known_browser_is_known_for_its_user_until_400_days_after_its_last_sign_in(
        store: &Store,
    ) {
        let ttl = known_browsers::KNOWN_BROWSER_TTL_SECS;
        assert_eq!(ttl, 400 * 86_400);
        let alice = add_user(store, "alice");
        let bob = add_user(store, "bob");
        let known = |token: &str, user: i64, now: i64| {
            store
                .read(|c| known_browsers::is_known_browser(c, token, user, now))
                .unwrap()
        };
        assert!(!known("browser-1", alice.id, NOW));

        store
            .write(|c| known_browsers::remember_browser(c, "browser-1", alice.id, NOW))
            .unwrap();

        assert!(known("browser-1", alice.id, NOW));
        assert!(known("browser-1", alice.id, NOW + ttl - 1));
        assert!(
            !known("browser-1", alice.id, NOW + ttl),
            "forgotten after 400 days"
        );
        assert!(!known("browser-1", bob.id, NOW), "known per user");
        assert!(!known("browser-2", alice.id, NOW));

        // Signing in again restarts the 400 days.
        store
            .write(|c| known_browsers::remember_browser(c, "browser-1", alice.id, NOW + 100))
            .unwrap();
        assert!(known("browser-1", alice.id, NOW + ttl));
        assert!(!known("browser-1", alice.id, NOW + 100 + ttl));
        assert_eq!(
            count(store, "known_browsers"),
            1,
            "one row per browser and user"
        );
        let (created_at, last_used_at): (i64, i64) = crate::support::pg::inspect(store, |c| {
            c.query_row(
                "SELECT created_at, last_used_at FROM known_browsers",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .unwrap();
        assert_eq!((created_at, last_used_at), (NOW, NOW + 100));

        store
            .write(|c| known_browsers::remember_browser(c, "browser-1", bob.id, NOW))
            .unwrap();
        assert!(
            known("browser-1", bob.id, NOW),
            "a shared browser is known to each user"
        );
        assert_eq!(count(store, "known_browsers"), 2);
    }

    // ------------------------------------------------------------ sessions: clients, sid, expiry

    pub fn a_session_is_found_by_its_sid(store: &Store) {
        let alice = add_user(store, "alice");
        let s = add_session(store, alice.id, "secret-1", NOW + 100);
        add_session(store, alice.id, "secret-2", NOW + 100);

        let found = store
            .read(|c| sessions::find_session_by_sid(c, "sid-secret-1"))
            .unwrap()
            .expect("found by sid");
        assert_eq!((found.id, found.user_id), (s.id, alice.id));
        assert!(
            store
                .read(|c| sessions::find_session_by_sid(c, "secret-1"))
                .unwrap()
                .is_none(),
            "the secret hash is not a sid"
        );
        store.write(|c| sessions::delete_session(c, s.id)).unwrap();
        assert!(
            store
                .read(|c| sessions::find_session_by_sid(c, "sid-secret-1"))
                .unwrap()
                .is_none()
        );
    }

    pub fn expired_sessions_are_those_past_their_lifetime_or_idle_too_long(store: &Store) {
        let alice = add_user(store, "alice");
        let lifetime_over = add_session(store, alice.id, "lifetime", NOW + 100);
        let live = add_session(store, alice.id, "live", NOW + 1000);
        let idle = add_session(store, alice.id, "idle", NOW + 1000);
        store
            .write(|c| {
                sessions::touch_session(c, lifetime_over.id, NOW + 50)?;
                sessions::touch_session(c, live.id, NOW + 1)
            })
            .unwrap();
        let expired = |now, idle_secs| {
            let mut sids: Vec<String> = store
                .read(|c| sessions::list_expired_sessions(c, now, idle_secs))
                .unwrap()
                .into_iter()
                .map(|s| s.sid)
                .collect();
            sids.sort();
            sids
        };

        assert!(expired(NOW + 99, 100).is_empty());
        assert_eq!(
            expired(NOW + 100, 100),
            ["sid-idle", "sid-lifetime"],
            "past the lifetime at `expires_at`; idle from `last_seen_at + idle` on"
        );
        assert_eq!(expired(NOW + 100, 1_000_000), ["sid-lifetime"]);
        assert_eq!(
            store
                .read(|c| sessions::find_session_by_secret(c, "idle"))
                .unwrap()
                .map(|s| s.id),
            Some(idle.id),
            "listing deletes nothing"
        );
    }

    pub fn live_sessions_are_counted_as_exactly_those_not_expired(store: &Store) {
        let alice = add_user(store, "alice");
        let lifetime_over = add_session(store, alice.id, "lifetime", NOW + 100);
        let live = add_session(store, alice.id, "live", NOW + 1000);
        add_session(store, alice.id, "idle", NOW + 1000);
        store
            .write(|c| {
                sessions::touch_session(c, lifetime_over.id, NOW + 50)?;
                sessions::touch_session(c, live.id, NOW + 1)
            })
            .unwrap();
        let live_count = |now, idle_secs| {
            let n = store
                .read(|c| sessions::count_live_sessions(c, now, idle_secs))
                .unwrap();
            let expired = store
                .read(|c| sessions::list_expired_sessions(c, now, idle_secs))
                .unwrap()
                .len() as i64;
            assert_eq!(n + expired, 3, "live and expired are complements");
            n
        };
        assert_eq!(live_count(NOW + 99, 100), 3);
        assert_eq!(
            live_count(NOW + 100, 100),
            1,
            "only the session seen at NOW + 1"
        );
        assert_eq!(live_count(NOW + 100, 1_000_000), 2);
    }

    pub fn session_clients_are_upserted_and_only_back_channel_clients_are_listed(store: &Store) {
        let alice = add_user(store, "alice");
        let bcl_a = add_client_with_backchannel(store, "bcl-a");
        let bcl_b = add_client_with_backchannel(store, "bcl-b");
        let plain = add_client(store, "plain", Some("h"));
        store
            .write(|c| {
                sessions::upsert_session_client(c, "sid-1", bcl_a.id, alice.id, NOW)?;
                sessions::upsert_session_client(c, "sid-1", plain.id, alice.id, NOW)?;
                sessions::upsert_session_client(c, "sid-2", bcl_b.id, alice.id, NOW)?;
                sessions::upsert_session_client(c, "sid-1", bcl_a.id, alice.id, NOW + 30)
            })
            .unwrap();
        let listed = |sid: &str| {
            let mut v = store
                .read(|c| sessions::list_backchannel_clients(c, sid))
                .unwrap();
            v.sort();
            v
        };

        assert_eq!(
            listed("sid-1"),
            [bcl_a.id],
            "clients without a back-channel URI are left out"
        );
        assert_eq!(listed("sid-2"), [bcl_b.id]);
        assert!(listed("sid-none").is_empty());
        assert_eq!(
            count(store, "session_clients"),
            3,
            "one row per session and client"
        );
        let (first_at, last_at): (i64, i64) = crate::support::pg::inspect(store, |c| {
            c.query_row(
                "SELECT first_at, last_at FROM session_clients WHERE sid = 'sid-1' AND client_pk = ?1",
                [bcl_a.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .unwrap();
        assert_eq!((first_at, last_at), (NOW, NOW + 30));

        store
            .write(|c| sessions::delete_session_clients(c, "sid-1"))
            .unwrap();
        assert!(listed("sid-1").is_empty());
        assert_eq!(listed("sid-2"), [bcl_b.id], "other sessions keep theirs");
        assert_eq!(count(store, "session_clients"), 1);
    }

    // ------------------------------------------------------------ refresh tokens: by session, by app

    pub fn revoking_a_sessions_refresh_tokens_spares_offline_and_other_sessions_tokens(
        store: &Store,
    ) {
        let alice = add_user(store, "alice");
        let app = add_client(store, "app", Some("h"));
        add_refresh(
            store,
            live_refresh("s1-a", "f1", app.id, alice.id, "j-s1-a"),
        );
        add_refresh(
            store,
            live_refresh("s1-b", "f2", app.id, alice.id, "j-s1-b"),
        );
        add_refresh(
            store,
            Refresh {
                sid: Some("sid-2"),
                ..live_refresh("s2", "f3", app.id, alice.id, "j-s2")
            },
        );
        add_refresh(
            store,
            Refresh {
                sid: None,
                ..live_refresh("offline", "f4", app.id, alice.id, "j-offline")
            },
        );

        let n = store
            .write(|c| refresh::revoke_session_refresh_tokens(c, "sid-1", NOW))
            .unwrap();

        assert_eq!(n, 2);
        assert_eq!(find_refresh(store, "s1-a").revoked_at, Some(NOW));
        assert_eq!(find_refresh(store, "s1-b").revoked_at, Some(NOW));
        assert!(find_refresh(store, "s2").revoked_at.is_none());
        assert!(find_refresh(store, "offline").revoked_at.is_none());
        assert!(jti_revoked(store, "j-s1-a") && jti_revoked(store, "j-s1-b"));
        assert!(!jti_revoked(store, "j-s2") && !jti_revoked(store, "j-offline"));
        assert_eq!(
            store
                .write(|c| refresh::revoke_session_refresh_tokens(c, "sid-1", NOW + 1))
                .unwrap(),
            0,
            "revoking twice changes nothing"
        );
    }

    pub fn revoking_a_users_tokens_at_one_client_spares_their_other_clients_and_other_users(
        store: &Store,
    ) {
        let alice = add_user(store, "alice");
        let bob = add_user(store, "bob");
        let app = add_client(store, "app", Some("h"));
        let other = add_client(store, "other", Some("h"));
        add_refresh(store, live_refresh("a-app", "f1", app.id, alice.id, "j1"));
        add_refresh(
            store,
            live_refresh("a-other", "f2", other.id, alice.id, "j2"),
        );
        add_refresh(store, live_refresh("b-app", "f3", app.id, bob.id, "j3"));

        let n = store
            .write(|c| refresh::revoke_user_client_refresh_tokens(c, alice.id, app.id, NOW))
            .unwrap();

        assert_eq!(n, 1);
        assert_eq!(find_refresh(store, "a-app").revoked_at, Some(NOW));
        assert!(find_refresh(store, "a-other").revoked_at.is_none());
        assert!(find_refresh(store, "b-app").revoked_at.is_none());
        assert!(jti_revoked(store, "j1"));
        assert!(!jti_revoked(store, "j2") && !jti_revoked(store, "j3"));
    }

    // ------------------------------------------------------------ audit: filtered search

    pub fn audit_events_are_found_by_person_client_and_time_newest_first(store: &Store) {
        let events = [
            (NOW, "login", Some("alice"), None, Some("app")),
            (NOW + 1, "user.disabled", Some("admin"), Some("alice"), None),
            (NOW + 2, "login", Some("bob"), None, Some("app")),
            (NOW + 3, "token", None, Some("alice"), Some("other")),
            (
                NOW + 4,
                "client.created",
                Some("admin"),
                None,
                Some("other"),
            ),
        ];
        for (at, kind, actor, subject, client_id) in events {
            store
                .write(|c| {
                    audit::insert_audit_event(
                        c,
                        &audit::AuditEvent {
                            at,
                            kind: kind.into(),
                            actor: actor.map(Into::into),
                            subject: subject.map(Into::into),
                            client_id: client_id.map(Into::into),
                            ..Default::default()
                        },
                    )
                })
                .unwrap();
        }
        let find = |people: &[&str], client_id: Option<&str>, since: Option<i64>, limit| {
            let f = audit::AuditFilter {
                people: people.iter().map(|p| (*p).to_owned()).collect(),
                client_id: client_id.map(Into::into),
                since,
                limit,
                ..Default::default()
            };
            store
                .read(|c| audit::find_audit_events(c, &f))
                .unwrap()
                .into_iter()
                .map(|e| e.at - NOW)
                .collect::<Vec<_>>()
        };

        assert_eq!(
            find(&[], None, None, 10),
            [4, 3, 2, 1, 0],
            "no filter: all, newest first"
        );
        assert_eq!(find(&[], None, None, 2), [4, 3]);
        assert_eq!(
            find(&["alice"], None, None, 10),
            [3, 1, 0],
            "as actor or as subject"
        );
        assert_eq!(find(&["alice", "bob"], None, None, 10), [3, 2, 1, 0]);
        assert_eq!(
            find(&["ALICE"], None, None, 10),
            [] as [i64; 0],
            "people match exactly"
        );
        assert_eq!(find(&[], Some("app"), None, 10), [2, 0]);
        assert_eq!(
            find(&[], None, Some(NOW + 3), 10),
            [4, 3],
            "since is inclusive"
        );
        assert_eq!(
            find(&["alice"], Some("other"), Some(NOW + 1), 10),
            [3],
            "filters combine"
        );
        assert_eq!(find(&["nobody"], None, None, 10), [] as [i64; 0]);
    }

    // ------------------------------------------------------------ users: leftovers

    pub fn disabled_users_still_holding_live_sessions_or_refresh_tokens_are_listed(store: &Store) {
        let app = add_client(store, "app", Some("h"));
        let with_session = add_user(store, "alice");
        let with_token = add_user(store, "dave");
        let clean = add_user(store, "bob");
        let enabled = add_user(store, "carol");
        add_session(store, with_session.id, "s-alice", NOW + 100);
        add_session(store, with_session.id, "s-alice-old", NOW);
        add_refresh(
            store,
            live_refresh("r-dave", "f1", app.id, with_token.id, "j1"),
        );
        add_session(store, clean.id, "s-bob-old", NOW);
        add_refresh(
            store,
            live_refresh("r-bob-used", "f2", app.id, clean.id, "j2"),
        );
        add_refresh(
            store,
            live_refresh("r-bob-rev", "f3", app.id, clean.id, "j3"),
        );
        add_session(store, enabled.id, "s-carol", NOW + 100);
        store
            .write(|c| {
                let used = refresh::find_refresh_token(c, "r-bob-used")?.expect("r-bob-used");
                refresh::consume_refresh_token(c, used.id, NOW)?;
                refresh::revoke_refresh_family(c, "f3", NOW)?;
                for u in [&with_session, &with_token, &clean] {
                    users::update_user_disabled(c, u.id, true, NOW)?;
                }
                Ok::<_, StoreError>(())
            })
            .unwrap();

        let listed = store
            .read(|c| users::list_disabled_users_with_grants(c, NOW))
            .unwrap();

        assert_eq!(
            listed,
            [("alice".to_owned(), 1, 0), ("dave".to_owned(), 0, 1)],
            "expired sessions and used or revoked tokens are not leftovers"
        );
    }

    // ------------------------------------------------------------ clients: updates

    pub fn client_name_and_scope_updates_change_only_that_client(store: &Store) {
        let app = add_client(store, "app", Some("h"));
        add_client(store, "other", Some("h"));
        let scopes = vec![
            "openid".to_owned(),
            "profile".to_owned(),
            "orders:read".to_owned(),
        ];

        store
            .write(|c| {
                clients::update_client_name(c, app.id, "The Shop", NOW + 5)?;
                clients::update_client_scopes(c, app.id, &scopes, NOW + 5)
            })
            .unwrap();

        let after = store.read(|c| clients::get_client(c, "app")).unwrap();
        assert_eq!(after.name, "The Shop");
        assert_eq!(after.scopes, scopes);
        assert_eq!(after.secret_hash.as_deref(), Some("h"));
        assert_eq!(after.redirect_uris, app.redirect_uris);
        let other = store.read(|c| clients::get_client(c, "other")).unwrap();
        assert_eq!(other.name, "other");
        assert_eq!(other.scopes, ["openid", "email"]);
    }

    pub fn a_settings_update_replaces_every_setting_and_list_of_that_client_only_and_keeps_its_secret(
        store: &Store,
    ) {
        let app = add_client(store, "app", Some("h"));
        let other = add_client(store, "other", Some("h"));
        store
            .write(|c| clients::add_web_origins(c, app.id, &["https://old.example".to_owned()]))
            .unwrap();
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (grants, scopes) = (strings(&["client_credentials"]), strings(&["openid"]));
        let (login, logout) = (
            strings(&["https://new.example/cb", "https://new.example/cb2"]),
            strings(&["https://new.example/bye"]),
        );
        let origins = strings(&["https://cdn.example"]);

        store
            .write(|c| {
                clients::update_client_settings(
                    c,
                    app.id,
                    &clients::ClientSettingsRow {
                        name: "New",
                        grant_types: &grants,
                        scopes: &scopes,
                        skip_consent: true,
                        require_pkce: false,
                        id_token_alg: "EdDSA",
                        backchannel_logout_uri: Some("https://new.example/bcl"),
                        require_mfa: true,
                        redirect_uris: &login,
                        post_logout_redirect_uris: &logout,
                        web_origins: &origins,
                    },
                    NOW + 50,
                )
            })
            .unwrap();

        let after = store.read(|c| clients::get_client(c, "app")).unwrap();
        assert_eq!(after.name, "New");
        assert_eq!(after.grant_types, grants);
        assert_eq!(after.scopes, scopes);
        assert!(after.skip_consent && !after.require_pkce && after.require_mfa);
        assert_eq!(after.id_token_alg, "EdDSA");
        assert_eq!(
            after.backchannel_logout_uri.as_deref(),
            Some("https://new.example/bcl")
        );
        assert_eq!(after.redirect_uris, login);
        assert_eq!(after.post_logout_redirect_uris, logout);
        assert_eq!(
            after.extra_web_origins, origins,
            "the old extra origin is gone"
        );
        assert_eq!(after.secret_hash.as_deref(), Some("h"));
        assert_eq!(
            store.read(clients::list_secret_set_at).unwrap(),
            [("app".to_owned(), NOW), ("other".to_owned(), NOW)],
            "a settings change is not a new secret"
        );
        let untouched = store.read(|c| clients::get_client(c, "other")).unwrap();
        assert_eq!(untouched.redirect_uris, other.redirect_uris);
        assert_eq!(untouched.name, "other");
        let missing = store.write(|c| {
            clients::update_client_settings(
                c,
                9999,
                &clients::ClientSettingsRow {
                    name: "x",
                    grant_types: &grants,
                    scopes: &scopes,
                    skip_consent: false,
                    require_pkce: true,
                    id_token_alg: "RS256",
                    backchannel_logout_uri: None,
                    require_mfa: false,
                    redirect_uris: &[],
                    post_logout_redirect_uris: &[],
                    web_origins: &[],
                },
                NOW,
            )
        });
        assert!(
            matches!(missing, Err(StoreError::NotFound(_))),
            "{missing:?}"
        );
    }

    pub fn secret_set_times_are_listed_for_confidential_clients_and_move_on_rotation(
        store: &Store,
    ) {
        add_client(store, "zeta", Some("h"));
        let app = add_client(store, "app", Some("h"));
        add_client(store, "spa", None);
        let set_at = || store.read(clients::list_secret_set_at).unwrap();
        let at = |id: &str, t: i64| (id.to_owned(), t);

        assert_eq!(
            set_at(),
            [at("app", NOW), at("zeta", NOW)],
            "public clients have no secret"
        );

        store
            .write(|c| clients::update_client_secret(c, app.id, "h2", NOW + 100))
            .unwrap();
        assert_eq!(set_at(), [at("app", NOW + 100), at("zeta", NOW)]);

        // A rename or a scope change is not a new secret.
        let scopes = vec!["openid".to_owned()];
        store
            .write(|c| {
                clients::update_client_name(c, app.id, "App", NOW + 500)?;
                clients::update_client_scopes(c, app.id, &scopes, NOW + 600)
            })
            .unwrap();
        assert_eq!(set_at(), [at("app", NOW + 100), at("zeta", NOW)]);
    }

    // ------------------------------------------------------------ cascades

    pub fn deleting_a_user_removes_their_consents_groups_attributes_browsers_codes_and_approvals(
        store: &Store,
    ) {
        let alice = add_user(store, "alice");
        let bob = add_user(store, "bob");
        let app = add_client(store, "app", Some("h"));
        let tv = add_client(store, "tv", None);
        let staff = store
            .write(|c| groups::insert_group(c, "staff", None, NOW))
            .unwrap();
        for (u, n) in [(&alice, "a"), (&bob, "b")] {
            store
                .write(|c| {
                    consents::upsert_consent(c, u.id, app.id, "openid", NOW)?;
                    groups::insert_member(c, staff.id, u.id, NOW)?;
                    attributes::upsert_user_attribute(c, u.id, "team", n)?;
                    known_browsers::remember_browser(c, "browser", u.id, NOW)?;
                    sessions::upsert_session_client(c, &format!("sid-{n}"), app.id, u.id, NOW)
                })
                .unwrap();
            add_code(store, &code(&format!("code-{n}"), app.id, u.id, NOW + 60));
            let d = add_device(
                store,
                &new_device(&format!("dc-{n}"), &format!("uc-{n}"), tv.id, "src"),
            );
            let who = approval(u.id);
            assert!(
                store
                    .write(|c| device::decide_device(c, d.id, Some(&who), NOW))
                    .unwrap()
            );
        }
        add_device(
            store,
            &new_device("dc-undecided", "uc-undecided", tv.id, "src"),
        );

        store.write(|c| users::delete_user(c, alice.id)).unwrap();

        let consent = |u: i64| {
            store
                .read(|c| consents::find_consent(c, u, app.id))
                .unwrap()
        };
        assert_eq!(consent(alice.id), None);
        assert_eq!(consent(bob.id).as_deref(), Some("openid"));
        let members = store
            .read(|c| groups::list_member_usernames(c, staff.id))
            .unwrap();
        assert_eq!(members, ["bob"]);
        assert!(
            store
                .read(|c| attributes::list_user_attributes(c, alice.id))
                .unwrap()
                .is_empty()
        );
        assert_eq!(count(store, "user_attributes"), 1);
        assert!(
            !store
                .read(|c| known_browsers::is_known_browser(c, "browser", alice.id, NOW))
                .unwrap()
        );
        assert_eq!(count(store, "known_browsers"), 1);
        assert_eq!(count(store, "session_clients"), 1);
        assert!(matches!(
            consume_code(store, "code-a", NOW + 1),
            Consumed::Invalid
        ));
        assert!(matches!(
            consume_code(store, "code-b", NOW + 1),
            Consumed::Fresh(_)
        ));
        assert!(
            store
                .read(|c| device::find_device_by_device_code(c, "dc-a"))
                .unwrap()
                .is_none(),
            "a request alice approved can no longer be issued"
        );
        assert_eq!(find_device(store, "dc-b").status, DeviceStatus::Approved);
        assert_eq!(
            find_device(store, "dc-undecided").status,
            DeviceStatus::Pending
        );
    }

    pub fn deleting_a_client_removes_everything_held_for_it_and_nothing_else(store: &Store) {
        let alice = add_user(store, "alice");
        let staff = store
            .write(|c| groups::insert_group(c, "staff", None, NOW))
            .unwrap();
        add_api(store, "https://orders.example", "Orders", &["orders:read"]);
        let gone = add_client_with_backchannel(store, "gone");
        let kept = add_client_with_backchannel(store, "kept");
        for (cl, n) in [(&gone, "g"), (&kept, "k")] {
            store
                .write(|c| {
                    consents::upsert_consent(c, alice.id, cl.id, "openid", NOW)?;
                    groups::insert_client_allowed_group(c, cl.id, staff.id)?;
                    apis::insert_client_api_scope(c, cl.id, "orders:read")?;
                    sessions::upsert_session_client(c, "sid-1", cl.id, alice.id, NOW)?;
                    backchannel::insert_outbox(c, cl.id, "sub-alice", "sid-1", "logout", NOW)
                })
                .unwrap();
            add_code(
                store,
                &code(&format!("code-{n}"), cl.id, alice.id, NOW + 60),
            );
            add_pending(store, &format!("p-{n}"), cl.id, "src", NOW + 60);
            add_device(
                store,
                &new_device(&format!("dc-{n}"), &format!("uc-{n}"), cl.id, "src"),
            );
        }

        store.write(|c| clients::delete_client(c, gone.id)).unwrap();

        let apps: Vec<String> = store
            .read(|c| consents::list_user_apps(c, alice.id, NOW))
            .unwrap()
            .into_iter()
            .map(|a| a.client_id)
            .collect();
        assert_eq!(apps, ["kept"]);
        assert_eq!(count(store, "consents"), 1);
        assert_eq!(
            store
                .read(|c| groups::list_clients_restricted_to(c, staff.id))
                .unwrap(),
            ["kept"]
        );
        assert_eq!(count(store, "client_api_scopes"), 1);
        assert_eq!(
            store
                .read(|c| sessions::list_backchannel_clients(c, "sid-1"))
                .unwrap(),
            [kept.id]
        );
        let due: Vec<i64> = store
            .read(|c| backchannel::list_due_outbox(c, NOW, &[], 10))
            .unwrap()
            .into_iter()
            .map(|i| i.client_pk)
            .collect();
        assert_eq!(due, [kept.id]);
        assert!(matches!(
            consume_code(store, "code-g", NOW + 1),
            Consumed::Invalid
        ));
        assert!(matches!(
            consume_code(store, "code-k", NOW + 1),
            Consumed::Fresh(_)
        ));
        assert_eq!(find_pending(store, "p-g", NOW), None);
        assert!(find_pending(store, "p-k", NOW).is_some());
        assert!(
            store
                .read(|c| device::find_device_by_device_code(c, "dc-g"))
                .unwrap()
                .is_none()
        );
        find_device(store, "dc-k");
        // The group and the API scope belong to no client and stay.
        store.read(|c| groups::get_group(c, "staff")).unwrap();
        assert!(
            store
                .read(|c| apis::is_api_scope(c, "orders:read"))
                .unwrap()
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

    // Passkeys (migration 0011) in a file of their own.
    mod passkeys;
    pub use passkeys::*;

    // Admin keys and the admin lists (migration 0012).
    mod admin;
    pub use admin::*;

    // The queues several nodes share: notices and mails claimed once.
    mod queues;
    pub use queues::*;
    // Upkeep by one node at a time and the signing keys' version (issue 19).
    mod upkeep;
    pub use upkeep::*;
}
