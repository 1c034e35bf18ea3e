//! The admin CLI, run as the real binary against a temporary data dir.

use crate::support::*;
use latchkey::crypto::{password, random};
use latchkey::store::{clients, users};
use serde_json::Value;
use std::path::Path;

const PASSWORD: &str = "s3cret-passw0rd";

fn add_alice(dir: &Path) -> CliOutput {
    run_cli(
        dir,
        &[
            "user",
            "add",
            "alice",
            "--email",
            "alice@example.com",
            "--password-stdin",
        ],
        Some("s3cret-passw0rd\n"),
    )
}

fn user_list(dir: &Path) -> Value {
    run_cli(dir, &["user", "list", "--json"], None).json()
}

fn client_list(dir: &Path) -> Value {
    run_cli(dir, &["client", "list", "--json"], None).json()
}

fn usernames(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a JSON array")
        .iter()
        .map(|u| u["username"].as_str().expect("username").to_owned())
        .collect()
}

fn add_confidential_app(dir: &Path) -> Value {
    run_cli(
        dir,
        &[
            "client",
            "add",
            "app",
            "--redirect-uri",
            "https://app.example/cb",
            "--json",
        ],
        None,
    )
    .json()
}

// ---------------------------------------------------------------- users

#[test]
fn user_add_with_password_stdin_succeeds_and_mentions_the_user() {
    let dir = tempfile::tempdir().unwrap();

    let out = add_alice(dir.path());

    let stdout = out.ok();
    assert!(stdout.contains("alice"), "stdout: {stdout}");
    assert!(
        !stdout.contains(PASSWORD),
        "a password from stdin must never be echoed: {stdout}"
    );
    let list = user_list(dir.path());
    assert_eq!(usernames(&list), ["alice"]);
    assert_eq!(list[0]["email"], "alice@example.com");
    assert_eq!(list[0]["disabled"], false);
    assert!(
        list[0].get("password_hash").is_none(),
        "hashes must not be printed"
    );
}

#[test]
fn user_add_stores_the_stdin_password_without_its_trailing_newline() {
    let dir = tempfile::tempdir().unwrap();
    add_alice(dir.path()).ok();

    let user = open_store(dir.path())
        .read(|c| users::get_user_by_username(c, "alice"))
        .unwrap();

    assert_ne!(
        password::verify(PASSWORD, &user.password_hash),
        password::Verdict::Invalid
    );
    assert_eq!(
        password::verify("s3cret-passw0rd\n", &user.password_hash),
        password::Verdict::Invalid
    );
}

#[test]
fn user_add_without_password_stdin_prints_a_generated_password_once() {
    let dir = tempfile::tempdir().unwrap();

    let out = run_cli(
        dir.path(),
        &["user", "add", "bob", "--email", "bob@example.com"],
        None,
    );

    let stdout = out.ok();
    let generated = stdout
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap_or_else(|| panic!("no `password: ` line in:\n{stdout}"))
        .trim()
        .to_owned();
    assert!(
        generated.len() >= 16,
        "weak generated password {generated:?}"
    );
    assert_eq!(stdout.matches(generated.as_str()).count(), 1);
    let user = open_store(dir.path())
        .read(|c| users::get_user_by_username(c, "bob"))
        .unwrap();
    assert_ne!(
        password::verify(&generated, &user.password_hash),
        password::Verdict::Invalid
    );
    // Shown once: nothing else ever prints it again.
    for args in [
        &["user", "show", "bob"][..],
        &["user", "show", "bob", "--json"],
        &["user", "list"],
        &["user", "list", "--json"],
    ] {
        let again = run_cli(dir.path(), args, None);
        assert!(!again.ok().contains(&generated), "{args:?} printed it");
    }
}

