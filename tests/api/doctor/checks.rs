//! `latchkey doctor`, run as the real binary against arranged data dirs: each check fires on the
//! state it looks for, with its severity and the exit status, and doctor never changes anything.

use crate::support::*;
use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use latchkey::crypto::random;
use latchkey::store::{StoreError, clients, sessions, users};
use serde_json::Value;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::SystemTime;

const DAY: i64 = 86_400;

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// `latchkey doctor --json` with extra environment and arguments.
fn doctor_with(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> (CliOutput, Vec<Value>) {
    let mut cmd = latchkey_cmd(dir);
    cmd.arg("doctor").arg("--json").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(cmd, None);
    let findings: Vec<Value> = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json must print a JSON array ({e})\nstdout: {}\nstderr: {}",
            out.stdout, out.stderr
        )
    });
    (out, findings)
}

pub(super) fn doctor(dir: &Path) -> (CliOutput, Vec<Value>) {
    doctor_with(dir, &[], &[])
}

pub(super) fn code(out: &CliOutput) -> i32 {
    out.status.code().expect("doctor exits normally")
}

/// The findings of one check.
pub(super) fn of<'a>(findings: &'a [Value], check: &str) -> Vec<&'a Value> {
    findings.iter().filter(|f| f["check"] == check).collect()
}

/// The only finding of `check`; asserts its severity.
pub(super) fn one<'a>(findings: &'a [Value], check: &str, severity: &str) -> &'a Value {
    let found = of(findings, check);
    assert_eq!(
        found.len(),
        1,
        "expected one {check} finding in {findings:#?}"
    );
    assert_eq!(found[0]["severity"], severity, "{:#?}", found[0]);
    found[0]
}

pub(super) fn text(f: &Value, field: &str) -> String {
    f[field].as_str().expect("a string field").to_owned()
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Run SQL against the data dir's database (arranging state doctor should notice).
fn sql(dir: &Path, statement: &str) {
    open_store(dir)
        .sql_write(|c| c.execute_batch(statement).map_err(StoreError::from))
        .unwrap();
}

/// What a healthy small installation looks like: an admin, a confidential app with an https
/// redirect URI, signing keys, and owner-only permissions.
pub(super) fn healthy_setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run_cli(
        d,
        &[
            "user",
            "add",
            "alice",
            "--email",
            "alice@example.com",
            "--admin",
            "--password-stdin",
        ],
        Some("s3cret-passw0rd\n"),
    )
    .ok();
    run_cli(
        d,
        &[
            "client",
            "add",
            "app",
            "--redirect-uri",
            "https://app.example/cb",
        ],
        None,
    )
    .ok();
    run_cli(d, &["keys", "list"], None).ok();
    chmod(d, 0o700);
    chmod(&db_path(d), 0o600);
    dir
}

/// Every file in the data dir with its bytes and modification time.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, SystemTime, u32)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                (
                    std::fs::read(e.path()).unwrap(),
                    meta.modified().unwrap(),
                    meta.permissions().mode(),
                ),
            )
        })
        .collect()
}

// ---------------------------------------------------------------- overall behaviour

#[test]
fn doctor_reports_nothing_for_a_healthy_fresh_setup_and_exits_0() {
    let dir = healthy_setup();

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 0, "stderr: {}", out.stderr);
    assert!(findings.is_empty(), "{findings:#?}");
    let human = run_cli(dir.path(), &["doctor"], None);
    let stdout = human.ok();
    assert!(stdout.contains("no problems found"), "{stdout}");
    assert!(
        stdout
            .trim_end()
            .ends_with("0 critical, 0 warnings, 0 info"),
        "{stdout}"
    );
}

#[test]
fn doctor_json_findings_carry_severity_check_message_and_fix() {
    let dir = healthy_setup();
    chmod(&db_path(dir.path()), 0o640);

    let (_, findings) = doctor_with(
        dir.path(),
        &[("LATCHKEY_ISSUER", "http://login.example.com")],
        &[],
    );

    assert!(findings.len() >= 2, "{findings:#?}");
    for f in &findings {
        let obj = f.as_object().expect("each finding is an object");
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["check", "fix", "message", "severity"]);
        assert!(["critical", "warning", "info"].contains(&f["severity"].as_str().unwrap()));
        assert!(!text(f, "message").is_empty() && !text(f, "fix").is_empty());
        assert!(!text(f, "message").contains('\n'), "one line: {f}");
    }
    // Most severe first.
    assert_eq!(findings[0]["severity"], "critical");
}

