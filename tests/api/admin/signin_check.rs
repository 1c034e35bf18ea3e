//! The sign-in checker (`/admin/apps/{client_id}/check`): what it reports must be what really
//! happens. Each test asks the checker, then runs the real sign-in (or the real refusal) in
//! another browser and compares. Checking writes nothing.

use crate::support::*;
use serde_json::Value;

fn cli(app: &TestApp, args: &[&str]) -> String {
    run_cli(app.data_path(), args, None).ok().to_owned()
}

/// The admin `root`, signed in in a browser of its own (the app's browser stays for the real
/// sign-ins).
async fn admin_browser(app: &TestApp) -> reqwest::Client {
    let args = [
        "user",
        "add",
        "root",
        "--email",
        "root@example.com",
        "--admin",
        "--password-stdin",
    ];
    app.cli(&args, Some(&format!("{PASSWORD}\n"))).ok();
    let browser = fresh_browser();
    let (status, _) = login_attempt(app, &browser, &[], "root", PASSWORD).await;
    assert_eq!(status, 303, "root signs in");
    browser
}

/// GET the checker page for `client_id` with `query` (already encoded); returns status and HTML.
async fn check(
    app: &TestApp,
    browser: &reqwest::Client,
    client_id: &str,
    query: &[(&str, &str)],
) -> (u16, String) {
    let q = serde_urlencoded::to_string(query).unwrap();
    let res = browser
        .get(app.url(&format!("/admin/apps/{client_id}/check?{q}")))
        .send()
        .await
        .expect("GET the checker");
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

/// Undo the HTML escaping of a text node (askama writes numeric entities).
fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#x2f;", "/")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// One claim row of the checker's tables (`id_token-groups`, `userinfo-email`, ...).
#[derive(Debug)]
struct Row {
    state: String,
    value: String,
    varies: bool,
    reason: String,
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = s.find(start)? + start.len();
    let len = s[from..].find(end)?;
    Some(&s[from..from + len])
}

fn row(html: &str, id: &str) -> Option<Row> {
    let tr = between(html, &format!("<tr id=\"{id}\" "), "</tr>")?;
    let state = between(tr, "data-state=\"", "\"")?;
    let value = between(tr, "<code class=\"value\">", "</code>")?;
    let reason = tr.rsplit("<td>").next()?.trim_end_matches("</td>");
    Some(Row {
        state: unescape(state),
        value: unescape(value),
        varies: tr.contains("(differs)"),
        reason: unescape(reason),
    })
}

fn must_row(html: &str, id: &str) -> Row {
    row(html, id).unwrap_or_else(|| panic!("no row {id} in the page:\n{html}"))
}

/// Every row id of one table (`id_token`, `access_token`, `userinfo`).
fn row_ids(html: &str, table: &str) -> Vec<String> {
    let marker = format!("<tr id=\"{table}-");
    html.match_indices(&marker)
        .filter_map(|(i, _)| between(&html[i..], &marker, "\""))
        .map(str::to_owned)
        .collect()
}

/// The checker's value, as the JSON the token holds.
fn same_value(shown: &str, real: &Value) -> bool {
    real.as_str() == Some(shown) || serde_json::from_str::<Value>(shown).ok().as_ref() == Some(real)
}

/// Every claim the checker shows present (and not per-sign-in) has the real value, and every
/// claim of the real token is listed present.
fn agrees(html: &str, table: &str, real: &Value) {
    let real = real.as_object().expect("claims");
    for name in row_ids(html, table) {
        let r = must_row(html, &format!("{table}-{name}"));
        match real.get(&name) {
            Some(v) => {
                assert_eq!(r.state, "present", "{table} {name}: {r:?}, really {v}");
                if !r.varies {
                    assert!(
                        same_value(&r.value, v),
                        "{table} {name}: shown {r:?}, really {v}"
                    );
                }
            }
            None => assert_eq!(r.state, "missing", "{table} {name}: {r:?}, really absent"),
        }
    }
    for name in real.keys() {
        assert!(
            row(html, &format!("{table}-{name}")).is_some(),
            "{table}: the real claim {name} is not listed"
        );
    }
}

fn verdict(html: &str) -> String {
    unescape(between(html, "<p id=\"verdict\"", "</p>").expect("a verdict"))
}

/// The client `app` (skip-consent, the groups scope allowed), restricted to group ops; bob is
/// in it, alice is not. Returns the server and the client's secret.
async fn restricted_app() -> (TestApp, String) {
    let app = spawn_oidc_app().await;
    add_user(&app, "bob", "bob@example.com", Some("Bob Builder"));
    let secret = add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            scopes: &["openid", "profile", "email", "groups", "offline_access"],
            ..Default::default()
        },
    );
    cli(&app, &["group", "add", "ops"]);
    cli(&app, &["group", "add", "dev"]);
    cli(&app, &["group", "add-member", "ops", "bob"]);
    cli(&app, &["group", "add-member", "dev", "bob"]);
    cli(&app, &["client", "update", "app", "--allowed-group", "ops"]);
    (app, secret.expect("a confidential client"))
}