#[test]
fn user_add_json_includes_the_generated_password() {
    let dir = tempfile::tempdir().unwrap();

    let out = run_cli(
        dir.path(),
        &["user", "add", "bob", "--email", "bob@example.com", "--json"],
        None,
    )
    .json();

    let pw = out["password"].as_str().expect("a `password` string");
    assert!(pw.len() >= 16, "weak generated password {pw:?}");
    assert_eq!(out["username"], "bob");
    assert_eq!(out["email"], "bob@example.com");
    assert!(!out["subject"].as_str().unwrap_or_default().is_empty());
}

#[test]
fn user_add_json_with_password_stdin_has_no_password() {
    let dir = tempfile::tempdir().unwrap();

    let out = run_cli(
        dir.path(),
        &[
            "user",
            "add",
            "alice",
            "--email",
            "alice@example.com",
            "--password-stdin",
            "--admin",
            "--name",
            "Alice Liddell",
            "--json",
        ],
        Some("s3cret-passw0rd\n"),
    )
    .json();

    assert!(out["password"].is_null(), "{out}");
    assert_eq!(out["username"], "alice");
    let shown = run_cli(dir.path(), &["user", "show", "alice", "--json"], None).json();
    assert_eq!(shown["is_admin"], true);
    assert_eq!(shown["name"], "Alice Liddell");
    assert_eq!(shown["subject"], out["subject"]);
}

#[test]
fn user_subjects_are_unique_per_user() {
    let dir = tempfile::tempdir().unwrap();
    let a = run_cli(
        dir.path(),
        &["user", "add", "a1", "--email", "a1@example.com", "--json"],
        None,
    )
    .json();
    let b = run_cli(
        dir.path(),
        &["user", "add", "b1", "--email", "b1@example.com", "--json"],
        None,
    )
    .json();

    assert_ne!(a["subject"], b["subject"]);
}

#[test]
fn user_add_with_duplicate_username_fails_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    add_alice(dir.path()).ok();
    let before = user_list(dir.path());

    for name in ["alice", "ALICE", "Alice"] {
        let out = run_cli(
            dir.path(),
            &[
                "user",
                "add",
                name,
                "--email",
                "other@example.com",
                "--password-stdin",
            ],
            Some("another-passw0rd\n"),
        );

        let err = out.one_line_error();
        assert!(err.contains("already exists"), "{name}: {err}");
        assert_eq!(user_list(dir.path()), before, "{name} changed the users");
    }
}

#[test]
fn user_add_with_invalid_email_fails_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();

    for email in ["not-an-email", "alice@", "@example.com", "a b@example.com"] {
        let out = run_cli(
            dir.path(),
            &["user", "add", "alice", "--email", email, "--password-stdin"],
            Some("s3cret-passw0rd\n"),
        );

        let err = out.one_line_error();
        assert!(err.contains("email"), "{email}: {err}");
    }
    assert_eq!(user_list(dir.path()), serde_json::json!([]));
}

#[test]
fn user_add_with_a_short_password_on_stdin_fails_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();

    for weak in ["short\n", "\n", "1234567\n"] {
        let out = run_cli(
            dir.path(),
            &[
                "user",
                "add",
                "alice",
                "--email",
                "alice@example.com",
                "--password-stdin",
            ],
            Some(weak),
        );

        let err = out.one_line_error();
        assert!(err.contains("password"), "{weak:?}: {err}");
    }
    assert_eq!(user_list(dir.path()), serde_json::json!([]));
}

#[test]
fn user_add_with_an_invalid_username_fails_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();

    for name in ["al ice", "ålice", ""] {
        let out = run_cli(
            dir.path(),
            &["user", "add", name, "--email", "a@example.com"],
            None,
        );

        let err = out.one_line_error();
        assert!(err.contains("username"), "{name:?}: {err}");
    }
    assert_eq!(user_list(dir.path()), serde_json::json!([]));
}

