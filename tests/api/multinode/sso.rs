//! Single sign-on across nodes: a session made on one node is the session of every node, and
//! ending it on one node ends it everywhere.

use super::*;

#[tokio::test]
async fn a_session_made_on_one_node_signs_in_silently_on_every_other_node() {
    let n = three_nodes().await;
    let secret = add_client(&n.a, &app_spec()).expect("confidential");
    assert_eq!(
        silent_error(&n.b, "app").await.as_deref(),
        Some("login_required"),
        "nobody is signed in yet"
    );
    sign_in(&n.a, "alice").await;
    let alice =
        n.a.store
            .read(|c| latchkey::store::users::get_user_by_username(c, "alice"))
            .expect("alice");
    for (i, node) in [&n.b, &n.c, &n.a].into_iter().enumerate() {
        let req = AuthReq::new("app").set("prompt", "none");
        let res = browse(node, &req.url(node)).await;
        let callback = location(&res);
        let code = query_param(&callback, "code")
            .unwrap_or_else(|| panic!("no silent sign-in on node {i}: {callback}"));
        // Redeemed on yet another node.
        let tokens = exchange(
            n.nth(i + 2),
            "app",
            Some(&secret),
            &code,
            Some(&req.verifier),
        )
        .await;
        let id = jwt_claims(str_of(&tokens, "id_token"));
        assert_eq!(id["sub"], alice.subject.as_str());
        assert!(id["sid"].is_string(), "{id}");
    }
}

#[tokio::test]
async fn signing_out_on_one_node_ends_the_session_on_every_node() {
    let n = three_nodes().await;
    let secret = add_client(&n.a, &app_spec()).expect("confidential");
    let tokens = tokens(&n.a, "app", Some(&secret), &[]).await;
    for node in n.all() {
        assert_eq!(
            silent_error(node, "app").await,
            None,
            "signed in everywhere"
        );
    }
    let url = format!(
        "/logout?{}",
        serde_urlencoded::to_string([
            ("id_token_hint", str_of(&tokens, "id_token")),
            ("post_logout_redirect_uri", POST_LOGOUT),
            ("state", "bye"),
        ])
        .expect("query")
    );
    let res = browse(&n.b, &url).await;
    assert_eq!(res.status(), 302);
    assert!(
        location(&res).starts_with(POST_LOGOUT),
        "{}",
        location(&res)
    );
    for node in n.all() {
        assert_eq!(
            silent_error(node, "app").await.as_deref(),
            Some("login_required"),
            "signed out on {}",
            node.address
        );
    }
    let res = browse(&n.c, "/account").await;
    assert!(
        res.status().is_redirection() && location(&res).starts_with("/login"),
        "the account page asks to sign in again: {}",
        res.status()
    );
}