const SCOPE: &str = "openid profile email groups";

#[tokio::test]
async fn a_user_outside_the_allowed_group_is_reported_not_in_an_allowed_group_and_the_real_sign_in_is_refused()
 {
    let (app, _) = restricted_app().await;
    let admin = admin_browser(&app).await;

    let (status, html) = check(&app, &admin, "app", &[("user", "alice"), ("scope", SCOPE)]).await;

    assert_eq!(status, 200);
    let v = verdict(&html);
    assert!(v.contains("alice cannot sign in"), "{v}");
    assert!(v.contains("not in an allowed group"), "{v}");
    assert!(v.contains("restricted to ops"), "{v}");
    assert!(
        html.contains("<li data-state=\"stops\"><strong>Access</strong>"),
        "{html}"
    );
    let groups = must_row(&html, "id_token-groups");
    assert_eq!(groups.state, "missing");
    assert!(
        groups.reason.contains("not in an allowed group"),
        "{groups:?}"
    );

    let res = run_until_answer(
        &app,
        &AuthReq::new("app").set("scope", SCOPE).url(&app),
        "alice",
    )
    .await;
    assert_eq!(res.status(), 403, "the real sign-in is refused with a page");
}

#[tokio::test]
async fn for_a_member_every_claim_shown_is_in_the_real_tokens_and_userinfo_with_the_same_value() {
    let (app, secret) = restricted_app().await;
    let admin = admin_browser(&app).await;

    let (status, html) = check(&app, &admin, "app", &[("user", "bob"), ("scope", SCOPE)]).await;

    assert_eq!(status, 200);
    assert!(verdict(&html).contains("bob can sign in"), "{html}");
    let groups = must_row(&html, "id_token-groups");
    assert_eq!(groups.state, "present");
    assert_eq!(groups.value, r#"["dev","ops"]"#);
    assert!(
        groups.reason.contains("released by the scope groups"),
        "{groups:?}"
    );

    // The real code flow, in the app's own browser.
    let req = AuthReq::new("app").set("scope", SCOPE);
    let j = authorize_as(&app, &req.url(&app), "bob").await;
    let tokens = exchange(&app, "app", Some(&secret), &j.code(), Some(&req.verifier)).await;
    let id = verify_with_jwks(&app, str_of(&tokens, "id_token")).await;
    let access = verify_with_jwks(&app, str_of(&tokens, "access_token")).await;
    let info: Value = userinfo(&app, str_of(&tokens, "access_token"))
        .await
        .json()
        .await
        .unwrap();

    agrees(&html, "id_token", &id);
    agrees(&html, "access_token", &access);
    agrees(&html, "userinfo", &info);
}

#[tokio::test]
async fn an_unset_attribute_and_a_custom_scope_the_app_may_not_use_are_reported_missing_with_their_reasons()
 {
    let app = spawn_oidc_app().await;
    add_user(&app, "carol", "carol@example.com", None);
    cli(&app, &["scope", "add", "hr", "--claim", "department"]);
    cli(&app, &["scope", "add", "badge", "--claim", "badge_no"]);
    let secret = add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            scopes: &["openid", "profile", "hr"],
            ..Default::default()
        },
    )
    .expect("secret");
    cli(&app, &["user", "set-attribute", "carol", "badge_no", "B-7"]);
    let admin = admin_browser(&app).await;

    let (_, html) = check(&app, &admin, "app", &[("user", "carol")]).await;

    let department = must_row(&html, "id_token-department");
    assert_eq!(department.state, "missing");
    assert!(
        department.reason.starts_with("attribute unset"),
        "{department:?}"
    );
    let name = must_row(&html, "userinfo-name");
    assert_eq!(name.state, "missing");
    assert!(name.reason.starts_with("attribute unset"), "{name:?}");
    let badge = must_row(&html, "id_token-badge_no");
    assert_eq!(badge.state, "missing");
    assert!(
        badge.reason.starts_with("custom scope not granted"),
        "{badge:?}"
    );
    assert!(
        html.contains("custom scope not granted to this app"),
        "the scope list says so too"
    );

    // Reality: the same claims are absent; once the attribute is set, both show it.
    let req = AuthReq::new("app").set("scope", "openid profile hr");
    let j = authorize_as(&app, &req.url(&app), "carol").await;
    let tokens = exchange(&app, "app", Some(&secret), &j.code(), Some(&req.verifier)).await;
    let id = verify_with_jwks(&app, str_of(&tokens, "id_token")).await;
    assert!(
        id.get("department").is_none() && id.get("badge_no").is_none() && id.get("name").is_none(),
        "{id}"
    );

    cli(
        &app,
        &["user", "set-attribute", "carol", "department", "Research"],
    );
    let (_, html) = check(&app, &admin, "app", &[("user", "carol")]).await;
    let department = must_row(&html, "id_token-department");
    assert_eq!(department.state, "present");
    assert_eq!(department.value, "Research");
    assert!(
        department.reason.contains("custom scope hr"),
        "{department:?}"
    );
    let j = authorize_as(&app, &req.url(&app), "carol").await;
    let tokens = exchange(&app, "app", Some(&secret), &j.code(), Some(&req.verifier)).await;
    let id = verify_with_jwks(&app, str_of(&tokens, "id_token")).await;
    assert_eq!(id["department"], "Research");
}