#[test]
fn user_list_text_shows_flags_and_is_empty_message_without_users() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run_cli(dir.path(), &["user", "list"], None).ok().trim(),
        "no users"
    );
    run_cli(
        dir.path(),
        &[
            "user",
            "add",
            "root",
            "--email",
            "root@example.com",
            "--admin",
        ],
        None,
    )
    .ok();
    add_alice(dir.path()).ok();

    let out = run_cli(dir.path(), &["user", "list"], None);

    let lines: Vec<&str> = out.ok().lines().collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("alice\talice@example.com"),
        "{lines:?}"
    );
    assert!(lines[1].starts_with("root\t") && lines[1].contains("admin"));
}

#[test]
fn user_disable_and_enable_toggle_the_disabled_flag() {
    let dir = tempfile::tempdir().unwrap();
    add_alice(dir.path()).ok();

    let out = run_cli(dir.path(), &["user", "disable", "alice", "--json"], None).json();
    assert_eq!(out["disabled"], true);
    let shown = run_cli(dir.path(), &["user", "show", "alice", "--json"], None).json();
    assert_eq!(shown["disabled"], true);
    assert!(
        run_cli(dir.path(), &["user", "list"], None)
            .ok()
            .contains("disabled")
    );

    let out = run_cli(dir.path(), &["user", "enable", "alice"], None);
    assert!(out.ok().contains("enabled user alice"), "{}", out.stdout);
    let shown = run_cli(dir.path(), &["user", "show", "alice", "--json"], None).json();
    assert_eq!(shown["disabled"], false);
}

#[test]
fn user_disable_is_case_insensitive_like_the_username() {
    let dir = tempfile::tempdir().unwrap();
    add_alice(dir.path()).ok();

    run_cli(dir.path(), &["user", "disable", "ALICE"], None).ok();

    let shown = run_cli(dir.path(), &["user", "show", "alice", "--json"], None).json();
    assert_eq!(shown["disabled"], true);
}

#[test]
fn user_show_prints_the_user_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    add_alice(dir.path()).ok();

    let text = run_cli(dir.path(), &["user", "show", "alice"], None);
    let json = run_cli(dir.path(), &["user", "show", "alice", "--json"], None).json();

    assert!(text.ok().contains("alice@example.com"));
    assert!(!text.stdout.contains("argon2"), "{}", text.stdout);
    assert_eq!(json["username"], "alice");
    assert_eq!(json["email"], "alice@example.com");
    assert!(json.get("password_hash").is_none());
    assert!(json["created_at"].as_i64().unwrap() > 1_600_000_000);
}

#[test]
fn user_set_password_from_stdin_replaces_the_password() {
    let dir = tempfile::tempdir().unwrap();
    add_alice(dir.path()).ok();

    run_cli(
        dir.path(),
        &["user", "set-password", "alice", "--password-stdin"],
        Some("brand-new-passw0rd\n"),
    )
    .ok();

    let user = open_store(dir.path())
        .read(|c| users::get_user_by_username(c, "alice"))
        .unwrap();
    assert_ne!(
        password::verify("brand-new-passw0rd", &user.password_hash),
        password::Verdict::Invalid
    );
    assert_eq!(
        password::verify(PASSWORD, &user.password_hash),
        password::Verdict::Invalid
    );
}

#[test]
fn user_set_password_without_stdin_prints_a_generated_password_that_works() {
    let dir = tempfile::tempdir().unwrap();
    add_alice(dir.path()).ok();

    let out = run_cli(
        dir.path(),
        &["user", "set-password", "alice", "--json"],
        None,
    )
    .json();

    let pw = out["password"].as_str().expect("a generated password");
    let user = open_store(dir.path())
        .read(|c| users::get_user_by_username(c, "alice"))
        .unwrap();
    assert_ne!(
        password::verify(pw, &user.password_hash),
        password::Verdict::Invalid
    );
}

