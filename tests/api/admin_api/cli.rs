//! `latchkey admin-key create/list/revoke`.

use super::*;

#[tokio::test]
async fn a_created_key_is_printed_once_works_at_once_and_is_never_listed() {
    let app = spawn_oidc_app().await;

    let out = app.cli(&["admin-key", "create", "ci"], None);
    let text = out.ok();
    let k = text
        .lines()
        .find_map(|l| l.strip_prefix("key: "))
        .unwrap_or_else(|| panic!("no key line in {text}"))
        .to_owned();
    assert!(k.starts_with("lka_"), "{k}");
    assert!(text.contains("shown only once"), "{text}");

    call(&app, "GET", "/users", Some(&k), None)
        .await
        .expect(200);
    let list = app.cli(&["admin-key", "list"], None);
    let listed = list.ok();
    assert!(listed.starts_with("ci\tactive"), "{listed}");
    assert!(!listed.contains(&k));
    let json = app.cli(&["admin-key", "list", "--json"], None).json();
    assert_eq!(json[0]["name"], "ci");
    assert_eq!(json[0]["status"], "active");
    assert_eq!(json[0]["created_by"], "cli");
    assert!(json[0]["last_used_at"].is_i64(), "{json}");
    assert!(!json.to_string().contains(&k));
    let stored: String = app
        .store
        .sql(|c| Ok(c.query_row("SELECT key_hash FROM admin_keys", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(
        stored,
        latchkey::crypto::random::hash_token(&k),
        "stored hashed only"
    );
}

#[tokio::test]
async fn a_revoked_key_is_refused_at_once_and_its_name_stays_taken() {
    let app = spawn_oidc_app().await;
    let created = app
        .cli(&["admin-key", "create", "ci", "--json"], None)
        .json();
    let k = created["key"].as_str().unwrap().to_owned();
    assert!(created["expires_at"].is_null(), "never expires by default");

    let out = app
        .cli(&["admin-key", "revoke", "ci", "--json"], None)
        .json();

    assert!(out["revoked_at"].is_i64());
    call(&app, "GET", "/users", Some(&k), None)
        .await
        .expect_unauthorized();
    let listed = app.cli(&["admin-key", "list", "--json"], None).json();
    assert_eq!(listed[0]["status"], "revoked");
    let err = app
        .cli(&["admin-key", "revoke", "ci"], None)
        .one_line_error()
        .to_owned();
    assert!(err.contains("revoked already"), "{err}");
    let err = app
        .cli(&["admin-key", "create", "CI"], None)
        .one_line_error()
        .to_owned();
    assert!(err.contains("exists already"), "{err}");
    assert_eq!(
        audited(&app, "admin_key.revoked")[0].actor.as_deref(),
        Some("cli")
    );
}

#[test]
fn expires_takes_a_duration_and_the_key_expires_then() {
    let dir = tempfile::tempdir().unwrap();
    let before = latchkey::clock::Clock::now(&latchkey::clock::SystemClock);

    let out = run_cli(
        dir.path(),
        &["admin-key", "create", "ci", "--expires", "90d", "--json"],
        None,
    )
    .json();

    let expires = out["expires_at"].as_i64().expect("expires_at");
    let created = out["created_at"].as_i64().unwrap();
    assert!(created >= before);
    assert_eq!(expires - created, 90 * 86_400);
    let text = run_cli(
        dir.path(),
        &["admin-key", "create", "deploy", "--expires", "12h"],
        None,
    );
    assert!(text.ok().contains("expires 20"), "{}", text.stdout);
}

#[test]
fn bad_names_durations_and_unknown_keys_fail_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for (args, says) in [
        (
            &["admin-key", "create", "ci", "--expires", "soon"][..],
            "--expires",
        ),
        (
            &["admin-key", "create", "ci", "--expires", "0d"],
            "positive",
        ),
        (
            &["admin-key", "create", "bad name"],
            "invalid admin key name",
        ),
        (&["admin-key", "revoke", "nobody"], "no admin key named"),
    ] {
        let out = run_cli(dir.path(), args, None);
        let err = out.one_line_error();
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let listed = run_cli(dir.path(), &["admin-key", "list"], None);
    assert_eq!(listed.ok().trim(), "no admin keys");
}

#[test]
fn admin_key_help_explains_the_commands() {
    let out = run(latchkey_bare_with(&["admin-key", "create", "--help"]), None);
    let help = out.ok();
    assert!(help.contains("Authorization: Bearer"), "{help}");
    assert!(help.contains("--expires"), "{help}");
}

fn latchkey_bare_with(args: &[&str]) -> std::process::Command {
    let mut cmd = latchkey_bare();
    cmd.args(args);
    cmd
}