#[test]
fn doctor_text_output_groups_by_severity_with_a_summary_line() {
    let dir = healthy_setup();
    chmod(dir.path(), 0o755);
    chmod(&db_path(dir.path()), 0o644);
    let mut cmd = latchkey_cmd(dir.path());
    cmd.arg("doctor")
        .env("LATCHKEY_LOG_LEVEL", "debug")
        .env("LATCHKEY_ACCESS_TOKEN_TTL_SECS", "7200");

    let out = run(cmd, None);

    assert_eq!(code(&out), 2);
    let s = &out.stdout;
    let (c, w, i) = (
        s.find("CRITICAL").expect("a CRITICAL group"),
        s.find("WARNING").expect("a WARNING group"),
        s.find("INFO").expect("an INFO group"),
    );
    assert!(c < w && w < i, "{s}");
    assert!(s.contains("fix: chmod 600"), "{s}");
    assert!(
        s.trim_end().ends_with("1 critical, 2 warnings, 1 info"),
        "{s}"
    );
}

#[test]
fn doctor_does_not_change_the_data_dir() {
    let dir = healthy_setup();
    // Some findings of every kind, so every check runs its queries.
    run_cli(
        dir.path(),
        &[
            "client",
            "add",
            "legacy",
            "--no-pkce",
            "--redirect-uri",
            "http://localhost:3000/cb",
        ],
        None,
    )
    .ok();
    chmod(&db_path(dir.path()), 0o644);
    chmod(dir.path(), 0o755);
    let before = snapshot(dir.path());
    std::thread::sleep(std::time::Duration::from_millis(20));

    let (out, findings) = doctor(dir.path());
    let human = run_cli(dir.path(), &["doctor"], None);

    assert_eq!(code(&out), 2, "{findings:#?}");
    assert_eq!(code(&human), 2);
    let after = snapshot(dir.path());
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "doctor must not create or delete files"
    );
    // SQLite readers may update the -shm file (a shared-memory index of the WAL, not data):
    // everything else must be byte-for-byte, mtime and mode identical.
    let data = |m: &BTreeMap<String, (Vec<u8>, SystemTime, u32)>| {
        m.iter()
            .filter(|(k, _)| !k.ends_with("-shm"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    assert!(
        data(&before) == data(&after),
        "doctor changed a file in the data dir"
    );
}

#[test]
fn doctor_on_a_missing_data_dir_reports_it_and_creates_nothing() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("nowhere");

    let (out, findings) = doctor(&dir);

    assert_eq!(code(&out), 2);
    let f = one(&findings, "data-dir-missing", "critical");
    assert!(text(f, "message").contains("nowhere"), "{f}");
    assert!(!dir.exists(), "doctor must not create the data dir");
}

#[test]
fn doctor_on_a_data_dir_without_a_database_reports_it_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 2);
    one(&findings, "database-missing", "critical");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "doctor must not create the database"
    );
}

#[tokio::test]
async fn doctor_works_while_the_server_runs_and_sees_its_data() {
    let app = spawn_app().await;
    // The server holds the database open: the -wal and -shm files exist beside it.
    chmod(app.data_path(), 0o700);
    for suffix in ["", "-wal", "-shm"] {
        let mut name = db_path(app.data_path()).into_os_string();
        name.push(suffix);
        chmod(Path::new(&name), 0o600);
    }
    app.cli(
        &[
            "client",
            "add",
            "legacy",
            "--no-pkce",
            "--redirect-uri",
            "https://legacy.example/cb",
        ],
        None,
    )
    .ok();

    let out = app.cli(&["doctor", "--json"], None);

    let findings: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(code(&out), 0, "{findings:#?}");
    one(&findings, "client-pkce-disabled", "warning");
    one(&findings, "no-users", "info");
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
}

// ---------------------------------------------------------------- issuer and bind

#[test]
fn plain_http_issuer_on_a_non_loopback_host_is_critical() {
    let dir = healthy_setup();

    let (out, findings) = doctor_with(
        dir.path(),
        &[("LATCHKEY_ISSUER", "http://login.example.com")],
        &[],
    );

    assert_eq!(code(&out), 2);
    let f = one(&findings, "issuer-plain-http", "critical");
    assert!(text(f, "fix").contains("https://login.example.com"), "{f}");
}

