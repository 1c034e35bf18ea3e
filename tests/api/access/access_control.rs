//! Groups in tokens, per-app access, APIs with scopes (RFC 8707 `resource`), custom scopes.
//! Set-up goes through the real `latchkey` CLI against the running server's data dir.

use crate::support::*;
use latchkey::store::audit::{self, AuditFilter};
use serde_json::Value;

const API: &str = "https://api.example.com";
const OTHER_API: &str = "https://billing.example.com";

fn cli(app: &TestApp, args: &[&str]) -> String {
    run_cli(app.data_path(), args, None).ok().to_owned()
}

fn cli_err(app: &TestApp, args: &[&str]) -> String {
    let out = run_cli(app.data_path(), args, None);
    assert!(
        !out.status.success(),
        "{args:?} must fail, printed {}",
        out.stdout
    );
    assert_eq!(
        out.stderr.trim().lines().count(),
        1,
        "one-line error: {}",
        out.stderr
    );
    out.stderr
}

/// A server with alice and a confidential client `app` allowed the groups scope.
async fn setup() -> (TestApp, String) {
    let app = spawn_oidc_app().await;
    let secret = add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            scopes: &["openid", "profile", "email", "groups", "offline_access"],
            ..Default::default()
        },
    )
    .expect("secret");
    (app, secret)
}

/// An API with two scopes, `read:reports` granted to `app`.
fn add_api(app: &TestApp) {
    cli(
        app,
        &[
            "api",
            "add",
            API,
            "--name",
            "Reports API",
            "--scope",
            "read:reports=Read your reports",
            "--scope",
            "write:reports=Change your reports",
        ],
    );
    cli(
        app,
        &["api", "grant", API, "app", "--scope", "read:reports"],
    );
}

async fn code_tokens(app: &TestApp, secret: &str, req: AuthReq) -> Value {
    let j = authorize_as(app, &req.url(app), "alice").await;
    assert_eq!(j.param("error"), None, "no error in {}", j.callback);
    exchange(app, "app", Some(secret), &j.code(), Some(&req.verifier)).await
}

fn groups_of(v: &Value) -> Option<Vec<String>> {
    v.get("groups").map(|g| {
        g.as_array()
            .expect("groups is an array")
            .iter()
            .map(|x| x.as_str().expect("group names are strings").to_owned())
            .collect()
    })
}

