//! Renewed certificates are picked up by a running `latchkey serve` (on SIGHUP, or by watching
//! the files) for new connections, while connections opened before keep working; a bad renewal
//! is logged and the old certificate stays.

use crate::support::*;
use std::time::{Duration, Instant};

/// Until a fresh connection presents `want` (at most 20 s), keep using `old` (a connection
/// opened before the renewal): every answer on it must be 200 over the unchanged first
/// certificate, i.e. the same connection, never dropped.
async fn wait_for_new_cert_while_old_connection_works(
    ca: &TestCa,
    server: &TlsServer,
    old: &reqwest::Client,
    old_cert: &[u8],
    want: &[u8],
) {
    let port = server.port;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, seen) = healthz_over(old, port).await;
        assert_eq!(status, 200);
        assert_eq!(seen, old_cert, "the open connection is the one from before");
        let (status, fresh) = healthz_over(&https_client(ca, port), port).await;
        assert_eq!(status, 200);
        if fresh == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "a new connection did not get the renewed certificate within 20 s; log:\n{}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn sighup_serves_a_renewed_certificate_to_new_connections_and_keeps_open_ones() {
    let ca = TestCa::new();
    let dir = cert_dir();
    let first = ca.localhost();
    let files = first.install(dir.path());
    // Polling off: only the signal can cause the reload.
    let mut server = TlsServer::start(&ca, &files, &[("LATCHKEY_TLS_RELOAD_POLL_SECS", "0")]).await;
    let old = https_client(&ca, server.port);
    let (_, seen) = healthz_over(&old, server.port).await;
    assert_eq!(seen, first.der);

    let renewed = ca.localhost();
    renewed.install(dir.path());
    server.sighup();

    wait_for_new_cert_while_old_connection_works(&ca, &server, &old, &first.der, &renewed.der)
        .await;
    assert!(server.is_running(), "SIGHUP does not stop the server");
    let line = server
        .wait_for_log("TLS certificate reloaded (SIGHUP)")
        .await;
    assert!(line.contains("INFO"), "{line}");
}

#[tokio::test]
async fn a_bad_renewal_is_logged_and_the_previous_certificate_stays_in_use() {
    let ca = TestCa::new();
    let dir = cert_dir();
    let first = ca.localhost();
    let files = first.install(dir.path());
    let server = TlsServer::start(&ca, &files, &[("LATCHKEY_TLS_RELOAD_POLL_SECS", "0")]).await;

    replace_file(&files.cert, b"-----BEGIN CERTIFICATE-----\ngarbage\n");
    server.sighup();
    let line = server.wait_for_log("TLS certificate not reloaded").await;
    assert!(line.contains("WARN") && line.contains("tls_cert"), "{line}");
    let (status, seen) = healthz_over(&https_client(&ca, server.port), server.port).await;
    assert_eq!(
        (status, seen),
        (200, first.der.clone()),
        "still the old certificate"
    );

    // A new certificate whose key has not been written yet: not loaded either.
    let renewed = ca.localhost();
    replace_file(&files.cert, renewed.cert_pem.as_bytes());
    server.sighup();
    server.wait_for_log("does not match the certificate").await;
    let (_, seen) = healthz_over(&https_client(&ca, server.port), server.port).await;
    assert_eq!(seen, first.der, "still the old certificate");

    // The key arrives: the pair loads.
    let old = https_client(&ca, server.port);
    assert_eq!(healthz_over(&old, server.port).await.1, first.der);
    replace_file(&files.key, renewed.key_pem.as_bytes());
    server.sighup();
    wait_for_new_cert_while_old_connection_works(&ca, &server, &old, &first.der, &renewed.der)
        .await;
}

#[tokio::test]
async fn a_certbot_style_symlink_renewal_is_picked_up_without_a_signal() {
    use std::os::unix::fs::symlink;
    let ca = TestCa::new();
    let dir = cert_dir();
    let archive = dir.path().join("archive");
    let live = dir.path().join("live");
    std::fs::create_dir_all(&archive).unwrap();
    std::fs::create_dir_all(&live).unwrap();
    let first = ca.localhost();
    let second = ca.localhost();
    for (n, leaf) in [(1, &first), (2, &second)] {
        std::fs::write(archive.join(format!("fullchain{n}.pem")), &leaf.cert_pem).unwrap();
        std::fs::write(archive.join(format!("privkey{n}.pem")), &leaf.key_pem).unwrap();
    }
    // live/*.pem -> ../archive/*1.pem, swapped the way certbot does it (a new link renamed over).
    let link = |name: &str, target: &str| {
        let tmp = live.join(format!("{name}.new"));
        symlink(format!("../archive/{target}"), &tmp).unwrap();
        std::fs::rename(&tmp, live.join(name)).unwrap();
    };
    link("fullchain.pem", "fullchain1.pem");
    link("privkey.pem", "privkey1.pem");
    let files = latchkey::config::TlsFiles {
        cert: live.join("fullchain.pem"),
        key: live.join("privkey.pem"),
    };
    let server = TlsServer::start(&ca, &files, &[("LATCHKEY_TLS_RELOAD_POLL_SECS", "1")]).await;
    let old = https_client(&ca, server.port);
    assert_eq!(healthz_over(&old, server.port).await.1, first.der);

    link("fullchain.pem", "fullchain2.pem");
    link("privkey.pem", "privkey2.pem");

    wait_for_new_cert_while_old_connection_works(&ca, &server, &old, &first.der, &second.der).await;
    server
        .wait_for_log("TLS certificate reloaded (the files changed)")
        .await;
}
