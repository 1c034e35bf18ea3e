//! /admin/groups: the list, creating a group, its members, the apps restricted to it, removing
//! it; refusals shown with their status and nothing written; CSRF and the gate on every URL.

use crate::support::*;

fn group(app: &TestApp, name: &str) -> serde_json::Value {
    cli_json(app, &["group", "show", name])
}

fn group_names(app: &TestApp) -> Vec<String> {
    cli_json(app, &["group", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap().to_owned())
        .collect()
}

fn allowed_groups(app: &TestApp, client_id: &str) -> serde_json::Value {
    cli_json(app, &["client", "show", client_id])["allowed_groups"].clone()
}

/// `eng` with alice as a member, and the app `app` restricted to it (all with the CLI).
fn eng_restricting_app(app: &TestApp) {
    add_client(app, &app_spec());
    app.cli(&["group", "add", "eng", "--description", "Engineers"], None)
        .ok();
    app.cli(&["group", "add-member", "eng", "alice"], None).ok();
    app.cli(&["client", "update", "app", "--allowed-group", "eng"], None)
        .ok();
}

#[tokio::test]
async fn an_admin_sees_every_group_with_its_member_count_and_the_apps_restricted_to_it() {
    let app = spawn_oidc_app().await;
    eng_restricting_app(&app);
    app.cli(&["group", "add", "ops"], None).ok();
    signed_in_admin(&app).await;

    let html = page(browse(&app, "/admin/groups").await, 200).await;

    assert!(
        html.contains(r#"<a href="/admin/groups" aria-current="page">"#),
        "{html}"
    );
    let eng = html
        .find(r#"<a href="/admin/groups/eng">eng</a>"#)
        .expect("eng");
    let ops = html
        .find(r#"<a href="/admin/groups/ops">ops</a>"#)
        .expect("ops");
    let eng_row = &html[eng..ops];
    assert!(eng_row.contains("<td>Engineers</td>"), "{eng_row}");
    assert!(eng_row.contains("<td>1</td>"), "{eng_row}");
    assert!(eng_row.contains("<td>app</td>"), "{eng_row}");
    assert!(html[ops..].contains("<td>0</td>"), "{html}");
    assert!(html.contains(r#"<th scope="col">Members</th>"#), "{html}");
    assert!(html.contains(r#"<div class="table-wrap">"#), "{html}");
    assert!(
        html.contains(r#"<label for="group-name">Name</label>"#),
        "{html}"
    );
}

#[tokio::test]
async fn an_admin_creates_a_group_and_the_audit_log_names_them() {
    let app = spawn_oidc_app().await;
    signed_in_admin(&app).await;

    let fields = [("name", "eng"), ("description", "Engineers")];
    let res = admin_submit(&app, "/admin/groups", &fields).await;

    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/admin/groups/eng?done=created");
    let html = page(browse(&app, "/admin/groups/eng?done=created").await, 200).await;
    assert!(html.contains("<h1>Group eng</h1>"), "{html}");
    assert!(
        html.contains(r#"<p class="notice" role="status">The group was created.</p>"#),
        "{html}"
    );
    let g = group(&app, "eng");
    assert_eq!(g["description"], "Engineers");
    assert_eq!(actors(&app, "group.created"), ["root"]);
}

#[tokio::test]
async fn the_notice_is_picked_from_a_fixed_set_and_never_reflects_the_url() {
    let app = spawn_oidc_app().await;
    app.cli(&["group", "add", "eng"], None).ok();
    signed_in_admin(&app).await;

    let html = page(
        browse(&app, "/admin/groups/eng?done=%3Cb%3Epwned%3C%2Fb%3E").await,
        200,
    )
    .await;

    assert!(!html.contains("pwned"), "{html}");
    assert!(!html.contains(r#"class="notice""#), "{html}");
}

#[tokio::test]
async fn creating_a_group_whose_name_is_taken_in_any_case_shows_409_and_writes_nothing() {
    let app = spawn_oidc_app().await;
    app.cli(&["group", "add", "eng"], None).ok();
    signed_in_admin(&app).await;

    let res = admin_submit(&app, "/admin/groups", &[("name", "ENG")]).await;

    let html = page(res, 409).await;
    assert!(html.contains(r#"<p class="error" role="alert">"#), "{html}");
    assert!(html.contains("already exists"), "{html}");
    assert!(
        html.contains(r#"value="ENG""#),
        "the typed name stays: {html}"
    );
    assert_eq!(group_names(&app), ["eng"]);
    assert_eq!(actors(&app, "group.created"), ["cli"]);
}

#[tokio::test]
async fn a_malformed_group_name_is_refused_with_400_and_writes_nothing() {
    let app = spawn_oidc_app().await;
    signed_in_admin(&app).await;

    let res = admin_submit(&app, "/admin/groups", &[("name", "two words")]).await;

    let html = page(res, 400).await;
    assert!(html.contains("invalid group name"), "{html}");
    assert!(group_names(&app).is_empty());
    assert!(audited(&app, "group.created").is_empty());
}

#[tokio::test]
async fn an_admin_adds_members_and_takes_them_out_on_the_group_page() {
    let app = spawn_oidc_app().await;
    add_user(&app, "bob", "bob@example.com", None);
    app.cli(&["group", "add", "eng"], None).ok();
    signed_in_admin(&app).await;

    let res = admin_submit(
        &app,
        "/admin/groups/eng/members",
        &[("username", "alice bob")],
    )
    .await;

    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/admin/groups/eng?done=members-added");
    assert_eq!(
        group(&app, "eng")["members"],
        serde_json::json!(["alice", "bob"])
    );
    let html = page(browse(&app, &location(&res)).await, 200).await;
    assert!(
        html.contains(r#"<a href="/admin/users/bob">bob</a>"#),
        "{html}"
    );
    assert!(html.contains(r#"<dd id="member-count">2</dd>"#), "{html}");
    assert!(html.contains("Added to the group."), "{html}");

    let res = admin_submit(
        &app,
        "/admin/groups/eng/members/remove",
        &[("username", "bob")],
    )
    .await;

    assert_eq!(location(&res), "/admin/groups/eng?done=members-removed");
    assert_eq!(group(&app, "eng")["members"], serde_json::json!(["alice"]));
    assert_eq!(actors(&app, "group.members_added"), ["root"]);
    assert_eq!(actors(&app, "group.members_removed"), ["root"]);
}

#[tokio::test]
async fn adding_an_unknown_user_shows_404_and_adds_nobody_not_even_the_known_ones() {
    let app = spawn_oidc_app().await;
    app.cli(&["group", "add", "eng"], None).ok();
    signed_in_admin(&app).await;

    let res = admin_submit(
        &app,
        "/admin/groups/eng/members",
        &[("username", "alice nobody")],
    )
    .await;

    let html = page(res, 404).await;
    assert!(html.contains("no user named"), "{html}");
    assert!(html.contains("nobody"), "{html}");
    assert!(
        html.contains("<h1>Group eng</h1>"),
        "the group's page: {html}"
    );
    assert_eq!(group(&app, "eng")["members"], serde_json::json!([]));
    assert!(audited(&app, "group.members_added").is_empty());
}

#[tokio::test]
async fn an_admin_restricts_an_app_to_the_group_and_lifts_the_restriction() {
    let app = spawn_oidc_app().await;
    add_client(&app, &app_spec());
    app.cli(&["group", "add", "eng"], None).ok();
    signed_in_admin(&app).await;
    let html = page(browse(&app, "/admin/groups/eng").await, 200).await;
    assert!(
        html.contains(r#"<option value="app">The app app (app), open to everyone</option>"#),
        "{html}"
    );

    let res = admin_submit(&app, "/admin/groups/eng/apps", &[("client_id", "app")]).await;

    assert_eq!(location(&res), "/admin/groups/eng?done=restricted");
    assert_eq!(allowed_groups(&app, "app"), serde_json::json!(["eng"]));
    let html = page(browse(&app, "/admin/groups/eng").await, 200).await;
    assert!(
        html.contains(r#"<a href="/admin/apps/app">The app app</a>"#),
        "{html}"
    );
    assert!(
        html.contains("Every app is already restricted to eng."),
        "{html}"
    );
    assert_eq!(
        cli_json(&app, &["group", "show", "eng"])["clients"],
        serde_json::json!(["app"])
    );

    let res = admin_submit(
        &app,
        "/admin/groups/eng/apps/remove",
        &[("client_id", "app")],
    )
    .await;

    assert_eq!(location(&res), "/admin/groups/eng?done=unrestricted");
    assert_eq!(allowed_groups(&app, "app"), serde_json::json!([]));
    assert_eq!(actors(&app, "client.updated"), ["root", "root"]);
}

#[tokio::test]
async fn restricting_an_unknown_app_shows_404_and_changes_nothing() {
    let app = spawn_oidc_app().await;
    add_client(&app, &app_spec());
    app.cli(&["group", "add", "eng"], None).ok();
    signed_in_admin(&app).await;

    let res = admin_submit(&app, "/admin/groups/eng/apps", &[("client_id", "nope")]).await;

    let html = page(res, 404).await;
    assert!(html.contains(r#"<p class="error" role="alert">"#), "{html}");
    assert_eq!(allowed_groups(&app, "app"), serde_json::json!([]));
    assert!(audited(&app, "client.updated").is_empty());
}

#[tokio::test]
async fn removing_a_group_asks_first_and_then_removes_it() {
    let app = spawn_oidc_app().await;
    app.cli(&["group", "add", "eng"], None).ok();
    app.cli(&["group", "add-member", "eng", "alice"], None).ok();
    signed_in_admin(&app).await;

    let html = page(browse(&app, "/admin/groups/eng/remove").await, 200).await;
    assert!(html.contains("<h1>Remove group eng?</h1>"), "{html}");
    assert!(html.contains("Its 1 member(s) leave it"), "{html}");
    assert!(
        html.contains(r#"action="/admin/groups/eng/remove""#),
        "{html}"
    );
    assert_eq!(group_names(&app), ["eng"], "asking removes nothing");

    let res = admin_submit(&app, "/admin/groups/eng/remove", &[]).await;

    assert_eq!(location(&res), "/admin/groups?done=removed");
    assert!(group_names(&app).is_empty());
    assert_eq!(actors(&app, "group.removed"), ["root"]);
    let html = page(browse(&app, "/admin/groups?done=removed").await, 200).await;
    assert!(html.contains("The group was removed."), "{html}");
    assert_eq!(browse(&app, "/admin/groups/eng").await.status(), 404);
}

#[tokio::test]
async fn a_group_that_restricts_an_app_is_not_removed_and_the_refusal_is_shown_with_409() {
    let app = spawn_oidc_app().await;
    eng_restricting_app(&app);
    signed_in_admin(&app).await;
    let html = page(browse(&app, "/admin/groups/eng/remove").await, 200).await;
    assert!(html.contains("Apps restricted to it: app."), "{html}");

    let res = admin_submit(&app, "/admin/groups/eng/remove", &[]).await;

    let html = page(res, 409).await;
    assert!(html.contains(r#"<p class="error" role="alert">"#), "{html}");
    assert!(html.contains("restricts the client(s) app"), "{html}");
    assert_eq!(group(&app, "eng")["members"], serde_json::json!(["alice"]));
    assert!(audited(&app, "group.removed").is_empty());
}

/// Every form of the groups pages, with fields that would change something.
fn every_post() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        ("/admin/groups", vec![("name", "new")]),
        ("/admin/groups/eng/members", vec![("username", "bob")]),
        (
            "/admin/groups/eng/members/remove",
            vec![("username", "alice")],
        ),
        ("/admin/groups/eng/apps", vec![("client_id", "other")]),
        ("/admin/groups/eng/apps/remove", vec![("client_id", "app")]),
        ("/admin/groups/eng/remove", vec![]),
    ]
}

/// The state every refused POST must leave alone.
fn unchanged(app: &TestApp) {
    assert_eq!(group_names(app), ["eng"]);
    assert_eq!(group(app, "eng")["members"], serde_json::json!(["alice"]));
    assert_eq!(allowed_groups(app, "app"), serde_json::json!(["eng"]));
    assert_eq!(allowed_groups(app, "other"), serde_json::json!([]));
}

#[tokio::test]
async fn a_groups_form_posted_without_its_csrf_token_is_403_and_changes_nothing() {
    let app = spawn_oidc_app().await;
    eng_restricting_app(&app);
    add_client(&app, &other_spec());
    add_user(&app, "bob", "bob@example.com", None);
    signed_in_admin(&app).await;

    for (path, fields) in every_post() {
        let res = post(&app, path, &fields).await;
        assert_eq!(res.status(), 403, "POST {path}");
    }
    let token = token_of(&app, "/admin/groups").await;
    let wrong = flip_last(&token);
    for (path, fields) in every_post() {
        let mut fields = fields.clone();
        fields.push(("csrf_token", &wrong));
        assert_eq!(post(&app, path, &fields).await.status(), 403, "POST {path}");
    }
    unchanged(&app);
}

#[tokio::test]
async fn a_user_who_is_not_an_admin_gets_403_on_every_groups_url_get_and_post() {
    let app = spawn_oidc_app().await;
    eng_restricting_app(&app);
    add_client(&app, &other_spec());
    add_user(&app, "bob", "bob@example.com", None);
    sign_in(&app, "alice").await;
    // A genuine token of alice's browser: the gate, not the CSRF check, refuses her.
    let token = token_of(&app, "/account").await;

    for path in [
        "/admin/groups",
        "/admin/groups/eng",
        "/admin/groups/eng/remove",
        "/admin/groups/nope",
    ] {
        let res = browse(&app, path).await;
        assert_eq!(res.status(), 403, "GET {path}");
        assert!(res.text().await.unwrap().contains("for administrators"));
    }
    for (path, fields) in every_post() {
        let mut fields = fields.clone();
        fields.push(("csrf_token", &token));
        assert_eq!(post(&app, path, &fields).await.status(), 403, "POST {path}");
    }
    unchanged(&app);
}

#[tokio::test]
async fn an_admin_is_told_when_a_group_does_not_exist() {
    let app = spawn_oidc_app().await;
    signed_in_admin(&app).await;

    for path in ["/admin/groups/nope", "/admin/groups/nope/remove"] {
        let html = page(browse(&app, path).await, 404).await;
        assert!(html.contains("There is no group of this name."), "{html}");
    }
}
