//! What is checked again at every federated sign-in (disabled users, email domains, groups),
//! and linking and unlinking from the account page and the CLI.

use crate::support::*;
use serde_json::json;

fn groups_of(app: &TestApp, username: &str) -> Vec<String> {
    app.store
        .read(|c| {
            let u = latchkey::store::users::get_user_by_username(c, username)?;
            latchkey::store::groups::list_user_group_names(c, u.id)
        })
        .unwrap()
}

#[tokio::test]
async fn a_disabled_local_user_is_refused_at_the_next_federated_sign_in() {
    let pair = spawn_pair(|u| u.create_users = true).await;
    add_user(&pair.up, "bob", "bob@example.com", None);
    let (stop, _) = sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("bob")).await;
    stop.callback();
    pair.down.cli(&["user", "disable", "bob"], None).ok();

    let (stop, _) = sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("bob")).await;

    let (status, _, html) = stop.page();
    assert_eq!(status, 403);
    assert!(html.contains("This account is disabled"), "{html}");
    let failed = audited(&pair.down, "upstream.failed");
    assert!(
        failed[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("user_disabled")
    );
    assert_eq!(failed[0].actor.as_deref(), Some("bob"));
}

#[tokio::test]
async fn allowed_email_domains_refuse_other_domains_at_every_sign_in() {
    let pair = spawn_pair(|u| {
        u.create_users = true;
        u.allowed_email_domains = vec!["example.com".into()];
    })
    .await;
    add_user(&pair.up, "bob", "bob@example.com", None);
    add_user(&pair.up, "eve", "eve@elsewhere.org", None);

    let (stop, _) = sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("eve")).await;
    let (status, _, html) = stop.page();
    assert_eq!(status, 403);
    assert!(html.contains("This account cannot sign in here"), "{html}");
    assert!(
        pair.down
            .cli(&["user", "show", "eve"], None)
            .one_line_error()
            .contains("eve")
    );
    let failed = audited(&pair.down, "upstream.failed");
    assert!(
        failed[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("email_domain_not_allowed")
    );

    let (stop, _) = sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("bob")).await;
    stop.callback();
    // bob's email changes upstream to another domain: the next sign-in is refused.
    pair.up
        .store
        .sql_write(|c| {
            c.execute_batch("UPDATE users SET email = 'bob@elsewhere.org' WHERE username = 'bob'")?;
            Ok::<_, latchkey::store::StoreError>(())
        })
        .unwrap();
    let (stop, _) = sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("bob")).await;
    assert_eq!(stop.page().0, 403);
}

#[tokio::test]
async fn groups_claim_sets_the_membership_of_local_groups_at_every_sign_in() {
    let pair = spawn_pair(|u| {
        u.create_users = true;
        u.groups_claim = Some("groups".into());
        u.scopes.push("groups".into());
    })
    .await;
    add_user(&pair.up, "bob", "bob@example.com", None);
    for g in ["eng", "ops"] {
        pair.up.cli(&["group", "add", g], None).ok();
        pair.down.cli(&["group", "add", g], None).ok();
    }
    pair.up.cli(&["group", "add", "upstream-only"], None).ok();
    pair.up
        .cli(&["group", "add-member", "eng", "bob"], None)
        .ok();
    pair.up
        .cli(&["group", "add-member", "upstream-only", "bob"], None)
        .ok();

    let (stop, verifier) =
        sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("bob")).await;
    assert_eq!(
        groups_of(&pair.down, "bob"),
        ["eng"],
        "only groups defined here"
    );
    assert_eq!(
        id_token_of(&pair, &stop, &verifier).await["groups"],
        json!(["eng"])
    );

    pair.up
        .cli(&["group", "remove-member", "eng", "bob"], None)
        .ok();
    pair.up
        .cli(&["group", "add-member", "ops", "bob"], None)
        .ok();
    let (stop, _) = sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("bob")).await;
    stop.callback();
    assert_eq!(groups_of(&pair.down, "bob"), ["ops"]);
    let changed = audited(&pair.down, "upstream.groups_updated");
    assert!(
        changed[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("\"removed\":[\"eng\"]")
    );
}