#[tokio::test]
async fn groups_claim_is_in_id_token_access_token_and_userinfo_only_with_the_groups_scope() {
    let (app, secret) = setup().await;
    cli(
        &app,
        &[
            "group",
            "add",
            "engineering",
            "--description",
            "Builds things",
        ],
    );
    cli(&app, &["group", "add", "oncall"]);
    cli(&app, &["group", "add", "unrelated"]);
    cli(&app, &["group", "add-member", "engineering", "alice"]);
    cli(&app, &["group", "add-member", "oncall", "alice"]);

    let t = code_tokens(
        &app,
        &secret,
        AuthReq::new("app").set("scope", "openid groups"),
    )
    .await;
    let want = Some(vec!["engineering".to_owned(), "oncall".to_owned()]);
    assert_eq!(groups_of(&jwt_claims(str_of(&t, "id_token"))), want);
    assert_eq!(groups_of(&jwt_claims(str_of(&t, "access_token"))), want);
    let ui: Value = userinfo(&app, str_of(&t, "access_token"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(groups_of(&ui), want);

    let t = code_tokens(
        &app,
        &secret,
        AuthReq::new("app").set("scope", "openid profile"),
    )
    .await;
    assert_eq!(groups_of(&jwt_claims(str_of(&t, "id_token"))), None);
    assert_eq!(groups_of(&jwt_claims(str_of(&t, "access_token"))), None);
    let ui: Value = userinfo(&app, str_of(&t, "access_token"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(groups_of(&ui), None, "{ui}");

    // The claims parameter cannot fetch groups without the scope either.
    let claims = r#"{"userinfo":{"groups":null},"id_token":{"groups":null}}"#;
    let t = code_tokens(
        &app,
        &secret,
        AuthReq::new("app")
            .set("scope", "openid")
            .set("claims", claims),
    )
    .await;
    assert_eq!(groups_of(&jwt_claims(str_of(&t, "id_token"))), None);
    let ui: Value = userinfo(&app, str_of(&t, "access_token"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(groups_of(&ui), None, "{ui}");
}

#[tokio::test]
async fn groups_scope_needs_the_client_to_allow_it() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    let res = browse(
        &app,
        &AuthReq::new("app").set("scope", "openid groups").url(&app),
    )
    .await;
    assert_callback_error(&app, &location(&res), "invalid_scope", Some(STATE));
}

#[tokio::test]
async fn a_user_outside_the_allowed_groups_sees_a_page_and_the_client_gets_access_denied() {
    let (app, _secret) = setup().await;
    cli(&app, &["group", "add", "admins"]);
    cli(
        &app,
        &["client", "update", "app", "--allowed-group", "admins"],
    );

    let res = run_until_answer(&app, &AuthReq::new("app").url(&app), "alice").await;
    assert_eq!(res.status(), 403, "refused with a page");
    let html = res.text().await.unwrap();
    assert!(
        html.contains("You don&#x27;t have access to The app app")
            || html.contains("You don&#39;t have access to The app app")
            || html.contains("You don't have access to The app app"),
        "{html}"
    );
    // The way back carries access_denied (and no code) to the registered redirect URI.
    let href = html
        .split("href=\"")
        .map(|s| s.split('"').next().unwrap_or(""))
        .find(|h| h.starts_with(REDIRECT_URI))
        .expect("a link back to the client")
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert_callback_error(&app, &href, "access_denied", Some(STATE));

    let events = app
        .store
        .read(|c| {
            audit::find_audit_events(
                c,
                &AuditFilter {
                    limit: 50,
                    ..Default::default()
                },
            )
        })
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "access.denied" && e.client_id.as_deref() == Some("app")),
        "audited: {events:?}"
    );

    // Once alice is in the group, the same request succeeds.
    cli(&app, &["group", "add-member", "admins", "alice"]);
    let j = authorize_as(&app, &AuthReq::new("app").url(&app), "alice").await;
    assert!(j.param("code").is_some(), "{}", j.callback);
}

#[tokio::test]
async fn form_post_refusal_page_posts_access_denied_back() {
    let (app, _secret) = setup().await;
    cli(&app, &["group", "add", "admins"]);
    cli(
        &app,
        &["client", "update", "app", "--allowed-group", "admins"],
    );
    let url = AuthReq::new("app")
        .set("response_mode", "form_post")
        .url(&app);
    let res = run_until_answer(&app, &url, "alice").await;
    assert_eq!(res.status(), 403);
    let csp = res
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("form-action") && csp.contains("http://127.0.0.1:9"),
        "{csp}"
    );
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("action=\"{REDIRECT_URI}\"")),
        "{html}"
    );
    assert!(
        html.contains("name=\"error\" value=\"access_denied\""),
        "{html}"
    );
    assert!(!html.contains("name=\"code\""), "{html}");
}

#[tokio::test]
async fn prompt_none_for_a_user_outside_the_allowed_groups_redirects_access_denied() {
    let (app, _secret) = setup().await;
    cli(&app, &["group", "add", "admins"]);
    cli(
        &app,
        &["client", "update", "app", "--allowed-group", "admins"],
    );
    // Sign in first (on the plain login page), then ask silently.
    let res = submit_login(&app, "/login", "alice", PASSWORD).await;
    assert_eq!(res.status(), 303);
    let res = browse(&app, &AuthReq::new("app").set("prompt", "none").url(&app)).await;
    assert_callback_error(&app, &location(&res), "access_denied", Some(STATE));
}

#[tokio::test]
async fn refresh_is_refused_once_the_user_leaves_the_allowed_group() {
    let (app, secret) = setup().await;
    cli(&app, &["group", "add", "admins"]);
    cli(&app, &["group", "add-member", "admins", "alice"]);
    cli(
        &app,
        &["client", "update", "app", "--allowed-group", "admins"],
    );
    let t = code_tokens(
        &app,
        &secret,
        AuthReq::new("app").set("scope", "openid offline_access"),
    )
    .await;
    let rt = str_of(&t, "refresh_token").to_owned();
    let t2 = token_ok(refresh(&app, "app", &secret, &rt, None).await).await;
    let rt2 = str_of(&t2, "refresh_token").to_owned();

    cli(&app, &["group", "remove-member", "admins", "alice"]);
    let body = assert_oauth_error(
        refresh(&app, "app", &secret, &rt2, None).await,
        400,
        "invalid_grant",
    )
    .await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("no longer"),
        "{body}"
    );

    // Lifting the restriction lets the same (unspent) refresh token work again.
    cli(
        &app,
        &[
            "client",
            "update",
            "app",
            "--remove-allowed-group",
            "admins",
        ],
    );
    token_ok(refresh(&app, "app", &secret, &rt2, None).await).await;
}

