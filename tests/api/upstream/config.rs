//! `[[upstream]]` tables in `latchkey.toml`: checked at start with one-line errors, secrets
//! not readable by others, an unreachable provider only a warning, and doctor's checks.

use crate::support::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A config file with one upstream `corp` at `issuer`, its secret file with `mode`.
fn config(dir: &Path, issuer: &str, mode: u32, extra: &str) -> PathBuf {
    let secret = dir.join("corp.secret");
    std::fs::write(&secret, "s3cret\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(mode)).unwrap();
    let file = dir.join("latchkey.toml");
    std::fs::write(
        &file,
        format!(
            "[[upstream]]\nid = \"corp\"\nname = \"Corp SSO\"\nissuer = \"{issuer}\"\nclient_id = \"latchkey\"\nclient_secret_file = {:?}\n{extra}",
            secret.display().to_string()
        ),
    )
    .unwrap();
    file
}

fn with_config(file: &Path, data: &Path, args: &[&str]) -> CliOutput {
    let mut cmd = latchkey_cmd(data);
    cmd.arg("--config").arg(file).args(args);
    run(cmd, None)
}

#[test]
fn a_mistake_in_an_upstream_table_is_one_line_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = config(
        dir.path(),
        "https://sso.example.com",
        0o600,
        "link = \"by-email\"\n",
    );
    let out = with_config(&file, &dir.path().join("data"), &["user", "list"]);
    let err = out.one_line_error();
    assert!(
        err.contains("`upstream.corp.link`") && err.contains("verified-email"),
        "{err}"
    );
}

#[test]
fn a_client_secret_file_others_can_read_stops_the_start_and_doctor_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = config(dir.path(), "http://127.0.0.1:1", 0o644, "");

    let mut cmd = latchkey_cmd(&data);
    cmd.arg("--config")
        .arg(&file)
        .args(["serve", "--bind", &format!("127.0.0.1:{}", free_port())]);
    let out = run(cmd, None);
    let err = out.one_line_error();
    assert!(
        err.contains("`upstream.corp.client_secret_file`") && err.contains("chmod 600"),
        "{err}"
    );

    let report = with_config(&file, &data, &["doctor", "--json"]);
    assert_eq!(report.status.code(), Some(2), "critical: {}", report.stdout);
    let findings: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    let checks: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check"].as_str().unwrap())
        .collect();
    assert!(
        checks.contains(&"upstream-secret-permissions"),
        "{checks:?}"
    );
    assert!(checks.contains(&"upstream-unreachable"), "{checks:?}");
}

#[test]
fn doctor_prints_each_callback_url_to_register() {
    let dir = tempfile::tempdir().unwrap();
    let file = config(dir.path(), "http://127.0.0.1:1", 0o600, "");
    let out = with_config(&file, &dir.path().join("data"), &["doctor"]);
    assert!(
        out.stdout.contains(
            "register the redirect URI http://localhost:8080/upstream/corp/callback at Corp SSO"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("[upstream-unreachable]"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn an_upstream_that_cannot_be_reached_is_a_page_at_sign_in_not_a_failed_start() {
    let dir = tempfile::tempdir().unwrap();
    let secret = secret_file(dir.path(), "s", "x");
    let table = upstream_table(
        "corp",
        latchkey::config::UpstreamKind::Oidc,
        "http://127.0.0.1:1",
        &secret,
    );
    let app = spawn_app_with(|s| s.upstreams = vec![table]).await;
    let login = browse(&app, "/login").await.text().await.unwrap();
    let href = upstream_link(&login).expect("the button is there");

    let res = browse(&app, &href).await;

    assert_eq!(res.status(), 502);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("Upstream Co cannot be reached right now"),
        "{html}"
    );
    let failed = audited(&app, "upstream.failed");
    assert!(failed[0].detail.as_deref().unwrap().contains("unreachable"));
}

#[test]
fn every_upstream_key_is_documented_in_the_readme_with_its_default() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for s in latchkey::config::UPSTREAM_SETTINGS {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", s.key)))
            .unwrap_or_else(|| panic!("README has no row for `{}`", s.key));
        if !s.default.is_empty() {
            assert!(
                row.contains(&format!("`{}`", s.default)),
                "{}: {row}",
                s.key
            );
        }
    }
}