/// The account page of a signed-in browser, and its CSRF token.
async fn account_page(pair: &Pair, browser: &reqwest::Client) -> String {
    let res = browser.get(pair.down.url("/account")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.text().await.unwrap()
}

async fn unlink(pair: &Pair, browser: &reqwest::Client, id: &str) -> reqwest::Response {
    submit(
        browser,
        &pair.down.url("/account"),
        "/account/upstream/unlink",
        &[("id", id)],
    )
    .await
}

#[tokio::test]
async fn the_account_page_never_unlinks_the_last_way_in_and_unlinks_otherwise() {
    let pair = spawn_pair(|u| u.create_users = true).await;
    add_user(&pair.up, "bob", "bob@example.com", None);
    let browser = fresh_browser();
    let (stop, _) = sign_in_through(&pair, &browser, &mut Walk::as_user("bob")).await;
    stop.callback();

    let html = account_page(&pair, &browser).await;
    assert!(
        html.contains("<strong>Upstream Co</strong> · bob@example.com"),
        "{html}"
    );
    assert!(
        !html.contains(">Unlink</button>"),
        "no password: it is the only way in"
    );
    assert!(html.contains("You have no password here"), "{html}");
    assert!(!html.contains("name=\"current_password\""));
    // The only identity there is (no form offers its id).
    let id = "1".to_owned();
    let res = unlink(&pair, &browser, &id).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("only way to sign in"));

    // A password is another way in: now the identity may go.
    pair.down
        .cli(
            &["user", "set-password", "bob", "--password-stdin"],
            Some(PASSWORD),
        )
        .ok();
    let browser = fresh_browser();
    let res = submit(
        &browser,
        &pair.down.url("/login"),
        "/login",
        &[("username", "bob"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), 303);
    let html = account_page(&pair, &browser).await;
    assert!(html.contains(">Unlink</button>"), "{html}");
    let res = unlink(&pair, &browser, &id).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Unlinked"));
    let shown = pair
        .down
        .cli(&["user", "show", "bob", "--json"], None)
        .json();
    assert_eq!(shown["upstream_identities"], json!([]));
    let gone = audited(&pair.down, "upstream.unlinked");
    assert_eq!(gone[0].actor.as_deref(), Some("bob"));
}

#[tokio::test]
async fn a_signed_in_user_links_an_upstream_identity_from_the_account_page() {
    let pair = spawn_pair(|_| {}).await;
    add_user(&pair.up, "bob", "bob@example.com", None);
    add_user(&pair.down, "robert", "robert@example.org", None);
    let browser = fresh_browser();
    let res = submit(
        &browser,
        &pair.down.url("/login"),
        "/login",
        &[("username", "robert"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(res.status(), 303);
    let html = account_page(&pair, &browser).await;
    assert!(html.contains("Link your Upstream Co account"), "{html}");

    let account = pair.down.url("/account");
    let res = submit(&browser, &account, "/upstream/up/start", &[]).await;
    assert_eq!(res.status(), 303);
    let stop = walk_from(
        &pair.down,
        &pair.up.settings.issuer,
        &browser,
        &account,
        res,
        &mut Walk::as_user("bob"),
    )
    .await;
    let (status, _, html) = stop.page();
    assert_eq!(status, 200);
    assert!(
        html.contains("Your Upstream Co account is linked"),
        "{html}"
    );

    let (stop, verifier) =
        sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("bob")).await;
    assert_eq!(
        id_token_of(&pair, &stop, &verifier).await["preferred_username"],
        "robert"
    );
    let linked = audited(&pair.down, "upstream.linked");
    assert!(
        linked[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("\"how\":\"account\"")
    );
}

#[tokio::test]
async fn an_identity_linked_to_someone_else_is_not_linked_again_from_an_account_page() {
    let pair = spawn_pair(|u| u.create_users = true).await;
    add_user(&pair.up, "bob", "bob@example.com", None);
    let (stop, _) = sign_in_through(&pair, &fresh_browser(), &mut Walk::as_user("bob")).await;
    stop.callback();
    add_user(&pair.down, "mallory", "mallory@example.org", None);
    let browser = fresh_browser();
    submit(
        &browser,
        &pair.down.url("/login"),
        "/login",
        &[("username", "mallory"), ("password", PASSWORD)],
    )
    .await;

    let account = pair.down.url("/account");
    let res = submit(&browser, &account, "/upstream/up/start", &[]).await;
    let stop = walk_from(
        &pair.down,
        &pair.up.settings.issuer,
        &browser,
        &account,
        res,
        &mut Walk::as_user("bob"),
    )
    .await;

    let (status, _, html) = stop.page();
    assert_eq!(status, 409);
    assert!(html.contains("belongs to another account"), "{html}");
    let failed = audited(&pair.down, "upstream.failed");
    assert!(
        failed[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("linked_to_another_account")
    );
}

#[test]
fn user_unlink_removes_an_identity_and_says_when_it_was_the_last_way_in() {
    let dir = tempfile::tempdir().unwrap();
    run_cli(
        dir.path(),
        &["user", "add", "bob", "--email", "bob@example.com"],
        None,
    )
    .ok();
    let store = open_store(dir.path());
    store
        .write(|c| {
            let u = latchkey::store::users::get_user_by_username(c, "bob")?;
            latchkey::store::upstream::insert_identity(
                c,
                u.id,
                "google",
                "https://accounts.google.com",
                "1234",
                Some("bob@gmail.com"),
                1_700_000_000,
            )
        })
        .unwrap();
    drop(store);

    let out = run_cli(
        dir.path(),
        &["user", "unlink", "bob", "google", "--json"],
        None,
    )
    .json();
    assert_eq!(out["unlinked"], 1);
    assert_eq!(out["can_sign_in"], true, "bob has a password");
    let again = run_cli(dir.path(), &["user", "unlink", "bob", "google"], None);
    assert!(
        again
            .one_line_error()
            .contains("no identity linked at upstream \"google\"")
    );
    let events = run_cli(dir.path(), &["audit", "--json"], None).json();
    assert!(
        events
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "upstream.unlinked" && e["actor"] == "cli")
    );
}
