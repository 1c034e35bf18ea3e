//! Configuration: defaults < latchkey.toml (or --config) < LATCHKEY_* environment < flags,
//! validated once; every error names the offending key.

use crate::support::*;
use latchkey::config::{ConfigError, LogFormat, Settings, Sources};
use std::path::{Path, PathBuf};

fn write_toml(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("latchkey.toml");
    std::fs::write(&path, text).expect("write config file");
    path
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn load(
    config_file: Option<&Path>,
    env_pairs: &[(&str, &str)],
    flags: &[(&'static str, &str)],
) -> Result<Settings, ConfigError> {
    Settings::load(&Sources {
        config_file: config_file.map(Path::to_path_buf),
        env: env(env_pairs),
        flags: flags.iter().map(|(k, v)| (*k, v.to_string())).collect(),
    })
}

fn load_err(
    config_file: Option<&Path>,
    env_pairs: &[(&str, &str)],
    flags: &[(&'static str, &str)],
) -> String {
    match load(config_file, env_pairs, flags) {
        Ok(s) => panic!("expected a configuration error, got {s:?}"),
        Err(e) => e.to_string(),
    }
}

// ---------------------------------------------------------------- precedence

#[test]
fn defaults_apply_without_file_environment_or_flags() {
    let s = load(None, &[], &[]).unwrap();

    assert_eq!(s.issuer, "http://localhost:8080");
    assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(s.data_dir, PathBuf::from("./latchkey-data"));
    assert_eq!(s.log_format, LogFormat::Text);
    assert_eq!(s.access_token_ttl_secs, 600);
    assert!(!s.is_https());
}

#[test]
fn config_file_overrides_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_toml(
        dir.path(),
        r#"
issuer = "https://id.example.com"
bind = "0.0.0.0:9000"
data_dir = "/var/lib/latchkey"
log_format = "json"
access_token_ttl_secs = 300
workers = 3
"#,
    );

    let s = load(Some(&file), &[], &[]).unwrap();

    assert_eq!(s.issuer, "https://id.example.com");
    assert!(s.is_https());
    assert_eq!(s.bind.to_string(), "0.0.0.0:9000");
    assert_eq!(s.data_dir, PathBuf::from("/var/lib/latchkey"));
    assert_eq!(s.log_format, LogFormat::Json);
    assert_eq!(s.access_token_ttl_secs, 300);
    assert_eq!(s.workers, 3);
    // Untouched keys keep their defaults.
    assert_eq!(s.id_token_ttl_secs, 3600);
}

#[test]
fn environment_overrides_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_toml(
        dir.path(),
        "issuer = \"https://file.example\"\nbind = \"127.0.0.1:7000\"\n",
    );

    let s = load(
        Some(&file),
        &[("LATCHKEY_ISSUER", "https://env.example")],
        &[],
    )
    .unwrap();

    assert_eq!(s.issuer, "https://env.example");
    assert_eq!(s.bind.port(), 7000, "the file still supplies bind");
}

#[test]
fn flags_override_environment_config_file_and_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_toml(
        dir.path(),
        r#"
issuer = "https://file.example"
bind = "127.0.0.1:7001"
data_dir = "/from/file"
log_level = "debug"
"#,
    );

    let s = load(
        Some(&file),
        &[
            ("LATCHKEY_BIND", "127.0.0.1:7002"),
            ("LATCHKEY_DATA_DIR", "/from/env"),
        ],
        &[("data_dir", "/from/flag")],
    )
    .unwrap();

    assert_eq!(s.data_dir, PathBuf::from("/from/flag"), "flag beats env");
    assert_eq!(s.bind.port(), 7002, "env beats file");
    assert_eq!(s.issuer, "https://file.example", "file beats default");
    assert_eq!(s.log_level, "debug");
    assert_eq!(s.workers, 0, "default");
}

#[test]
fn environment_variables_without_the_prefix_are_ignored() {
    let s = load(
        None,
        &[
            ("PATH", "/usr/bin"),
            ("ISSUER", "not a url"),
            ("LATCHKEY", "x"),
        ],
        &[],
    )
    .unwrap();

    assert_eq!(s.issuer, "http://localhost:8080");
}

#[test]
fn latchkey_config_in_the_environment_is_not_mistaken_for_a_setting() {
    let s = load(None, &[("LATCHKEY_CONFIG", "/somewhere.toml")], &[]).unwrap();

    assert_eq!(s.issuer, "http://localhost:8080");
}

#[test]
fn unknown_latchkey_environment_variable_is_an_error_naming_it() {
    let e = load_err(None, &[("LATCHKEY_ISUER", "https://x.example")], &[]);

    assert!(e.contains("LATCHKEY_ISUER"), "{e}");
}

// ---------------------------------------------------------------- validation

#[test]
fn issuer_with_query_fragment_relative_or_non_http_is_rejected_naming_issuer() {
    for bad in [
        "https://id.example.com/?tenant=a",
        "https://id.example.com/#frag",
        "/relative/path",
        "id.example.com",
        "ftp://id.example.com",
        "https://user:pw@id.example.com",
        "",
    ] {
        let e = load_err(None, &[("LATCHKEY_ISSUER", bad)], &[]);

        assert!(e.contains("`issuer`"), "{bad:?}: {e}");
        assert!(
            e.contains("LATCHKEY_ISSUER"),
            "{bad:?}: error should name the source: {e}"
        );
    }
}

#[test]
fn issuer_error_from_the_config_file_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_toml(dir.path(), "issuer = \"https://x.example/?q=1\"\n");

    let e = load_err(Some(&file), &[], &[]);

    assert!(e.contains("`issuer`"), "{e}");
    assert!(e.contains(&file.display().to_string()), "{e}");
}

#[test]
fn issuer_with_a_path_is_accepted() {
    let s = load(None, &[("LATCHKEY_ISSUER", "https://example.com/sso")], &[]).unwrap();

    assert_eq!(s.issuer, "https://example.com/sso");
    assert_eq!(s.endpoint("/token"), "https://example.com/sso/token");
}

#[test]
fn bind_that_does_not_parse_is_rejected_naming_bind() {
    for bad in [
        "nowhere",
        "localhost:8080",
        "127.0.0.1",
        "127.0.0.1:99999",
        "",
    ] {
        let e = load_err(None, &[], &[("bind", bad)]);

        assert!(e.contains("`bind`"), "{bad:?}: {e}");
    }
}

#[test]
fn numeric_settings_must_be_positive_whole_numbers() {
    for (key, bad) in [
        ("access_token_ttl_secs", "ten"),
        ("access_token_ttl_secs", "0"),
        ("refresh_token_ttl_secs", "-5"),
        ("workers", "many"),
        ("workers", "100000"),
    ] {
        let e = load_err(None, &[], &[(key, bad)]);

        assert!(e.contains(key), "{key}={bad}: {e}");
    }
}

#[test]
fn log_format_must_be_text_or_json() {
    let e = load_err(None, &[("LATCHKEY_LOG_FORMAT", "xml")], &[]);

    assert!(e.contains("log_format"), "{e}");
}

#[test]
fn session_idle_timeout_may_not_exceed_the_session_lifetime() {
    let e = load_err(
        None,
        &[
            ("LATCHKEY_SESSION_IDLE_TIMEOUT_SECS", "7200"),
            ("LATCHKEY_SESSION_MAX_LIFETIME_SECS", "3600"),
        ],
        &[],
    );

    assert!(e.contains("session_idle_timeout_secs"), "{e}");
}

#[test]
fn unknown_key_in_the_config_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_toml(
        dir.path(),
        "issuer = \"https://x.example\"\nisuer = \"typo\"\n",
    );

    let e = load_err(Some(&file), &[], &[]);

    assert!(e.contains("isuer"), "{e}");
    assert!(e.contains(&file.display().to_string()), "{e}");
}

