//! Wrong second-factor codes go through the sign-in throttle, like wrong passwords: per account
//! and source, 429 with Retry-After once the limit is reached, audited.

use super::totp::alice_with_totp;
use crate::support::*;
use latchkey::clock::Clock;

#[tokio::test]
async fn wrong_codes_are_throttled_with_429_and_retry_after_even_for_the_right_code() {
    let (app, clock, _, secret, _) = alice_with_totp().await;
    clock.advance(30);
    let res = submit_login(&app, "/login", "alice", PASSWORD).await;
    let page = location(&res);
    let right = totp_code(&secret, clock.now());
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut statuses = Vec::new();
    let mut retry = None;
    for _ in 0..8 {
        let res = submit_code(&app, &page, wrong).await;
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            retry = header(&res, "retry-after");
            break;
        }
    }
    assert_eq!(&statuses[..5], [401; 5], "{statuses:?}");
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let secs: i64 = retry.expect("Retry-After").parse().unwrap();
    assert!(secs >= 1, "{secs}");

    let res = submit_code(&app, &page, &right).await;
    assert_eq!(res.status(), 429, "no code is checked while waiting");
    assert!(audited(&app, "mfa.failed").len() >= 5);
    assert!(!audited(&app, "mfa.throttled").is_empty());

    clock.advance(secs.max(60));
    let res = submit_code(&app, &page, &totp_code(&secret, clock.now())).await;
    assert_eq!(res.status(), 303, "after the wait the right code works");
}