#[test]
fn user_set_password_with_a_short_password_fails_and_keeps_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    add_alice(dir.path()).ok();

    let out = run_cli(
        dir.path(),
        &["user", "set-password", "alice", "--password-stdin"],
        Some("short\n"),
    );

    out.one_line_error();
    let user = open_store(dir.path())
        .read(|c| users::get_user_by_username(c, "alice"))
        .unwrap();
    assert_ne!(
        password::verify(PASSWORD, &user.password_hash),
        password::Verdict::Invalid
    );
}

#[test]
fn user_remove_deletes_the_user() {
    let dir = tempfile::tempdir().unwrap();
    add_alice(dir.path()).ok();
    run_cli(
        dir.path(),
        &["user", "add", "bob", "--email", "bob@example.com"],
        None,
    )
    .ok();

    let out = run_cli(dir.path(), &["user", "remove", "alice"], None);

    assert!(out.ok().contains("alice"));
    assert_eq!(usernames(&user_list(dir.path())), ["bob"]);
    run_cli(dir.path(), &["user", "show", "alice"], None).one_line_error();
}

#[test]
fn user_commands_on_an_unknown_user_fail_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    add_alice(dir.path()).ok();
    let before = user_list(dir.path());

    for (args, stdin) in [
        (&["user", "show", "mallory"][..], None),
        (&["user", "disable", "mallory"], None),
        (&["user", "enable", "mallory"], None),
        (&["user", "remove", "mallory"], None),
        (
            &["user", "set-password", "mallory", "--password-stdin"],
            Some("s3cret-passw0rd\n"),
        ),
    ] {
        let out = run_cli(dir.path(), args, stdin);

        let err = out.one_line_error();
        assert!(err.contains("mallory"), "{args:?}: {err}");
    }
    assert_eq!(user_list(dir.path()), before);
}

#[test]
fn user_commands_are_recorded_in_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    add_alice(dir.path()).ok();
    run_cli(dir.path(), &["user", "disable", "alice"], None).ok();

    let events = open_store(dir.path())
        .read(|c| latchkey::store::audit::list_audit_events(c, 10))
        .unwrap();

    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["user.disabled", "user.created"]);
    assert!(
        events
            .iter()
            .all(|e| e.actor.as_deref() == Some("cli") && e.subject.as_deref() == Some("alice"))
    );
}

// ---------------------------------------------------------------- clients

#[test]
fn client_add_confidential_prints_client_id_and_a_strong_secret() {
    let dir = tempfile::tempdir().unwrap();

    let out = add_confidential_app(dir.path());

    assert_eq!(out["client_id"], "app");
    assert_eq!(out["is_public"], false);
    let secret = out["client_secret"].as_str().expect("a client_secret");
    assert!(secret.len() >= 43, "secret too short: {secret:?}");
    assert!(is_base64url(secret), "not base64url: {secret:?}");
    assert_eq!(
        out["redirect_uris"],
        serde_json::json!(["https://app.example/cb"])
    );
    // Only the hash is stored, and it is the hash of what was printed.
    let stored = open_store(dir.path())
        .read(|c| clients::get_client(c, "app"))
        .unwrap();
    let hash = stored.secret_hash.expect("a stored secret hash");
    assert_ne!(hash, secret);
    assert_eq!(hash, random::hash_token(secret));
}

#[test]
fn client_add_text_output_shows_the_secret_once() {
    let dir = tempfile::tempdir().unwrap();

    let out = run_cli(
        dir.path(),
        &[
            "client",
            "add",
            "app",
            "--redirect-uri",
            "https://app.example/cb",
        ],
        None,
    );

    let stdout = out.ok();
    let secret = stdout
        .lines()
        .find_map(|l| l.strip_prefix("client_secret: "))
        .unwrap_or_else(|| panic!("no client_secret line:\n{stdout}"))
        .trim()
        .to_owned();
    assert!(secret.len() >= 43 && is_base64url(&secret));
    for args in [
        &["client", "show", "app"][..],
        &["client", "show", "app", "--json"],
        &["client", "list", "--json"],
    ] {
        let again = run_cli(dir.path(), args, None);
        assert!(!again.ok().contains(&secret), "{args:?} printed the secret");
    }
}

