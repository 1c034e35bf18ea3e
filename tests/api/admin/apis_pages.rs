//! /admin/apis and /admin/scopes: registering an API, its scopes, which apps hold them, removing
//! it; custom scopes; refusals shown with their status and nothing written; CSRF and the gate
//! on every URL.

use crate::support::*;

const API: &str = "https://api.example.com/v1";
/// [`API`] as the `id` query parameter.
const API_KEY: &str = "https%3A%2F%2Fapi.example.com%2Fv1";

fn api(app: &TestApp) -> serde_json::Value {
    cli_json(app, &["api", "show", API])
}

fn api_count(app: &TestApp) -> usize {
    cli_json(app, &["api", "list"]).as_array().unwrap().len()
}

fn scope_names(app: &TestApp) -> Vec<String> {
    api(app)["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scope"].as_str().unwrap().to_owned())
        .collect()
}

fn custom_scopes(app: &TestApp) -> serde_json::Value {
    cli_json(app, &["scope", "list"])
}

/// [`API`] with the scopes `invoices:read` and `invoices:write`, the app `app` holding
/// `invoices:read`, and the custom scope `hr` (all with the CLI).
fn billing(app: &TestApp) {
    add_client(app, &app_spec());
    let args = [
        "api",
        "add",
        API,
        "--name",
        "Billing",
        "--scope",
        "invoices:read=Read invoices",
        "--scope",
        "invoices:write",
    ];
    app.cli(&args, None).ok();
    let grant = ["api", "grant", API, "app", "--scope", "invoices:read"];
    app.cli(&grant, None).ok();
    app.cli(&["scope", "add", "hr", "--claim", "department"], None)
        .ok();
}

