//! The account page's two-factor section: new recovery codes, turning the app off, both only
//! after a fresh sign-in, and never against `mfa_required`.

use super::totp::alice_with_totp;
use crate::support::*;
use latchkey::clock::Clock;
use latchkey::config::MfaRequired;
use std::sync::Arc;

async fn account_post(app: &TestApp, path: &str) -> reqwest::Response {
    let html = browse(app, "/account").await.text().await.unwrap();
    let csrf = hidden(&html, "csrf_token").expect("csrf on the account page");
    app.client
        .post(app.url(path))
        .form(&[("csrf_token", csrf)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn new_recovery_codes_replace_the_old_ones() {
    let (app, _clock, _, _, old) = alice_with_totp().await;
    let res = account_post(&app, "/account/recovery-codes").await;
    assert_eq!(res.status(), 200);
    let new = shown_recovery_codes(&res.text().await.unwrap());
    assert_eq!(new.len(), 10);
    assert!(new.iter().all(|c| !old.contains(c)));
    assert_eq!(audited(&app, "mfa.recovery_codes_generated").len(), 2);

    let page = location(&submit_login(&app, "/login", "alice", PASSWORD).await);
    assert_eq!(submit_code(&app, &page, &old[0]).await.status(), 401);
    assert_eq!(submit_code(&app, &page, &new[0]).await.status(), 303);
}

#[tokio::test]
async fn turning_the_app_off_needs_a_fresh_sign_in_and_then_a_password_is_enough_again() {
    let (app, clock, _, secret, _) = alice_with_totp().await;
    clock.advance(601);
    let res = account_post(&app, "/account/totp/remove").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login?next=%2Faccount&reauth=1");
    assert!(
        audited(&app, "mfa.totp_removed").is_empty(),
        "nothing removed"
    );

    let page = location(&submit_login(&app, "/login?next=/account", "alice", PASSWORD).await);
    let res = submit_code(&app, &page, &totp_code(&secret, clock.now())).await;
    assert_eq!(location(&res), "/account");
    let res = account_post(&app, "/account/totp/remove").await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("turned off"));
    assert_eq!(audited(&app, "mfa.totp_removed").len(), 1);

    let res = submit_login(&app, "/login", "alice", PASSWORD).await;
    assert_eq!(location(&res), "/", "the password alone signs in again");
}

#[tokio::test]
async fn mfa_required_keeps_the_last_factor_on() {
    let clock = clock_now();
    let app = spawn_app_with_clock(
        |s| s.mfa_required = MfaRequired::All,
        Arc::new(clock.clone()) as Arc<dyn Clock>,
    )
    .await;
    add_user(&app, "alice", "alice@example.com", None);
    let page = location(&submit_login(&app, "/login?next=/account", "alice", PASSWORD).await);
    assert_eq!(page, "/login/second-factor?next=%2Faccount");
    let (_, html) = set_up_at_sign_in(&app, &page, clock.now()).await;
    assert_eq!(shown_recovery_codes(&html).len(), 10);
    let account = browse(&app, "/account").await.text().await.unwrap();
    assert!(account.contains("requires two-factor sign-in"), "{account}");
    assert!(
        !account.contains("/account/totp/remove"),
        "no button to turn it off"
    );
    let res = account_post(&app, "/account/totp/remove").await;
    assert_eq!(res.status(), 403);
    assert!(audited(&app, "mfa.totp_removed").is_empty());
}
