//! Several nodes on one database: a key rotated on one node is published and used by the
//! others within seconds (each checks the keys every `KEYS_CHECK_EVERY`), and upkeep done by
//! one node at a time rotates once.

use crate::support::*;
use latchkey::clock::{Clock, SystemClock};
use latchkey::oidc::maintenance;
use latchkey::startup::KEYS_CHECK_EVERY;
use latchkey::store::keys;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The kids `app` publishes at /jwks.
async fn published(app: &TestApp) -> Vec<String> {
    let jwks: Value = app.get("/jwks").await.json().await.unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// Poll `app`'s JWKS until `done` holds of its kids, for at most 10 s; returns the kids.
async fn jwks_until(app: &TestApp, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let kids = published(app).await;
        if done(&kids) || Instant::now() > deadline {
            return kids;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_key_rotated_by_the_cli_on_one_node_is_published_and_signs_on_the_other_within_seconds() {
    assert!(KEYS_CHECK_EVERY <= Duration::from_secs(3));
    let (a, secret) = app_with_client().await;
    let b = spawn_node_beside(&a, Arc::new(SystemClock)).await;
    let before = published(&b).await;
    assert_eq!(before.len(), 3, "{before:?}");

    let rotated = a.cli(&["keys", "rotate", "--json"], None).json();
    let new_rs256 = rotated
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["alg"] == "RS256")
        .expect("a new RS256 key")["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!before.contains(&new_rs256));

    let kids = jwks_until(&b, |kids| kids.contains(&new_rs256)).await;
    assert!(
        kids.contains(&new_rs256),
        "node B publishes the key rotated on node A: {kids:?}"
    );
    assert!(
        before.iter().all(|k| kids.contains(k)),
        "and still the retired ones"
    );

    let id_token = tokens(&b, "app", Some(&secret), &[]).await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        jwt_header(&id_token)["kid"],
        new_rs256.as_str(),
        "node B signs with the new key"
    );
    let claims = verify_with_jwks(&b, &id_token).await;
    assert_eq!(claims["iss"], a.settings.issuer.as_str());
}

#[tokio::test]
async fn keys_forgotten_on_one_node_leave_the_other_nodes_jwks() {
    let a = spawn_oidc_app().await;
    let b = spawn_node_beside(&a, Arc::new(SystemClock)).await;
    let old = published(&b).await;
    a.cli(&["keys", "rotate"], None).ok();
    let kids = jwks_until(&b, |kids| kids.len() == 6).await;
    assert_eq!(kids.len(), 6, "{kids:?}");

    // What upkeep does once the retention period has passed.
    a.store
        .write(|c| keys::delete_retired_keys(c, i64::MAX))
        .unwrap();
    let kids = jwks_until(&b, |kids| kids.len() == 3).await;
    assert_eq!(kids.len(), 3, "{kids:?}");
    assert!(
        old.iter().all(|k| !kids.contains(k)),
        "the forgotten keys are gone from node B: {kids:?}"
    );
}

#[tokio::test]
async fn two_nodes_running_upkeep_at_the_same_moment_rotate_each_algorithm_once() {
    let clock = clock_now();
    let a = spawn_app_with_clock(|_| {}, Arc::new(clock.clone())).await;
    let b = spawn_node_beside(&a, Arc::new(clock.clone())).await;
    clock.advance(a.settings.key_rotation_secs);
    let now = clock.now();

    // On SQLite each node's round always runs: the write unit alone keeps them from both
    // rotating.
    let start = std::sync::Barrier::new(2);
    let ran = std::thread::scope(|s| {
        let rounds: Vec<_> = [&a, &b]
            .map(|node| {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    maintenance::upkeep(&node.store, &node.settings, now).expect("upkeep")
                })
            })
            .into_iter()
            .collect();
        rounds
            .into_iter()
            .map(|r| r.join().unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(ran, [true, true], "no other node holds upkeep on SQLite");

    let ring = maintenance::run_once(&a.store, &a.settings, now).expect("upkeep");
    assert_eq!(
        ring.keys().len(),
        6,
        "three retired keys and three new ones, not more"
    );
    let on_b = jwks_until(&b, |kids| kids.len() == 6).await;
    let mut on_a: Vec<String> = ring.keys().iter().map(|k| k.kid.clone()).collect();
    let mut on_b = on_b;
    on_a.sort();
    on_b.sort();
    assert_eq!(on_a, on_b, "node B serves the same keys");
}
