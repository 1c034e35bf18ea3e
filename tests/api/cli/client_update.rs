//! `latchkey client update`: every setting `client add` has, changed in place, as
//! `client show --json` prints it and as a real sign-in sees it; refused changes write nothing.

use crate::support::*;
use latchkey::oidc::admin::{self, Actor};
use serde_json::{Value, json};

/// `latchkey ARGS`, expecting success.
fn cli(app: &TestApp, args: &[&str]) -> String {
    app.cli(args, None).ok().to_owned()
}

fn show(app: &TestApp, client_id: &str) -> Value {
    app.cli(&["client", "show", client_id, "--json"], None)
        .json()
}

/// Register confidential `app` with the test redirect URI; returns its secret.
fn add_app(app: &TestApp, extra: &[&str]) -> String {
    let mut args = vec![
        "client",
        "add",
        "app",
        "--redirect-uri",
        REDIRECT_URI,
        "--json",
    ];
    args.extend_from_slice(extra);
    let out = app.cli(&args, None).json();
    out["client_secret"].as_str().expect("a secret").to_owned()
}

fn updated_rows(app: &TestApp) -> Vec<String> {
    audited(app, "client.updated")
        .into_iter()
        .map(|e| e.detail.unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn every_flag_changes_what_client_show_prints_and_json_prints_the_client() {
    let app = spawn_oidc_app().await;
    add_app(&app, &["--web-origin", "https://old.example"]);
    cli(&app, &["group", "add", "staff"]);

    let out = app
        .cli(
            &[
                "client",
                "update",
                "app",
                "--name",
                "The Shop",
                "--add-redirect-uri",
                "https://shop.example/cb",
                "--remove-redirect-uri",
                REDIRECT_URI,
                "--post-logout-redirect-uri",
                "https://shop.example/bye",
                "--backchannel-logout-uri",
                "https://shop.example/bcl",
                "--grant-types",
                "authorization_code,client_credentials",
                "--scopes",
                "openid,profile",
                "--add-scope",
                "email",
                "--allowed-group",
                "Staff",
                "--skip-consent",
                "--no-pkce",
                "--id-token-alg",
                "ES256",
                "--web-origin",
                "https://cdn.example",
                "--remove-web-origin",
                "https://old.example",
                "--require-mfa",
                "--json",
            ],
            None,
        )
        .json();

    let shown = show(&app, "app");
    assert_eq!(out, shown, "--json prints the client as show --json does");
    assert_eq!(shown["name"], "The Shop");
    assert_eq!(shown["redirect_uris"], json!(["https://shop.example/cb"]));
    assert_eq!(
        shown["post_logout_redirect_uris"],
        json!(["https://shop.example/bye"])
    );
    assert_eq!(shown["backchannel_logout_uri"], "https://shop.example/bcl");
    assert_eq!(
        shown["grant_types"],
        json!(["authorization_code", "client_credentials"])
    );
    assert_eq!(shown["scopes"], json!(["email", "openid", "profile"]));
    assert_eq!(shown["allowed_groups"], json!(["staff"]));
    assert_eq!(shown["skip_consent"], true);
    assert_eq!(shown["require_pkce"], false);
    assert_eq!(shown["id_token_alg"], "ES256");
    assert_eq!(shown["extra_web_origins"], json!(["https://cdn.example"]));
    assert_eq!(shown["require_mfa"], true);
    assert_eq!(shown["is_public"], false);

    // The opposite switches, and clearing the back-channel URI.
    cli(
        &app,
        &[
            "client",
            "update",
            "app",
            "--no-skip-consent",
            "--pkce",
            "--no-backchannel-logout",
            "--no-require-mfa",
            "--remove-post-logout-redirect-uri",
            "https://shop.example/bye",
            "--remove-scope",
            "profile",
        ],
    );
    let shown = show(&app, "app");
    assert_eq!(shown["skip_consent"], false);
    assert_eq!(shown["require_pkce"], true);
    assert_eq!(shown["backchannel_logout_uri"], Value::Null);
    assert_eq!(shown["require_mfa"], false);
    assert_eq!(shown["post_logout_redirect_uris"], json!([]));
    assert_eq!(shown["scopes"], json!(["email", "openid"]));

    let rows = updated_rows(&app);
    assert_eq!(rows.len(), 2, "one audit row per update: {rows:?}");
    let first = &rows[1];
    for said in [
        "name \"app\" -> \"The Shop\"",
        "redirect_uris +https://shop.example/cb -http://127.0.0.1:9/cb",
        "id_token_alg RS256 -> ES256",
        "allowed_groups +staff",
        "web_origins +https://cdn.example -https://old.example",
    ] {
        assert!(first.contains(said), "{said:?} in {first}");
    }
    assert!(
        rows[0].contains("skip_consent true -> false"),
        "{}",
        rows[0]
    );
}

#[tokio::test]
async fn a_removed_redirect_uri_is_refused_at_authorize_and_an_added_one_is_accepted() {
    let app = spawn_oidc_app().await;
    add_app(&app, &[]);
    let to_second = AuthReq::new("app").set("redirect_uri", SECOND_REDIRECT);
    assert_error_page(browse(&app, &to_second.url(&app)).await).await;

    cli(
        &app,
        &[
            "client",
            "update",
            "app",
            "--add-redirect-uri",
            SECOND_REDIRECT,
            "--remove-redirect-uri",
            REDIRECT_URI,
        ],
    );

    let res = browse(&app, &AuthReq::new("app").url(&app)).await;
    let page = assert_error_page(res).await;
    assert!(page.contains("redirect"), "{page}");
    let res = browse(&app, &to_second.url(&app)).await;
    assert_eq!(res.status(), 303, "the new URI starts a sign-in");
    assert!(location(&res).starts_with("/login?req="));
}

#[tokio::test]
async fn a_sign_in_parked_before_its_redirect_uri_was_removed_never_sends_a_code_there() {
    let app = spawn_oidc_app().await;
    add_app(&app, &["--redirect-uri", SECOND_REDIRECT]);
    let res = browse(&app, &AuthReq::new("app").url(&app)).await;
    let login = location(&res);
    assert!(login.starts_with("/login?req="), "{login}");

    cli(
        &app,
        &[
            "client",
            "update",
            "app",
            "--remove-redirect-uri",
            REDIRECT_URI,
        ],
    );

    let res = browse(&app, &login).await;
    assert_eq!(res.status(), 400, "the parked request is gone");
    let html = res.text().await.unwrap();
    assert!(html.contains("expired"), "{html}");
    let handle = query_param(&app.url(&login), "req").unwrap();
    let res = browse(&app, &format!("/authorize/resume?req={handle}")).await;
    assert_eq!(res.status(), 400);
    assert!(res.headers().get("location").is_none());
}

#[tokio::test]
async fn a_client_switched_to_no_skip_consent_asks_for_consent_and_back() {
    let app = spawn_oidc_app().await;
    add_app(&app, &["--skip-consent"]);
    let first = authorize_as(&app, &AuthReq::new("app").url(&app), "alice").await;
    assert!(!first.saw("/consent"), "{first:?}");

    cli(&app, &["client", "update", "app", "--no-skip-consent"]);
    let asked = authorize_as(&app, &AuthReq::new("app").url(&app), "alice").await;
    assert!(asked.saw("/consent"), "{asked:?}");
    asked.code();

    cli(&app, &["client", "update", "app", "--skip-consent"]);
    let wider = AuthReq::new("app").set("scope", "openid profile email");
    let again = authorize_as(&app, &wider.url(&app), "alice").await;
    assert!(!again.saw("/consent"), "{again:?}");
}

#[tokio::test]
async fn id_token_alg_es256_gives_an_es256_id_token() {
    let app = spawn_oidc_app().await;
    let secret = add_app(&app, &[]);
    let before = tokens(&app, "app", Some(&secret), &[]).await;
    assert_eq!(jwt_header(str_of(&before, "id_token"))["alg"], "RS256");

    cli(
        &app,
        &["client", "update", "app", "--id-token-alg", "ES256"],
    );

    let after = tokens(&app, "app", Some(&secret), &[]).await;
    let header = jwt_header(str_of(&after, "id_token"));
    assert_eq!(header["alg"], "ES256");
    let es256 = our_key(&app, latchkey::crypto::keys::Alg::ES256);
    assert_eq!(
        header["kid"],
        es256.kid.as_str(),
        "signed with the ES256 key"
    );
}

#[tokio::test]
async fn no_pkce_lets_a_confidential_client_in_without_a_challenge_and_pkce_requires_it_again() {
    let app = spawn_oidc_app().await;
    add_app(&app, &[]);
    let bare = AuthReq::new("app")
        .unset("code_challenge")
        .unset("code_challenge_method");
    assert_redirect_error(
        &app,
        &browse(&app, &bare.url(&app)).await,
        "invalid_request",
        Some(STATE),
    );

    cli(&app, &["client", "update", "app", "--no-pkce"]);
    let res = browse(&app, &bare.url(&app)).await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/login?req="));

    cli(&app, &["client", "update", "app", "--pkce"]);
    assert_redirect_error(
        &app,
        &browse(&app, &bare.url(&app)).await,
        "invalid_request",
        Some(STATE),
    );
}

#[tokio::test]
async fn grant_types_and_scopes_change_what_authorize_and_the_token_endpoint_allow() {
    let app = spawn_oidc_app().await;
    let secret = add_app(&app, &[]);
    let cc = [("grant_type", "client_credentials")];
    let res = token_request(&app, &cc, Some(("app", &secret))).await;
    assert_oauth_error(res, 400, "unauthorized_client").await;
    let with_email = AuthReq::new("app").set("scope", "openid email");
    let before = tokens(&app, "app", Some(&secret), &[("scope", "openid email")]).await;
    assert!(before.get("refresh_token").is_some(), "{before}");

    cli(
        &app,
        &[
            "client",
            "update",
            "app",
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "client_credentials",
            "--remove-scope",
            "email",
        ],
    );

    token_ok(token_request(&app, &cc, Some(("app", &secret))).await).await;
    let res = browse(&app, &with_email.url(&app)).await;
    assert_redirect_error(&app, &res, "invalid_scope", Some(STATE));
    let after = tokens(&app, "app", Some(&secret), &[]).await;
    assert!(
        after.get("refresh_token").is_none(),
        "refresh_token was dropped: {after}"
    );
}

#[tokio::test]
async fn refused_changes_exit_non_zero_with_one_line_and_write_nothing() {
    let app = spawn_oidc_app().await;
    add_app(&app, &[]);
    cli(
        &app,
        &[
            "client",
            "add",
            "spa",
            "--public",
            "--redirect-uri",
            REDIRECT_URI,
        ],
    );
    let before = (show(&app, "app"), show(&app, "spa"));

    for (args, says) in [
        (vec!["spa", "--name", "New", "--no-pkce"], "PKCE"),
        (
            vec![
                "spa",
                "--name",
                "New",
                "--grant-types",
                "client_credentials",
            ],
            "client_credentials",
        ),
        (
            vec![
                "app",
                "--name",
                "New",
                "--remove-redirect-uri",
                REDIRECT_URI,
            ],
            "redirect URI is required",
        ),
        (
            vec![
                "app",
                "--skip-consent",
                "--remove-redirect-uri",
                "https://nope.example/cb",
            ],
            "nope.example",
        ),
        (
            vec!["app", "--skip-consent", "--allowed-group", "nobody"],
            "nobody",
        ),
        (
            vec!["app", "--skip-consent", "--id-token-alg", "HS256"],
            "HS256",
        ),
        (
            vec![
                "app",
                "--skip-consent",
                "--add-redirect-uri",
                "http://app.example/cb",
            ],
            "plain http",
        ),
        (vec!["app", "--skip-consent", "--scopes", ""], "scope"),
        (vec!["nobody", "--skip-consent"], "nobody"),
    ] {
        let mut all = vec!["client", "update"];
        all.extend(args.iter().copied());
        let out = app.cli(&all, None);
        let err = out.one_line_error();
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let conflicting = app.cli(&["client", "update", "app", "--pkce", "--no-pkce"], None);
    assert!(!conflicting.status.success());

    assert_eq!((show(&app, "app"), show(&app, "spa")), before);
    assert!(updated_rows(&app).is_empty(), "no audit row for a refusal");
}

#[tokio::test]
async fn an_update_that_changes_nothing_says_so_and_writes_no_audit_row() {
    let app = spawn_oidc_app().await;
    add_app(&app, &["--skip-consent"]);

    let out = cli(
        &app,
        &[
            "client",
            "update",
            "app",
            "--skip-consent",
            "--redirect-uri",
            REDIRECT_URI,
        ],
    );

    assert!(out.starts_with("client app unchanged"), "{out}");
    assert!(updated_rows(&app).is_empty());
}

#[tokio::test]
async fn the_admin_pages_can_send_the_full_desired_state_and_the_admin_is_the_actor() {
    let app = spawn_oidc_app().await;
    add_app(&app, &["--web-origin", "https://old.example"]);
    let current = app.store.read(|c| admin::clients::show(c, "app")).unwrap();
    let mut wanted = admin::clients::ClientSettings::of(&current);
    wanted.redirect_uris = vec![SECOND_REDIRECT.into()];
    wanted.web_origins = vec![];
    wanted.id_token_alg = "EdDSA".into();

    let up = app
        .store
        .write(|c| {
            admin::clients::update(
                c,
                &Actor::Admin("root".into()),
                1_800_000_000,
                &admin::clients::ClientUpdate::to("app", wanted.clone()),
            )
        })
        .unwrap();

    assert_eq!(admin::clients::ClientSettings::of(&up.client), wanted);
    assert_eq!(up.changes.len(), 3, "{:?}", up.changes);
    let row = &audited(&app, "client.updated")[0];
    assert_eq!(row.actor.as_deref(), Some("root"));
    assert_eq!(row.client_id.as_deref(), Some("app"));

    // A refused full state is a typed refusal with a stable code, and changes nothing.
    wanted.redirect_uris.clear();
    let err = app
        .store
        .write(|c| {
            admin::clients::update(
                c,
                &Actor::Admin("root".into()),
                1_800_000_001,
                &admin::clients::ClientUpdate::to("app", wanted.clone()),
            )
        })
        .unwrap_err();
    assert_eq!(err.status_and_code(), (400, "invalid_request"));
    assert_eq!(show(&app, "app")["redirect_uris"], json!([SECOND_REDIRECT]));
}

#[test]
fn client_update_help_explains_every_flag() {
    let out = run(
        {
            let mut c = latchkey_bare();
            c.args(["client", "update", "--help"]);
            c
        },
        None,
    );
    let help = out.ok();
    for flag in [
        "--name",
        "--add-redirect-uri",
        "--remove-redirect-uri",
        "--add-post-logout-redirect-uri",
        "--remove-post-logout-redirect-uri",
        "--backchannel-logout-uri",
        "--no-backchannel-logout",
        "--grant-types",
        "--scopes",
        "--add-scope",
        "--remove-scope",
        "--allowed-group",
        "--remove-allowed-group",
        "--skip-consent",
        "--no-skip-consent",
        "--pkce",
        "--no-pkce",
        "--id-token-alg",
        "--web-origin",
        "--remove-web-origin",
        "--require-mfa",
        "--no-require-mfa",
    ] {
        assert!(help.contains(flag), "{flag} in\n{help}");
    }
    assert!(help.contains("checked as `client add`"), "{help}");
}
