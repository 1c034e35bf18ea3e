//! The admin's app pages: list, create (the secret shown once), rotate the secret, remove after a
//! confirmation page; refusals show why and write nothing; admins only, CSRF-protected.

use crate::support::*;
use latchkey::store::clients;

/// A client_credentials token request with this secret: its status.
async fn secret_works(app: &TestApp, client_id: &str, secret: &str) -> u16 {
    token_request(
        app,
        &[("grant_type", "client_credentials")],
        Some((client_id, secret)),
    )
    .await
    .status()
    .as_u16()
}

fn shown_secret_of(html: &str) -> String {
    between(
        html,
        "<code class=\"secret\" id=\"client-secret\">",
        "</code>",
    )
    .expect("the secret is on the page")
}

#[tokio::test]
async fn an_admin_creates_an_app_with_every_setting_and_reads_its_secret_once() {
    let app = admin_app().await;
    app.cli(&["group", "add", "ops"], None).ok();
    let (status, html) = admin_page(&app, "/admin/apps/new").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("name=\"group.ops\""),
        "groups are offered: {html}"
    );

    let res = admin_post(
        &app,
        "/admin/apps/new",
        "/admin/apps",
        &[
            ("client_id", "grafana"),
            ("name", "Grafana"),
            (
                "redirect_uris",
                "https://grafana.example/login/generic_oauth\r\n\r\nhttps://grafana.example/cb2",
            ),
            ("post_logout_redirect_uris", "https://grafana.example/"),
            ("backchannel_logout_uri", "https://grafana.example/bcl"),
            ("scopes", "openid email groups"),
            ("grant.authorization_code", "on"),
            ("grant.client_credentials", "on"),
            ("group.ops", "on"),
            ("skip_consent", "on"),
            ("require_pkce", "on"),
            ("require_mfa", "on"),
            ("id_token_alg", "ES256"),
        ],
    )
    .await;
    assert_eq!(res.status(), 201);
    let html = res.text().await.unwrap();
    let secret = shown_secret_of(&html);
    assert!(
        html.contains("data-copy=\"client-secret\""),
        "a copy button"
    );
    assert!(
        html.contains("/admin/apps/grafana/check"),
        "the checker's link"
    );

    let shown = cli_json(&app, &["client", "show", "grafana"]);
    assert_eq!(shown["name"], "Grafana");
    let mut uris: Vec<String> = serde_json::from_value(shown["redirect_uris"].clone()).unwrap();
    uris.sort();
    assert_eq!(
        uris,
        [
            "https://grafana.example/cb2",
            "https://grafana.example/login/generic_oauth"
        ]
    );
    assert_eq!(
        shown["post_logout_redirect_uris"],
        serde_json::json!(["https://grafana.example/"])
    );
    assert_eq!(
        shown["backchannel_logout_uri"],
        "https://grafana.example/bcl"
    );
    assert_eq!(
        shown["scopes"],
        serde_json::json!(["email", "groups", "openid"])
    );
    assert_eq!(
        shown["grant_types"],
        serde_json::json!(["authorization_code", "client_credentials"])
    );
    assert_eq!(shown["allowed_groups"], serde_json::json!(["ops"]));
    assert_eq!(shown["skip_consent"], true);
    assert_eq!(shown["require_mfa"], true);
    assert_eq!(shown["id_token_alg"], "ES256");
    assert_eq!(secret_works(&app, "grafana", &secret).await, 200);

    let (_, page) = admin_page(&app, "/admin/apps/grafana").await;
    assert!(!page.contains(&secret), "shown once");
    let (_, list) = admin_page(&app, "/admin/apps").await;
    assert!(list.contains("href=\"/admin/apps/grafana\""), "{list}");
    let actors: Vec<_> = audited(&app, "client.created")
        .into_iter()
        .filter_map(|e| e.actor)
        .collect();
    assert!(actors.contains(&"root".to_owned()), "{actors:?}");
}

#[tokio::test]
async fn a_refused_new_app_shows_why_keeps_the_form_and_creates_nothing() {
    let app = admin_app().await;
    add_client(&app, &ClientSpec::default());
    for (form, status, why) in [
        (
            vec![
                ("client_id", "spa"),
                ("public", "on"),
                ("grant.client_credentials", "on"),
            ],
            400,
            "public client cannot use client_credentials",
        ),
        (
            vec![("client_id", "web"), ("grant.authorization_code", "on")],
            400,
            "redirect URI is required",
        ),
        (
            vec![
                ("client_id", "app"),
                ("redirect_uris", "https://x.example/cb"),
                ("grant.authorization_code", "on"),
            ],
            409,
            "app",
        ),
    ] {
        let res = admin_post(&app, "/admin/apps/new", "/admin/apps", &form).await;
        assert_eq!(res.status(), status, "{form:?}");
        let html = res.text().await.unwrap();
        assert!(html.contains("class=\"error\""), "{html}");
        assert!(html.contains(why), "{why}: {html}");
        assert!(
            html.contains(&format!("value=\"{}\"", form[0].1)),
            "the typed client ID is kept"
        );
    }
    let ids: Vec<_> = app
        .store
        .read(clients::list_clients)
        .unwrap()
        .into_iter()
        .map(|c| c.client_id)
        .collect();
    assert_eq!(ids, ["app"]);
}

