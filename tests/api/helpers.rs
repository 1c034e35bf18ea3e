//! Shared test plumbing: a server on a random port over a throw-away data dir, and the real
//! `latchkey` binary run as a child process. Every test module reuses these.

use latchkey::clock::{Clock, SystemClock};
use latchkey::config::{Settings, Sources};
use latchkey::startup::Application;
use latchkey::store::Store;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// A running server. Dropping it drops the data dir; the server dies with the test's runtime.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    pub port: u16,
    /// Holds `latchkey.db`; deleted when the TestApp goes.
    pub data_dir: TempDir,
    /// Does not follow redirects, keeps cookies (a browser without JavaScript).
    pub client: reqwest::Client,
    /// The server's own store handle, for arranging and inspecting state directly.
    pub store: Store,
    /// The settings the server runs with.
    pub settings: Settings,
}

impl TestApp {
    /// An absolute URL on this server, e.g. `app.url("/healthz")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path} failed: {e}"))
    }

    /// The directory the server actually stores its database in.
    pub fn data_path(&self) -> &Path {
        &self.settings.data_dir
    }

    /// Run `latchkey ARGS` against this server's data dir (while it runs).
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> CliOutput {
        run_cli(self.data_path(), args, stdin)
    }
}

/// Settings for tests: defaults, a random port and `data_dir`; no environment, no config file
/// (there is no `latchkey.toml` in the crate root).
pub fn test_settings(data_dir: &Path) -> Settings {
    Settings::load(&Sources {
        config_file: None,
        env: vec![],
        flags: vec![
            ("bind", "127.0.0.1:0".into()),
            ("data_dir", data_dir.display().to_string()),
        ],
    })
    .expect("test settings are valid")
}

/// Start the server on port 0 with a fresh temporary data dir.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], after `configure` has adjusted the settings (issuer, lifetimes, ...).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with_clock(configure, Arc::new(SystemClock)).await
}

/// Like [`spawn_app_with`], with a clock the test controls (e.g. `FixedClock`).
pub async fn spawn_app_with_clock(
    configure: impl FnOnce(&mut Settings),
    clock: Arc<dyn Clock>,
) -> TestApp {
    let data_dir = tempfile::tempdir().expect("create temp data dir");
    let mut settings = test_settings(data_dir.path());
    configure(&mut settings);
    let app = Application::build_with_clock(settings.clone(), clock)
        .unwrap_or_else(|e| panic!("the application failed to start: {e}"));
    let port = app.port();
    let store = app.state().store.clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("build HTTP client");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        data_dir,
        client,
        store,
        settings,
    }
}

/// An empty working directory shared by every child process, so no `latchkey.toml` is picked up.
fn empty_cwd() -> &'static Path {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("create empty working dir"))
        .path()
}

/// The `latchkey` binary with a clean environment (no inherited `LATCHKEY_*`) in an empty
/// working directory, without `--data-dir`.
pub fn latchkey_bare() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_latchkey"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("LATCHKEY_") {
            cmd.env_remove(name);
        }
    }
    cmd.current_dir(empty_cwd());
    cmd
}

/// The `latchkey` binary run with `--data-dir DATA_DIR` (see [`latchkey_bare`]).
pub fn latchkey_cmd(data_dir: &Path) -> Command {
    let mut cmd = latchkey_bare();
    cmd.arg("--data-dir").arg(data_dir);
    cmd
}

/// What a finished child process said.
#[derive(Debug)]
pub struct CliOutput {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl CliOutput {
    /// Panics unless the command exited 0; returns stdout.
    pub fn ok(&self) -> &str {
        assert!(
            self.status.success(),
            "expected success, got {}\nstdout: {}\nstderr: {}",
            self.status,
            self.stdout,
            self.stderr
        );
        &self.stdout
    }

    /// Panics unless the command succeeded and printed JSON; returns it.
    pub fn json(&self) -> serde_json::Value {
        let out = self.ok();
        serde_json::from_str(out).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{out}"))
    }

    /// Panics unless the command failed with exactly one line on stderr starting `error:`;
    /// returns that line.
    pub fn one_line_error(&self) -> &str {
        assert!(
            !self.status.success(),
            "expected failure, got success\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        let err = self.stderr.trim_end_matches('\n');
        assert_eq!(
            err.lines().count(),
            1,
            "expected one line on stderr, got:\n{}",
            self.stderr
        );
        assert!(
            err.starts_with("error:"),
            "stderr should start with `error:`: {err}"
        );
        err
    }
}

/// How long a CLI run may take before the test gives up (it kills the child first).
const CLI_TIMEOUT: Duration = Duration::from_secs(60);

/// Run a prepared command to completion, feeding `stdin` if given; kills it after a timeout so a
/// command that wrongly starts serving cannot hang the suite.
pub fn run(mut cmd: Command, stdin: Option<&str>) -> CliOutput {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start the latchkey binary");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        // The child may exit before reading everything (e.g. on a usage error): ignore EPIPE.
        let _ = pipe.write_all(input.as_bytes());
    }
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout pipe")));
    let err = drain(Box::new(child.stderr.take().expect("stderr pipe")));
    let deadline = Instant::now() + CLI_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for latchkey") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not finish within {CLI_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    CliOutput {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

/// `latchkey --data-dir DATA_DIR ARGS...`, with optional standard input.
pub fn run_cli(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> CliOutput {
    let mut cmd = latchkey_cmd(data_dir);
    cmd.args(args);
    run(cmd, stdin)
}

/// The database file inside a data dir.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("latchkey.db")
}
