use crate::support::*;
use latchkey::clock::FixedClock;
use latchkey::store::{keys, users};
use std::sync::Arc;

#[tokio::test]
async fn healthz_answers_200_with_status_ok_json_and_no_store() {
    let app = spawn_app().await;

    let res = app.get("/healthz").await;

    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "content-type: {content_type}"
    );
    let body: serde_json::Value = res.json().await.expect("JSON body");
    assert_eq!(body, serde_json::json!({ "status": "ok" }));
}

#[tokio::test]
async fn server_listens_on_the_port_it_reports() {
    let app = spawn_app().await;

    assert_ne!(app.port, 0);
    assert_eq!(app.address, format!("http://127.0.0.1:{}", app.port));
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}

#[tokio::test]
async fn first_start_creates_the_database_in_the_data_dir() {
    let app = spawn_app().await;

    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
    let db = db_path(app.data_dir.path());
    assert!(db.is_file(), "{} should exist", db.display());
    assert!(std::fs::metadata(&db).unwrap().len() > 0);
    assert_eq!(app.store.read(users::count_users).unwrap(), 0);
}

#[tokio::test]
async fn first_start_creates_a_missing_nested_data_dir() {
    let app = spawn_app_with(|s| s.data_dir = s.data_dir.join("nested").join("deeper")).await;

    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
    let db = app.data_path().join("latchkey.db");
    assert!(db.is_file(), "{} should exist", db.display());
    assert!(app.data_path().starts_with(app.data_dir.path()));
}

#[tokio::test]
async fn first_start_creates_one_active_signing_key_per_algorithm_stamped_with_the_clock() {
    let clock = FixedClock::new(1_700_000_000);
    let app = spawn_app_with_clock(|_| {}, Arc::new(clock)).await;

    let stored = app.store.read(|c| keys::list_keys(c, 0)).unwrap();
    let mut algs: Vec<&str> = stored.iter().map(|k| k.alg.as_str()).collect();
    algs.sort_unstable();
    assert_eq!(algs, ["ES256", "EdDSA", "RS256"]);
    assert!(stored.iter().all(|k| k.retired_at.is_none()));
    assert!(stored.iter().all(|k| k.created_at == 1_700_000_000));
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let app = spawn_app().await;

    assert_eq!(app.get("/no-such-page").await.status().as_u16(), 404);
}

#[tokio::test]
async fn healthz_answers_503_when_the_database_file_is_gone() {
    let app = spawn_app().await;
    let db = app.data_path().join("latchkey.db");
    std::fs::remove_file(&db).expect("remove the database file");
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["status"], "unavailable");
}

#[cfg(unix)]
#[tokio::test]
async fn first_start_creates_the_data_dir_and_database_readable_by_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let nested = parent.path().join("latchkey-data");
    let app = crate::support::spawn_app_with(move |s| s.data_dir = nested).await;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(app.data_path()), 0o700);
    let db = app.data_path().join("latchkey.db");
    assert_eq!(mode(&db), 0o600);
    let wal = app.data_path().join("latchkey.db-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600);
    }
}
