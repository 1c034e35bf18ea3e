//! The mail settings: refused at load with one line naming the setting, a password file others
//! can read stops the start, and `doctor --check-smtp` talks to the server.

use super::*;
use std::os::unix::fs::PermissionsExt;

fn doctor(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> CliOutput {
    let mut cmd = latchkey_cmd(dir);
    cmd.arg("doctor").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(cmd, None)
}

#[test]
fn mail_settings_that_cannot_work_are_refused_at_load_with_one_line_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    for (env, named) in [
        (
            vec![("LATCHKEY_SMTP_URL", "smtp://user:secret@mail.example.com")],
            "`smtp_url`",
        ),
        (
            vec![("LATCHKEY_SMTP_URL", "http://mail.example.com")],
            "`smtp_url`",
        ),
        (
            vec![("LATCHKEY_SMTP_URL", "smtp://mail.example.com")],
            "`smtp_from`",
        ),
        (
            vec![
                ("LATCHKEY_SMTP_URL", "smtps://mail.example.com"),
                ("LATCHKEY_SMTP_FROM", "id@example.com"),
                ("LATCHKEY_SMTP_USERNAME", "id"),
            ],
            "`smtp_password_file`",
        ),
        (vec![("LATCHKEY_INVITE_TTL_SECS", "5")], "`invite_ttl_secs`"),
        (vec![("LATCHKEY_RESET_TTL_SECS", "0")], "`reset_ttl_secs`"),
    ] {
        let out = doctor(dir.path(), &env, &[]);
        let line = out.one_line_error();
        assert!(line.contains(named), "{env:?}: {line}");
    }
}

#[tokio::test]
async fn a_password_file_every_user_can_read_stops_the_start_and_doctor_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("smtp.pw");
    std::fs::write(&pw, "secret\n").unwrap();
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o644)).unwrap();
    let env = [
        ("LATCHKEY_SMTP_URL", "smtps://mail.example.com"),
        ("LATCHKEY_SMTP_FROM", "id@example.com"),
        ("LATCHKEY_SMTP_USERNAME", "id"),
        ("LATCHKEY_SMTP_PASSWORD_FILE", pw.to_str().unwrap()),
    ];
    let data = dir.path().join("data");
    let out = doctor(&data, &env, &["--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", out.stdout);
    assert!(
        out.stdout.contains("\"smtp-password-file\""),
        "{}",
        out.stdout
    );

    let mut settings = test_settings(&data);
    settings.smtp = Some(latchkey::config::Smtp {
        host: "mail.example.com".into(),
        port: 465,
        security: SmtpSecurity::Tls,
        from: "id@example.com".into(),
        username: Some("id".into()),
        password_file: Some(pw.clone()),
    });
    let err = latchkey::startup::Application::build(settings)
        .err()
        .expect("refused");
    assert!(err.to_string().contains("smtp_password_file"), "{err}");
}

#[tokio::test]
async fn doctor_check_smtp_talks_to_the_mail_server_and_reports_one_that_is_down() {
    let sink = smtp_sink().await;
    let dir = tempfile::tempdir().unwrap();
    let url = sink.url();
    let env = [
        ("LATCHKEY_SMTP_URL", url.as_str()),
        ("LATCHKEY_SMTP_FROM", "id@example.com"),
    ];
    let out = tokio::task::spawn_blocking({
        let (d, env) = (dir.path().to_owned(), env.map(|(k, v)| (k, v.to_owned())));
        move || {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            doctor(&d, &env, &["--check-smtp", "--json"])
        }
    })
    .await
    .unwrap();
    assert!(out.stdout.contains("\"smtp-ok\""), "{}", out.stdout);
    assert!(sink.mails().is_empty(), "a check sends nothing");

    let closed = format!("smtp://127.0.0.1:{}", free_port());
    let out = doctor(
        dir.path(),
        &[
            ("LATCHKEY_SMTP_URL", &closed),
            ("LATCHKEY_SMTP_FROM", "id@example.com"),
        ],
        &["--check-smtp", "--json"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stdout.contains("\"smtp-unreachable\""),
        "{}",
        out.stdout
    );
}
