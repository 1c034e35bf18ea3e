//! Signing in through a second latchkey, a real OpenID provider: discovery, PKCE, state, nonce
//! and the ID token's checks all happen for real, and the app's authorization request goes on
//! (consent, second factor) exactly as after a password.

use crate::support::*;
use latchkey::clock::Clock;
use serde_json::json;

#[tokio::test]
async fn with_create_users_a_new_person_becomes_a_user_and_the_id_token_says_fed_at_pwd() {
    let pair = spawn_pair(|u| u.create_users = true).await;
    add_user(&pair.up, "bob", "bob@example.com", Some("Bob Upstream"));

    let (stop, verifier) =
        sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("bob")).await;
    let claims = id_token_of(&pair, &stop, &verifier).await;

    assert_eq!(claims["amr"], json!(["fed"]));
    assert_eq!(claims["acr"], "urn:latchkey:acr:pwd");
    assert_eq!(claims["preferred_username"], "bob");
    assert_eq!(claims["email"], "bob@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_ne!(claims["sub"], upstream_sub(&pair, "bob"), "our own sub");
    let shown = pair
        .down
        .cli(&["user", "show", "bob", "--json"], None)
        .json();
    assert_eq!(shown["upstream_identities"][0]["upstream"], "up");
    assert_eq!(
        shown["upstream_identities"][0]["subject"],
        upstream_sub(&pair, "bob")
    );
    let text = pair.down.cli(&["user", "show", "bob"], None);
    assert!(
        text.ok().contains("upstream:       up (sub "),
        "{}",
        text.stdout
    );
    let linked = audited(&pair.down, "upstream.linked");
    assert!(
        linked[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("\"how\":\"created\"")
    );
    let login = audited(&pair.down, "login.succeeded");
    assert!(
        login[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("\"upstream_amr\":[\"pwd\"]"),
        "the upstream's own amr is recorded: {login:?}"
    );

    // The next sign-in (another browser) finds the same user by (issuer, sub).
    let (stop, verifier) =
        sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("bob")).await;
    let again = id_token_of(&pair, &stop, &verifier).await;
    assert_eq!(again["sub"], claims["sub"]);
    assert_eq!(
        pair.down
            .cli(&["user", "list", "--json"], None)
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn without_create_users_an_unknown_identity_gets_the_no_account_page_and_the_local_password_links_it()
 {
    let pair = spawn_pair(|_| {}).await;
    add_user(&pair.up, "bob", "bob@example.com", None);
    add_user(&pair.down, "robert", "robert@example.org", None);
    let browser = fresh_browser();

    let (stop, verifier) = sign_in_through(&pair, &browser, &mut Walk::as_user("bob")).await;
    let (status, url, html) = stop.page();
    assert_eq!(status, 200);
    assert!(url.contains("/upstream/link?t="), "{url}");
    assert!(
        html.contains("No account is linked to this sign-in"),
        "{html}"
    );
    assert!(html.contains("bob@example.com"));
    assert!(
        audited(&pair.down, "upstream.linked").is_empty(),
        "nothing linked by email"
    );

    let wrong = submit(
        &browser,
        url,
        "/upstream/link",
        &[("username", "robert"), ("password", "nope-nope")],
    )
    .await;
    assert_eq!(wrong.status(), 401);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("Invalid username or password")
    );

    let res = submit(
        &browser,
        url,
        "/upstream/link",
        &[("username", "robert"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert!(
        location(&res).starts_with("/authorize/resume?req="),
        "back into the request"
    );
    let next = pair.down.url(&location(&res));
    let stop = walk_from(
        &pair.down,
        &pair.up.settings.issuer,
        &browser,
        &next,
        browser.get(&next).send().await.unwrap(),
        &mut Walk::as_user("bob"),
    )
    .await;
    let claims = id_token_of(&pair, &stop, &verifier).await;
    assert_eq!(claims["preferred_username"], "robert");
    assert_eq!(
        claims["amr"],
        json!(["fed"]),
        "the password only allowed the link"
    );
    let linked = audited(&pair.down, "upstream.linked");
    assert!(
        linked[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("\"how\":\"password\"")
    );

    // From now on the upstream alone signs robert in.
    let (stop, verifier) =
        sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("bob")).await;
    assert_eq!(
        id_token_of(&pair, &stop, &verifier).await["preferred_username"],
        "robert"
    );
}

#[tokio::test]
async fn with_verified_email_linking_the_one_local_user_with_that_verified_email_is_linked() {
    let pair = spawn_pair(|u| u.link = latchkey::config::LinkRule::VerifiedEmail).await;
    add_user(&pair.up, "bob", "Bob@Example.com", None);
    add_user(&pair.down, "robert", "bob@example.com", None);

    let (stop, verifier) =
        sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("bob")).await;

    let claims = id_token_of(&pair, &stop, &verifier).await;
    assert_eq!(claims["preferred_username"], "robert");
    let linked = audited(&pair.down, "upstream.linked");
    assert_eq!(linked.len(), 1);
    assert!(
        linked[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("\"how\":\"verified-email\"")
    );
}

#[tokio::test]
async fn an_unverified_or_ambiguous_email_never_links_anything() {
    // The upstream does not vouch for the email.
    let pair = spawn_pair(|u| u.link = latchkey::config::LinkRule::VerifiedEmail).await;
    add_user_verified(&pair.up, "bob", "bob@example.com", false);
    add_user(&pair.down, "robert", "bob@example.com", None);
    let (stop, _) = sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("bob")).await;
    assert!(
        stop.page().2.contains("No account is linked"),
        "unverified upstream email"
    );

    // Two local users hold the email; and one holds it unverified.
    add_user_verified(&pair.up, "carol", "carol@example.com", true);
    add_user(&pair.down, "carol1", "carol@example.com", None);
    add_user(&pair.down, "carol2", "CAROL@example.com", None);
    let (stop, _) = sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("carol")).await;
    assert!(
        stop.page().2.contains("No account is linked"),
        "ambiguous email"
    );

    add_user_verified(&pair.up, "dave", "dave@example.com", true);
    add_user_verified(&pair.down, "dave", "dave@example.com", false);
    let (stop, _) = sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("dave")).await;
    assert!(
        stop.page().2.contains("No account is linked"),
        "unverified local email"
    );

    assert!(audited(&pair.down, "upstream.linked").is_empty());
}

#[tokio::test]
async fn a_local_second_factor_after_the_upstream_raises_acr_to_mfa() {
    let clock = clock_now();
    let pair = spawn_pair_at(std::sync::Arc::new(clock.clone()), |u| {
        u.link = latchkey::config::LinkRule::VerifiedEmail
    })
    .await;
    add_user(&pair.up, "bob", "bob@example.com", None);
    add_user(&pair.down, "robert", "bob@example.com", None);
    sign_in(&pair.down, "robert").await;
    let (secret, _) = set_up_totp(&pair.down, clock.now()).await;
    clock.advance(30);
    let now = clock.now();

    let mut walk = Walk::as_user("bob");
    walk.code = Some(Box::new(move || totp_code(&secret, now)));
    let (stop, verifier) = sign_in_through(&pair, &fresh_browser(), &mut walk).await;

    let claims = id_token_of(&pair, &stop, &verifier).await;
    assert_eq!(claims["preferred_username"], "robert");
    assert_eq!(claims["amr"], json!(["fed", "otp", "mfa"]));
    assert_eq!(claims["acr"], "urn:latchkey:acr:mfa");
}

#[tokio::test]
async fn a_refusal_at_the_upstream_is_a_readable_page_and_an_audit_row() {
    let pair = spawn_pair(|u| u.create_users = true).await;
    add_user(&pair.up, "bob", "bob@example.com", None);
    let mut walk = Walk::as_user("bob");
    walk.upstream_consent = "deny";

    let (stop, _) = sign_in_through(&pair, &fresh_browser(), &mut walk).await;

    let (status, _, html) = stop.page();
    assert_eq!(status, 403);
    assert!(
        html.contains("Signing in with Upstream Co did not finish"),
        "{html}"
    );
    assert!(
        unescaped(html).contains("href=\"/login?req="),
        "a way back to the same request"
    );
    let failed = audited(&pair.down, "upstream.failed");
    assert!(
        failed[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("access_denied")
    );
}

#[tokio::test]
async fn the_login_page_offers_one_button_per_upstream_into_the_same_request() {
    let pair = spawn_pair(|_| {}).await;
    let res = browse(&pair.down, &AuthReq::new("app").url(&pair.down)).await;
    let login = location(&res);
    let html = browse(&pair.down, &login).await.text().await.unwrap();
    assert!(html.contains(">Sign in with Upstream Co</a>"), "{html}");
    let href = upstream_link(&html).unwrap();
    assert_eq!(
        href,
        format!(
            "/upstream/up/start?req={}",
            query_param(&pair.down.url(&login), "req").unwrap()
        )
    );
}
