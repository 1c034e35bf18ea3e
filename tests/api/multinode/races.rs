//! One-time credentials presented to two nodes at once: the database decides, exactly one node
//! wins, and the loser is treated as the replay it is, as on one node.

use super::*;
use serde_json::json;

/// Rounds per test: each a fresh credential sent to two nodes at the same moment.
const ROUNDS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_presented_to_two_nodes_at_once_succeeds_once_and_the_reuse_revokes_the_family()
 {
    let n = three_nodes().await;
    let secret = add_client(&n.a, &app_spec()).expect("confidential");
    for round in 0..ROUNDS {
        let t = tokens(
            n.nth(round),
            "app",
            Some(&secret),
            &[("scope", "openid offline_access")],
        )
        .await;
        let r = str_of(&t, "refresh_token").to_owned();
        let (first, second) = (n.nth(round + 1), n.nth(round + 2));
        let (x, y) = tokio::join!(
            refresh(first, "app", &secret, &r, None),
            refresh(second, "app", &secret, &r, None),
        );
        let mut answers = Vec::new();
        for res in [x, y] {
            let status = res.status().as_u16();
            let body: serde_json::Value = res.json().await.expect("JSON");
            answers.push((status, body));
        }
        answers.sort_by_key(|(s, _)| *s);
        assert_eq!(
            (answers[0].0, answers[1].0),
            (200, 400),
            "round {round}: exactly one node rotates the token: {answers:?}"
        );
        assert_eq!(answers[1].1["error"], "invalid_grant", "{answers:?}");
        let won = &answers[0].1;

        // The loser was a reuse: the family is revoked, whatever node asks.
        let res = refresh(
            n.nth(round),
            "app",
            &secret,
            str_of(won, "refresh_token"),
            None,
        )
        .await;
        assert_oauth_error(res, 400, "invalid_grant").await;
        let access = str_of(won, "access_token");
        for node in n.all() {
            assert_eq!(userinfo(node, access).await.status(), 401, "round {round}");
        }
        assert_eq!(
            introspect(n.nth(round + 1), &secret, str_of(won, "refresh_token")).await,
            json!({ "active": false })
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_redeemed_on_two_nodes_at_once_yields_tokens_once_and_the_replay_revokes_them() {
    let n = three_nodes().await;
    let secret = add_client(&n.a, &app_spec()).expect("confidential");
    for round in 0..ROUNDS {
        let (code, verifier) =
            get_code(n.nth(round), "app", &[("scope", "openid offline_access")]).await;
        let (first, second) = (n.nth(round + 1), n.nth(round + 2));
        let (x, y) = tokio::join!(
            redeem(first, "app", Some(&secret), &code, Some(&verifier)),
            redeem(second, "app", Some(&secret), &code, Some(&verifier)),
        );
        let mut answers = Vec::new();
        for res in [x, y] {
            let status = res.status().as_u16();
            let body: serde_json::Value = res.json().await.expect("JSON");
            answers.push((status, body));
        }
        answers.sort_by_key(|(s, _)| *s);
        assert_eq!(
            (answers[0].0, answers[1].0),
            (200, 400),
            "round {round}: exactly one node redeems the code: {answers:?}"
        );
        assert_eq!(answers[1].1["error"], "invalid_grant", "{answers:?}");
        let won = &answers[0].1;

        // A replayed code revokes what it issued (RFC 9700 §4.5), on every node.
        let access = str_of(won, "access_token");
        for node in n.all() {
            assert_eq!(userinfo(node, access).await.status(), 401, "round {round}");
        }
        let res = refresh(
            n.nth(round),
            "app",
            &secret,
            str_of(won, "refresh_token"),
            None,
        )
        .await;
        assert_oauth_error(res, 400, "invalid_grant").await;
    }
}
