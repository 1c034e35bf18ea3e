//! What the operations do through the API: the same rules, refusals and audit rows as the CLI.

use super::*;
use serde_json::json;

/// A server with admin root, alice, and the admin key `ci`.
async fn with_key() -> (TestApp, String) {
    let app = spawn_oidc_app().await;
    add_root(&app);
    let k = key(&app, "ci");
    (app, k)
}

#[tokio::test]
async fn changes_made_with_a_key_are_audited_with_admin_key_and_its_name_as_actor() {
    let (app, k) = with_key().await;

    call(
        &app,
        "POST",
        "/groups",
        Some(&k),
        Some(json!({ "name": "ops" })),
    )
    .await
    .expect(201);
    call(
        &app,
        "PATCH",
        "/users/alice",
        Some(&k),
        Some(json!({ "disabled": true })),
    )
    .await
    .expect(200);

    for kind in ["group.created", "user.disabled"] {
        let rows = audited(&app, kind);
        assert_eq!(rows.len(), 1, "{kind}");
        assert_eq!(rows[0].actor.as_deref(), Some("admin-key:ci"), "{kind}");
    }
    let listed = call(&app, "GET", "/audit?kind=user.disabled", Some(&k), None).await;
    assert_eq!(listed.expect(200)["events"][0]["actor"], "admin-key:ci");
}

#[tokio::test]
async fn the_last_enabled_admin_can_be_neither_removed_nor_disabled_nor_demoted_through_the_api() {
    let (app, k) = with_key().await;

    let a = call(&app, "DELETE", "/users/root", Some(&k), None).await;
    assert!(a.expect_error(409, "last_admin").contains("root"));
    let a = call(
        &app,
        "PATCH",
        "/users/root",
        Some(&k),
        Some(json!({ "disabled": true })),
    )
    .await;
    a.expect_error(409, "last_admin");
    let a = call(
        &app,
        "PATCH",
        "/users/root",
        Some(&k),
        Some(json!({ "is_admin": false })),
    )
    .await;
    a.expect_error(409, "last_admin");

    let root_answer = call(&app, "GET", "/users/root", Some(&k), None).await;
    let root = root_answer.expect(200);
    assert_eq!(root["disabled"], false);
    assert_eq!(root["is_admin"], true);
    assert!(audited(&app, "user.removed").is_empty());
    assert!(audited(&app, "user.demoted").is_empty());
}

#[tokio::test]
async fn a_users_profile_changes_through_the_api_as_through_the_cli() {
    let (app, k) = with_key().await;
    let body = json!({ "email": "alice@corp.example", "name": "Alice C", "is_admin": true });
    let answered = call(&app, "PATCH", "/users/alice", Some(&k), Some(body)).await;
    let alice = answered.expect(200);
    assert_eq!(alice["email"], "alice@corp.example");
    assert_eq!(alice["email_verified"], false);
    assert_eq!(alice["name"], "Alice C");
    assert_eq!(alice["is_admin"], true);
    let promoted = audited(&app, "user.promoted");
    assert_eq!(promoted[0].actor.as_deref(), Some("admin-key:ci"));
    let a = call(
        &app,
        "PATCH",
        "/users/alice",
        Some(&k),
        Some(json!({ "email": "nope" })),
    )
    .await;
    assert!(
        a.expect_error(400, "invalid_request")
            .contains("invalid email address")
    );
}

#[tokio::test]
async fn what_does_not_exist_is_404_not_found() {
    let (app, k) = with_key().await;
    for (method, path) in [
        ("GET", "/users/nobody"),
        ("DELETE", "/users/nobody"),
        ("GET", "/groups/nope"),
        ("GET", "/clients/nope"),
        ("POST", "/clients/nope/rotate-secret"),
        ("GET", "/apis/https%3A%2F%2Fnope.example"),
        ("GET", "/keys/nope"),
        ("DELETE", "/sessions/nope"),
        ("GET", "/widgets"),
        ("POST", "/users/alice"),
    ] {
        let a = call(&app, method, path, Some(&k), None).await;
        assert_eq!(a.status, 404, "{method} {path}: {}", a.body);
        a.expect_error(404, "not_found");
    }
    // Another version, or the API's root: JSON too, never the admin pages' sign-in redirect.
    for path in ["/admin/api/v2/users", "/admin/api"] {
        let res = plain_client()
            .get(app.url(path))
            .bearer_auth(&k)
            .send()
            .await
            .unwrap();
        answer(res).await.expect_error(404, "not_found");
        let res = plain_client().get(app.url(path)).send().await.unwrap();
        answer(res).await.expect_unauthorized();
    }
}

