//! `secret_key_file`: 32 random bytes, mode 0600, created at first start by the server or the
//! CLI; a loose or damaged file stops both with one line; doctor reports it.

use crate::support::*;
use latchkey::startup::Application;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn doctor_findings(dir: &Path) -> Vec<Value> {
    let out = run_cli(dir, &["doctor", "--json"], None);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

fn finding<'a>(findings: &'a [Value], check: &str) -> Option<&'a Value> {
    findings.iter().find(|f| f["check"] == check)
}

#[tokio::test]
async fn the_server_creates_a_32_byte_secret_key_only_its_owner_can_read() {
    let app = spawn_app().await;
    let key = app.data_path().join("secret.key");
    assert_eq!(std::fs::read(&key).unwrap().len(), 32);
    assert_eq!(mode(&key), 0o600);
}

#[test]
fn the_cli_creates_the_key_too_and_keeps_it_across_commands() {
    let dir = tempfile::tempdir().unwrap();
    run_cli(dir.path(), &["user", "list"], None).ok();
    let key = dir.path().join("secret.key");
    let first = std::fs::read(&key).unwrap();
    assert_eq!(first.len(), 32);
    assert_eq!(mode(&key), 0o600);
    run_cli(dir.path(), &["client", "list"], None).ok();
    assert_eq!(std::fs::read(&key).unwrap(), first, "the same key");
}

#[test]
fn a_key_file_others_can_read_stops_the_server_and_the_cli_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    run_cli(dir.path(), &["user", "list"], None).ok();
    let key = dir.path().join("secret.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();

    let err = run_cli(dir.path(), &["user", "list"], None)
        .one_line_error()
        .to_owned();
    assert!(
        err.contains("secret_key_file") && err.contains("chmod 600"),
        "{err}"
    );
    let started = Application::build(test_settings(dir.path()));
    let err = started
        .err()
        .expect("the server refuses to start")
        .to_string();
    assert!(
        err.contains("secret_key_file") && !err.contains('\n'),
        "{err}"
    );

    let findings = doctor_findings(dir.path());
    let f = finding(&findings, "secret-key-permissions").expect("doctor reports it");
    assert_eq!(f["severity"], "critical");
    assert!(f["fix"].as_str().unwrap().contains("chmod 600"), "{f}");
}

#[test]
fn a_key_file_of_the_wrong_length_is_refused_and_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    run_cli(dir.path(), &["user", "list"], None).ok();
    let key = dir.path().join("secret.key");
    std::fs::write(&key, [7u8; 16]).unwrap();

    let err = run_cli(dir.path(), &["user", "list"], None)
        .one_line_error()
        .to_owned();
    assert!(err.contains("16 bytes"), "{err}");
    assert_eq!(std::fs::read(&key).unwrap(), [7u8; 16], "left as it was");
    let findings = doctor_findings(dir.path());
    assert_eq!(
        finding(&findings, "secret-key-invalid").expect("reported")["severity"],
        "critical"
    );
}

#[test]
fn doctor_warns_when_the_key_file_is_missing_and_nobody_has_a_seed_to_lose() {
    let dir = tempfile::tempdir().unwrap();
    run_cli(dir.path(), &["user", "list"], None).ok();
    std::fs::remove_file(dir.path().join("secret.key")).unwrap();
    let findings = doctor_findings(dir.path());
    let f = finding(&findings, "secret-key-missing").expect("reported");
    assert_eq!(f["severity"], "warning", "{f}");
    assert!(
        !dir.path().join("secret.key").exists(),
        "doctor creates nothing"
    );
}

#[tokio::test]
async fn doctor_is_critical_when_the_key_file_is_gone_and_seeds_depend_on_it() {
    let (app, _clock, _, _, _) = super::totp::alice_with_totp().await;
    std::fs::remove_file(app.data_path().join("secret.key")).unwrap();
    let findings = doctor_findings(app.data_path());
    let f = finding(&findings, "secret-key-missing").expect("reported");
    assert_eq!(f["severity"], "critical", "{f}");
    assert!(f["message"].as_str().unwrap().contains("1 user"), "{f}");
    assert!(f["fix"].as_str().unwrap().contains("reset-mfa"), "{f}");
}