#[test]
fn plain_http_issuer_on_0_0_0_0_given_as_a_flag_is_critical() {
    let dir = healthy_setup();

    let (out, findings) = doctor_with(dir.path(), &[], &["--issuer", "http://0.0.0.0:8080"]);

    assert_eq!(code(&out), 2);
    one(&findings, "issuer-plain-http", "critical");
}

#[test]
fn loopback_http_issuer_listening_on_every_interface_is_a_warning() {
    let dir = healthy_setup();

    let (out, findings) = doctor_with(dir.path(), &[("LATCHKEY_BIND", "0.0.0.0:8080")], &[]);

    assert_eq!(code(&out), 0);
    let f = one(&findings, "bind-exposes-plain-http", "warning");
    assert!(text(f, "fix").contains("127.0.0.1:8080"), "{f}");
    assert!(of(&findings, "issuer-plain-http").is_empty());
}

#[test]
fn https_issuer_on_a_public_bind_reminds_to_terminate_tls_in_a_proxy() {
    let dir = healthy_setup();

    let (out, findings) = doctor_with(
        dir.path(),
        &[
            ("LATCHKEY_ISSUER", "https://login.example.com"),
            ("LATCHKEY_BIND", "0.0.0.0:8080"),
        ],
        &[],
    );

    assert_eq!(code(&out), 0);
    let f = one(&findings, "tls-termination", "info");
    assert!(text(f, "message").contains("proxy"), "{f}");
    // Behind a local proxy that is declared: nothing to say.
    let (_, findings) = doctor_with(
        dir.path(),
        &[
            ("LATCHKEY_ISSUER", "https://login.example.com"),
            ("LATCHKEY_TRUSTED_PROXIES", "127.0.0.1,::1"),
        ],
        &[],
    );
    assert!(findings.is_empty(), "{findings:#?}");
}

#[test]
fn https_issuer_on_loopback_without_trusted_proxies_suspects_a_proxy() {
    let dir = healthy_setup();

    let (out, findings) = doctor_with(
        dir.path(),
        &[("LATCHKEY_ISSUER", "https://login.example.com")],
        &[],
    );

    assert_eq!(code(&out), 0);
    let f = one(&findings, "proxy-suspected", "info");
    assert!(text(f, "fix").contains("trusted_proxies"), "{f}");
    assert_eq!(findings.len(), 1, "{findings:#?}");
}

#[test]
fn broad_trusted_proxies_are_a_warning() {
    let dir = healthy_setup();

    for broad in ["0.0.0.0/0", "10.0.0.1, ::/0", "192.0.0.0/4"] {
        let (out, findings) = doctor_with(dir.path(), &[("LATCHKEY_TRUSTED_PROXIES", broad)], &[]);
        assert_eq!(code(&out), 0);
        let f = one(&findings, "trusted-proxies-broad", "warning");
        assert!(text(f, "message").contains("/"), "{f}");
    }
    let (_, findings) = doctor_with(
        dir.path(),
        &[("LATCHKEY_TRUSTED_PROXIES", "10.0.0.0/8,fd00:1234::/32")],
        &[],
    );
    assert!(
        of(&findings, "trusted-proxies-broad").is_empty(),
        "{findings:#?}"
    );
}

// ---------------------------------------------------------------- permissions

#[test]
fn world_readable_database_in_an_open_data_dir_is_critical() {
    let dir = healthy_setup();
    chmod(dir.path(), 0o755);
    chmod(&db_path(dir.path()), 0o644);

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 2);
    let perms = of(&findings, "permissions");
    let db = perms
        .iter()
        .find(|f| text(f, "message").contains("latchkey.db "))
        .expect("a finding about latchkey.db");
    assert_eq!(db["severity"], "critical");
    assert!(text(db, "message").contains("0644"), "{db}");
    assert_eq!(
        text(db, "fix"),
        format!("chmod 600 {}", db_path(dir.path()).display())
    );
    let d = perms
        .iter()
        .find(|f| text(f, "fix") == format!("chmod 700 {}", dir.path().display()))
        .expect("a finding about the data dir");
    assert_eq!(d["severity"], "warning");
}

#[test]
fn world_readable_database_behind_a_closed_data_dir_is_a_warning() {
    let dir = healthy_setup();
    chmod(&db_path(dir.path()), 0o644);

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 0);
    let f = one(&findings, "permissions", "warning");
    assert!(text(f, "fix").starts_with("chmod 600 "), "{f}");
}

