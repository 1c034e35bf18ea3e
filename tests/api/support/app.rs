//! A server on a random port over a throw-away data dir, the real `latchkey` binary run as a
//! child process, and the users and clients tests register directly in the store.

use crate::support::*;
use latchkey::clock::{Clock, FixedClock, SystemClock};
use latchkey::config::{Settings, Sources};
use latchkey::crypto::{password, random};
use latchkey::startup::{Application, StartupError};
use latchkey::store::{Store, clients, users};
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
    /// The `metrics_bind` listener's port, when the settings turn it on.
    pub metrics_port: Option<u16>,
    /// The in-process server, when this TestApp started it.
    pub server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    /// Stop the in-process server and release the data dir (its `latchkey.lock`), as a process
    /// exit would; the data stays for a server started on it next.
    pub async fn stop(&mut self) {
        if let Some(task) = self.server.take() {
            task.abort();
            let _ = task.await;
        }
    }

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
/// (there is no `latchkey.toml` in the crate root). With `LATCHKEY_TEST_PG_URL` set, the data
/// dir's store is a fresh PostgreSQL database instead (see [`database_url_for`]).
pub fn test_settings(data_dir: &Path) -> Settings {
    let mut flags = vec![
        ("bind", "127.0.0.1:0".into()),
        ("data_dir", data_dir.display().to_string()),
    ];
    if let Some(url) = database_url_for(data_dir) {
        flags.push(("database_url", url));
    }
    Settings::load(&Sources {
        config_file: None,
        env: vec![],
        flags,
    })
    .expect("test settings are valid")
}

/// `LATCHKEY_TEST_STORE=postgres` (scripts/test's PostgreSQL pass): each data dir a test uses
/// gets its own fresh database in the test cluster (`support::pg`), and its servers and CLI
/// commands use it. Otherwise every test runs on SQLite.
fn on_postgres() -> bool {
    std::env::var("LATCHKEY_TEST_STORE").ok().as_deref() == Some("postgres")
}

fn pg_databases() -> &'static std::sync::Mutex<std::collections::HashMap<PathBuf, String>> {
    static MAP: OnceLock<std::sync::Mutex<std::collections::HashMap<PathBuf, String>>> =
        OnceLock::new();
    MAP.get_or_init(Default::default)
}

/// The PostgreSQL database of `data_dir` (created on first use), or None on SQLite runs.
pub fn database_url_for(data_dir: &Path) -> Option<String> {
    if !on_postgres() {
        return None;
    }
    let mut map = pg_databases().lock().unwrap_or_else(|e| e.into_inner());
    let url = map
        .entry(data_dir.to_owned())
        .or_insert_with(crate::support::pg::new_database_url);
    Some(url.clone())
}

/// Let `other` use `data_dir`'s database (a second node's data dir).
fn share_database(data_dir: &Path, other: &Path) {
    if let Some(url) = database_url_for(data_dir) {
        pg_databases()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(other.to_owned(), url);
    }
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
    spawn_app_in(data_dir, configure, clock).await
}

/// Start the server on port 0 on `data_dir`, which may hold a database already (a restored
/// backup, a server's earlier life).
pub async fn spawn_app_in(
    data_dir: TempDir,
    configure: impl FnOnce(&mut Settings),
    clock: Arc<dyn Clock>,
) -> TestApp {
    let mut settings = test_settings(data_dir.path());
    configure(&mut settings);
    let app = loop {
        match Application::build_with_clock(settings.clone(), clock.clone()) {
            Ok(app) => break app,
            // A port picked with `free_port` (for an issuer naming it) can be taken by another
            // test before the bind: take another, in the issuer too.
            Err(StartupError::Bind { err, .. })
                if err.kind() == std::io::ErrorKind::AddrInUse && settings.bind.port() != 0 =>
            {
                let (old, new) = (settings.bind.port(), free_port());
                settings.bind.set_port(new);
                settings.issuer = settings
                    .issuer
                    .replace(&format!(":{old}"), &format!(":{new}"));
            }
            Err(e) => panic!("the application failed to start: {e}"),
        }
    };
    let port = app.port();
    let metrics_port = app.metrics_port();
    let store = app.state().store.clone();
    let server = Some(tokio::spawn(app.run_until_stopped()));
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
        metrics_port,
        server,
    }
}