#[test]
fn invalid_toml_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_toml(dir.path(), "issuer = \"https://x.example\nbind = \n");

    let e = load_err(Some(&file), &[], &[]);

    assert!(e.contains("TOML"), "{e}");
    assert!(e.contains(&file.display().to_string()), "{e}");
}

#[test]
fn a_table_or_array_value_in_the_config_file_is_an_error_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for text in [
        "bind = [\"127.0.0.1:1\"]\n",
        "[issuer]\nurl = \"https://x\"\n",
    ] {
        let file = write_toml(dir.path(), text);

        let e = load_err(Some(&file), &[], &[]);

        assert!(e.contains("bind") || e.contains("issuer"), "{text}: {e}");
    }
}

#[test]
fn missing_config_file_given_explicitly_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");

    let e = load_err(Some(&missing), &[], &[]);

    assert!(e.contains(&missing.display().to_string()), "{e}");
}

#[test]
fn data_dir_under_a_regular_file_cannot_be_prepared_and_the_error_names_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let bad = file.join("data");
    let s = load(None, &[], &[("data_dir", &bad.display().to_string())]).unwrap();

    let e = s.prepare_data_dir().unwrap_err().to_string();

    assert!(e.contains("data_dir"), "{e}");
    assert!(!bad.exists());
}

#[test]
fn prepare_data_dir_creates_missing_directories_and_returns_the_database_path() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a").join("b");
    let s = load(None, &[], &[("data_dir", &nested.display().to_string())]).unwrap();

    let db = s.prepare_data_dir().unwrap();

    assert!(nested.is_dir());
    assert_eq!(db, nested.join("latchkey.db"));
    let leftovers: Vec<_> = std::fs::read_dir(&nested).unwrap().collect();
    assert!(leftovers.is_empty(), "the write probe must be cleaned up");
}

// ---------------------------------------------------------------- through the binary

#[test]
fn serve_with_a_config_file_holding_an_unknown_key_exits_with_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "bind = \"127.0.0.1:0\"\nlisten_port = 9000\n").unwrap();
    let mut cmd = latchkey_bare();
    cmd.arg("serve").arg("--config").arg(&bad);

    let out = run(cmd, None);

    let err = out.one_line_error();
    assert!(err.contains("listen_port"), "{err}");
}

