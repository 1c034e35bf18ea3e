//! A backup taken under write load and restored: everything acknowledged before it began is
//! there, the copy is sound, and a restore keeps the database it replaces.

use super::*;
use latchkey::clock::SystemClock;
use latchkey::store::{Store, StoreError, clients, users};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Users and clients written one transaction each through the server's own store, until `stop`;
/// a name goes into `acked` once its write returned (durable, acknowledged).
fn store_writer(
    store: Store,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<String>>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut i = 0;
        while !stop.load(Ordering::Relaxed) {
            let name = format!("user{i}");
            store
                .write(|c| {
                    users::insert_user(
                        c,
                        &users::NewUser {
                            subject: &format!("subject-{i}"),
                            username: &name,
                            email: "someone@example.com",
                            email_verified: true,
                            name: None,
                            password_hash: "$argon2id$not-used",
                            is_admin: false,
                        },
                        1_700_000_000,
                    )?;
                    // A client and its redirect URI in one transaction: a half-written one
                    // would show as a client without its URI.
                    clients::insert_client(
                        c,
                        &clients::NewClient {
                            client_id: &format!("client{i}"),
                            name: "a client",
                            secret_hash: None,
                            grant_types: &["authorization_code".to_owned()],
                            scopes: &["openid".to_owned()],
                            skip_consent: false,
                            require_pkce: true,
                            id_token_alg: "RS256",
                            backchannel_logout_uri: None,
                            redirect_uris: &[format!("https://client{i}.example/cb")],
                            post_logout_redirect_uris: &[],
                            web_origins: &[],
                        },
                        1_700_000_000,
                    )?;
                    Ok::<_, StoreError>(())
                })
                .expect("write");
            acked.lock().unwrap().push(name);
            i += 1;
        }
    })
}

