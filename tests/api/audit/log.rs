//! The audit log, and `latchkey audit`.

use crate::support::*;
use latchkey::clock::Clock;
use latchkey::oidc::maintenance::run_once;
use latchkey::store::audit;
use std::sync::Arc;

#[tokio::test]
async fn sign_in_consent_and_tokens_are_audited_and_listed_by_the_cli() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let access = t["access_token"].as_str().unwrap().to_owned();
    let refresh = t["refresh_token"].as_str().unwrap().to_owned();

    let all = app.cli(&["audit", "--json"], None).json();
    let kinds: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in ["login.succeeded", "consent.given", "token.issued"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let text = all.to_string();
    assert!(
        !text.contains(&access) && !text.contains(&refresh),
        "never a token in the audit log"
    );

    let mine = app
        .cli(&["audit", "--user", "alice", "--json"], None)
        .json();
    assert!(mine.as_array().unwrap().len() >= 3);
    let by_client = app
        .cli(
            &["audit", "--client", "app", "--since", "1h", "--json"],
            None,
        )
        .json();
    assert!(
        by_client
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["client_id"] == "app")
    );
    assert!(!by_client.as_array().unwrap().is_empty());
    let future = app
        .cli(
            &["audit", "--since", "2999-01-01T00:00:00Z", "--json"],
            None,
        )
        .json();
    assert_eq!(future.as_array().unwrap().len(), 0);
    let human = app.cli(&["audit", "--limit", "5"], None);
    assert!(human.ok().lines().count() <= 5);
}

#[tokio::test]
async fn audit_rejects_a_bad_since_and_an_unknown_user_with_one_line() {
    let app = spawn_oidc_app().await;
    app.cli(&["audit", "--since", "yesterday"], None)
        .one_line_error();
    app.cli(&["audit", "--user", "nobody"], None)
        .one_line_error();
}

#[tokio::test]
async fn admin_changes_from_the_cli_are_audited() {
    let app = spawn_oidc_app().await;
    app.cli(&["user", "disable", "alice"], None).ok();
    app.cli(
        &[
            "client",
            "add",
            "x",
            "--redirect-uri",
            "https://x.example/cb",
        ],
        None,
    )
    .ok();
    let kinds: Vec<String> = app
        .cli(&["audit", "--json"], None)
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        kinds.contains(&"user.disabled".to_owned()) && kinds.contains(&"client.created".to_owned()),
        "{kinds:?}"
    );
}

/// A failed sign-in through the real login form, with whatever username an attacker types.
async fn fail_login_as(app: &TestApp, username: &str) {
    let (status, _) = login_attempt(app, &fresh_browser(), &[], username, "not-the-password").await;
    assert_eq!(status, 401, "a failed sign-in");
}

/// Panics unless every line of `latchkey audit`'s text output starts with its own event's
/// timestamp.
fn assert_one_event_per_line(out: &str) {
    for line in out.lines() {
        let stamp = line.split("  ").next().unwrap_or_default();
        assert!(
            time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339)
                .is_ok(),
            "a line that is not an event of its own: {line:?}\nin:\n{out}"
        );
    }
}

#[tokio::test]
async fn failed_login_with_newline_in_username_cannot_forge_an_audit_line() {
    let app = spawn_oidc_app().await;
    for forged in [
        "x\n2026-11-29 12:00:00  login.succeeded  actor=admin",
        "x\r\n2026-11-29T12:00:00Z  login.succeeded  actor=admin",
        "x\u{2028}2026-11-29T12:00:00Z  login.succeeded  actor=admin",
    ] {
        fail_login_as(&app, forged).await;
    }
    let out = app.cli(&["audit"], None).ok().to_owned();
    assert_eq!(
        out.lines().count(),
        3,
        "three failures, three lines:\n{out}"
    );
    assert_one_event_per_line(&out);
    assert!(
        out.lines()
            .all(|l| l.split("  ").nth(1) == Some("login.failed")),
        "no forged event kind:\n{out}"
    );
    assert!(!out.contains("login.succeeded  "), "{out}");
    assert!(!out.contains('\r') && !out.contains('\u{2028}'), "{out:?}");
}

#[tokio::test]
async fn failed_login_with_terminal_escapes_in_username_cannot_drive_the_terminal() {
    let app = spawn_oidc_app().await;
    // Clear the screen, home the cursor, paint in red, then flip the rest right-to-left.
    fail_login_as(
        &app,
        "\u{1b}[2J\u{1b}[H\u{1b}[31madmin\u{7}\u{9b}0m\u{202e}nimda\u{2066}",
    )
    .await;
    let out = app.cli(&["audit"], None).ok().to_owned();
    assert_one_event_per_line(&out);
    for c in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\u{2066}'] {
        assert!(!out.contains(c), "{c:?} reached the terminal: {out:?}");
    }
    assert!(out.contains("actor=\\u{1b}"), "shown escaped: {out}");
    // JSON output stays JSON, with the escaped name.
    let json = app.cli(&["audit", "--json"], None).json();
    let actor = json[0]["actor"].as_str().expect("actor");
    assert!(
        actor.starts_with("\\u{1b}\\u{5b}2J") && actor.is_ascii(),
        "{actor:?}"
    );
}