#[test]
fn client_add_public_has_no_client_secret() {
    let dir = tempfile::tempdir().unwrap();

    let out = run_cli(
        dir.path(),
        &[
            "client",
            "add",
            "spa",
            "--redirect-uri",
            "http://localhost:3000/cb",
            "--public",
            "--json",
        ],
        None,
    )
    .json();

    assert_eq!(out["client_id"], "spa");
    assert_eq!(out["is_public"], true);
    assert_eq!(out["require_pkce"], true);
    assert!(out.get("client_secret").is_none(), "{out}");
    let stored = open_store(dir.path())
        .read(|c| clients::get_client(c, "spa"))
        .unwrap();
    assert!(stored.secret_hash.is_none());
}

#[test]
fn client_add_records_every_option() {
    let dir = tempfile::tempdir().unwrap();

    let out = run_cli(
        dir.path(),
        &[
            "client",
            "add",
            "portal",
            "--redirect-uri",
            "https://portal.example/cb",
            "https://portal.example/cb2",
            "--post-logout-redirect-uri",
            "https://portal.example/bye",
            "--name",
            "The Portal",
            "--backchannel-logout-uri",
            "https://portal.example/bcl",
            "--scopes",
            "openid,email",
            "--id-token-alg",
            "ES256",
            "--skip-consent",
            "--json",
        ],
        None,
    )
    .json();

    let shown = run_cli(dir.path(), &["client", "show", "portal", "--json"], None).json();
    for v in [&out, &shown] {
        assert_eq!(v["name"], "The Portal");
        assert_eq!(
            v["redirect_uris"],
            serde_json::json!(["https://portal.example/cb", "https://portal.example/cb2"])
        );
        assert_eq!(
            v["post_logout_redirect_uris"],
            serde_json::json!(["https://portal.example/bye"])
        );
        assert_eq!(v["backchannel_logout_uri"], "https://portal.example/bcl");
        let mut scopes: Vec<&str> = v["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        scopes.sort_unstable();
        assert_eq!(scopes, ["email", "openid"]);
        assert_eq!(v["id_token_alg"], "ES256");
        assert_eq!(v["skip_consent"], true);
        assert_eq!(
            v["grant_types"],
            serde_json::json!(["authorization_code", "refresh_token"])
        );
    }
}

#[test]
fn client_add_with_invalid_redirect_uri_fails_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();

    for uri in [
        "/cb",
        "app.example/cb",
        "https://app.example/cb#fragment",
        "http://app.example/cb",
        "https://user:pw@app.example/cb",
    ] {
        let out = run_cli(
            dir.path(),
            &["client", "add", "app", "--redirect-uri", uri, "--json"],
            None,
        );

        let err = out.one_line_error();
        assert!(err.contains("redirect URI"), "{uri}: {err}");
        assert!(out.stdout.is_empty(), "{uri}: printed {}", out.stdout);
    }
    assert_eq!(client_list(dir.path()), serde_json::json!([]));
}

#[test]
fn client_add_with_one_bad_redirect_uri_among_good_ones_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();

    let out = run_cli(
        dir.path(),
        &[
            "client",
            "add",
            "app",
            "--redirect-uri",
            "https://app.example/cb",
            "http://evil.example/cb",
        ],
        None,
    );

    out.one_line_error();
    assert_eq!(client_list(dir.path()), serde_json::json!([]));
}

#[test]
fn client_add_with_duplicate_client_id_fails_and_keeps_the_original() {
    let dir = tempfile::tempdir().unwrap();
    add_confidential_app(dir.path());
    let before = client_list(dir.path());

    let out = run_cli(
        dir.path(),
        &[
            "client",
            "add",
            "app",
            "--redirect-uri",
            "https://other.example/cb",
        ],
        None,
    );

    let err = out.one_line_error();
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(client_list(dir.path()), before);
}