#[tokio::test]
async fn a_group_that_restricts_a_client_cannot_be_removed() {
    let (app, _secret) = setup().await;
    cli(&app, &["group", "add", "admins"]);
    cli(
        &app,
        &["client", "update", "app", "--allowed-group", "admins"],
    );
    let err = cli_err(&app, &["group", "remove", "admins"]);
    assert!(
        err.contains("app") && err.contains("--remove-allowed-group"),
        "{err}"
    );
    cli(
        &app,
        &[
            "client",
            "update",
            "app",
            "--remove-allowed-group",
            "admins",
        ],
    );
    cli(&app, &["group", "remove", "admins"]);
    let list = cli(&app, &["group", "list", "--json"]);
    assert_eq!(
        serde_json::from_str::<Value>(&list).unwrap(),
        serde_json::json!([])
    );
}

#[tokio::test]
async fn group_and_client_commands_show_members_and_restrictions() {
    let (app, _secret) = setup().await;
    add_user(&app, "bob", "bob@example.com", None);
    cli(&app, &["group", "add", "admins"]);
    let out = cli(
        &app,
        &["group", "add-member", "admins", "alice", "bob", "--json"],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["added"], serde_json::json!(["alice", "bob"]));
    // Adding again changes nothing; an unknown user fails and changes nothing.
    let v: Value = serde_json::from_str(&cli(
        &app,
        &["group", "add-member", "admins", "alice", "--json"],
    ))
    .unwrap();
    assert_eq!(v["added"], serde_json::json!([]));
    cli(&app, &["group", "add", "ops"]);
    let err = cli_err(&app, &["group", "add-member", "ops", "alice", "nobody"]);
    assert!(err.contains("nobody"), "{err}");
    let ops: Value = serde_json::from_str(&cli(&app, &["group", "show", "ops", "--json"])).unwrap();
    assert_eq!(
        ops["members"],
        serde_json::json!([]),
        "all or nothing: {ops}"
    );

    cli(
        &app,
        &["client", "update", "app", "--allowed-group", "admins,ops"],
    );
    let shown: Value =
        serde_json::from_str(&cli(&app, &["client", "show", "app", "--json"])).unwrap();
    assert_eq!(
        shown["allowed_groups"],
        serde_json::json!(["admins", "ops"])
    );
    let g: Value =
        serde_json::from_str(&cli(&app, &["group", "show", "admins", "--json"])).unwrap();
    assert_eq!(g["members"], serde_json::json!(["alice", "bob"]));
    assert_eq!(g["clients"], serde_json::json!(["app"]));
    let user: Value =
        serde_json::from_str(&cli(&app, &["user", "show", "alice", "--json"])).unwrap();
    assert_eq!(user["groups"], serde_json::json!(["admins"]));

    assert!(cli_err(&app, &["group", "add", "bad name"]).contains("invalid group name"));
    assert!(cli_err(&app, &["group", "add", "ADMINS"]).contains("already exists"));
    assert!(
        cli_err(
            &app,
            &["client", "update", "app", "--allowed-group", "ghosts"]
        )
        .contains("ghosts")
    );
}