#[test]
fn world_writable_data_dir_is_critical() {
    let dir = healthy_setup();
    chmod(dir.path(), 0o777);

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 2);
    let f = one(&findings, "permissions", "critical");
    assert!(text(f, "message").contains("writable by every user"), "{f}");
    assert!(text(f, "fix").starts_with("chmod 700 "), "{f}");
}

#[test]
fn group_readable_database_and_data_dir_are_warnings() {
    let dir = healthy_setup();
    chmod(dir.path(), 0o750);
    chmod(&db_path(dir.path()), 0o640);

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 0);
    let perms = of(&findings, "permissions");
    assert_eq!(perms.len(), 2, "{perms:#?}");
    assert!(perms.iter().all(|f| f["severity"] == "warning"));
    assert!(
        perms
            .iter()
            .any(|f| text(f, "fix").starts_with("chmod 700 "))
    );
    assert!(
        perms
            .iter()
            .any(|f| text(f, "fix").starts_with("chmod 600 "))
    );
}

// ---------------------------------------------------------------- signing keys

#[test]
fn active_signing_key_older_than_90_days_is_a_warning() {
    let dir = healthy_setup();
    let old = now() - 100 * DAY;
    sql(
        dir.path(),
        &format!("UPDATE signing_keys SET created_at = {old} WHERE alg = 'ES256'"),
    );

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 0);
    let f = one(&findings, "signing-key-old", "warning");
    assert!(text(f, "message").contains("ES256"), "{f}");
    assert!(text(f, "message").contains("100 days"), "{f}");
    assert!(
        text(f, "fix").starts_with("latchkey keys rotate --alg ES256"),
        "{f}"
    );
}

#[test]
fn missing_active_key_for_an_algorithm_in_use_is_critical() {
    let dir = healthy_setup();
    sql(dir.path(), "DELETE FROM signing_keys WHERE alg = 'RS256'");

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 2);
    let f = one(&findings, "signing-key-missing", "critical");
    assert!(text(f, "message").contains("RS256"), "{f}");
    assert!(text(f, "fix").contains("latchkey keys rotate --alg RS256"));
}

#[test]
fn no_signing_keys_before_the_first_start_is_only_info() {
    let dir = tempfile::tempdir().unwrap();
    run_cli(
        dir.path(),
        &[
            "user",
            "add",
            "alice",
            "--email",
            "alice@example.com",
            "--admin",
            "--password-stdin",
        ],
        Some("s3cret-passw0rd\n"),
    )
    .ok();
    chmod(dir.path(), 0o700);
    chmod(&db_path(dir.path()), 0o600);

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 0, "{findings:#?}");
    one(&findings, "signing-key-missing", "info");
}

#[test]
fn a_long_key_rotation_period_is_info_and_sets_when_keys_count_as_old() {
    let dir = healthy_setup();
    let old = now() - 100 * DAY;
    sql(
        dir.path(),
        &format!("UPDATE signing_keys SET created_at = {old}"),
    );

    let (out, findings) = doctor_with(
        dir.path(),
        &[("LATCHKEY_KEY_ROTATION_SECS", &(200 * DAY).to_string())],
        &[],
    );

    assert_eq!(code(&out), 0);
    let f = one(&findings, "setting-key-rotation", "info");
    assert!(
        text(f, "fix").contains("key_rotation_secs = 7776000"),
        "{f}"
    );
    assert!(of(&findings, "signing-key-old").is_empty(), "{findings:#?}");
}

// ---------------------------------------------------------------- clients

#[test]
fn confidential_client_exempt_from_pkce_is_a_warning_fixed_by_client_update_pkce() {
    let dir = healthy_setup();
    run_cli(
        dir.path(),
        &[
            "client",
            "add",
            "legacy",
            "--name",
            "Legacy App",
            "--no-pkce",
            "--redirect-uri",
            "https://legacy.example/cb",
        ],
        None,
    )
    .ok();

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 0);
    let f = one(&findings, "client-pkce-disabled", "warning");
    assert!(text(f, "message").contains("legacy"), "{f}");
    let fix = text(f, "fix");
    assert!(
        fix.ends_with(": latchkey client update legacy --pkce"),
        "{fix}"
    );
    assert!(!fix.contains("client remove"), "{fix}");
}

