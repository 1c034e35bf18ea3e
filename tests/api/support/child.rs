//! `latchkey serve` as a child process: for what only a real process shows (signals, exit codes,
//! logs, crashes).

use super::{free_port, latchkey_cmd};
use std::io::Read;
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running `latchkey serve` on 127.0.0.1; killed (SIGKILL) if still running when dropped.
pub struct ChildServer {
    child: Child,
    /// stderr goes to a file: a pipe nobody reads would stall a server that logs a lot.
    log: tempfile::NamedTempFile,
    pub port: u16,
}

impl ChildServer {
    /// Start on a free port with the issuer `http://127.0.0.1:PORT` and wait until it listens.
    pub fn start(data_dir: &Path) -> Self {
        Self::start_with(data_dir, free_port(), &[])
    }

    /// Start with extra environment (e.g. `LATCHKEY_DURABILITY`) on `port`.
    pub fn start_with(data_dir: &Path, port: u16, env: &[(&str, &str)]) -> Self {
        Self::start_as(data_dir, port, &format!("http://127.0.0.1:{port}"), env)
    }

    /// Like [`ChildServer::start_with`] with the issuer `issuer` (nodes behind one load
    /// balancer share theirs).
    pub fn start_as(data_dir: &Path, port: u16, issuer: &str, env: &[(&str, &str)]) -> Self {
        let mut cmd = latchkey_cmd(data_dir);
        cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .args(["--issuer", issuer])
            .envs(env.iter().copied());
        let mut server = Self::spawn(cmd, port);
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                server.is_running(),
                "latchkey serve exited at start: {}",
                server.log()
            );
            assert!(Instant::now() < deadline, "latchkey serve did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// Run `cmd` (a `latchkey serve` configured by the caller, listening on `port`) with its
    /// stderr captured; does not wait for it to listen.
    pub fn spawn(mut cmd: std::process::Command, port: u16) -> Self {
        let log = tempfile::NamedTempFile::new().expect("log file");
        cmd.stdout(Stdio::null())
            .stderr(log.reopen().expect("log file"));
        let child = cmd.spawn().expect("start latchkey serve");
        ChildServer { child, log, port }
    }

    /// The process has not exited.
    pub fn is_running(&mut self) -> bool {
        self.child
            .try_wait()
            .expect("poll latchkey serve")
            .is_none()
    }

    /// Wait until a log line contains `needle` (at most 20 s); that line.
    pub async fn wait_for_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let log = self.log();
            if let Some(line) = log.lines().find(|l| l.contains(needle)) {
                return line.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {needle:?} within 20 s; log:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Send a signal by name (`TERM`, `INT`, `HUP`).
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Wait for the process to end on its own; panics after `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll latchkey serve") {
                return status;
            }
            assert!(Instant::now() < deadline, "still running after {limit:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no shutdown, no checkpoint, no closing of the database.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL latchkey");
        self.child.wait().expect("reap latchkey");
    }

    /// Everything written to stderr so far.
    pub fn log(&self) -> String {
        let mut log = String::new();
        let _ = self
            .log
            .reopen()
            .and_then(|mut f| f.read_to_string(&mut log));
        log
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