#[tokio::test]
async fn rotating_the_secret_shows_the_new_one_once_and_the_old_one_stops_working() {
    let app = admin_app().await;
    let old = add_client(
        &app,
        &ClientSpec {
            grant_types: &["client_credentials"],
            redirect_uris: vec![],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(secret_works(&app, "app", &old).await, 200);
    let res = admin_post(
        &app,
        "/admin/apps/app",
        "/admin/apps/app/rotate-secret",
        &[],
    )
    .await;
    assert_eq!(res.status(), 200);
    let new = shown_secret_of(&res.text().await.unwrap());
    assert_eq!(secret_works(&app, "app", &old).await, 401);
    assert_eq!(secret_works(&app, "app", &new).await, 200);
}

#[tokio::test]
async fn an_app_is_removed_only_after_the_confirmation_page() {
    let app = admin_app().await;
    add_client(&app, &ClientSpec::default());
    let (status, html) = admin_page(&app, "/admin/apps/app/remove").await;
    assert_eq!(status, 200);
    assert!(html.contains("cannot be undone"));
    assert!(
        app.store
            .read(|c| clients::find_client(c, "app"))
            .unwrap()
            .is_some()
    );
    let res = admin_post(
        &app,
        "/admin/apps/app/remove",
        "/admin/apps/app/remove",
        &[("confirm", "yes")],
    )
    .await;
    assert_eq!(location(&res), "/admin/apps?done=removed");
    assert!(
        app.store
            .read(|c| clients::find_client(c, "app"))
            .unwrap()
            .is_none()
    );
    assert_eq!(admin_page(&app, "/admin/apps/app").await.0, 404);
}

#[tokio::test]
async fn a_non_admin_gets_403_on_every_app_page_and_form_and_forgeries_change_nothing() {
    let app = spawn_oidc_app().await;
    add_root(&app);
    add_client(&app, &ClientSpec::default());
    sign_in(&app, "alice").await;
    for path in [
        "/admin/apps",
        "/admin/apps/new",
        "/admin/apps/app",
        "/admin/apps/app/remove",
    ] {
        assert_eq!(browse(&app, path).await.status(), 403, "GET {path}");
    }
    let html = browse(&app, "/account").await.text().await.unwrap();
    let token = hidden(&html, "csrf_token").unwrap();
    for path in [
        "/admin/apps",
        "/admin/apps/app/rotate-secret",
        "/admin/apps/app/remove",
        "/admin/apps/app/update",
    ] {
        let res = app
            .client
            .post(app.url(path))
            .form(&[("csrf_token", token.as_str()), ("client_id", "evil")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "POST {path}");
    }

    sign_in(&app, "root").await;
    let html = browse(&app, "/admin/apps/app").await.text().await.unwrap();
    let valid = hidden(&html, "csrf_token").unwrap();
    let foreign = foreign_token(&app).await;
    for f in forgeries(&app, &valid, &foreign) {
        let res = post_forged(&app, "/admin/apps/app/remove", &[("confirm", "yes")], &f).await;
        assert_eq!(res.status(), 403, "{}", f.what);
    }
    assert!(
        app.store
            .read(|c| clients::find_client(c, "app"))
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn the_settings_form_makes_the_app_exactly_what_it_says_or_changes_nothing() {
    let app = admin_app().await;
    app.cli(&["group", "add", "ops"], None).ok();
    add_client(&app, &ClientSpec::default());
    let page = "/admin/apps/app";
    let (_, html) = admin_page(&app, page).await;
    assert!(
        html.contains(REDIRECT_URI),
        "the form holds the settings: {html}"
    );

    let res = admin_post(
        &app,
        page,
        "/admin/apps/app/update",
        &[
            ("name", "Wiki"),
            ("redirect_uris", "https://wiki.example/cb"),
            ("scopes", "openid email"),
            ("grant.authorization_code", "on"),
            ("group.ops", "on"),
            ("require_pkce", "on"),
            ("id_token_alg", "EdDSA"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/admin/apps/app?done=updated");
    let shown = cli_json(&app, &["client", "show", "app"]);
    assert_eq!(shown["name"], "Wiki");
    assert_eq!(
        shown["redirect_uris"],
        serde_json::json!(["https://wiki.example/cb"])
    );
    assert_eq!(
        shown["grant_types"],
        serde_json::json!(["authorization_code"])
    );
    assert_eq!(shown["allowed_groups"], serde_json::json!(["ops"]));
    assert_eq!(shown["id_token_alg"], "EdDSA");
    let updated = audited(&app, "client.updated");
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0].actor.as_deref(), Some("root"));

    // Code flow without a redirect URI: refused, shown as typed, nothing changed.
    let res = admin_post(
        &app,
        page,
        "/admin/apps/app/update",
        &[
            ("name", "Broken"),
            ("grant.authorization_code", "on"),
            ("scopes", "openid"),
        ],
    )
    .await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(html.contains("redirect URI is required"), "{html}");
    assert!(html.contains("value=\"Broken\""), "the form as typed");
    assert_eq!(
        cli_json(&app, &["client", "show", "app"]),
        shown,
        "nothing changed"
    );
    assert_eq!(audited(&app, "client.updated").len(), 1);
}