#[tokio::test]
async fn an_admin_sees_every_api_with_its_scopes_linked_by_its_encoded_identifier() {
    let app = spawn_oidc_app().await;
    billing(&app);
    signed_in_admin(&app).await;

    let html = page(browse(&app, "/admin/apis").await, 200).await;

    assert!(
        html.contains(r#"<a href="/admin/apis" aria-current="page">"#),
        "{html}"
    );
    let link = format!(r#"<a href="/admin/apis/detail?id={API_KEY}">{API}</a>"#);
    assert!(html.contains(&link), "{html}");
    assert!(
        html.contains("<td>invoices:read invoices:write</td>"),
        "{html}"
    );
    assert!(
        html.contains(r#"<label for="api-identifier">Identifier</label>"#),
        "{html}"
    );

    let html = page(
        browse(&app, &format!("/admin/apis/detail?id={API_KEY}")).await,
        200,
    )
    .await;
    assert!(html.contains("<h1>API Billing</h1>"), "{html}");
    assert!(html.contains("<td>Read invoices</td>"), "{html}");
    assert!(
        html.contains(r#"<th scope="row"><a href="/admin/apps/app">app</a></th>"#),
        "{html}"
    );
    assert!(
        html.contains(r#"<label for="grant-client">App</label>"#),
        "{html}"
    );
}

#[tokio::test]
async fn an_admin_registers_an_api_and_the_audit_log_names_them() {
    let app = spawn_oidc_app().await;
    signed_in_admin(&app).await;

    let res = admin_submit(
        &app,
        "/admin/apis",
        &[("identifier", API), ("name", "Billing")],
    )
    .await;

    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert_eq!(to, format!("/admin/apis/detail?id={API_KEY}&done=created"));
    let html = page(browse(&app, &to).await, 200).await;
    assert!(html.contains("The API was registered."), "{html}");
    assert_eq!(api(&app)["name"], "Billing");
    assert_eq!(actors(&app, "api.created"), ["root"]);
}

#[tokio::test]
async fn registering_a_taken_or_malformed_identifier_is_refused_and_writes_nothing() {
    let app = spawn_oidc_app().await;
    billing(&app);
    signed_in_admin(&app).await;

    let res = admin_submit(&app, "/admin/apis", &[("identifier", API)]).await;
    let html = page(res, 409).await;
    assert!(html.contains("already exists"), "{html}");

    let res = admin_submit(
        &app,
        "/admin/apis",
        &[("identifier", "not a uri"), ("name", "X")],
    )
    .await;
    let html = page(res, 400).await;
    assert!(html.contains("invalid API identifier"), "{html}");
    assert!(
        html.contains(r#"value="not a uri""#),
        "the typed identifier stays: {html}"
    );

    assert_eq!(api_count(&app), 1);
    assert_eq!(api(&app)["name"], "Billing");
    assert_eq!(actors(&app, "api.created"), ["cli"]);
}

#[tokio::test]
async fn an_admin_adds_a_scope_whose_name_holds_an_equals_sign_and_removes_a_scope() {
    let app = spawn_oidc_app().await;
    billing(&app);
    signed_in_admin(&app).await;

    let fields = [
        ("id", API),
        ("scope", "tier=gold"),
        ("description", "Gold tier"),
    ];
    let res = admin_submit(&app, "/admin/apis/scopes", &fields).await;

    assert_eq!(
        location(&res),
        format!("/admin/apis/detail?id={API_KEY}&done=scope-added")
    );
    let scopes = api(&app)["scopes"].clone();
    assert!(
        scopes
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["scope"] == "tier=gold" && s["description"] == "Gold tier"),
        "{scopes}"
    );

    let fields = [("id", API), ("scope", "invoices:read")];
    let res = admin_submit(&app, "/admin/apis/scopes/remove", &fields).await;

    assert_eq!(
        location(&res),
        format!("/admin/apis/detail?id={API_KEY}&done=scope-removed")
    );
    assert_eq!(scope_names(&app), ["invoices:write", "tier=gold"]);
    assert_eq!(
        api(&app)["clients"],
        serde_json::json!([]),
        "the app lost it too"
    );
    assert_eq!(actors(&app, "api.scope_added"), ["root"]);
    assert_eq!(actors(&app, "api.scope_removed"), ["root"]);
}

#[tokio::test]
async fn a_scope_named_like_an_openid_scope_is_refused_with_400_and_writes_nothing() {
    let app = spawn_oidc_app().await;
    billing(&app);
    signed_in_admin(&app).await;

    let fields = [("id", API), ("scope", "openid"), ("description", "Mine")];
    let res = admin_submit(&app, "/admin/apis/scopes", &fields).await;

    let html = page(res, 400).await;
    assert!(
        html.contains("already an OpenID Connect or custom scope"),
        "{html}"
    );
    assert!(
        html.contains(r#"value="Mine""#),
        "the typed description stays: {html}"
    );
    assert_eq!(scope_names(&app), ["invoices:read", "invoices:write"]);
    assert!(audited(&app, "api.scope_added").is_empty());
}

#[tokio::test]
async fn an_admin_grants_an_app_every_scope_and_revokes_one() {
    let app = spawn_oidc_app().await;
    billing(&app);
    add_client(&app, &other_spec());
    signed_in_admin(&app).await;

    let res = admin_submit(
        &app,
        "/admin/apis/grant",
        &[("id", API), ("client_id", "other")],
    )
    .await;

    assert_eq!(
        location(&res),
        format!("/admin/apis/detail?id={API_KEY}&done=granted")
    );
    let holders = api(&app)["clients"].clone();
    assert!(
        holders.as_array().unwrap().contains(&serde_json::json!({
            "client_id": "other", "scopes": ["invoices:read", "invoices:write"]
        })),
        "{holders}"
    );

    let fields = [
        ("id", API),
        ("client_id", "other"),
        ("scope", "invoices:write"),
    ];
    let res = admin_submit(&app, "/admin/apis/revoke", &fields).await;

    assert_eq!(
        location(&res),
        format!("/admin/apis/detail?id={API_KEY}&done=revoked")
    );
    let holders = api(&app)["clients"].clone();
    assert!(
        holders.as_array().unwrap().contains(&serde_json::json!({
            "client_id": "other", "scopes": ["invoices:read"]
        })),
        "{holders}"
    );
    assert_eq!(actors(&app, "api.granted"), ["root", "cli"]);
    assert_eq!(actors(&app, "api.revoked"), ["root"]);
}

#[tokio::test]
async fn granting_a_scope_the_api_does_not_have_shows_400_and_grants_nothing() {
    let app = spawn_oidc_app().await;
    billing(&app);
    add_client(&app, &other_spec());
    signed_in_admin(&app).await;

    let fields = [("id", API), ("client_id", "other"), ("scope", "nope")];
    let res = admin_submit(&app, "/admin/apis/grant", &fields).await;

    let html = page(res, 400).await;
    assert!(html.contains("has no scope"), "{html}");
    assert_eq!(
        api(&app)["clients"],
        serde_json::json!([{ "client_id": "app", "scopes": ["invoices:read"] }])
    );
}

#[tokio::test]
async fn removing_an_api_asks_first_and_then_removes_it() {
    let app = spawn_oidc_app().await;
    billing(&app);
    signed_in_admin(&app).await;

    let html = page(
        browse(&app, &format!("/admin/apis/remove?id={API_KEY}")).await,
        200,
    )
    .await;
    assert!(html.contains("<h1>Remove API Billing?</h1>"), "{html}");
    assert!(
        html.contains("Apps holding its scopes lose them: app."),
        "{html}"
    );
    assert_eq!(api_count(&app), 1, "asking removes nothing");

    let res = admin_submit(&app, "/admin/apis/remove", &[("id", API)]).await;

    assert_eq!(location(&res), "/admin/apis?done=removed");
    assert_eq!(api_count(&app), 0);
    assert_eq!(actors(&app, "api.removed"), ["root"]);
    let res = browse(&app, &format!("/admin/apis/detail?id={API_KEY}")).await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn an_admin_creates_and_removes_a_custom_scope() {
    let app = spawn_oidc_app().await;
    signed_in_admin(&app).await;

    let fields = [
        ("name", "hr"),
        ("claims", "department, employee_id"),
        ("description", "Your HR record"),
    ];
    let res = admin_submit(&app, "/admin/scopes", &fields).await;

    assert_eq!(location(&res), "/admin/scopes?done=custom-created");
    let s = cli_json(&app, &["scope", "show", "hr"]);
    assert_eq!(
        s["claims"],
        serde_json::json!(["department", "employee_id"])
    );
    assert_eq!(s["description"], "Your HR record");
    let html = page(browse(&app, "/admin/scopes?done=custom-created").await, 200).await;
    assert!(html.contains("The custom scope was created."), "{html}");
    assert!(html.contains("<td>department, employee_id</td>"), "{html}");

    let html = page(browse(&app, "/admin/scopes/remove?name=hr").await, 200).await;
    assert!(html.contains("<h1>Remove custom scope hr?</h1>"), "{html}");
    let res = admin_submit(&app, "/admin/scopes/remove", &[("name", "hr")]).await;

    assert_eq!(location(&res), "/admin/scopes?done=custom-removed");
    assert_eq!(custom_scopes(&app), serde_json::json!([]));
    assert_eq!(actors(&app, "scope.created"), ["root"]);
    assert_eq!(actors(&app, "scope.removed"), ["root"]);
}

#[tokio::test]
async fn a_custom_scope_releasing_a_reserved_claim_is_refused_with_400_and_writes_nothing() {
    let app = spawn_oidc_app().await;
    signed_in_admin(&app).await;

    let res = admin_submit(
        &app,
        "/admin/scopes",
        &[("name", "hr"), ("claims", "department email")],
    )
    .await;

    let html = page(res, 400).await;
    assert!(html.contains("reserved by OpenID Connect or JWT"), "{html}");
    assert!(html.contains(r#"value="department email""#), "{html}");
    assert_eq!(custom_scopes(&app), serde_json::json!([]));
    assert!(audited(&app, "scope.created").is_empty());
}

/// Every form of the APIs pages, with fields that would change something.
fn every_post() -> Vec<(&'static str, Vec<(&'static str, &'static str)>)> {
    vec![
        (
            "/admin/apis",
            vec![("identifier", "https://new.example.com")],
        ),
        ("/admin/apis/scopes", vec![("id", API), ("scope", "more")]),
        (
            "/admin/apis/scopes/remove",
            vec![("id", API), ("scope", "invoices:write")],
        ),
        (
            "/admin/apis/grant",
            vec![("id", API), ("client_id", "other")],
        ),
        (
            "/admin/apis/revoke",
            vec![("id", API), ("client_id", "app")],
        ),
        ("/admin/apis/remove", vec![("id", API)]),
        ("/admin/scopes", vec![("name", "more"), ("claims", "x")]),
        ("/admin/scopes/remove", vec![("name", "hr")]),
    ]
}

/// The state every refused POST must leave alone.
fn unchanged(app: &TestApp) {
    assert_eq!(api_count(app), 1);
    assert_eq!(scope_names(app), ["invoices:read", "invoices:write"]);
    assert_eq!(
        api(app)["clients"],
        serde_json::json!([{ "client_id": "app", "scopes": ["invoices:read"] }])
    );
    assert_eq!(custom_scopes(app).as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_apis_form_posted_without_its_csrf_token_is_403_and_changes_nothing() {
    let app = spawn_oidc_app().await;
    billing(&app);
    add_client(&app, &other_spec());
    signed_in_admin(&app).await;

    for (path, fields) in every_post() {
        assert_eq!(post(&app, path, &fields).await.status(), 403, "POST {path}");
    }
    unchanged(&app);
}

#[tokio::test]
async fn a_user_who_is_not_an_admin_gets_403_on_every_apis_url_get_and_post() {
    let app = spawn_oidc_app().await;
    billing(&app);
    add_client(&app, &other_spec());
    sign_in(&app, "alice").await;
    // A genuine token of alice's browser: the gate, not the CSRF check, refuses her.
    let token = token_of(&app, "/account").await;

    for path in [
        "/admin/apis".to_owned(),
        format!("/admin/apis/detail?id={API_KEY}"),
        format!("/admin/apis/remove?id={API_KEY}"),
        "/admin/scopes".to_owned(),
        "/admin/scopes/remove?name=hr".to_owned(),
    ] {
        let res = browse(&app, &path).await;
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