#[tokio::test]
async fn an_api_token_has_the_api_as_audience_and_only_its_granted_scopes() {
    let (app, secret) = setup().await;
    add_api(&app);
    let req = AuthReq::new("app")
        .set("scope", "openid profile read:reports")
        .set("resource", API);
    let t = code_tokens(&app, &secret, req).await;
    let at = jwt_claims(str_of(&t, "access_token"));
    assert_eq!(at["aud"], API);
    assert_eq!(at["scope"], "read:reports", "only the API's scopes: {at}");
    assert_eq!(t["scope"], "read:reports");
    let id = jwt_claims(str_of(&t, "id_token"));
    assert_eq!(id["aud"], "app", "the ID token is still for the client");
    assert_eq!(
        id["preferred_username"], "alice",
        "profile claims still come in the ID token"
    );

    // The API's token is not a userinfo token ...
    let res = userinfo(&app, str_of(&t, "access_token")).await;
    assert_eq!(res.status(), 401);
    // ... but introspection knows it.
    let res = post_form(
        &app,
        "/introspect",
        &[("token", str_of(&t, "access_token"))],
        Some(("app", &secret)),
    )
    .await;
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["active"], true, "{v}");
    assert_eq!(v["aud"], API);
    assert_eq!(v["scope"], "read:reports");

    // A refresh keeps the audience, and may narrow the scopes.
    let rt = str_of(&t, "refresh_token");
    let r = token_ok(refresh(&app, "app", &secret, rt, Some("openid")).await).await;
    let at = jwt_claims(str_of(&r, "access_token"));
    assert_eq!(at["aud"], API);
    assert_eq!(at["scope"], "", "narrowed to no API scope: {at}");
    let r2 = token_ok(refresh(&app, "app", &secret, str_of(&r, "refresh_token"), None).await).await;
    assert_eq!(
        jwt_claims(str_of(&r2, "access_token"))["scope"],
        "read:reports"
    );

    // Taking the grant back drops the scope from the next refresh.
    cli(
        &app,
        &["api", "revoke", API, "app", "--scope", "read:reports"],
    );
    let r3 =
        token_ok(refresh(&app, "app", &secret, str_of(&r2, "refresh_token"), None).await).await;
    assert_eq!(jwt_claims(str_of(&r3, "access_token"))["scope"], "");
}

#[tokio::test]
async fn without_resource_the_audience_is_userinfo_and_api_scopes_are_refused() {
    let (app, secret) = setup().await;
    add_api(&app);
    let t = code_tokens(
        &app,
        &secret,
        AuthReq::new("app").set("scope", "openid profile"),
    )
    .await;
    let at = jwt_claims(str_of(&t, "access_token"));
    assert_eq!(at["aud"], app.url("/userinfo"));
    assert_eq!(at["scope"], "openid profile");

    let res = browse(
        &app,
        &AuthReq::new("app")
            .set("scope", "openid read:reports")
            .url(&app),
    )
    .await;
    let loc = location(&res);
    assert_callback_error(&app, &loc, "invalid_scope", Some(STATE));
    assert!(
        query_param(&loc, "error_description")
            .unwrap()
            .contains("resource"),
        "{loc}"
    );
}

#[tokio::test]
async fn asking_for_api_scopes_the_client_was_not_granted_is_invalid_scope() {
    let (app, _secret) = setup().await;
    add_api(&app);
    cli(&app, &["api", "add", OTHER_API, "--scope", "pay"]);
    cli(&app, &["api", "grant", OTHER_API, "app"]);
    for (scope, resource) in [
        ("openid write:reports", API),
        ("openid read:reports write:reports", API),
        ("openid pay", API),
        ("openid read:reports", OTHER_API),
    ] {
        let url = AuthReq::new("app")
            .set("scope", scope)
            .set("resource", resource)
            .url(&app);
        let res = browse(&app, &url).await;
        assert_callback_error(&app, &location(&res), "invalid_scope", Some(STATE));
    }
}

#[tokio::test]
async fn bad_resources_are_invalid_target() {
    let (app, _secret) = setup().await;
    add_api(&app);
    cli(&app, &["api", "add", OTHER_API, "--scope", "pay"]);
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("resource", "https://unknown.example.com")],
        vec![("resource", "https://api.example.com#frag")],
        vec![("resource", "not a uri")],
        vec![("resource", OTHER_API)],
        vec![("resource", API), ("resource", OTHER_API)],
    ];
    for extra in cases {
        let mut req = AuthReq::new("app").set("scope", "openid");
        for (k, v) in &extra {
            req = req.add(k, v);
        }
        let res = browse(&app, &req.url(&app)).await;
        assert_callback_error(&app, &location(&res), "invalid_target", Some(STATE));
    }
}

#[tokio::test]
async fn the_token_request_resource_must_match_the_authorized_one() {
    let (app, secret) = setup().await;
    add_api(&app);
    let req = AuthReq::new("app")
        .set("scope", "openid read:reports")
        .set("resource", API);
    let j = authorize_as(&app, &req.url(&app), "alice").await;
    let res = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &j.code()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &req.verifier),
            ("resource", OTHER_API),
        ],
        Some(("app", &secret)),
    )
    .await;
    assert_oauth_error(res, 400, "invalid_target").await;

    // The same resource is fine.
    let req = AuthReq::new("app")
        .set("scope", "openid read:reports")
        .set("resource", API);
    let j = authorize_as(&app, &req.url(&app), "alice").await;
    let res = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &j.code()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &req.verifier),
            ("resource", API),
        ],
        Some(("app", &secret)),
    )
    .await;
    let t = token_ok(res).await;
    assert_eq!(jwt_claims(str_of(&t, "access_token"))["aud"], API);
    let res = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_of(&t, "refresh_token")),
            ("resource", OTHER_API),
        ],
        Some(("app", &secret)),
    )
    .await;
    assert_oauth_error(res, 400, "invalid_target").await;
}

