//! Stopping: SIGTERM/SIGINT drain requests in flight, keep every acknowledged write, close the
//! database cleanly and exit 0; systemd hears when the server is ready and when it stops.

use crate::support::*;
use latchkey::store::Store;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[test]
fn sigterm_stops_the_server_with_exit_0_and_a_log_without_colour_codes() {
    for signal in ["TERM", "INT"] {
        let dir = tempfile::tempdir().unwrap();
        let mut server = ChildServer::start(dir.path());
        server.signal(signal);
        let status = server.wait_exit(Duration::from_secs(15));
        assert!(
            status.success(),
            "SIG{signal}: a graceful stop exits 0: {status}"
        );
        let log = server.log();
        assert!(log.contains(&server.base()), "logs the issuer: {log}");
        assert!(
            log.contains("latchkey user add"),
            "tells how to create the first user: {log}"
        );
        assert!(log.contains("stopping"), "says it is stopping: {log}");
        assert!(
            !log.contains('\u{1b}'),
            "a log that is not a terminal has no ANSI escape codes: {log:?}"
        );
    }
}

/// What the load saw.
#[derive(Default)]
struct Tally {
    signed_in: AtomicUsize,
    /// Requests that got no HTTP response although they connected, with when they began.
    cut_off: std::sync::Mutex<Vec<(Instant, String)>>,
}

impl Tally {
    fn failed(&self, began: Instant, e: reqwest::Error) {
        // Refused: the listener was closed, nothing was sent. Not a request cut off.
        if !e.is_connect() {
            self.cut_off.lock().unwrap().push((began, format!("{e:?}")));
        }
    }
}

/// One browser signing in again and again until the server is gone. A 303 is an acknowledged
/// sign-in: its session row must survive the stop.
async fn keep_signing_in(base: String, tally: Arc<Tally>) {
    loop {
        let browser = fresh_browser();
        let began = Instant::now();
        let page = match browser.get(format!("{base}/login")).send().await {
            Ok(res) => res.text().await,
            Err(e) => Err(e),
        };
        let html = match page {
            Ok(html) => html,
            Err(e) => return tally.failed(began, e),
        };
        let Some(csrf) = hidden(&html, "csrf_token") else {
            // A stopping server answers pages while it drains; no form means it is going away.
            return;
        };
        let began = Instant::now();
        let res = browser
            .post(format!("{base}/login"))
            .form(&[
                ("username", "alice"),
                ("password", PASSWORD),
                ("csrf_token", csrf.as_str()),
            ])
            .send()
            .await;
        match res {
            Ok(res) if res.status() == 303 => {
                tally.signed_in.fetch_add(1, Ordering::SeqCst);
            }
            // 429/503 when the throttle or the password queue is full: answered, not lost.
            Ok(res) => assert!(
                [429, 503].contains(&res.status().as_u16()),
                "unexpected answer to a sign-in: {}",
                res.status()
            ),
            Err(e) => return tally.failed(began, e),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigterm_under_load_finishes_requests_in_flight_and_loses_no_acknowledged_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    add_user_cli(data, "alice");
    let mut server = ChildServer::start(data);
    let base = server.base();
    let term_sent = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let browsers: Vec<_> = (0..6)
        .map(|_| tokio::spawn(keep_signing_in(base.clone(), tally.clone())))
        .collect();
    // A load balancer's health check on a kept-alive connection.
    let health = {
        let (base, term_sent) = (base.clone(), term_sent.clone());
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut seen_after_term = Vec::new();
            loop {
                let after_term = term_sent.load(Ordering::SeqCst);
                match http.get(format!("{base}/healthz")).send().await {
                    Ok(res) => {
                        let status = res.status().as_u16();
                        let body = res.text().await.unwrap_or_default();
                        if after_term {
                            seen_after_term.push((status, body));
                        }
                    }
                    Err(_) if after_term => return seen_after_term,
                    Err(e) => panic!("health check failed before the stop: {e}"),
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };

    let deadline = Instant::now() + Duration::from_secs(60);
    while tally.signed_in.load(Ordering::SeqCst) < 10 {
        assert!(Instant::now() < deadline, "no sign-ins under load");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    term_sent.store(true, Ordering::SeqCst);
    let term_at = Instant::now();
    server.signal("TERM");
    let status = tokio::task::block_in_place(|| server.wait_exit(Duration::from_secs(20)));
    for b in browsers {
        b.await.expect("browser task");
    }
    let health = health.await.expect("health task");

    assert!(status.success(), "exit 0 after draining: {status}");
    // A connection that reaches the kernel in the last moment before the listener closes is
    // reset without ever being accepted (as with any server that stops listening); requests
    // begun well before the signal were accepted and must all be answered.
    let cut_off: Vec<_> = tally
        .cut_off
        .lock()
        .unwrap()
        .iter()
        .filter(|(began, _)| *began + Duration::from_millis(100) < term_at)
        .map(|(_, e)| e.clone())
        .collect();
    assert!(
        cut_off.is_empty(),
        "requests sent before the stop got no answer: {cut_off:?}"
    );
    assert!(
        health
            .iter()
            .any(|(status, body)| *status == 503 && body.contains("stopping")),
        "a health check on an open connection hears the server is stopping: {health:?}"
    );
    assert!(
        health.iter().all(|(status, _)| [200, 503].contains(status)),
        "health after SIGTERM: {health:?}"
    );
    // Every acknowledged sign-in is in the database, and the WAL was folded into it.
    let wal = db_path(data).with_extension("db-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "the database was checkpointed at the stop"
    );
    // The sign-ins' audit rows were sealed into the chain before the exit.
    let verify = run_cli(data, &["audit", "verify", "--json"], None).json();
    assert_eq!(verify["intact"], true, "{verify}");
    assert_eq!(verify["unsealed"], 0, "sealed at the stop: {verify}");
    let store = Store::open(&db_path(data)).expect("open after the stop");
    let sessions: i64 = store
        .sql(|c| Ok(c.query_row("SELECT COUNT(*) FROM sessions", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(
        sessions as usize,
        tally.signed_in.load(Ordering::SeqCst),
        "every acknowledged sign-in survived the stop"
    );
}

#[cfg(unix)]
#[test]
fn systemd_hears_ready_once_the_listener_is_up_and_stopping_at_sigterm() {
    use std::os::unix::net::UnixDatagram;
    let dir = tempfile::tempdir().unwrap();
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("bind the notify socket");
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let mut server = ChildServer::start_with(
        &data,
        port,
        &[("NOTIFY_SOCKET", socket_path.to_str().unwrap())],
    );
    let mut buf = [0u8; 256];
    let n = socket.recv(&mut buf).expect("a readiness message");
    let ready = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(ready.contains("READY=1"), "{ready}");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
        "ready means listening"
    );
    server.signal("TERM");
    let n = socket.recv(&mut buf).expect("a stopping message");
    let stopping = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(stopping.contains("STOPPING=1"), "{stopping}");
    assert!(server.wait_exit(Duration::from_secs(15)).success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_without_tls_keeps_serving_so_systemctl_reload_is_harmless() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = ChildServer::start(dir.path());
    server.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.log().contains("SIGHUP") {
        assert!(
            Instant::now() < deadline,
            "SIGHUP not logged: {}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let res = reqwest::get(format!("{}/healthz", server.base()))
        .await
        .expect("still serving after SIGHUP");
    assert_eq!(res.status(), 200);
    server.signal("TERM");
    let status = tokio::task::block_in_place(|| server.wait_exit(Duration::from_secs(15)));
    assert!(status.success(), "{status}");
}
