//! The `metrics_bind` setting through the real binary: which ports `latchkey serve` listens on,
//! the one-line start errors, and doctor's warning for a metrics port others can reach.

use crate::support::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// `latchkey serve` on `port` (plus `env`), killed when dropped.
struct Served(Child);

impl Served {
    fn start(dir: &Path, port: u16, env: &[(&str, &str)]) -> Served {
        let mut cmd = latchkey_cmd(dir);
        cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("LATCHKEY_LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let served = Served(cmd.spawn().expect("start latchkey serve"));
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "latchkey serve did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        served
    }

    /// The TCP ports this process listens on (its sockets, matched in /proc/net/tcp{,6}).
    fn listening_ports(&self) -> BTreeSet<u16> {
        let pid = self.0.id();
        let inodes: BTreeSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .expect("read the server's fds")
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .filter_map(|l| {
                let l = l.to_string_lossy().into_owned();
                Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
            })
            .collect();
        let mut ports = BTreeSet::new();
        for table in ["tcp", "tcp6"] {
            let text =
                std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap_or_default();
            for line in text.lines().skip(1) {
                let f: Vec<&str> = line.split_whitespace().collect();
                // local_address is f[1] (HEXIP:HEXPORT), st is f[3] (0A = LISTEN), inode f[9].
                if f.len() > 9 && f[3] == "0A" && inodes.contains(f[9]) {
                    let port = f[1].rsplit(':').next().expect("port");
                    ports.insert(u16::from_str_radix(port, 16).expect("hex port"));
                }
            }
        }
        ports
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn by_default_serve_listens_on_one_port_only() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let served = Served::start(dir.path(), port, &[]);
    assert_eq!(served.listening_ports(), BTreeSet::from([port]));
}

#[tokio::test]
async fn with_metrics_bind_serve_listens_on_a_second_port_that_serves_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let (port, mport) = (free_port(), free_port());
    let served = Served::start(
        dir.path(),
        port,
        &[("LATCHKEY_METRICS_BIND", &format!("127.0.0.1:{mport}"))],
    );
    assert_eq!(served.listening_ports(), BTreeSet::from([port, mport]));
    let public = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .expect("GET");
    assert_eq!(public.status(), 404);
    let s = scrape(mport).await;
    assert_eq!(
        s.value(
            "latchkey_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    assert!(
        s.value(
            "latchkey_http_requests_total",
            &[("endpoint", "unmatched"), ("status", "404")]
        ) >= 1.0,
        "the public /metrics request was counted as unmatched"
    );
}

#[test]
fn an_invalid_metrics_bind_stops_serve_with_one_line_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    for bad in [
        "localhost",
        "9464",
        "127.0.0.1:9464:1",
        &format!("127.0.0.1:{port}"),
    ] {
        let mut cmd = latchkey_cmd(dir.path());
        cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("LATCHKEY_METRICS_BIND", bad);
        let out = run(cmd, None);
        let err = out.one_line_error();
        assert!(
            err.contains("`metrics_bind`") && err.contains("LATCHKEY_METRICS_BIND"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn a_metrics_port_already_in_use_stops_serve_with_one_line_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let busy = taken.local_addr().expect("addr");
    let mut cmd = latchkey_cmd(dir.path());
    cmd.args(["serve", "--bind", &format!("127.0.0.1:{}", free_port())])
        .env("LATCHKEY_METRICS_BIND", busy.to_string())
        .env("LATCHKEY_LOG_LEVEL", "error");
    let out = run(cmd, None);
    let err = out.one_line_error();
    assert!(
        err.contains("metrics_bind") && err.contains(&busy.to_string()),
        "{err}"
    );
}

/// `latchkey doctor --json` with `metrics_bind` set: its `metrics-public` findings.
fn metrics_findings(metrics_bind: &str) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = latchkey_cmd(dir.path());
    cmd.args(["doctor", "--json"])
        .env("LATCHKEY_METRICS_BIND", metrics_bind);
    let out = run(cmd, None);
    let findings: Vec<Value> = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("doctor --json prints JSON ({e}): {}", out.stderr));
    findings
        .into_iter()
        .filter(|f| f["check"] == "metrics-public")
        .collect()
}

#[test]
fn doctor_warns_when_the_metrics_port_is_reachable_from_other_machines() {
    for public in ["0.0.0.0:9464", "192.0.2.10:9464", "[::]:9464"] {
        let found = metrics_findings(public);
        assert_eq!(found.len(), 1, "{public}: {found:?}");
        assert_eq!(found[0]["severity"], "warning");
        let fix = found[0]["fix"].as_str().expect("a fix");
        assert!(fix.contains("127.0.0.1:9464"), "{fix}");
    }
    for private in ["127.0.0.1:9464", "[::1]:9464"] {
        assert!(metrics_findings(private).is_empty(), "{private}");
    }
}