#[tokio::test]
async fn client_credentials_with_a_resource_gives_a_token_for_that_api() {
    let app = spawn_oidc_app().await;
    let secret = add_client(
        &app,
        &ClientSpec {
            client_id: "worker",
            grant_types: &["client_credentials"],
            scopes: &["jobs"],
            ..Default::default()
        },
    )
    .unwrap();
    cli(
        &app,
        &[
            "api",
            "add",
            API,
            "--scope",
            "read:reports",
            "--scope",
            "write:reports",
        ],
    );
    cli(
        &app,
        &[
            "api",
            "grant",
            API,
            "worker",
            "--scope",
            "read:reports,write:reports",
        ],
    );
    cli(&app, &["api", "add", OTHER_API, "--scope", "pay"]);
    let auth = Some(("worker", secret.as_str()));
    let cc = |extra: Vec<(&'static str, &'static str)>| {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend(extra);
        form
    };

    let t = token_ok(
        token_request(
            &app,
            &cc(vec![("resource", API), ("scope", "read:reports")]),
            auth,
        )
        .await,
    )
    .await;
    let at = jwt_claims(str_of(&t, "access_token"));
    assert_eq!(at["aud"], API);
    assert_eq!(at["sub"], "worker");
    assert_eq!(at["client_id"], "worker");
    assert_eq!(at["scope"], "read:reports");
    assert_eq!(t["scope"], "read:reports");

    let t = token_ok(token_request(&app, &cc(vec![("resource", API)]), auth).await).await;
    assert_eq!(
        jwt_claims(str_of(&t, "access_token"))["scope"],
        "read:reports write:reports"
    );

    assert_oauth_error(
        token_request(
            &app,
            &cc(vec![("resource", API), ("scope", "read:reports admin")]),
            auth,
        )
        .await,
        400,
        "invalid_scope",
    )
    .await;
    assert_oauth_error(
        token_request(&app, &cc(vec![("resource", OTHER_API)]), auth).await,
        400,
        "invalid_target",
    )
    .await;
    assert_oauth_error(
        token_request(
            &app,
            &cc(vec![("resource", "https://nope.example.com")]),
            auth,
        )
        .await,
        400,
        "invalid_target",
    )
    .await;
    // Without a resource: the old behaviour, the client's own scopes for userinfo's audience.
    let t = token_ok(token_request(&app, &cc(vec![("scope", "jobs")]), auth).await).await;
    assert_eq!(
        jwt_claims(str_of(&t, "access_token"))["aud"],
        app.url("/userinfo")
    );
}