fn snapshot(v: &Mutex<Vec<String>>) -> Vec<String> {
    v.lock().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_write_load_restores_everything_acknowledged_before_it_began() {
    let (app, secret) = app_with_client().await;
    // Some bulk (~8 MB), so the copy takes more than one step (4 MiB) while the writers go on.
    app.store
        .write(|c| {
            for i in 0..30_000 {
                latchkey::store::audit::insert_audit_event(
                    c,
                    &latchkey::store::audit::AuditEvent {
                        at: latchkey::clock::Clock::now(&SystemClock),
                        kind: "bulk".into(),
                        detail: Some(format!("{i:0>200}")),
                        ..Default::default()
                    },
                )?;
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let acked_users = Arc::new(Mutex::new(Vec::new()));
    let acked_tokens = Arc::new(Mutex::new(Vec::<String>::new()));
    let writer = store_writer(app.store.clone(), stop.clone(), acked_users.clone());
    // Refresh tokens through the real server: sign-in, code, token, in a loop.
    let app = Arc::new(app);
    let http = {
        let (app, stop, acked, secret) = (
            app.clone(),
            stop.clone(),
            acked_tokens.clone(),
            secret.clone(),
        );
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let t = tokens(
                    &app,
                    "app",
                    Some(&secret),
                    &[("scope", "openid offline_access")],
                )
                .await;
                acked
                    .lock()
                    .unwrap()
                    .push(str_of(&t, "refresh_token").to_owned());
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked_tokens.lock().unwrap().len() < 3 || acked_users.lock().unwrap().len() < 20 {
        assert!(Instant::now() < deadline, "the writers make no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("latchkey-backup.db");
    let (users_before, tokens_before) = (snapshot(&acked_users), snapshot(&acked_tokens));
    let report = {
        let (dir, file) = (app.data_path().to_owned(), file.clone());
        tokio::task::spawn_blocking(move || backup(&dir, &file))
            .await
            .unwrap()
    };
    let users_after = snapshot(&acked_users);
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    http.await.unwrap();

    assert!(
        users_after.len() > users_before.len(),
        "writes went on while the backup ran"
    );
    assert!(report["bytes"].as_u64().unwrap() > 4 << 20, "{report}");
    assert_eq!(
        mode(&file),
        0o600,
        "the backup is readable by its owner only"
    );
    assert_eq!(
        report["schema_version"],
        latchkey::store::migrate::latest_version()
    );
    let backed_up_users = report["users"].as_u64().unwrap() as usize;
    assert!(
        backed_up_users > users_before.len(),
        "alice and every acknowledged user: {report}"
    );
    assert!(backed_up_users <= users_after.len() + 1, "{report}");
    assert_eq!(
        listing(out_dir.path()),
        ["latchkey-backup.db"],
        "no temporary file is left"
    );

    // Restore into a fresh data dir and start a server on it.
    let fresh = tempfile::tempdir().unwrap();
    let restored = run_cli(
        fresh.path(),
        &["restore", file.to_str().unwrap(), "--json"],
        None,
    )
    .json();
    assert_eq!(restored["users"], report["users"]);
    assert_eq!(restored["refresh_tokens"], report["refresh_tokens"]);
    assert!(
        restored.get("previous").is_none(),
        "there was nothing to keep"
    );
    assert_eq!(mode(&db_path(fresh.path())), 0o600);
    let new = spawn_app_in(fresh, |_| {}, Arc::new(SystemClock)).await;

    let names: std::collections::HashSet<String> = new
        .store
        .read(users::list_users)
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    for u in &users_before {
        assert!(
            names.contains(u),
            "{u} was acknowledged before the backup began"
        );
    }
    for c in new.store.read(clients::list_clients).unwrap() {
        if c.client_id != "app" {
            assert_eq!(
                c.redirect_uris,
                [format!("https://{}.example/cb", c.client_id)],
                "a client is there whole or not at all"
            );
        }
    }
    for t in &tokens_before {
        let res = refresh(&new, "app", &secret, t, None).await;
        assert_eq!(
            res.status(),
            200,
            "a refresh token issued before the backup works"
        );
    }
    // The audit log came along intact, its chain included.
    new.cli(&["audit", "verify"], None).ok();
}

#[test]
fn a_restore_keeps_the_database_it_replaces_with_the_writes_still_in_its_wal() {
    let dir = data_dir_with_users(&["alice"]);
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("backup.db");
    backup(dir.path(), &file);
    // bob is written while a server holds the database open, and the server then dies: bob is
    // only in the WAL.
    let server = ChildServer::start(dir.path());
    add_user_cli(dir.path(), "bob");
    server.kill();
    let wal = dir.path().join("latchkey.db-wal");
    assert!(
        std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) > 0,
        "bob's write is in the WAL"
    );

    let report = run_cli(
        dir.path(),
        &["restore", file.to_str().unwrap(), "--json"],
        None,
    )
    .json();

    let kept = dir.path().join("latchkey.db.before-restore");
    assert_eq!(report["previous"], kept.display().to_string());
    assert_eq!(
        usernames(&db_path(dir.path())),
        ["alice"],
        "the backup is in place"
    );
    assert_eq!(
        listing(dir.path()),
        [
            "latchkey.db",
            "latchkey.db.before-restore",
            "latchkey.lock",
            "secret.key"
        ],
        "no WAL or shared-memory file of the old database is left to pair with the new one"
    );
    assert_eq!(
        usernames(&kept),
        ["alice", "bob"],
        "the kept database holds what was only in its WAL"
    );
    assert_eq!(mode(&kept), 0o600);
    // Commands and the server work on the restored database.
    let list = run_cli(dir.path(), &["user", "list", "--json"], None).json();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");

    // A second restore would overwrite the kept copy: refused.
    let err = run_cli(dir.path(), &["restore", file.to_str().unwrap()], None)
        .one_line_error()
        .to_owned();
    assert!(err.contains("latchkey.db.before-restore exists"), "{err}");
}
