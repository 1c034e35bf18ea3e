//! The `kind = "github"` preset against a stand-in serving GitHub's documented
//! `/login/oauth/*`, `/user` and `/user/emails` shapes (pointed at by `api_url`).

use crate::support::*;
use serde_json::json;

#[tokio::test]
async fn github_signs_a_new_user_in_with_its_login_and_verified_primary_email() {
    let emails = json!([
        {"email": "octo@old.example", "primary": false, "verified": true, "visibility": null},
        {"email": "octocat@github.example", "primary": true, "verified": true, "visibility": "public"}
    ]);
    let (hub, down, secret, _dir) = spawn_github(emails, |u| u.create_users = true).await;

    let (stop, verifier) =
        authorize_through(&down, &hub.base, &fresh_browser(), &mut Walk::as_user("-")).await;

    let claims = id_token_at(&down, &secret, &stop, &verifier).await;
    assert_eq!(claims["preferred_username"], "octocat");
    assert_eq!(claims["email"], "octocat@github.example");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "The Octocat");
    assert_eq!(claims["amr"], json!(["fed"]));
    let shown = down
        .cli(&["user", "show", "octocat", "--json"], None)
        .json();
    assert_eq!(shown["upstream_identities"][0]["subject"], "583231");
    assert_eq!(shown["upstream_identities"][0]["issuer"], hub.base);
}

#[tokio::test]
async fn only_a_verified_primary_github_email_counts() {
    // The primary email is not verified; a verified secondary one matches a local user.
    let emails = json!([
        {"email": "octocat@github.example", "primary": true, "verified": false, "visibility": null},
        {"email": "robert@example.org", "primary": false, "verified": true, "visibility": null}
    ]);
    let (hub, down, secret, _dir) = spawn_github(emails, |u| {
        u.link = latchkey::config::LinkRule::VerifiedEmail;
    })
    .await;
    add_user(&down, "robert", "robert@example.org", None);

    let browser = fresh_browser();
    let (stop, _) = authorize_through(&down, &hub.base, &browser, &mut Walk::as_user("-")).await;
    assert!(
        stop.page().2.contains("No account is linked"),
        "not linked by a secondary email"
    );

    // With a verified primary matching robert, the next sign-in links.
    *hub.emails.lock().unwrap() = json!([
        {"email": "robert@example.org", "primary": true, "verified": true, "visibility": null}
    ]);
    let (stop, verifier) =
        authorize_through(&down, &hub.base, &fresh_browser(), &mut Walk::as_user("-")).await;
    let claims = id_token_at(&down, &secret, &stop, &verifier).await;
    assert_eq!(claims["preferred_username"], "robert");
}

#[tokio::test]
async fn with_create_users_and_no_verified_email_github_gets_a_page_saying_so() {
    let emails = json!([{"email": "octocat@github.example", "primary": true, "verified": false}]);
    let (hub, down, _, _dir) = spawn_github(emails, |u| u.create_users = true).await;

    let (stop, _) =
        authorize_through(&down, &hub.base, &fresh_browser(), &mut Walk::as_user("-")).await;

    let (status, _, html) = stop.page();
    assert_eq!(status, 403);
    assert!(html.contains("did not share an email address"), "{html}");
    let failed = audited(&down, "upstream.failed");
    assert!(
        failed[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("email_missing")
    );
}