#[test]
fn web_origin_allowed_for_a_confidential_client_is_info_and_public_spas_are_not_reported() {
    let dir = healthy_setup();
    run_cli(
        dir.path(),
        &[
            "client",
            "update",
            "app",
            "--web-origin",
            "https://spa.example",
        ],
        None,
    )
    .ok();
    run_cli(
        dir.path(),
        &[
            "client",
            "add",
            "spa",
            "--public",
            "--redirect-uri",
            "https://spa.example/cb",
            "--web-origin",
            "https://cdn.example",
        ],
        None,
    )
    .ok();

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 0);
    let f = one(&findings, "client-web-origin-confidential", "info");
    let message = text(f, "message");
    assert!(message.contains("app"), "{f}");
    assert!(message.contains("https://spa.example"), "{f}");
    assert!(!message.contains("spa "), "the public client is fine: {f}");
    assert!(
        text(f, "fix")
            .contains("latchkey client update app --remove-web-origin https://spa.example"),
        "{f}"
    );
}

#[test]
fn confidential_client_with_a_localhost_redirect_uri_is_a_warning_naming_client_and_uri() {
    let dir = healthy_setup();
    run_cli(
        dir.path(),
        &[
            "client",
            "add",
            "dev",
            "--redirect-uri",
            "http://localhost:3000/cb",
            "--post-logout-redirect-uri",
            "http://localhost:3000/bye",
        ],
        None,
    )
    .ok();

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 0);
    let found = of(&findings, "client-plain-http-uri");
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found.iter().all(|f| f["severity"] == "warning"));
    assert!(found.iter().all(|f| text(f, "message").contains("dev")));
    assert!(
        found
            .iter()
            .any(|f| text(f, "message").contains("http://localhost:3000/cb"))
    );
    assert!(
        found
            .iter()
            .any(|f| text(f, "message").contains("http://localhost:3000/bye"))
    );
}

#[test]
fn public_native_client_with_a_loopback_redirect_uri_is_only_info() {
    let dir = healthy_setup();
    run_cli(
        dir.path(),
        &[
            "client",
            "add",
            "cli-tool",
            "--public",
            "--redirect-uri",
            "http://127.0.0.1/cb",
        ],
        None,
    )
    .ok();

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 0);
    one(&findings, "client-plain-http-uri", "info");
}

pub(super) fn insert_client(dir: &Path, client_id: &str, public: bool, grants: &[&str], uri: &str) {
    let grants: Vec<String> = grants.iter().map(|g| g.to_string()).collect();
    let hash = random::hash_token("secret");
    open_store(dir)
        .write(|c| {
            clients::insert_client(
                c,
                &clients::NewClient {
                    client_id,
                    name: client_id,
                    secret_hash: (!public).then_some(hash.as_str()),
                    grant_types: &grants,
                    scopes: &["openid".to_string()],
                    skip_consent: false,
                    require_pkce: true,
                    id_token_alg: "RS256",
                    backchannel_logout_uri: None,
                    redirect_uris: &[uri.to_string()],
                    post_logout_redirect_uris: &[],
                    web_origins: &[],
                },
                now(),
            )
        })
        .unwrap();
}

#[test]
fn plain_http_redirect_uri_on_a_public_host_is_critical() {
    let dir = healthy_setup();
    insert_client(
        dir.path(),
        "old",
        false,
        &["authorization_code"],
        "http://old.example/cb",
    );

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 2);
    let f = one(&findings, "client-plain-http-uri", "critical");
    assert!(text(f, "message").contains("http://old.example/cb"), "{f}");
    assert!(
        text(f, "fix").ends_with(
            "latchkey client update old --remove-redirect-uri http://old.example/cb --add-redirect-uri https://old.example/cb"
        ),
        "{f}"
    );
}

#[test]
fn public_client_allowed_client_credentials_is_critical() {
    let dir = healthy_setup();
    insert_client(
        dir.path(),
        "spa",
        true,
        &["authorization_code", "client_credentials"],
        "https://spa.example/cb",
    );

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 2);
    let f = one(&findings, "client-public-client-credentials", "critical");
    assert!(text(f, "message").contains("spa"), "{f}");
    assert!(!text(f, "fix").contains("client_credentials,"), "{f}");
}