#[test]
fn client_add_with_invalid_options_fails_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [&[&str]; 5] = [
        &[
            "client",
            "add",
            "bad id",
            "--redirect-uri",
            "https://a.example/cb",
        ],
        &[
            "client",
            "add",
            "app",
            "--redirect-uri",
            "https://a.example/cb",
            "--public",
            "--grant-types",
            "client_credentials",
        ],
        &[
            "client",
            "add",
            "app",
            "--redirect-uri",
            "https://a.example/cb",
            "--public",
            "--no-pkce",
        ],
        &[
            "client",
            "add",
            "app",
            "--redirect-uri",
            "https://a.example/cb",
            "--id-token-alg",
            "HS256",
        ],
        &[
            "client",
            "add",
            "app",
            "--redirect-uri",
            "https://a.example/cb",
            "--grant-types",
            "password",
        ],
    ];

    for args in cases {
        run_cli(dir.path(), args, None).one_line_error();
    }
    assert_eq!(client_list(dir.path()), serde_json::json!([]));
}

#[test]
fn client_list_and_show_describe_registered_clients() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        run_cli(dir.path(), &["client", "list"], None).ok().trim(),
        "no clients"
    );
    add_confidential_app(dir.path());
    run_cli(
        dir.path(),
        &[
            "client",
            "add",
            "spa",
            "--redirect-uri",
            "http://127.0.0.1:5173/cb",
            "--public",
        ],
        None,
    )
    .ok();

    let list = client_list(dir.path());
    let text = run_cli(dir.path(), &["client", "list"], None);
    let show = run_cli(dir.path(), &["client", "show", "app"], None);

    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["app", "spa"]);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|c| c.get("client_secret").is_none())
    );
    let lines: Vec<&str> = text.ok().lines().collect();
    assert_eq!(lines, ["app\tconfidential\tapp", "spa\tpublic\tspa"]);
    assert!(show.ok().contains("https://app.example/cb"));
    assert!(show.stdout.contains("confidential"));
}

#[test]
fn client_remove_deletes_the_client() {
    let dir = tempfile::tempdir().unwrap();
    add_confidential_app(dir.path());

    let out = run_cli(dir.path(), &["client", "remove", "app", "--json"], None).json();

    assert_eq!(out["removed"], "app");
    assert_eq!(client_list(dir.path()), serde_json::json!([]));
    run_cli(dir.path(), &["client", "show", "app"], None).one_line_error();
}

#[test]
fn client_rotate_secret_prints_a_new_different_secret_and_replaces_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let created = add_confidential_app(dir.path());
    let old = created["client_secret"].as_str().unwrap().to_owned();

    let out = run_cli(
        dir.path(),
        &["client", "rotate-secret", "app", "--json"],
        None,
    )
    .json();

    assert_eq!(out["client_id"], "app");
    let new = out["client_secret"].as_str().expect("a new client_secret");
    assert_ne!(new, old);
    assert!(new.len() >= 43 && is_base64url(new));
    let stored = open_store(dir.path())
        .read(|c| clients::get_client(c, "app"))
        .unwrap();
    assert_eq!(
        stored.secret_hash.as_deref(),
        Some(random::hash_token(new).as_str())
    );
}

#[test]
fn client_rotate_secret_of_a_public_client_fails_and_leaves_it_public() {
    let dir = tempfile::tempdir().unwrap();
    run_cli(
        dir.path(),
        &[
            "client",
            "add",
            "spa",
            "--redirect-uri",
            "https://spa.example/cb",
            "--public",
        ],
        None,
    )
    .ok();

    let out = run_cli(dir.path(), &["client", "rotate-secret", "spa"], None);

    let err = out.one_line_error();
    assert!(err.contains("public"), "{err}");
    let shown = run_cli(dir.path(), &["client", "show", "spa", "--json"], None).json();
    assert_eq!(shown["is_public"], true);
}