/// Rows in the tables a sign-in writes to.
fn counts(app: &TestApp) -> Vec<(&'static str, i64)> {
    [
        "auth_codes",
        "sessions",
        "session_clients",
        "consents",
        "audit_events",
        "pending_authorizations",
        "refresh_tokens",
        "known_browsers",
    ]
    .into_iter()
    .map(|t| {
        let n = app
            .store
            .sql_write(|c| Ok(c.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?))
            .unwrap_or_else(|e| panic!("count {t}: {e}"));
        (t, n)
    })
    .collect()
}

#[tokio::test]
async fn checking_writes_no_code_session_consent_pending_request_token_or_audit_row() {
    let (app, _) = restricted_app().await;
    add_client(
        &app,
        &ClientSpec {
            client_id: "wiki",
            scopes: &["openid", "profile", "email"],
            ..Default::default()
        },
    );
    cli(&app, &["client", "update", "wiki", "--require-mfa"]);
    disable_user(&app, "bob");
    let admin = admin_browser(&app).await;
    let before = counts(&app);

    let (_, consent) = check(&app, &admin, "wiki", &[("user", "alice")]).await;
    let (_, denied) = check(&app, &admin, "app", &[("user", "alice")]).await;
    let (_, disabled) = check(&app, &admin, "app", &[("user", "bob")]).await;
    let (_, own) = check(&app, &admin, "wiki", &[]).await;

    assert_eq!(counts(&app), before, "the checker wrote nothing");
    // And each says what the real sign-in does.
    assert!(
        consent.contains("<li data-state=\"asks\"><strong>Second factor</strong>")
            && consent.contains("set up an authenticator app on the spot"),
        "{consent}"
    );
    assert!(
        consent.contains("<li data-state=\"asks\"><strong>Consent</strong>"),
        "{consent}"
    );
    assert_eq!(must_row(&consent, "id_token-email").state, "after consent");
    assert!(verdict(&denied).contains("not in an allowed group"));
    assert!(verdict(&disabled).contains("bob is disabled"), "{disabled}");
    assert!(verdict(&own).contains("root can sign in"), "{own}");
    // The real sign-in of alice at wiki goes to the second factor first.
    let res = browse(&app, &AuthReq::new("wiki").url(&app)).await;
    let res = submit_login(&app, &location(&res), "alice", PASSWORD).await;
    let res = browse(&app, &location(&res)).await;
    assert!(
        location(&res).starts_with("/login/second-factor"),
        "{}",
        location(&res)
    );
}

