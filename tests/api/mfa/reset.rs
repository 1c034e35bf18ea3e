//! `latchkey user reset-mfa` (someone lost their phone) and what `user show` lists.

use super::totp::alice_with_totp;
use crate::support::*;

#[tokio::test]
async fn user_show_lists_the_authenticator_app_and_recovery_codes() {
    let (app, _clock, _, _, _) = alice_with_totp().await;
    let out = app.cli(&["user", "show", "alice"], None);
    let text = out.ok();
    assert!(
        text.contains("second factors: authenticator app (since")
            && text.contains("recovery codes 10 of 10 left"),
        "{text}"
    );
    let json = app.cli(&["user", "show", "alice", "--json"], None).json();
    assert_eq!(json["second_factors"]["totp"], true);
    assert_eq!(json["second_factors"]["recovery_codes_left"], 10);
    let bob = app.cli(&["user", "add", "bob", "--email", "b@example.com"], None);
    bob.ok();
    let text = app.cli(&["user", "show", "bob"], None).ok().to_owned();
    assert!(text.contains("second factors: -"), "{text}");
}

#[tokio::test]
async fn reset_mfa_removes_the_factors_ends_the_sessions_and_is_audited() {
    let (app, _clock, _, _, _) = alice_with_totp().await;
    assert_eq!(browse(&app, "/account").await.status(), 200, "signed in");

    let out = app.cli(&["user", "reset-mfa", "alice"], None);
    assert!(out.ok().contains("sessions were ended"), "{}", out.stdout);
    let res = browse(&app, "/account").await;
    assert_eq!(location(&res), "/login?next=/account", "signed out");
    let events = audited(&app, "mfa.reset");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor.as_deref(), Some("cli"));

    let res = submit_login(&app, "/login", "alice", PASSWORD).await;
    assert_eq!(
        location(&res),
        "/",
        "the password alone, until she sets one up again"
    );
    let json = app.cli(&["user", "show", "alice", "--json"], None).json();
    assert_eq!(json["second_factors"]["totp"], false);
    assert_eq!(json["second_factors"]["recovery_codes_total"], 0);

    let err = app.cli(&["user", "reset-mfa", "nobody"], None);
    assert!(err.one_line_error().contains("nobody"));
}
