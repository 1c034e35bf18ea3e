//! Attacks on the callback: a replayed callback, a callback carried to another browser (login
//! CSRF: signing the victim in as the attacker), a made-up state. Each is a clear page and an
//! audit row, and signs nobody in.

use crate::support::*;

/// Sign bob in at the upstream from `browser` and stop at the callback (not following it).
async fn callback_url(pair: &Pair, browser: &reqwest::Client) -> String {
    let mut walk = Walk::as_user("bob");
    walk.stop_at = Some(pair.down.url("/upstream/up/callback"));
    let (stop, _) = sign_in_through(pair, browser, &mut walk).await;
    stop.callback().to_owned()
}

fn refused_state(pair: &Pair) -> Vec<String> {
    audited(&pair.down, "upstream.failed")
        .into_iter()
        .filter_map(|e| e.detail)
        .filter(|d| d.contains("\"reason\":\"state_"))
        .collect()
}

#[tokio::test]
async fn a_replayed_callback_is_refused_with_a_clear_page() {
    let pair = spawn_pair(|u| u.create_users = true).await;
    add_user(&pair.up, "bob", "bob@example.com", None);
    let browser = fresh_browser();
    let callback = callback_url(&pair, &browser).await;
    assert!(query_param(&callback, "code").is_some() && query_param(&callback, "state").is_some());

    let first = browser.get(&callback).send().await.unwrap();
    assert_eq!(first.status(), 303, "the first use signs in");

    let replay = browser.get(&callback).send().await.unwrap();
    assert_eq!(replay.status(), 400);
    let html = replay.text().await.unwrap();
    assert!(html.contains("This sign-in cannot be finished"), "{html}");
    assert!(refused_state(&pair)[0].contains("state_unknown_or_used"));
}

#[tokio::test]
async fn a_callback_carried_to_another_browser_signs_nobody_in_there() {
    let pair = spawn_pair(|u| u.create_users = true).await;
    add_user(&pair.up, "bob", "bob@example.com", None);
    let attacker = fresh_browser();
    let callback = callback_url(&pair, &attacker).await;

    let victim = fresh_browser();
    let res = victim.get(&callback).send().await.unwrap();

    assert_eq!(res.status(), 400);
    assert_eq!(
        cookie_value(&res, "latchkey_session"),
        None,
        "no session for the victim"
    );
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("does not belong to a sign-in this browser started")
    );
    assert!(refused_state(&pair)[0].contains("state_other_browser"));
    assert!(audited(&pair.down, "login.succeeded").is_empty());
    // The flow is used up: the attacker's own browser cannot finish it either.
    assert_eq!(attacker.get(&callback).send().await.unwrap().status(), 400);
}

#[tokio::test]
async fn a_made_up_or_missing_state_is_refused() {
    let pair = spawn_pair(|_| {}).await;
    let browser = fresh_browser();
    for q in [
        "?code=abc&state=made-up",
        "?code=abc",
        "?error=access_denied",
    ] {
        let res = browser
            .get(pair.down.url(&format!("/upstream/up/callback{q}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{q}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("This sign-in cannot be finished")
        );
    }
    assert_eq!(refused_state(&pair).len(), 3);
    let unknown = browser
        .get(pair.down.url("/upstream/nope/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn an_id_token_whose_signature_does_not_verify_signs_nobody_in() {
    let proxy = start_proxy();
    let pair = spawn_pair_behind(&proxy, |u| u.create_users = true).await;
    add_user(&pair.up, "bob", "bob@example.com", None);
    proxy.tamper(Tamper::BreakSignature);

    let (stop, _) = sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("bob")).await;

    let (status, _, html) = stop.page();
    assert_eq!(status, 502);
    assert!(html.contains("could not be verified"), "{html}");
    let failed = audited(&pair.down, "upstream.failed");
    assert!(
        failed[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("id_token_invalid"),
        "{failed:?}"
    );
    assert!(audited(&pair.down, "login.succeeded").is_empty());
    assert!(
        pair.down
            .cli(&["user", "show", "bob"], None)
            .one_line_error()
            .contains("bob")
    );
}

#[tokio::test]
async fn an_id_token_of_another_sign_in_is_refused_by_its_nonce() {
    let proxy = start_proxy();
    let pair = spawn_pair_behind(&proxy, |u| u.create_users = true).await;
    add_user(&pair.up, "bob", "bob@example.com", None);
    proxy.tamper(Tamper::ReplayFirst);
    let (first, _) = sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("bob")).await;
    first.callback();

    // The next sign-in is answered with the first one's (validly signed) ID token.
    let (stop, _) = sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("bob")).await;

    assert_eq!(stop.page().0, 502);
    let failed = audited(&pair.down, "upstream.failed");
    assert!(
        failed[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("nonce_mismatch"),
        "{failed:?}"
    );
    assert_eq!(
        audited(&pair.down, "login.succeeded").len(),
        1,
        "only the first"
    );
}