#[tokio::test]
async fn bodies_that_are_not_the_json_an_endpoint_takes_are_400_invalid_request() {
    let (app, k) = with_key().await;
    let raw = |body: &'static str| {
        plain_client()
            .post(app.url(&format!("{V1}/users")))
            .bearer_auth(&k)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    for body in [
        "{bad",
        "[]",
        "null",
        r#"{"username": 5, "email": "x@example.com"}"#,
        r#"{"email": "x@example.com"}"#,
        r#"{"username": "x", "email": "x@example.com", "is_admin": true}"#,
        "\u{0}",
    ] {
        let a = answer(raw(body).await.unwrap()).await;
        a.expect_error(400, "invalid_request");
    }
    let a = call(
        &app,
        "PATCH",
        "/users/alice",
        Some(&k),
        Some(json!({ "disabled": "yes" })),
    )
    .await;
    a.expect_error(400, "invalid_request");
    let a = call(&app, "PATCH", "/users/alice", Some(&k), Some(json!({}))).await;
    a.expect_error(400, "invalid_request");
    let a = call(
        &app,
        "PATCH",
        "/clients/app",
        Some(&k),
        Some(json!({ "client_id": "x" })),
    )
    .await;
    a.expect_error(400, "invalid_request");
    assert!(audited(&app, "user.created").len() == 1, "root only");
}

#[tokio::test]
async fn query_parameters_that_make_no_sense_are_400_invalid_request() {
    let (app, k) = with_key().await;
    for path in [
        "/users?limit=abc",
        "/users?limit=0",
        "/users?limit=501",
        "/users?color=red",
        "/sessions?after=alice",
        "/audit?since=yesterday",
        "/audit?after=x",
    ] {
        let a = call(&app, "GET", path, Some(&k), None).await;
        assert_eq!(a.status, 400, "{path}: {}", a.body);
        a.expect_error(400, "invalid_request");
    }
}

#[tokio::test]
async fn a_body_over_64_kib_is_refused_with_413() {
    let (app, k) = with_key().await;
    let big = json!({ "name": "ops", "description": "x".repeat(70 * 1024) });

    let a = call(&app, "POST", "/groups", Some(&k), Some(big)).await;

    a.expect_error(413, "invalid_request");
    assert!(audited(&app, "group.created").is_empty());
}

#[tokio::test]
async fn input_is_refused_by_the_same_rules_and_with_the_same_words_as_the_cli() {
    let (app, k) = with_key().await;
    let a = call(
        &app,
        "POST",
        "/clients",
        Some(&k),
        Some(json!({ "client_id": "svc", "public": true, "grant_types": ["client_credentials"] })),
    )
    .await;
    let said = a.expect_error(400, "invalid_request").to_owned();

    let cli = app.cli(
        &[
            "client",
            "add",
            "svc",
            "--public",
            "--grant-types",
            "client_credentials",
        ],
        None,
    );
    assert_eq!(cli.one_line_error(), format!("error: {said}"));

    let a = call(
        &app,
        "POST",
        "/users",
        Some(&k),
        Some(json!({ "username": "bad name", "email": "b@example.com" })),
    )
    .await;
    a.expect_error(400, "invalid_request");
}

#[tokio::test]
async fn creating_what_exists_is_409_conflict() {
    let (app, k) = with_key().await;
    let alice = json!({ "username": "ALICE", "email": "a2@example.com" });

    call(&app, "POST", "/users", Some(&k), Some(alice))
        .await
        .expect_error(409, "conflict");
    call(
        &app,
        "POST",
        "/groups",
        Some(&k),
        Some(json!({ "name": "g" })),
    )
    .await
    .expect(201);
    call(
        &app,
        "POST",
        "/groups",
        Some(&k),
        Some(json!({ "name": "g" })),
    )
    .await
    .expect_error(409, "conflict");
}

#[tokio::test]
async fn a_created_clients_secret_is_answered_once_and_works_at_the_token_endpoint() {
    let (app, k) = with_key().await;
    let body = json!({
        "client_id": "svc",
        "grant_types": ["client_credentials"],
        "scopes": ["openid"],
    });

    let created = call(&app, "POST", "/clients", Some(&k), Some(body)).await;
    let secret = created.expect(201)["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some(("svc", &secret)),
    )
    .await;
    token_ok(res).await;
    let shown = call(&app, "GET", "/clients/svc", Some(&k), None).await;
    assert!(!shown.body.to_string().contains(&secret));
    assert!(shown.expect(200).get("client_secret").is_none());

    let rotated = call(&app, "POST", "/clients/svc/rotate-secret", Some(&k), None).await;
    let new = rotated.expect(200)["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some(("svc", &secret)),
    )
    .await;
    assert_eq!(res.status(), 401, "the old secret stopped working");
    let res = token_request(
        &app,
        &[("grant_type", "client_credentials")],
        Some(("svc", &new)),
    )
    .await;
    token_ok(res).await;
}

