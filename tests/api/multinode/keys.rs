//! Signing keys live in the database: a key rotated through one node's data dir is published
//! and used by every node within seconds, without a restart.

use super::*;
use serde_json::Value;
use std::time::{Duration, Instant};

/// How long the other nodes may take to pick a rotation up ("within a few seconds").
const PICK_UP: Duration = Duration::from_secs(10);

async fn published_kids(node: &TestApp) -> Vec<String> {
    let res = node.get("/jwks").await;
    assert_eq!(res.status(), 200);
    let jwks: Value = res.json().await.expect("JWKS JSON");
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

#[tokio::test]
async fn a_key_rotated_on_one_node_is_published_and_used_by_the_others_within_seconds() {
    let n = three_nodes().await;
    let secret = add_client(&n.a, &app_spec()).expect("confidential");
    // Every node signs with the same key before the rotation.
    let before = tokens(&n.c, "app", Some(&secret), &[]).await;
    let old_kid = jwt_header(str_of(&before, "id_token"))["kid"].clone();

    let rotated = n.a.cli(&["keys", "rotate", "--json"], None).json();
    let new_kid = rotated
        .as_array()
        .expect("the new keys")
        .iter()
        .find(|k| k["alg"] == "RS256")
        .and_then(|k| k["kid"].as_str())
        .expect("a new RS256 key")
        .to_owned();
    assert_ne!(Value::from(new_kid.clone()), old_kid);

    let deadline = Instant::now() + PICK_UP;
    for node in [&n.b, &n.c] {
        loop {
            if published_kids(node).await.contains(&new_kid) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{} does not publish the new key {new_kid} {PICK_UP:?} after the rotation",
                node.address
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // The old key stays published for tokens already out; new ID tokens use the new key.
    assert!(
        published_kids(&n.b)
            .await
            .contains(&old_kid.as_str().expect("kid").to_owned())
    );
    let after = tokens(&n.c, "app", Some(&secret), &[]).await;
    assert_eq!(
        jwt_header(str_of(&after, "id_token"))["kid"],
        new_kid.as_str(),
        "node C signs with the key rotated through node A"
    );
}