#[test]
fn unknown_client_for_show_remove_and_rotate_secret_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    add_confidential_app(dir.path());
    let before = client_list(dir.path());

    for cmd in ["show", "remove", "rotate-secret"] {
        let out = run_cli(dir.path(), &["client", cmd, "nope"], None);

        let err = out.one_line_error();
        assert!(err.contains("nope"), "{cmd}: {err}");
        assert!(out.stdout.is_empty(), "{cmd} printed {}", out.stdout);
    }
    assert_eq!(client_list(dir.path()), before);
}

// ---------------------------------------------------------------- keys

fn keys_list(dir: &Path) -> Vec<Value> {
    run_cli(dir, &["keys", "list", "--json"], None)
        .json()
        .as_array()
        .expect("a JSON array")
        .clone()
}

fn algs_with_status(keys: &[Value], status: &str) -> Vec<String> {
    let mut algs: Vec<String> = keys
        .iter()
        .filter(|k| k["status"] == status)
        .map(|k| k["alg"].as_str().unwrap().to_owned())
        .collect();
    algs.sort();
    algs
}

#[test]
fn keys_list_shows_three_active_keys_one_per_algorithm() {
    let dir = tempfile::tempdir().unwrap();

    let keys = keys_list(dir.path());

    assert_eq!(keys.len(), 3, "{keys:?}");
    assert_eq!(
        algs_with_status(&keys, "active"),
        ["ES256", "EdDSA", "RS256"]
    );
    for k in &keys {
        assert!(!k["kid"].as_str().unwrap_or_default().is_empty());
        assert!(k["retired_at"].is_null());
        let text = k.to_string();
        assert!(!text.contains("PRIVATE"), "private key printed: {text}");
    }
    // Listing again does not create more keys.
    assert_eq!(keys_list(dir.path()), keys);
}

#[test]
fn keys_rotate_makes_new_active_keys_and_retires_the_old_ones() {
    let dir = tempfile::tempdir().unwrap();
    let before = keys_list(dir.path());
    let old_kids: Vec<&str> = before.iter().map(|k| k["kid"].as_str().unwrap()).collect();

    let rotated = run_cli(dir.path(), &["keys", "rotate", "--json"], None).json();

    let new_kids: Vec<&str> = rotated
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(new_kids.len(), 3);
    assert!(new_kids.iter().all(|k| !old_kids.contains(k)));
    let after = keys_list(dir.path());
    assert_eq!(after.len(), 6, "{after:?}");
    assert_eq!(
        algs_with_status(&after, "active"),
        ["ES256", "EdDSA", "RS256"]
    );
    assert_eq!(
        algs_with_status(&after, "retired"),
        ["ES256", "EdDSA", "RS256"]
    );
    for k in &after {
        let kid = k["kid"].as_str().unwrap();
        if old_kids.contains(&kid) {
            assert_eq!(k["status"], "retired", "{k}");
            assert!(k["retired_at"].as_i64().is_some());
        } else {
            assert!(new_kids.contains(&kid));
            assert_eq!(k["status"], "active", "{k}");
        }
    }
}

#[test]
fn keys_rotate_with_one_algorithm_only_rotates_that_one() {
    let dir = tempfile::tempdir().unwrap();
    keys_list(dir.path());

    run_cli(dir.path(), &["keys", "rotate", "--alg", "ES256"], None).ok();

    let after = keys_list(dir.path());
    assert_eq!(after.len(), 4, "{after:?}");
    assert_eq!(algs_with_status(&after, "retired"), ["ES256"]);
    assert_eq!(
        algs_with_status(&after, "active"),
        ["ES256", "EdDSA", "RS256"]
    );
}