#[test]
fn client_credentials_secret_older_than_a_year_is_info() {
    let dir = healthy_setup();
    run_cli(
        dir.path(),
        &[
            "client",
            "add",
            "batch",
            "--grant-types",
            "client_credentials",
            "--scopes",
            "api",
            "--redirect-uri",
            "https://batch.example/cb",
        ],
        None,
    )
    .ok();
    let (_, findings) = doctor(dir.path());
    assert!(
        of(&findings, "client-secret-age").is_empty(),
        "{findings:#?}"
    );
    let old = now() - 400 * DAY;
    sql(
        dir.path(),
        &format!(
            "UPDATE clients SET updated_at = {old}, secret_set_at = {old} WHERE client_id IN ('batch', 'app')"
        ),
    );

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 0);
    // Only the machine client: `app` signs users in and is not affected.
    let f = one(&findings, "client-secret-age", "info");
    assert!(
        text(f, "fix").starts_with("latchkey client rotate-secret batch"),
        "{f}"
    );

    // Renaming the client or changing its scopes is not a new secret: the finding stays.
    run_cli(
        dir.path(),
        &[
            "client",
            "update",
            "batch",
            "--name",
            "Nightly batch",
            "--scopes",
            "api",
        ],
        None,
    )
    .ok();
    let (_, findings) = doctor(dir.path());
    one(&findings, "client-secret-age", "info");
    // Rotating the secret is.
    run_cli(dir.path(), &["client", "rotate-secret", "batch"], None).ok();
    let (_, findings) = doctor(dir.path());
    assert!(
        of(&findings, "client-secret-age").is_empty(),
        "{findings:#?}"
    );
}

// ---------------------------------------------------------------- users and passwords

#[test]
fn users_with_password_hashes_below_owasp_parameters_are_counted_in_a_warning() {
    let dir = healthy_setup();
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(4096, 1, 1, None).unwrap(),
    )
    .hash_password(b"an old password", &SaltString::generate(&mut OsRng))
    .unwrap()
    .to_string();
    let store = open_store(dir.path());
    for name in ["bob", "carol"] {
        store
            .write(|c| {
                users::insert_user(
                    c,
                    &users::NewUser {
                        subject: &uuid::Uuid::new_v4().to_string(),
                        username: name,
                        email: &format!("{name}@example.com"),
                        email_verified: false,
                        name: None,
                        password_hash: &weak,
                        is_admin: false,
                    },
                    now(),
                )
            })
            .unwrap();
    }
    drop(store);

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 0);
    let f = one(&findings, "password-hash-weak", "warning");
    let msg = text(f, "message");
    assert!(msg.starts_with("2 users have"), "{msg}");
    assert!(
        msg.contains("bob, carol") && !msg.contains("alice"),
        "{msg}"
    );
    assert!(msg.contains("next sign-in"), "{msg}");
}

#[test]
fn no_users_at_all_is_info_with_the_user_add_command() {
    let dir = tempfile::tempdir().unwrap();
    run_cli(dir.path(), &["keys", "list"], None).ok();
    chmod(dir.path(), 0o700);
    chmod(&db_path(dir.path()), 0o600);

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 0);
    let f = one(&findings, "no-users", "info");
    assert!(text(f, "fix").contains("latchkey user add"), "{f}");
    assert!(text(f, "fix").contains("--admin"), "{f}");
    assert_eq!(findings.len(), 1, "{findings:#?}");
}

#[test]
fn users_without_an_administrator_is_info() {
    let dir = healthy_setup();
    // Straight in the store: `user disable` refuses to disable the last enabled admin.
    open_store(dir.path())
        .write(|c| {
            let u = users::get_user_by_username(c, "alice")?;
            users::update_user_disabled(c, u.id, true, now())
        })
        .unwrap();

    let (_, findings) = doctor(dir.path());

    let f = one(&findings, "no-admin", "info");
    assert!(text(f, "fix").contains("--admin"), "{f}");
}

