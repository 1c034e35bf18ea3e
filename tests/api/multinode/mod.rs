//! Several latchkey nodes on one database (issue #19), behind one load balancer without sticky
//! sessions: every node has the same issuer, and one browser's cookies go to every node
//! (host-only cookies on 127.0.0.1 ignore the port). The same tests run on SQLite (nodes whose
//! data dirs link to one database file) and, with `LATCHKEY_TEST_PG_URL` set, on one
//! PostgreSQL database.
//!
//! The list, and the tests that prove each item:
//! - every request of a flow on a different node (sign-in on A, consent on B, code exchanged
//!   on C, userinfo on A): `flow::a_code_flow_signs_in_on_a_consents_on_b_redeems_on_c_and_answers_userinfo_on_a`,
//!   `flow::every_request_of_a_sign_in_may_go_to_the_next_node`;
//! - SSO across nodes: `sso::a_session_made_on_one_node_signs_in_silently_on_every_other_node`,
//!   `sso::signing_out_on_one_node_ends_the_session_on_every_node`;
//! - a refresh token presented to two nodes at once:
//!   `races::a_refresh_token_presented_to_two_nodes_at_once_succeeds_once_and_the_reuse_revokes_the_family`;
//! - a code redeemed on two nodes at once:
//!   `races::a_code_redeemed_on_two_nodes_at_once_yields_tokens_once_and_the_replay_revokes_them`;
//! - throttling counted across nodes: `throttle::three_nodes_share_one_failure_limit_per_account`,
//!   `throttle::three_nodes_share_one_failure_limit_per_address` (two nodes:
//!   `sign_in::throttle::two_nodes_on_one_database_share_the_failure_limit`);
//! - key rotation on one node seen by the others:
//!   `keys::a_key_rotated_on_one_node_is_published_and_used_by_the_others_within_seconds`;
//! - a back-channel notice delivered once:
//!   `backchannel::a_logout_notice_is_delivered_once_while_three_nodes_send_from_the_outbox`;
//! - one node killed with SIGKILL under load: `crash::a_node_killed_under_load_loses_no_acknowledged_write_and_the_others_go_on`.

mod backchannel;
mod crash;
mod flow;
mod keys;
mod races;
mod sso;
mod throttle;

use crate::support::*;
use latchkey::clock::{Clock, SystemClock};
use latchkey::config::Settings;
use reqwest::Response;
use std::sync::Arc;

/// Three in-process nodes on one database: A (whose address is everyone's issuer), B and C,
/// sharing one browser (each node's `client` is the same cookie jar). Alice is a user.
pub struct Nodes {
    pub a: TestApp,
    pub b: TestApp,
    pub c: TestApp,
}

impl Nodes {
    pub fn all(&self) -> [&TestApp; 3] {
        [&self.a, &self.b, &self.c]
    }

    /// Another browser (no cookies yet), shared by the three nodes.
    pub fn new_browser(&mut self) {
        let browser = fresh_browser();
        for node in [&mut self.a, &mut self.b, &mut self.c] {
            node.client = browser.clone();
        }
    }

    /// Node `i` of A, B, C, round and round.
    pub fn nth(&self, i: usize) -> &TestApp {
        self.all()[i % 3]
    }
}

pub async fn three_nodes() -> Nodes {
    three_nodes_at(|_| {}, Arc::new(SystemClock)).await
}

/// Three nodes with adjusted settings and a clock the test may control.
pub async fn three_nodes_at(configure: impl FnOnce(&mut Settings), clock: Arc<dyn Clock>) -> Nodes {
    let port = free_port();
    let a = spawn_app_with_clock(
        |s| {
            s.bind = format!("127.0.0.1:{port}").parse().expect("bind");
            s.issuer = format!("http://127.0.0.1:{port}");
            configure(s);
        },
        clock.clone(),
    )
    .await;
    add_user(&a, "alice", "alice@example.com", Some("Alice Example"));
    let mut b = spawn_node_beside(&a, clock.clone()).await;
    let mut c = spawn_node_beside(&a, clock).await;
    assert_eq!(b.settings.issuer, a.settings.issuer, "one issuer");
    b.client = a.client.clone();
    c.client = a.client.clone();
    Nodes { a, b, c }
}

/// The shared browser follows a Location (a path on "the" site) on `node`.
pub async fn follow_on(node: &TestApp, res: &Response) -> Response {
    let loc = location(res);
    assert!(loc.starts_with('/'), "not one of our pages: {loc}");
    browse(node, &loc).await
}

/// The sign-in form at `login_path` fetched from `page_on` and submitted to `post_on`, as
/// alice with her password.
pub async fn sign_in_across(page_on: &TestApp, post_on: &TestApp, login_path: &str) -> Response {
    let page = browse(page_on, login_path).await;
    assert_eq!(page.status(), 200, "login page at {login_path}");
    let html = page.text().await.expect("login html");
    let mut form = vec![
        ("username", "alice".to_owned()),
        ("password", PASSWORD.to_owned()),
        (
            "csrf_token",
            hidden(&html, "csrf_token").expect("csrf token"),
        ),
    ];
    for k in ["req", "next"] {
        if let Some(v) = hidden(&html, k) {
            form.push((k, v));
        }
    }
    post_on
        .client
        .post(post_on.url("/login"))
        .form(&form)
        .send()
        .await
        .expect("POST /login")
}

/// The consent page at `consent_path` fetched from `page_on`, "allow" pressed on `post_on`.
pub async fn consent_across(page_on: &TestApp, post_on: &TestApp, consent_path: &str) -> Response {
    let page = browse(page_on, consent_path).await;
    assert_eq!(page.status(), 200, "consent page at {consent_path}");
    let html = page.text().await.expect("consent html");
    post_on
        .client
        .post(post_on.url("/consent"))
        .form(&[
            ("decision", "allow".to_owned()),
            ("csrf_token", hidden(&html, "csrf_token").expect("csrf")),
            ("req", hidden(&html, "req").expect("req")),
        ])
        .send()
        .await
        .expect("POST /consent")
}

/// prompt=none at `client_id` on `node`: the callback's error, or None when a code came back.
pub async fn silent_error(node: &TestApp, client_id: &str) -> Option<String> {
    let req = AuthReq::new(client_id).set("prompt", "none");
    let res = browse(node, &req.url(node)).await;
    let loc = location(&res);
    assert!(
        loc.starts_with(REDIRECT_URI),
        "answered to the client: {loc}"
    );
    query_param(&loc, "error")
}
