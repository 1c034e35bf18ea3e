//! The last enabled admin stays: `user disable` and `user remove` refuse to take it away.

use crate::support::*;
use std::path::Path;

fn add_admin(dir: &Path, username: &str) {
    let email = format!("{username}@example.com");
    run_cli(
        dir,
        &["user", "add", username, "--email", &email, "--admin"],
        None,
    )
    .ok();
}

fn is_disabled(dir: &Path, username: &str) -> bool {
    run_cli(dir, &["user", "show", username, "--json"], None).json()["disabled"] == true
}

#[test]
fn disabling_the_last_enabled_admin_fails_with_one_line_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    add_admin(dir.path(), "root");

    let out = run_cli(dir.path(), &["user", "disable", "root"], None);

    let err = out.one_line_error();
    assert!(err.contains("last enabled admin"), "{err}");
    assert!(!is_disabled(dir.path(), "root"));
}

#[test]
fn removing_the_last_enabled_admin_fails_with_one_line_and_keeps_the_user() {
    let dir = tempfile::tempdir().unwrap();
    add_admin(dir.path(), "root");

    let out = run_cli(dir.path(), &["user", "remove", "root"], None);

    let err = out.one_line_error();
    assert!(err.contains("last enabled admin"), "{err}");
    run_cli(dir.path(), &["user", "show", "root"], None).ok();
}

#[test]
fn an_admin_can_be_disabled_while_another_admin_stays_enabled() {
    let dir = tempfile::tempdir().unwrap();
    add_admin(dir.path(), "root");
    add_admin(dir.path(), "ops");

    run_cli(dir.path(), &["user", "disable", "root"], None).ok();

    assert!(is_disabled(dir.path(), "root"));
    let err = run_cli(dir.path(), &["user", "remove", "ops"], None)
        .one_line_error()
        .to_owned();
    assert!(err.contains("\"ops\" is the last enabled admin"), "{err}");
}

#[test]
fn a_disabled_admin_can_be_removed_when_it_is_not_the_last_enabled_one() {
    let dir = tempfile::tempdir().unwrap();
    add_admin(dir.path(), "root");
    add_admin(dir.path(), "ops");
    run_cli(dir.path(), &["user", "disable", "root"], None).ok();

    run_cli(dir.path(), &["user", "remove", "root"], None).ok();

    run_cli(dir.path(), &["user", "show", "root"], None).one_line_error();
}

#[test]
fn demoting_the_last_enabled_admin_fails_and_demoting_one_of_two_works() {
    let dir = tempfile::tempdir().unwrap();
    add_admin(dir.path(), "root");

    let out = run_cli(dir.path(), &["user", "update", "root", "--no-admin"], None);
    let err = out.one_line_error();
    assert!(err.contains("last enabled admin"), "{err}");
    let root = run_cli(dir.path(), &["user", "show", "root", "--json"], None).json();
    assert_eq!(root["is_admin"], true);

    add_admin(dir.path(), "second");
    run_cli(dir.path(), &["user", "update", "root", "--no-admin"], None).ok();
    let root = run_cli(dir.path(), &["user", "show", "root", "--json"], None).json();
    assert_eq!(root["is_admin"], false);
}

#[test]
fn user_update_changes_email_and_name_and_a_new_email_is_unverified_unless_said() {
    let dir = tempfile::tempdir().unwrap();
    add_admin(dir.path(), "root");
    let show = || run_cli(dir.path(), &["user", "show", "root", "--json"], None).json();
    run_cli(
        dir.path(),
        &["user", "update", "root", "--email-verified"],
        None,
    )
    .ok();
    assert_eq!(show()["email_verified"], true);

    run_cli(
        dir.path(),
        &[
            "user",
            "update",
            "root",
            "--email",
            "r@corp.example",
            "--name",
            "Root",
        ],
        None,
    )
    .ok();
    let u = show();
    assert_eq!(u["email"], "r@corp.example");
    assert_eq!(u["name"], "Root");
    assert_eq!(u["email_verified"], false);

    let out = run_cli(
        dir.path(),
        &["user", "update", "root", "--email", "nope"],
        None,
    );
    assert!(out.one_line_error().contains("invalid email address"));
    assert_eq!(show()["email"], "r@corp.example", "nothing changed");
}