#[tokio::test]
async fn a_generated_password_is_answered_once_and_signs_the_user_in() {
    let (app, k) = with_key().await;

    let a = call(
        &app,
        "POST",
        "/users",
        Some(&k),
        Some(json!({ "username": "bob", "email": "bob@example.com", "name": "Bob" })),
    )
    .await;
    let pw = a.expect(201)["password"].as_str().unwrap().to_owned();

    let res = submit_login(&app, "/login", "bob", &pw).await;
    assert_eq!(res.status(), 303, "bob signs in with it");
    let shown = call(&app, "GET", "/users/bob", Some(&k), None).await;
    assert!(!shown.body.to_string().contains(&pw));
}

#[tokio::test]
async fn a_password_given_is_checked_like_the_clis_and_never_echoed() {
    let (app, k) = with_key().await;
    let with = |pw: &str| json!({ "username": "bob", "email": "bob@example.com", "password": pw });

    call(&app, "POST", "/users", Some(&k), Some(with("short")))
        .await
        .expect_error(400, "invalid_request");
    let a = call(&app, "POST", "/users", Some(&k), Some(with(NEW_PASSWORD))).await;

    assert!(a.expect(201).get("password").is_none(), "{}", a.body);
    assert_eq!(
        submit_login(&app, "/login", "bob", NEW_PASSWORD)
            .await
            .status(),
        303
    );
    let a = call(
        &app,
        "POST",
        "/users/bob/password",
        Some(&k),
        Some(json!({ "password": PASSWORD })),
    )
    .await;
    assert!(a.expect(200)["password"].is_null());
    assert_eq!(
        submit_login(&app, "/login", "bob", PASSWORD).await.status(),
        303
    );
}

#[tokio::test]
async fn ending_a_session_signs_the_browser_out_and_queues_a_back_channel_logout() {
    let (app, k) = with_key().await;
    add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            backchannel_logout_uri: Some("http://127.0.0.1:9/backchannel".into()),
            ..Default::default()
        },
    );
    authorize_as_alice(&app, &AuthReq::new("app").url(&app)).await;
    let listed = call(&app, "GET", "/sessions?user=alice", Some(&k), None).await;
    let sid = listed.expect(200)["sessions"][0]["sid"]
        .as_str()
        .unwrap()
        .to_owned();

    call(&app, "DELETE", &format!("/sessions/{sid}"), Some(&k), None)
        .await
        .expect(200);

    assert_eq!(browse(&app, "/account").await.status(), 303, "signed out");
    let queued: i64 = app
        .store
        .sql(|c| Ok(c.query_row("SELECT COUNT(*) FROM backchannel_outbox", [], |r| r.get(0))?))
        .unwrap();
    assert_eq!(queued, 1, "a logout token for app");
    let ended = audited(&app, "session.ended.admin");
    assert_eq!(ended[0].actor.as_deref(), Some("admin-key:ci"));
    call(&app, "DELETE", &format!("/sessions/{sid}"), Some(&k), None)
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn rotated_signing_keys_are_published_at_once() {
    let (app, k) = with_key().await;

    let a = call(
        &app,
        "POST",
        "/keys/rotate",
        Some(&k),
        Some(json!({ "alg": "EdDSA" })),
    )
    .await;
    let kid = a.expect(200)["keys"][0]["kid"].as_str().unwrap().to_owned();

    let jwks: Value = app.get("/jwks").await.json().await.unwrap();
    assert!(jwks.to_string().contains(&kid), "{jwks}");
    let a = call(
        &app,
        "POST",
        "/keys/rotate",
        Some(&k),
        Some(json!({ "alg": "HS256" })),
    )
    .await;
    a.expect_error(400, "invalid_request");
}

#[tokio::test]
async fn a_cross_site_preflight_is_not_answered_with_cors_headers() {
    let (app, _) = with_key().await;

    let res = plain_client()
        .request(reqwest::Method::OPTIONS, app.url(&format!("{V1}/users")))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "DELETE")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await
        .unwrap();

    assert!(header(&res, "access-control-allow-origin").is_none());
    answer(res).await.expect_unauthorized();
}