#[tokio::test]
async fn audit_cli_escapes_control_characters_stored_in_any_field() {
    // Rows written before typed usernames were escaped, or by any other path, print safely too.
    let app = spawn_oidc_app().await;
    let evil = "a\nb\rc\td\u{1b}]0;title\u{7}e\u{7f}f\u{85}g\u{202a}h\u{202e}i\u{2069}";
    app.store
        .write(|c| {
            audit::insert_audit_event(
                c,
                &audit::AuditEvent {
                    // Recent: the server's own sweep deletes events past the retention.
                    at: latchkey::clock::SystemClock.now(),
                    kind: format!("kind{evil}"),
                    actor: Some(evil.into()),
                    subject: Some(evil.into()),
                    client_id: Some(evil.into()),
                    ip: Some(evil.into()),
                    detail: Some(evil.into()),
                },
            )
        })
        .unwrap();
    let out = app.cli(&["audit"], None).ok().to_owned();
    assert_eq!(out.lines().count(), 1, "{out:?}");
    assert_one_event_per_line(&out);
    assert!(
        !out.trim_end_matches('\n').chars().any(|c| c.is_control()
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)),
        "{out:?}"
    );
    assert_eq!(
        out.matches("a\\u{a}b\\u{d}c\\u{9}d\\u{1b}]0;title\\u{7}e\\u{7f}f\\u{85}g\\u{202a}h\\u{202e}i\\u{2069}")
            .count(),
        6,
        "every field, kind included, escaped the same way: {out}"
    );
    let json = app.cli(&["audit", "--json"], None).json();
    assert_eq!(
        json[0]["actor"], evil,
        "JSON keeps the stored text, JSON-escaped"
    );
}

#[tokio::test]
async fn failed_login_for_a_valid_username_is_stored_as_typed_and_found_by_user() {
    let app = spawn_oidc_app().await;
    fail_login_as(&app, "alice").await;
    let mine = app
        .cli(&["audit", "--user", "alice", "--json"], None)
        .json();
    let failed: Vec<_> = mine
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "login.failed")
        .collect();
    assert_eq!(failed.len(), 1, "{mine}");
    assert_eq!(failed[0]["actor"], "alice");
}

const DAY: i64 = 86_400;

/// Audit events at these times, straight into the store.
fn add_events_at(app: &TestApp, ats: &[i64]) {
    app.store
        .write(|c| {
            for &at in ats {
                audit::insert_audit_event(
                    c,
                    &audit::AuditEvent {
                        at,
                        kind: "test.event".into(),
                        ..Default::default()
                    },
                )?;
            }
            Ok::<_, latchkey::store::StoreError>(())
        })
        .unwrap();
}

/// The times of every audit event left, oldest first.
fn event_times(app: &TestApp) -> Vec<i64> {
    let mut ats: Vec<i64> = app
        .store
        .read(|c| audit::list_audit_events(c, 1_000_000))
        .unwrap()
        .iter()
        .map(|e| e.at)
        .collect();
    ats.sort();
    ats
}

#[tokio::test]
async fn audit_events_older_than_the_retention_are_deleted_by_the_maintenance_sweep() {
    let clock = clock_now();
    let app = spawn_app_with_clock(|s| s.audit_retention_days = 30, Arc::new(clock.clone())).await;
    let now = clock.now();
    // More than one batch of long-expired events, then some around the cutoff.
    add_events_at(&app, &vec![now - 400 * DAY; 2_500]);
    add_events_at(
        &app,
        &[now - 30 * DAY - 1, now - 30 * DAY, now - 29 * DAY, now],
    );
    run_once(&app.store, &app.settings, now).expect("maintenance");
    assert_eq!(
        event_times(&app),
        [now - 30 * DAY, now - 29 * DAY, now],
        "everything older than 30 days went in one sweep; the rest stays"
    );
}

#[tokio::test]
async fn audit_retention_of_zero_days_keeps_every_event() {
    let clock = clock_now();
    let app = spawn_app_with_clock(|s| s.audit_retention_days = 0, Arc::new(clock.clone())).await;
    let now = clock.now();
    let ats = [0, now - 36_500 * DAY, now - 401 * DAY, now];
    add_events_at(&app, &ats);
    run_once(&app.store, &app.settings, now).expect("maintenance");
    let mut want = ats.to_vec();
    want.sort();
    assert_eq!(event_times(&app), want);
}