/// A second node beside `app`: another server on the same database (and secret key). Its data
/// dir links to `app`'s files, since a data dir itself is locked by the server running on it.
pub async fn spawn_node_beside(app: &TestApp, clock: Arc<dyn Clock>) -> TestApp {
    let dir = node_dir_beside(app.data_path());
    let mut settings = app.settings.clone();
    settings.data_dir = dir.path().to_owned();
    settings.bind.set_port(0);
    spawn_app_in(dir, move |s| *s = settings, clock).await
}

/// A data dir for another node on `data_dir`'s database and secret key: links to its files
/// (a data dir itself is locked by the server running on it), or on PostgreSQL the same
/// database. `data_dir` must hold a database already (a server started on it, or the CLI ran).
pub fn node_dir_beside(data_dir: &Path) -> TempDir {
    let dir = tempfile::tempdir().expect("create another node's data dir");
    for entry in std::fs::read_dir(data_dir).expect("read the data dir") {
        let entry = entry.expect("a data dir entry");
        let name = entry.file_name();
        let n = name.to_string_lossy();
        // SQLite keeps -wal and -shm beside the file a link points to.
        if n == "latchkey.lock" || n.ends_with("-wal") || n.ends_with("-shm") {
            continue;
        }
        std::os::unix::fs::symlink(entry.path(), dir.path().join(&name)).expect("link a file");
    }
    share_database(data_dir, dir.path());
    dir
}

pub const PASSWORD: &str = "correct horse battery staple";

/// Add a user NAME (email NAME@example.com, password [`PASSWORD`]) with the CLI, on a data dir
/// that may have no server or a running one.
pub fn add_user_cli(data_dir: &Path, name: &str) {
    run_cli(
        data_dir,
        &[
            "user",
            "add",
            name,
            "--email",
            &format!("{name}@example.com"),
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    )
    .ok();
}

pub const REDIRECT_URI: &str = "http://127.0.0.1:9/cb";

/// A server whose issuer is `http://127.0.0.1:PORT`, with user alice and nothing else.
pub async fn spawn_oidc_app() -> TestApp {
    spawn_oidc_app_with(|_| {}).await
}

pub async fn spawn_oidc_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let port = free_port();
    let app = spawn_app_with(|s| {
        s.bind = format!("127.0.0.1:{port}").parse().expect("bind");
        s.issuer = format!("http://127.0.0.1:{port}");
        configure(s);
    })
    .await;
    add_user(&app, "alice", "alice@example.com", Some("Alice Example"));
    app
}

/// A server like [`crate::support::spawn_oidc_app`] whose clock the test moves.
pub async fn spawn_oidc_app_at(clock: FixedClock) -> TestApp {
    let port = free_port();
    let clock: Arc<dyn Clock> = Arc::new(clock);
    let app = spawn_app_with_clock(
        |s| {
            s.bind = format!("127.0.0.1:{port}").parse().expect("bind");
            s.issuer = format!("http://127.0.0.1:{port}");
        },
        clock,
    )
    .await;
    add_user(&app, "alice", "alice@example.com", Some("Alice Example"));
    app
}

/// A fixed clock set to the real time now.
pub fn clock_now() -> FixedClock {
    FixedClock::new(latchkey::clock::SystemClock.now())
}

pub fn add_user(app: &TestApp, username: &str, email: &str, name: Option<&str>) -> users::User {
    let hash = password::hash(PASSWORD).expect("hash");
    let subject = uuid::Uuid::new_v4().to_string();
    app.store
        .write(|c| {
            users::insert_user(
                c,
                &users::NewUser {
                    subject: &subject,
                    username,
                    email,
                    email_verified: true,
                    name,
                    password_hash: &hash,
                    is_admin: false,
                },
                1_700_000_000,
            )
        })
        .expect("insert user")
}

