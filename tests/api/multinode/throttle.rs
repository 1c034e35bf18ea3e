//! Sign-in throttling counted in the database: three nodes mean one limit, not three.

use super::*;
use latchkey::clock::FixedClock;

async fn nodes(clock: &FixedClock) -> Nodes {
    let n = three_nodes_at(
        |s| {
            s.login_failures_per_account = 3;
            s.login_failures_per_ip = 6;
            s.login_max_wait_secs = 60;
        },
        Arc::new(clock.clone()),
    )
    .await;
    add_user(&n.a, "bob", "bob@example.com", None);
    n
}

/// One sign-in attempt on `node` in a fresh browser; returns (status, Retry-After).
async fn attempt(node: &TestApp, username: &str, password: &str) -> (u16, Option<String>) {
    login_attempt(node, &fresh_browser(), &[], username, password).await
}

#[tokio::test]
async fn three_nodes_share_one_failure_limit_per_account() {
    let clock = clock_now();
    let n = nodes(&clock).await;
    // Four wrong guesses, one per node and round again: the account's three free failures and
    // the one that sets the wait, though no node saw more than two.
    for i in 0..4 {
        assert_eq!(
            attempt(n.nth(i), "alice", "wrong-guess").await.0,
            401,
            "guess {i}"
        );
    }
    for node in n.all() {
        let (status, retry) = attempt(node, "alice", PASSWORD).await;
        assert_eq!(
            (status, retry.as_deref()),
            (429, Some("1")),
            "every node holds alice: {}",
            node.address
        );
    }
    assert_eq!(
        attempt(&n.c, "bob", PASSWORD).await.0,
        303,
        "bob is not held"
    );
    clock.advance(1);
    assert_eq!(
        attempt(&n.c, "alice", PASSWORD).await.0,
        303,
        "the wait ends on every node"
    );
    // The right password on C gave alice her allowance back on A and B too.
    for i in 0..3 {
        assert_eq!(attempt(n.nth(i), "alice", "wrong-guess").await.0, 401);
    }
}

#[tokio::test]
async fn three_nodes_share_one_failure_limit_per_address() {
    let clock = clock_now();
    let n = nodes(&clock).await;
    // Seven accounts guessed once each from one address, spread over the nodes: the address's
    // six free failures and the seventh that sets its wait.
    for (i, name) in ["u1", "u2", "u3", "u4", "u5", "u6", "u7"]
        .iter()
        .enumerate()
    {
        assert_eq!(
            attempt(n.nth(i), name, "guess-guess").await.0,
            401,
            "{name}"
        );
    }
    for node in n.all() {
        assert_eq!(
            attempt(node, "bob", PASSWORD).await.0,
            429,
            "the address waits on {}, whatever the account",
            node.address
        );
    }
}