#[test]
fn serve_with_a_bad_bind_flag_exits_with_an_error_naming_bind() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = latchkey_cmd(dir.path());
    cmd.args(["serve", "--bind", "not-an-address"]);

    let out = run(cmd, None);

    assert!(out.one_line_error().contains("`bind`"), "{}", out.stderr);
    assert!(!db_path(dir.path()).exists(), "nothing should be created");
}

#[test]
fn serve_with_a_bad_issuer_in_the_environment_exits_with_an_error_naming_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = latchkey_cmd(dir.path());
    cmd.env("LATCHKEY_ISSUER", "https://id.example/?x=1")
        .env("LATCHKEY_BIND", "127.0.0.1:0");

    let out = run(cmd, None);

    let err = out.one_line_error();
    assert!(
        err.contains("`issuer`") && err.contains("LATCHKEY_ISSUER"),
        "{err}"
    );
}

#[test]
fn binary_with_a_missing_config_file_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    let mut cmd = latchkey_cmd(dir.path());
    cmd.arg("--config").arg(&missing).args(["user", "list"]);

    let out = run(cmd, None);

    assert!(
        out.one_line_error().contains("missing.toml"),
        "{}",
        out.stderr
    );
}

#[test]
fn binary_with_an_unknown_latchkey_variable_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = latchkey_cmd(dir.path());
    cmd.env("LATCHKEY_DATADIR", "/tmp/x").args(["user", "list"]);

    let out = run(cmd, None);

    assert!(
        out.one_line_error().contains("LATCHKEY_DATADIR"),
        "{}",
        out.stderr
    );
}

#[test]
fn binary_reports_a_data_dir_that_cannot_be_created() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();

    let out = run_cli(&file.join("data"), &["user", "list"], None);

    assert!(out.one_line_error().contains("data_dir"), "{}", out.stderr);
}

#[test]
fn binary_uses_latchkey_data_dir_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let from_env = dir.path().join("env-data");
    let mut cmd = latchkey_bare();
    cmd.env("LATCHKEY_DATA_DIR", &from_env)
        .args(["user", "add", "alice", "--email", "a@x"]);

    run(cmd, None).ok();

    assert!(db_path(&from_env).is_file());
}

#[test]
fn binary_data_dir_flag_beats_the_environment_and_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let (from_file, from_env, from_flag) = (
        dir.path().join("file-data"),
        dir.path().join("env-data"),
        dir.path().join("flag-data"),
    );
    let conf = dir.path().join("conf.toml");
    std::fs::write(
        &conf,
        format!("data_dir = {:?}\n", from_file.display().to_string()),
    )
    .unwrap();

    let mut env_over_file = latchkey_bare();
    env_over_file
        .arg("--config")
        .arg(&conf)
        .env("LATCHKEY_DATA_DIR", &from_env)
        .args(["user", "add", "by-env", "--email", "a@x"]);
    run(env_over_file, None).ok();
    let mut flag_over_env = latchkey_cmd(&from_flag);
    flag_over_env
        .arg("--config")
        .arg(&conf)
        .env("LATCHKEY_DATA_DIR", &from_env)
        .args(["user", "add", "by-flag", "--email", "a@x"]);
    run(flag_over_env, None).ok();
    let mut file_only = latchkey_bare();
    file_only
        .arg("--config")
        .arg(&conf)
        .args(["user", "add", "by-file", "--email", "a@x"]);
    run(file_only, None).ok();

    let names = |d: &Path| -> Vec<String> {
        run_cli(d, &["user", "list", "--json"], None)
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&from_env), ["by-env"]);
    assert_eq!(names(&from_flag), ["by-flag"]);
    assert_eq!(names(&from_file), ["by-file"]);
}

#[test]
fn binary_reads_latchkey_toml_from_the_working_directory() {
    let cwd = tempfile::tempdir().unwrap();
    let data = cwd.path().join("data-from-toml");
    write_toml(
        cwd.path(),
        &format!("data_dir = {:?}\n", data.display().to_string()),
    );
    let mut cmd = latchkey_bare();
    cmd.current_dir(cwd.path())
        .args(["user", "add", "alice", "--email", "a@x"]);

    run(cmd, None).ok();

    assert!(db_path(&data).is_file());
}

#[test]
fn binary_reads_the_config_path_from_latchkey_config() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data-from-config-env");
    let conf = dir.path().join("elsewhere.toml");
    std::fs::write(
        &conf,
        format!("data_dir = {:?}\n", data.display().to_string()),
    )
    .unwrap();
    let mut cmd = latchkey_bare();
    cmd.env("LATCHKEY_CONFIG", &conf)
        .args(["user", "add", "alice", "--email", "a@x"]);

    run(cmd, None).ok();

    assert!(db_path(&data).is_file());
}

#[test]
fn every_setting_is_documented_in_the_readme_with_its_default() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for s in latchkey::config::SETTINGS {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", s.key)))
            .unwrap_or_else(|| panic!("README has no row for `{}`", s.key));
        if !s.default.is_empty() {
            assert!(
                row.contains(&format!("`{}`", s.default)),
                "README row for {} lacks its default {}: {row}",
                s.key,
                s.default
            );
        }
    }
}
