//! The dashboard: real sign-ins and failures in the hour they happened, throttle blocks, key
//! ages, doctor's findings with their fixes.

use crate::support::*;
use latchkey::clock::FixedClock;

/// The dashboard as root sees it.
async fn dashboard(app: &TestApp) -> String {
    let (status, html) = admin_page(app, "/admin").await;
    assert_eq!(status, 200);
    html
}

/// How the page names the hour that starts at `t` (UTC): `Mon 13 May 14:00`.
fn hour_label(t: i64) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(t - t % 3600).unwrap();
    format!(
        "{} {} {} {:02}:00",
        &d.weekday().to_string()[..3],
        d.day(),
        &d.month().to_string()[..3],
        d.hour()
    )
}

/// The row of the chart's table for the hour of `t`: (sign-ins, failed), if there is one.
fn hour_row(html: &str, t: i64) -> Option<(i64, i64)> {
    let start = html.find(&format!("<th scope=\"row\">{}</th>", hour_label(t)))?;
    let cells: Vec<i64> = html[start..]
        .split("<td>")
        .skip(1)
        .take(2)
        .map(|c| c.split('<').next().unwrap().parse().unwrap())
        .collect();
    Some((cells[0], cells[1]))
}

/// Sign in as `username` with `password` in a browser of its own; the status.
async fn sign_in_as(app: &TestApp, username: &str, password: &str) -> u16 {
    login_attempt(app, &fresh_browser(), &[], username, password)
        .await
        .0
}

#[tokio::test]
async fn sign_ins_and_failed_sign_ins_through_the_login_page_are_counted_in_the_hour_they_happened()
{
    let clock = clock_now();
    let app = spawn_at(&clock, |_| {}).await;
    add_root(&app);
    let first = clock_now_of(&clock);
    assert_eq!(sign_in_as(&app, "alice", "wrong password 1").await, 401);
    assert_eq!(sign_in_as(&app, "alice", "wrong password 2").await, 401);
    assert_eq!(sign_in_as(&app, "alice", PASSWORD).await, 303);
    clock.advance(2 * 3600);
    let later = clock_now_of(&clock);
    assert_eq!(sign_in_as(&app, "alice", PASSWORD).await, 303);
    sign_in(&app, "root").await;

    let html = dashboard(&app).await;

    assert_eq!(hour_row(&html, first), Some((1, 2)), "{html}");
    assert_eq!(hour_row(&html, first + 3600), None, "an hour without any");
    assert_eq!(hour_row(&html, later), Some((2, 0)), "alice and root");
    assert!(html.contains(r#"<span id="total-signed-in">3</span>"#));
    assert!(html.contains(r#"<span id="total-failed">2</span>"#));
    assert!(
        html.contains("3 sign-ins and 2 failed sign-ins in the last 7 days"),
        "the chart's description"
    );
    assert!(html.contains(r#"<svg class="chart""#) && html.contains(r#"role="img""#));
    // A week later the first hour has left the chart.
    clock.advance(7 * 24 * 3600 - 2 * 3600);
    sign_in(&app, "root").await;
    let html = dashboard(&app).await;
    assert_eq!(hour_row(&html, first), None, "{html}");
    assert!(hour_row(&html, later).is_some());
}

fn clock_now_of(clock: &FixedClock) -> i64 {
    use latchkey::clock::Clock;
    clock.now()
}

#[tokio::test]
async fn a_throttle_block_is_listed_with_when_who_and_where_from() {
    let clock = clock_now();
    let app = spawn_at(&clock, |s| s.login_failures_per_account = 1).await;
    add_root(&app);
    sign_in(&app, "root").await;
    let html = dashboard(&app).await;
    assert!(html.contains("None in the last 7 days."), "{html}");

    assert_eq!(sign_in_as(&app, "alice", "wrong password 1").await, 401);
    assert_eq!(sign_in_as(&app, "alice", "wrong password 2").await, 401);
    assert_eq!(sign_in_as(&app, "alice", PASSWORD).await, 429);

    let html = dashboard(&app).await;
    let table = &html[html.find(r#"<table id="throttle-blocks""#).expect(&html)..];
    let row = &table[table.find("<tbody>").unwrap()..table.find("</tbody>").unwrap()];
    let when = latchkey::clock::show_time(clock_now_of(&clock));
    let minute = &when[..16].replace('T', " ");
    assert!(row.contains(&format!("<td>{minute} UTC</td>")), "{row}");
    assert!(
        row.contains("<td>sign-in</td><td>alice</td><td>127.0.0.1</td>"),
        "{row}"
    );
    assert!(row.contains("second"), "the wait: {row}");
}

#[tokio::test]
async fn the_signing_keys_are_shown_with_their_age_and_state() {
    let clock = clock_now();
    let app = spawn_at(&clock, |_| {}).await;
    add_root(&app);
    clock.advance(3 * 86_400 + 60);
    sign_in(&app, "root").await;

    let html = dashboard(&app).await;

    let table = &html[html.find(r#"<table id="keys""#).expect(&html)..];
    let table = &table[..table.find("</table>").unwrap()];
    let left = (app.settings.key_rotation_secs - 3 * 86_400 - 60) / 86_400;
    for alg in ["RS256", "ES256", "EdDSA"] {
        assert!(
            table.contains(&format!("<td>{alg}</td><td>active</td>")),
            "{alg}: {table}"
        );
    }
    assert_eq!(table.matches("<td>3 days</td>").count(), 3, "{table}");
    assert_eq!(
        table
            .matches(&format!("<td>replaced in {left} days</td>"))
            .count(),
        3,
        "{table}"
    );
}

#[tokio::test]
async fn doctor_findings_on_the_running_server_are_shown_with_their_fixes() {
    use std::os::unix::fs::PermissionsExt;
    let app = admin_app().await;
    let dir = app.data_path().to_owned();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let html = dashboard(&app).await;
    assert!(!html.contains("<code>permissions</code>"), "{html}");

    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750)).unwrap();
    let html = dashboard(&app).await;

    let findings = &html[html
        .find(r#"<ul class="list" id="findings">"#)
        .expect(&html)..];
    let item = &findings[findings.find("<code>permissions</code>").expect(findings)..];
    let item = &item[..item.find("</li>").unwrap()];
    assert!(item.contains("is open to its group"), "{item}");
    assert!(
        item.contains(&format!(
            "<strong>Fix:</strong> chmod 700 {}",
            dir.display()
        )),
        "{item}"
    );
    let summary = &html[html.find(r#"<span id="findings-summary">"#).unwrap()..];
    assert!(
        summary.starts_with(r#"<span id="findings-summary">0 critical, "#),
        "{summary}"
    );
    // What `latchkey doctor` runs and the page does not is said on the page.
    assert!(
        html.contains("Left out here: the database integrity check"),
        "{html}"
    );
}
