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
        let log = tempfile::NamedTempFile::new().expect("log file");
        let mut cmd = latchkey_cmd(data_dir);
        cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .args(["--issuer", &format!("http://127.0.0.1:{port}")])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log.reopen().expect("log file"));
        let child = cmd.spawn().expect("start latchkey serve");
        let mut server = ChildServer { child, log, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = server.child.try_wait().expect("poll latchkey serve") {
                panic!(
                    "latchkey serve exited at start ({status}): {}",
                    server.log()
                );
            }
            assert!(Instant::now() < deadline, "latchkey serve did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
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