#[test]
fn keys_rotate_with_an_unknown_algorithm_fails_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let before = keys_list(dir.path());

    let err = run_cli(dir.path(), &["keys", "rotate", "--alg", "HS256"], None);

    assert!(err.one_line_error().contains("HS256"));
    assert_eq!(keys_list(dir.path()), before);
}

// ---------------------------------------------------------------- global options and help

#[test]
fn global_options_are_accepted_before_and_after_the_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().as_os_str();

    let mut add = latchkey_bare();
    add.args(["user", "add", "alice", "--email", "a@x", "--password-stdin"])
        .arg("--data-dir")
        .arg(d)
        .arg("--json");
    let added = run(add, Some("s3cret-passw0rd\n")).json();
    assert_eq!(added["username"], "alice");

    let mut before = latchkey_bare();
    before
        .arg("--data-dir")
        .arg(d)
        .arg("--json")
        .args(["user", "list"]);
    let mut after = latchkey_bare();
    after
        .args(["user", "list"])
        .arg("--data-dir")
        .arg(d)
        .arg("--json");
    let mut between = latchkey_bare();
    between
        .arg("user")
        .arg("--json")
        .arg("list")
        .arg("--data-dir")
        .arg(d);

    for cmd in [before, after, between] {
        let list = run(cmd, None).json();
        assert_eq!(usernames(&list), ["alice"]);
    }
    assert!(db_path(dir.path()).is_file());
}

#[test]
fn help_for_each_command_group_exits_zero() {
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["user", "--help"],
        &["user", "add", "--help"],
        &["client", "--help"],
        &["client", "add", "--help"],
        &["keys", "--help"],
        &["keys", "rotate", "--help"],
        &["help", "user"],
    ] {
        let mut cmd = latchkey_bare();
        cmd.args(args);
        let out = run(cmd, None);
        assert!(out.ok().contains("Usage"), "{args:?}: {}", out.stdout);
    }
    let mut cmd = latchkey_bare();
    cmd.args(["user", "--help"]);
    let user_help = run(cmd, None);
    for sub in [
        "add",
        "list",
        "show",
        "disable",
        "enable",
        "set-password",
        "remove",
    ] {
        assert!(user_help.stdout.contains(sub), "user help lacks {sub}");
    }
}

#[test]
fn version_flag_prints_the_crate_version() {
    let mut cmd = latchkey_bare();
    cmd.arg("--version");

    let out = run(cmd, None);

    assert!(out.ok().contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn unknown_subcommand_fails() {
    let dir = tempfile::tempdir().unwrap();

    let out = run_cli(dir.path(), &["frobnicate"], None);

    assert!(!out.status.success());
    assert!(!db_path(dir.path()).exists(), "nothing should be created");
}

#[test]
fn user_add_without_required_email_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();

    let out = run_cli(dir.path(), &["user", "add", "alice"], None);

    assert!(!out.status.success());
    assert!(out.stderr.contains("--email"), "{}", out.stderr);
}

// ---------------------------------------------------------------- alongside the server

#[tokio::test]
async fn cli_commands_succeed_while_the_server_runs() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);

    let added = app
        .cli(
            &[
                "user",
                "add",
                "alice",
                "--email",
                "alice@example.com",
                "--password-stdin",
                "--json",
            ],
            Some("s3cret-passw0rd\n"),
        )
        .json();
    app.cli(
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
    app.cli(&["keys", "rotate"], None).ok();

    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);
    // The server's own store sees what the CLI wrote.
    let user = app
        .store
        .read(|c| users::find_user_by_username(c, "alice"))
        .unwrap()
        .expect("the server sees the new user");
    assert_eq!(user.subject, added["subject"].as_str().unwrap());
    assert!(
        app.store
            .read(|c| clients::find_client(c, "app"))
            .unwrap()
            .is_some()
    );
    assert_eq!(
        usernames(&app.cli(&["user", "list", "--json"], None).json()),
        ["alice"]
    );
}
