//! Automatic key rotation; a rotated-out key stays published while tokens it signed live.

use crate::support::*;
use latchkey::clock::{Clock, FixedClock};
use latchkey::crypto::jwt;
use latchkey::crypto::keys::Alg;
use latchkey::oidc::maintenance::run_once;
use serde_json::Map;
use std::sync::Arc;

#[tokio::test]
async fn keys_past_the_rotation_period_are_replaced_and_old_ones_stay_published_until_retention_ends()
 {
    let clock = FixedClock::new(1_800_000_000);
    let app = spawn_app_with_clock(|_| {}, Arc::new(clock.clone())).await;
    let ring = run_once(&app.store, &app.settings, clock.now()).expect("upkeep");
    let old_kids: Vec<String> = ring.keys().iter().map(|k| k.kid.clone()).collect();
    let token = jwt::sign(&ring, Alg::RS256, "JWT", Map::new()).expect("sign");

    clock.advance(app.settings.key_rotation_secs - 1);
    let ring = run_once(&app.store, &app.settings, clock.now()).expect("upkeep");
    assert_eq!(ring.keys().len(), 3, "not yet due");

    clock.advance(1);
    let ring = run_once(&app.store, &app.settings, clock.now()).expect("upkeep");
    for alg in Alg::ALL {
        let signer = ring.signing_key(alg).expect("an active key");
        assert!(
            !old_kids.contains(&signer.kid),
            "{alg:?} signs with a new key"
        );
    }
    assert_eq!(ring.keys().len(), 6, "old keys still published");
    assert!(
        jwt::verify(&ring, &token, &["JWT"]).is_ok(),
        "tokens signed before rotation still verify"
    );
    let jwks: serde_json::Value = serde_json::from_str(ring.jwks_json()).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 6);

    clock.advance(app.settings.key_retention_secs + 1);
    let ring = run_once(&app.store, &app.settings, clock.now()).expect("upkeep");
    assert_eq!(
        ring.keys().len(),
        3,
        "retired keys leave after the retention period"
    );
    assert!(jwt::verify(&ring, &token, &["JWT"]).is_err());
}

#[test]
fn key_retention_shorter_than_a_token_lifetime_is_refused() {
    let e = latchkey::config::Settings::load(&latchkey::config::Sources {
        config_file: None,
        env: vec![
            ("LATCHKEY_KEY_RETENTION_SECS".into(), "60".into()),
            ("LATCHKEY_ID_TOKEN_TTL_SECS".into(), "3600".into()),
        ],
        flags: vec![],
    })
    .unwrap_err();
    assert!(e.0.contains("key_retention_secs"), "{e}");
}