#[test]
fn disabled_user_still_holding_a_session_is_a_warning() {
    let dir = healthy_setup();
    let store = open_store(dir.path());
    store
        .write(|c| {
            let u = users::get_user_by_username(c, "alice")?;
            users::update_user_disabled(c, u.id, true, now())?;
            sessions::insert_session(
                c,
                &sessions::NewSession {
                    secret_hash: &random::hash_token("cookie"),
                    sid: "sid-1",
                    user_id: u.id,
                    auth_time: now(),
                    amr: "pwd",
                    expires_at: now() + DAY,
                    user_agent: None,
                    ip: None,
                },
                now(),
            )
        })
        .unwrap();
    drop(store);

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 0);
    let f = one(&findings, "disabled-user-grants", "warning");
    assert!(text(f, "message").contains("alice"), "{f}");
    assert!(text(f, "message").contains("1 session"), "{f}");
    assert_eq!(
        text(f, "fix").split(' ').take(4).collect::<Vec<_>>(),
        ["latchkey", "user", "disable", "alice"]
    );
}

// ---------------------------------------------------------------- settings

#[test]
fn long_token_lifetimes_and_debug_logging_are_reported() {
    let dir = healthy_setup();

    let (out, findings) = doctor_with(
        dir.path(),
        &[
            ("LATCHKEY_ACCESS_TOKEN_TTL_SECS", "7200"),
            ("LATCHKEY_REFRESH_TOKEN_TTL_SECS", &(100 * DAY).to_string()),
            ("LATCHKEY_LOG_LEVEL", "debug"),
        ],
        &[],
    );

    assert_eq!(code(&out), 0);
    let f = one(&findings, "setting-access-token-ttl", "warning");
    assert!(
        text(f, "fix").contains("access_token_ttl_secs = 600"),
        "{f}"
    );
    one(&findings, "setting-refresh-token-ttl", "info");
    let f = one(&findings, "setting-log-level", "info");
    assert!(text(f, "fix").contains("log_level = \"info\""), "{f}");
}

#[test]
fn relaxed_durability_is_a_warning_and_group_commit_is_not_reported() {
    let dir = healthy_setup();

    let (out, findings) = doctor_with(dir.path(), &[("LATCHKEY_DURABILITY", "relaxed")], &[]);

    assert_eq!(code(&out), 0);
    let f = one(&findings, "setting-durability", "warning");
    assert!(text(f, "fix").contains("durability = \"group\""), "{f}");
    for mode in ["group", "each"] {
        let (_, findings) = doctor_with(dir.path(), &[("LATCHKEY_DURABILITY", mode)], &[]);
        assert!(of(&findings, "setting-durability").is_empty(), "{mode}");
    }
}

// ---------------------------------------------------------------- database

#[test]
fn damaged_database_is_critical() {
    let dir = healthy_setup();
    let path = db_path(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    assert!(bytes.len() > 4 * page, "a database of several pages");
    // Keep page 1 (the header and schema) so the file still opens; trash the rest.
    for b in &mut bytes[page..] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 2);
    one(&findings, "database-integrity", "critical");
}

#[test]
fn older_schema_version_is_info() {
    let dir = healthy_setup();
    sql(dir.path(), "PRAGMA user_version = 1");

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 0);
    let f = one(&findings, "schema-version", "info");
    assert!(text(f, "message").contains("version 1"), "{f}");
}

#[test]
fn newer_schema_version_is_critical() {
    let dir = healthy_setup();
    sql(dir.path(), "PRAGMA user_version = 999");

    let (out, findings) = doctor(dir.path());

    assert_eq!(code(&out), 2);
    one(&findings, "schema-version", "critical");
}

#[test]
fn a_client_restricted_to_groups_without_members_is_a_warning() {
    let dir = healthy_setup();
    let cli = |args: &[&str]| {
        run_cli(dir.path(), args, None).ok();
    };
    cli(&["group", "add", "admins"]);
    cli(&[
        "client",
        "add",
        "locked",
        "--redirect-uri",
        "https://locked.example/cb",
        "--allowed-group",
        "admins",
    ]);
    let (_, findings) = doctor(dir.path());
    let f = one(&findings, "client-no-allowed-members", "warning");
    assert!(text(f, "message").contains("locked"), "{f:#?}");
    assert!(
        text(f, "fix").contains("latchkey group add-member admins"),
        "{f:#?}"
    );
    let users: Value =
        serde_json::from_str(run_cli(dir.path(), &["user", "list", "--json"], None).ok()).unwrap();
    let someone = users[0]["username"]
        .as_str()
        .expect("healthy_setup has a user")
        .to_owned();
    cli(&["group", "add-member", "admins", &someone]);
    let (_, findings) = doctor(dir.path());
    assert!(
        of(&findings, "client-no-allowed-members").is_empty(),
        "{findings:#?}"
    );
}
