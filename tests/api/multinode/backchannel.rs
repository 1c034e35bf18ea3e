//! The back-channel outbox is shared: every node sends from it, and each notice goes out once.

use super::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

/// The slow app answers each notice after this long, so a notice stays in flight while the
/// other nodes look at the outbox (they look every 5 s when nothing wakes them).
const APP_ANSWERS_AFTER: Duration = Duration::from_secs(4);

/// How long the test keeps listening for extra copies: more than two looks of every node.
const LISTEN_FOR_MORE: Duration = Duration::from_secs(12);

async fn nodes_with_slow_app() -> (Nodes, String, UnboundedReceiver<String>) {
    let n = three_nodes().await;
    let (uri, rx) = backchannel_receiver_answering_after(APP_ANSWERS_AFTER).await;
    let secret = add_client(
        &n.a,
        &ClientSpec {
            skip_consent: true,
            post_logout_redirect_uris: vec![POST_LOGOUT.to_owned()],
            backchannel_logout_uri: Some(uri),
            ..Default::default()
        },
    )
    .expect("confidential");
    (n, secret, rx)
}

/// Every notice that arrives within `wait`: the `sid`s of their logout tokens.
async fn sids_arriving(rx: &mut UnboundedReceiver<String>, wait: Duration) -> Vec<String> {
    let mut sids = Vec::new();
    let _ = tokio::time::timeout(wait, async {
        loop {
            let token = next_logout_token(rx).await;
            let c = jwt_claims(&token);
            sids.push(c["sid"].as_str().expect("sid").to_owned());
        }
    })
    .await;
    sids
}

#[tokio::test]
async fn a_logout_notice_is_delivered_once_while_three_nodes_send_from_the_outbox() {
    let (mut n, secret, mut rx) = nodes_with_slow_app().await;
    // Three browsers sign in through node A and sign out on node B, a while apart, so the
    // notices are in flight at different moments of the other nodes' looks at the outbox.
    let mut sids = BTreeSet::new();
    for i in 0..3 {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(1700)).await;
        }
        n.new_browser();
        let tokens = tokens(&n.a, "app", Some(&secret), &[]).await;
        let id: Value = jwt_claims(str_of(&tokens, "id_token"));
        sids.insert(id["sid"].as_str().expect("sid").to_owned());
        let url = format!(
            "/logout?{}",
            serde_urlencoded::to_string([
                ("id_token_hint", str_of(&tokens, "id_token")),
                ("post_logout_redirect_uri", POST_LOGOUT),
            ])
            .expect("query")
        );
        let res = browse(&n.b, &url).await;
        assert_eq!(res.status(), 302, "signed out");
    }
    let got = sids_arriving(&mut rx, LISTEN_FOR_MORE).await;
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        sids.into_iter().collect::<Vec<_>>(),
        "each session's notice once: {got:?}"
    );
}

#[tokio::test]
async fn a_notice_queued_by_the_cli_is_delivered_once_though_every_node_looks_at_once() {
    let (n, secret, mut rx) = nodes_with_slow_app().await;
    let tokens = tokens(&n.c, "app", Some(&secret), &[]).await;
    let sid = jwt_claims(str_of(&tokens, "id_token"))["sid"].clone();
    // No node is nudged: the three find the notice on their next look, started together.
    n.a.cli(&["user", "disable", "alice"], None).ok();
    let got = sids_arriving(&mut rx, LISTEN_FOR_MORE).await;
    assert_eq!(got, [sid.as_str().expect("sid")], "one notice: {got:?}");
}
