//! One browser's code flow spread over three nodes: whatever node a request lands on, it
//! carries on where the last node stopped (nothing of the flow lives in one node's memory).

use super::*;
use serde_json::Value;

/// The client of these tests: confidential, asks for consent, refresh tokens allowed.
fn client(nodes: &Nodes) -> String {
    add_client(&nodes.a, &ClientSpec::default()).expect("a confidential client")
}

fn request() -> AuthReq {
    AuthReq::new("app").set("scope", "openid profile email offline_access")
}

/// The ID token says who signed in, for whom, to which issuer.
fn assert_id_token(nodes: &Nodes, tokens: &Value) -> Value {
    let claims = jwt_claims(str_of(tokens, "id_token"));
    assert_eq!(claims["iss"], nodes.a.settings.issuer.as_str(), "{claims}");
    assert_eq!(claims["aud"], "app", "{claims}");
    assert_eq!(claims["nonce"], NONCE, "{claims}");
    claims
}

#[tokio::test]
async fn a_code_flow_signs_in_on_a_consents_on_b_redeems_on_c_and_answers_userinfo_on_a() {
    let n = three_nodes().await;
    let secret = client(&n);
    let req = request();

    // /authorize on A sends the browser to sign in; the form comes from C, the sign-in is on A.
    let res = browse(&n.a, &req.url(&n.a)).await;
    let login = location(&res);
    assert!(login.starts_with("/login"), "sign in first: {login}");
    let mut res = sign_in_across(&n.c, &n.a, &login).await;
    assert!(res.status().is_redirection(), "signed in: {}", res.status());
    // Back to /authorize, on whichever node, until it asks for consent.
    let mut hop = 0;
    while !location(&res).starts_with("/consent") {
        hop += 1;
        assert!(hop < 5, "no consent page: {}", location(&res));
        res = follow_on(n.nth(hop), &res).await;
        assert!(
            res.status().is_redirection(),
            "a redirect: {}",
            res.status()
        );
    }
    // Consent: the page from C, "allow" on B.
    let mut res = consent_across(&n.c, &n.b, &location(&res)).await;
    while location(&res).starts_with('/') {
        hop += 1;
        assert!(hop < 8, "no answer to the client: {}", location(&res));
        res = follow_on(n.nth(hop), &res).await;
    }
    let callback = location(&res);
    assert!(callback.starts_with(REDIRECT_URI), "{callback}");
    assert_eq!(query_param(&callback, "state").as_deref(), Some(STATE));
    let code = query_param(&callback, "code").expect("a code");

    // The code is exchanged on C, userinfo answers on A.
    let tokens = exchange(&n.c, "app", Some(&secret), &code, Some(&req.verifier)).await;
    let id = assert_id_token(&n, &tokens);
    let res = userinfo(&n.a, str_of(&tokens, "access_token")).await;
    assert_eq!(res.status(), 200);
    let info: Value = res.json().await.expect("userinfo JSON");
    assert_eq!(info["sub"], id["sub"]);
    assert_eq!(info["email"], "alice@example.com");

    // The refresh token works on B, and its access token on C.
    let res = refresh(&n.b, "app", &secret, str_of(&tokens, "refresh_token"), None).await;
    let refreshed = token_ok(res).await;
    let res = userinfo(&n.c, str_of(&refreshed, "access_token")).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn every_request_of_a_sign_in_may_go_to_the_next_node() {
    let mut n = three_nodes().await;
    let secret = client(&n);
    // Three browsers sign in, each starting on another node, every request on the next node.
    for start in 0..3 {
        n.new_browser();
        let req = request();
        let mut i = start;
        let mut res = browse(n.nth(i), &req.url(n.nth(i))).await;
        let mut pages = Vec::new();
        loop {
            assert!(
                res.status().is_redirection(),
                "a redirect: {}",
                res.status()
            );
            let loc = location(&res);
            if !loc.starts_with('/') {
                break;
            }
            assert!(pages.len() < 8, "too many hops: {pages:?}");
            pages.push(loc.clone());
            res = if loc.starts_with("/login") {
                i += 2;
                sign_in_across(n.nth(i - 1), n.nth(i), &loc).await
            } else if loc.starts_with("/consent") {
                i += 2;
                consent_across(n.nth(i - 1), n.nth(i), &loc).await
            } else {
                i += 1;
                browse(n.nth(i), &loc).await
            };
        }
        let callback = location(&res);
        let code = query_param(&callback, "code")
            .unwrap_or_else(|| panic!("no code in {callback} after {pages:?}"));
        assert!(pages[0].starts_with("/login"), "{pages:?}");
        // Consent was asked once: the later sign-ins skip it, on every node.
        assert_eq!(
            pages.iter().any(|p| p.starts_with("/consent")),
            start == 0,
            "{pages:?}"
        );
        i += 1;
        let tokens = exchange(n.nth(i), "app", Some(&secret), &code, Some(&req.verifier)).await;
        assert_id_token(&n, &tokens);
        i += 1;
        let res = userinfo(n.nth(i), str_of(&tokens, "access_token")).await;
        assert_eq!(res.status(), 200);
    }
}