#[tokio::test]
async fn a_request_the_app_may_not_make_is_reported_with_the_error_the_app_really_gets() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    let admin = admin_browser(&app).await;

    let (status, html) = check(
        &app,
        &admin,
        "app",
        &[("user", "alice"), ("scope", "openid groups")],
    )
    .await;

    assert_eq!(status, 200);
    let v = verdict(&html);
    assert!(v.contains("invalid_scope"), "{v}");
    assert!(v.contains("may not request the scope groups"), "{v}");
    let res = browse(
        &app,
        &AuthReq::new("app").set("scope", "openid groups").url(&app),
    )
    .await;
    assert_callback_error(&app, &location(&res), "invalid_scope", Some(STATE));
}

#[tokio::test]
async fn the_checker_is_for_admins_and_names_an_unknown_user_or_app() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    sign_in(&app, "alice").await;
    assert_eq!(browse(&app, "/admin/apps/app/check").await.status(), 403);

    let admin = admin_browser(&app).await;
    let (status, html) = check(&app, &admin, "app", &[("user", "nobody")]).await;
    assert_eq!(status, 404);
    assert!(html.contains("no user named"), "{html}");
    let (status, _) = check(&app, &admin, "ghost", &[]).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_page_shows_doctors_findings_for_this_app_only_and_settings_to_copy() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            require_pkce: false,
            redirect_uris: vec!["https://grafana.team.example/login/generic_oauth".into()],
            ..Default::default()
        },
    );
    add_client(
        &app,
        &ClientSpec {
            client_id: "other",
            require_pkce: false,
            ..Default::default()
        },
    );
    let admin = admin_browser(&app).await;

    let (_, html) = check(&app, &admin, "app", &[]).await;

    assert!(
        html.contains("data-check=\"client-pkce-disabled\""),
        "{html}"
    );
    assert!(html.contains("confidential client app is exempt"), "{html}");
    assert!(
        !html.contains("client other"),
        "another app's findings stay out"
    );
    let grafana = unescape(
        between(
            &html,
            "<pre class=\"copy\" id=\"recipe-grafana\"><code>",
            "</code>",
        )
        .expect("a Grafana recipe"),
    );
    assert!(grafana.contains("client_id = app\n"), "{grafana}");
    assert!(
        grafana.contains(&format!("token_url = {}/token\n", app.settings.issuer)),
        "{grafana}"
    );
    assert!(
        grafana.contains("root_url = https://grafana.team.example\n"),
        "{grafana}"
    );
    assert!(html.contains(
        "<button type=\"button\" class=\"inline\" data-copy=\"recipe-grafana\" hidden>Copy</button>"
    ));
    // Copying is the admin script's job: no inline script on the page (CSP).
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=").count()
    );
}
