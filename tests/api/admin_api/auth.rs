//! Every endpoint with a valid, a revoked, a wrong and a missing key; expired keys; no cookies.

use super::*;
use latchkey::store::{keys, sessions, users};
use serde_json::json;

const API: &str = "https%3A%2F%2Fapi.example.com";

/// One endpoint: the request, and what a valid key gets.
struct Case {
    method: &'static str,
    path: String,
    body: Option<Value>,
    status: u16,
    /// What the JSON answer must say (for a valid key).
    check: fn(&Value),
}

fn case(
    method: &'static str,
    path: impl Into<String>,
    body: Option<Value>,
    status: u16,
    check: fn(&Value),
) -> Case {
    Case {
        method,
        path: path.into(),
        body,
        status,
        check,
    }
}

fn names(v: &Value, list: &str, field: &str) -> Vec<String> {
    v[list]
        .as_array()
        .unwrap_or_else(|| panic!("no array {list} in {v}"))
        .iter()
        .map(|i| i[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A server with admin root, alice (in group staff, attribute team=blue, signed in), the
/// confidential client `app` and the API https://api.example.com with scope `read`.
async fn world() -> TestApp {
    let app = spawn_oidc_app().await;
    add_root(&app);
    add_client(&app, &ClientSpec::default());
    for args in [
        &["group", "add", "staff"][..],
        &["group", "add-member", "staff", "alice"],
        &["user", "set-attribute", "alice", "team", "blue"],
        &["api", "add", "https://api.example.com", "--scope", "read"],
    ] {
        app.cli(args, None).ok();
    }
    sign_in(&app, "alice").await;
    app
}

/// Every endpoint, in an order a valid key can run them one after another (deletes last).
fn every_endpoint(app: &TestApp) -> Vec<Case> {
    let kid = app
        .store
        .read(|c| keys::list_keys(c, 0))
        .unwrap()
        .first()
        .expect("a signing key")
        .kid
        .clone();
    let sid = app
        .store
        .read(|c| {
            let alice = users::get_user_by_username(c, "alice")?;
            sessions::list_user_sessions(c, alice.id)
        })
        .unwrap()
        .first()
        .expect("alice's session")
        .sid
        .clone();
    vec![
        case("GET", "/users", None, 200, |v| {
            assert_eq!(names(v, "users", "username"), ["alice", "root"]);
            assert!(v["next"].is_null());
        }),
        case(
            "POST",
            "/users",
            Some(json!({ "username": "bob", "email": "bob@example.com" })),
            201,
            |v| {
                assert_eq!(v["username"], "bob");
                assert_eq!(v["password"].as_str().map(str::len), Some(20), "{v}");
            },
        ),
        case("GET", "/users/alice", None, 200, |v| {
            assert_eq!(v["username"], "alice");
            assert_eq!(v["groups"], json!(["staff"]));
            assert_eq!(v["attributes"], json!({ "team": "blue" }));
            assert!(v.get("password_hash").is_none());
        }),
        case(
            "PATCH",
            "/users/bob",
            Some(json!({ "disabled": true })),
            200,
            |v| assert_eq!(v["disabled"], true),
        ),
        case("POST", "/users/bob/password", Some(json!({})), 200, |v| {
            assert_eq!(v["username"], "bob");
            assert_eq!(v["password"].as_str().map(str::len), Some(20), "{v}");
        }),
        case("POST", "/users/bob/reset-mfa", None, 200, |v| {
            assert_eq!(v["removed"]["totp"], false)
        }),
        case(
            "PUT",
            "/users/alice/attributes/team",
            Some(json!({ "value": "red" })),
            200,
            |v| assert_eq!(v["value"], "red"),
        ),
        case("DELETE", "/users/alice/attributes/team", None, 200, |v| {
            assert_eq!(v["removed"], "team")
        }),
        case("GET", "/groups", None, 200, |v| {
            assert_eq!(names(v, "groups", "name"), ["staff"])
        }),
        case(
            "POST",
            "/groups",
            Some(json!({ "name": "ops" })),
            201,
            |v| {
                assert_eq!(v["name"], "ops");
                assert_eq!(v["members"], json!([]));
            },
        ),
        case("GET", "/groups/staff", None, 200, |v| {
            assert_eq!(v["members"], json!(["alice"]))
        }),
        case(
            "POST",
            "/groups/ops/members",
            Some(json!({ "usernames": ["alice"] })),
            200,
            |v| assert_eq!(v["added"], json!(["alice"])),
        ),
        case("DELETE", "/groups/ops/members/alice", None, 200, |v| {
            assert_eq!(v["removed"], json!(["alice"]))
        }),
        case("GET", "/clients", None, 200, |v| {
            assert_eq!(names(v, "clients", "client_id"), ["app"])
        }),
        case(
            "POST",
            "/clients",
            Some(json!({ "client_id": "wiki", "redirect_uris": ["https://wiki.example/cb"] })),
            201,
            |v| {
                assert_eq!(v["client_id"], "wiki");
                assert_eq!(v["id_token_alg"], "RS256", "the CLI's default");
                assert_eq!(v["client_secret"].as_str().map(str::len), Some(43), "{v}");
            },
        ),
        case("GET", "/clients/app", None, 200, |v| {
            assert_eq!(v["client_id"], "app");
            assert!(v.get("client_secret").is_none(), "{v}");
        }),
        case(
            "PATCH",
            "/clients/app",
            Some(json!({ "name": "The App", "allowed_groups": ["staff"] })),
            200,
            |v| {
                assert_eq!(v["name"], "The App");
                assert_eq!(v["allowed_groups"], json!(["staff"]));
            },
        ),
        case("POST", "/clients/app/rotate-secret", None, 200, |v| {
            assert_eq!(v["client_secret"].as_str().map(str::len), Some(43), "{v}")
        }),
        case("GET", "/apis", None, 200, |v| {
            assert_eq!(names(v, "apis", "identifier"), ["https://api.example.com"])
        }),
        case(
            "POST",
            "/apis",
            Some(
                json!({ "identifier": "https://billing.example.com", "scopes": ["pay=Pay bills"] }),
            ),
            201,
            |v| assert_eq!(v["scopes"][0]["description"], "Pay bills"),
        ),
        case("GET", format!("/apis/{API}"), None, 200, |v| {
            assert_eq!(v["identifier"], "https://api.example.com")
        }),
        case(
            "POST",
            format!("/apis/{API}/scopes"),
            Some(json!({ "scope": "write" })),
            201,
            |v| assert_eq!(names(v, "scopes", "scope"), ["read", "write"]),
        ),
        case(
            "PUT",
            format!("/apis/{API}/grants/app"),
            Some(json!({ "scopes": ["read"] })),
            200,
            |v| assert_eq!(v["scopes"], json!(["read"])),
        ),
        case(
            "DELETE",
            format!("/apis/{API}/grants/app?scopes=read"),
            None,
            200,
            |v| assert_eq!(v["scopes"], json!([])),
        ),
        case(
            "DELETE",
            format!("/apis/{API}/scopes/write"),
            None,
            200,
            |v| assert_eq!(names(v, "scopes", "scope"), ["read"]),
        ),
        case("GET", "/keys", None, 200, |v| {
            assert!(names(v, "keys", "status").iter().all(|s| s == "active"))
        }),
        case("GET", format!("/keys/{kid}"), None, 200, |v| {
            assert_eq!(v["status"], "active");
            assert!(v.get("private").is_none() && v.get("pem").is_none(), "{v}");
        }),
        case(
            "POST",
            "/keys/rotate",
            Some(json!({ "alg": "ES256" })),
            200,
            |v| assert_eq!(names(v, "keys", "alg"), ["ES256"]),
        ),
        case("GET", "/sessions", None, 200, |v| {
            assert_eq!(names(v, "sessions", "username"), ["alice"])
        }),
        case("DELETE", format!("/sessions/{sid}"), None, 200, |v| {
            assert_eq!(v["ended"]["username"], "alice")
        }),
        case("GET", "/audit?limit=5", None, 200, |v| {
            assert_eq!(v["events"].as_array().map(Vec::len), Some(5));
            assert!(v["next"].is_string());
        }),
        case(
            "DELETE",
            "/apis/https%3A%2F%2Fbilling.example.com",
            None,
            200,
            |v| assert_eq!(v["removed"], "https://billing.example.com"),
        ),
        case("DELETE", "/clients/wiki", None, 200, |v| {
            assert_eq!(v["removed"], "wiki")
        }),
        case("DELETE", "/groups/ops", None, 200, |v| {
            assert_eq!(v["removed"], "ops")
        }),
        case("DELETE", "/users/bob", None, 200, |v| {
            assert_eq!(v["removed"], "bob")
        }),
    ]
}

#[tokio::test]
async fn every_endpoint_refuses_a_missing_revoked_wrong_or_malformed_key_with_401_and_changes_nothing()
 {
    let app = world().await;
    let revoked = revoked_key(&app, "old");
    let wrong = format!("lka_{}", latchkey::crypto::random::token());
    let before = audit_rows(&app);

    for c in every_endpoint(&app) {
        for (what, key) in [
            ("missing", None),
            ("revoked", Some(revoked.as_str())),
            ("wrong", Some(wrong.as_str())),
            ("malformed", Some("not-a-key")),
        ] {
            let a = call(&app, c.method, &c.path, key, c.body.clone()).await;
            assert_eq!(
                a.status, 401,
                "{} {} with a {what} key: {}",
                c.method, c.path, a.body
            );
            a.expect_unauthorized();
        }
    }

    assert_eq!(audit_rows(&app), before, "nothing was done");
    let bob = app.store.read(|c| users::find_user_by_username(c, "bob"));
    assert!(bob.unwrap().is_none());
    assert!(signed_in_as_alice(&app).await);
}

#[tokio::test]
async fn every_endpoint_answers_a_valid_key_with_its_json() {
    let app = world().await;
    let k = key(&app, "ci");

    for c in every_endpoint(&app) {
        let a = call(&app, c.method, &c.path, Some(&k), c.body.clone()).await;
        assert_eq!(a.status, c.status, "{} {}: {}", c.method, c.path, a.body);
        (c.check)(&a.body);
    }
    assert!(!signed_in_as_alice(&app).await, "DELETE /sessions ended it");
}

/// Whether alice's session (in the app's cookie jar) still signs her in.
async fn signed_in_as_alice(app: &TestApp) -> bool {
    browse(app, "/account").await.status() == 200
}

#[tokio::test]
async fn an_expired_key_is_refused_and_one_that_has_not_expired_yet_is_not() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let k = key_at(&app, "short", latchkey::clock::Clock::now(&clock), Some(60));

    call(&app, "GET", "/users", Some(&k), None)
        .await
        .expect(200);
    clock.advance(59);
    call(&app, "GET", "/users", Some(&k), None)
        .await
        .expect(200);
    clock.advance(1);
    call(&app, "GET", "/users", Some(&k), None)
        .await
        .expect_unauthorized();
}

#[tokio::test]
async fn an_admins_session_cookie_does_not_open_the_api() {
    let app = spawn_oidc_app().await;
    add_root(&app);
    sign_in(&app, "root").await;
    assert_eq!(browse(&app, "/admin").await.status(), 200, "the pages do");

    let res = app
        .client
        .get(app.url(&format!("{V1}/users")))
        .send()
        .await
        .unwrap();

    answer(res).await.expect_unauthorized();
}

#[tokio::test]
async fn the_bearer_scheme_is_matched_in_any_case_and_other_schemes_are_refused() {
    let app = spawn_oidc_app().await;
    let k = key(&app, "ci");
    let url = app.url(&format!("{V1}/users"));
    for (header, status) in [
        (format!("bearer {k}"), 200),
        (format!("BEARER {k}"), 200),
        (format!("Basic {k}"), 401),
        (k.clone(), 401),
    ] {
        let res = plain_client()
            .get(&url)
            .header("Authorization", header.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(answer(res).await.status, status, "{header}");
    }
}

#[tokio::test]
async fn a_key_records_when_it_was_last_used() {
    let app = spawn_oidc_app().await;
    let k = key(&app, "ci");
    let used = |app: &TestApp| {
        app.store
            .read(|c| latchkey::store::admin_keys::get_admin_key(c, "ci"))
            .unwrap()
            .last_used_at
    };
    assert_eq!(used(&app), None);

    call(&app, "GET", "/groups", Some(&k), None)
        .await
        .expect(200);

    assert!(used(&app).is_some());
}