/// How a test client is registered.
#[derive(Clone)]
pub struct ClientSpec {
    pub client_id: &'static str,
    pub public: bool,
    pub skip_consent: bool,
    pub require_pkce: bool,
    pub grant_types: &'static [&'static str],
    pub scopes: &'static [&'static str],
    pub redirect_uris: Vec<String>,
    pub id_token_alg: &'static str,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub web_origins: Vec<String>,
}

impl Default for ClientSpec {
    fn default() -> Self {
        Self {
            client_id: "app",
            public: false,
            skip_consent: false,
            require_pkce: true,
            grant_types: &["authorization_code", "refresh_token"],
            scopes: &["openid", "profile", "email", "offline_access"],
            redirect_uris: vec![REDIRECT_URI.to_owned()],
            id_token_alg: "RS256",
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
            web_origins: vec![],
        }
    }
}

/// Register a client; returns its secret (None for public clients).
pub fn add_client(app: &TestApp, spec: &ClientSpec) -> Option<String> {
    let secret = (!spec.public).then(random::token);
    let hash = secret.as_deref().map(random::hash_token);
    let grant_types: Vec<String> = spec.grant_types.iter().map(|s| s.to_string()).collect();
    let scopes: Vec<String> = spec.scopes.iter().map(|s| s.to_string()).collect();
    app.store
        .write(|c| {
            clients::insert_client(
                c,
                &clients::NewClient {
                    client_id: spec.client_id,
                    name: &format!("The {} app", spec.client_id),
                    secret_hash: hash.as_deref(),
                    grant_types: &grant_types,
                    scopes: &scopes,
                    skip_consent: spec.skip_consent,
                    require_pkce: spec.public || spec.require_pkce,
                    id_token_alg: spec.id_token_alg,
                    backchannel_logout_uri: spec.backchannel_logout_uri.as_deref(),
                    redirect_uris: &spec.redirect_uris,
                    post_logout_redirect_uris: &spec.post_logout_redirect_uris,
                    web_origins: &spec.web_origins,
                },
                1_700_000_000,
            )
        })
        .expect("insert client");
    secret
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
    if let Some(url) = database_url_for(data_dir) {
        cmd.env("LATCHKEY_DATABASE_URL", url);
    }
    cmd
}

/// What a finished child process said.
#[derive(Debug)]
#[must_use = "a CLI run asserts nothing until you check it, e.g. with `.ok()`"]
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

/// The store of a data dir, opened as the CLI opens it.
pub fn open_store(dir: &Path) -> Store {
    match database_url_for(dir) {
        Some(url) => Store::open_at(
            &latchkey::store::Location::Postgres(
                latchkey::store::postgres::conn::parse_url(&url).expect("a test database URL"),
            ),
            latchkey::store::Durability::Group,
        )
        .expect("open the test PostgreSQL database"),
        None => Store::open(&db_path(dir)).expect("open the CLI's database"),
    }
}

/// A server with alice and the default confidential client `app`; returns its secret.
pub async fn app_with_client() -> (TestApp, String) {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &ClientSpec::default()).expect("confidential");
    (app, secret)
}

/// The audit events of one kind, newest first.
pub fn audited(app: &TestApp, kind: &str) -> Vec<latchkey::store::audit::AuditEvent> {
    app.store
        .read(|c| latchkey::store::audit::list_audit_events(c, 1000))
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

/// Disable a user directly in the store.
pub fn disable_user(app: &TestApp, username: &str) {
    app.store
        .write(|c| {
            let u = latchkey::store::users::get_user_by_username(c, username)?;
            latchkey::store::users::update_user_disabled(c, u.id, true, 1_700_000_100)
        })
        .expect("disable user");
}