#[tokio::test]
async fn custom_scopes_release_mapped_attributes_only_when_granted() {
    let (app, secret) = setup().await;
    cli(
        &app,
        &[
            "scope",
            "add",
            "hr",
            "--claim",
            "department",
            "--claim",
            "cost_center",
            "--description",
            "See your department",
        ],
    );
    cli(
        &app,
        &[
            "user",
            "set-attribute",
            "alice",
            "department",
            "Engineering",
        ],
    );
    cli(
        &app,
        &[
            "user",
            "set-attribute",
            "alice",
            "secret_note",
            "never released",
        ],
    );
    cli(
        &app,
        &["client", "update", "app", "--scopes", "openid,profile,hr"],
    );

    let t = code_tokens(&app, &secret, AuthReq::new("app").set("scope", "openid hr")).await;
    let id = jwt_claims(str_of(&t, "id_token"));
    assert_eq!(id["department"], "Engineering", "{id}");
    assert!(id.get("cost_center").is_none(), "no value, no claim: {id}");
    assert!(
        id.get("secret_note").is_none(),
        "unmapped attributes stay private: {id}"
    );
    let ui: Value = userinfo(&app, str_of(&t, "access_token"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ui["department"], "Engineering", "{ui}");

    let t = code_tokens(
        &app,
        &secret,
        AuthReq::new("app").set("scope", "openid profile"),
    )
    .await;
    assert!(
        jwt_claims(str_of(&t, "id_token"))
            .get("department")
            .is_none()
    );
    let ui: Value = userinfo(&app, str_of(&t, "access_token"))
        .await
        .json()
        .await
        .unwrap();
    assert!(ui.get("department").is_none(), "{ui}");

    // A client that does not list the scope cannot ask for it.
    add_client(
        &app,
        &ClientSpec {
            client_id: "other",
            ..Default::default()
        },
    );
    let res = browse(
        &app,
        &AuthReq::new("other").set("scope", "openid hr").url(&app),
    )
    .await;
    assert_callback_error(&app, &location(&res), "invalid_scope", Some(STATE));

    let shown: Value =
        serde_json::from_str(&cli(&app, &["user", "show", "alice", "--json"])).unwrap();
    assert_eq!(shown["attributes"]["department"], "Engineering");
    cli(&app, &["user", "unset-attribute", "alice", "department"]);
    let t = code_tokens(&app, &secret, AuthReq::new("app").set("scope", "openid hr")).await;
    assert!(
        jwt_claims(str_of(&t, "id_token"))
            .get("department")
            .is_none()
    );
}

#[tokio::test]
async fn scope_and_api_commands_refuse_clashing_or_reserved_names() {
    let (app, _secret) = setup().await;
    assert!(cli_err(&app, &["scope", "add", "hr", "--claim", "email"]).contains("reserved"));
    assert!(cli_err(&app, &["scope", "add", "hr", "--claim", "sub"]).contains("reserved"));
    assert!(cli_err(&app, &["scope", "add", "profile", "--claim", "x"]).contains("built-in"));
    assert!(cli_err(&app, &["scope", "add", "hr", "--claim", "a\"b"]).contains("invalid claim"));
    cli(&app, &["scope", "add", "hr", "--claim", "department"]);
    assert!(cli_err(&app, &["api", "add", API, "--scope", "hr"]).contains("custom scope"));
    assert!(cli_err(&app, &["api", "add", API, "--scope", "openid"]).contains("OpenID"));
    assert!(cli_err(&app, &["api", "add", "not-a-uri"]).contains("absolute URI"));
    assert!(cli_err(&app, &["api", "add", "https://x.example.com#f"]).contains("fragment"));
    add_api(&app);
    assert!(
        cli_err(&app, &["api", "add", OTHER_API, "--scope", "read:reports"]).contains("unique")
    );
    assert!(cli_err(&app, &["scope", "add", "read:reports", "--claim", "d"]).contains("API"));
    assert!(cli_err(&app, &["api", "grant", API, "app", "--scope", "nope"]).contains("no scope"));
    assert!(cli_err(&app, &["user", "set-attribute", "alice", "k", "a\nb"]).contains("control"));
    // Nothing half-done: the failed API add left no API behind.
    let list: Value = serde_json::from_str(&cli(&app, &["api", "list", "--json"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let shown: Value = serde_json::from_str(&cli(&app, &["api", "show", API, "--json"])).unwrap();
    assert_eq!(shown["clients"][0]["client_id"], "app");
    assert_eq!(
        shown["clients"][0]["scopes"],
        serde_json::json!(["read:reports"])
    );
}

#[tokio::test]
async fn the_consent_page_describes_groups_api_and_custom_scopes() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            scopes: &["openid", "groups", "hr"],
            ..Default::default()
        },
    );
    add_api(&app);
    cli(
        &app,
        &[
            "scope",
            "add",
            "hr",
            "--claim",
            "department",
            "--description",
            "See your department",
        ],
    );
    let url = AuthReq::new("app")
        .set("scope", "openid groups hr read:reports")
        .set("resource", API)
        .url(&app);
    let res = browse(&app, &url).await;
    let res = submit_login(&app, &location(&res), "alice", PASSWORD).await;
    let res = browse(&app, &location(&res)).await;
    let consent = location(&res);
    assert!(consent.starts_with("/consent"), "{consent}");
    let html = browse(&app, &consent).await.text().await.unwrap();
    for want in [
        "See which groups you belong to",
        "See your department",
        "Reports API: Read your reports",
    ] {
        assert!(html.contains(want), "consent page lacks {want:?}: {html}");
    }
}

#[tokio::test]
async fn discovery_advertises_the_groups_scope_and_claim() {
    let app = spawn_oidc_app().await;
    let d: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    let has = |k: &str, v: &str| d[k].as_array().unwrap().iter().any(|x| x == v);
    assert!(has("scopes_supported", "groups"), "{d}");
    assert!(has("claims_supported", "groups"), "{d}");
}
