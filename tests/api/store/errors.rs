//! A store that cannot serve right now (here: another process holds the database's write lock
//! for longer than the busy timeout) is answered with 503 and `Retry-After`, never a bare 500.

use crate::support::*;
use latchkey::store::rusqlite::Connection;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_locked_by_another_process_is_503_with_retry_after_not_500() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            client_id: "tv",
            public: true,
            grant_types: &["urn:ietf:params:oauth:grant-type:device_code"],
            redirect_uris: vec![],
            ..ClientSpec::default()
        },
    );
    add_client(&app, &ClientSpec::default());

    // Another process (a CLI command, a backup tool) holds the write lock.
    let locker = Connection::open(db_path(app.data_path())).unwrap();
    locker.execute_batch("BEGIN IMMEDIATE").unwrap();

    let device = post_form(&app, "/device_authorization", &[("client_id", "tv")], None);
    let authorize = fresh_browser().get(AuthReq::new("app").url(&app)).send();
    let (device, authorize) = tokio::join!(device, authorize);
    locker.execute_batch("COMMIT").unwrap();

    assert!(device.headers().get("retry-after").is_some());
    assert_oauth_error(device, 503, "temporarily_unavailable").await;
    let page = authorize.unwrap();
    assert_eq!(page.status(), 503);
    assert!(page.headers().get("retry-after").is_some());
    let html = page.text().await.unwrap();
    assert!(html.contains("Temporarily unavailable"), "{html}");

    // Once the lock is gone, everything works again.
    let res = post_form(&app, "/device_authorization", &[("client_id", "tv")], None).await;
    assert_eq!(res.status(), 200);
    let res = fresh_browser()
        .get(AuthReq::new("app").url(&app))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}
