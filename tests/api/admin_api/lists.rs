//! Long lists a page at a time: the user search, all active sessions, the audit log's filters.

use super::*;
use latchkey::store::{sessions, users};
use serde_json::json;

/// Insert users directly (no password hashing: they never sign in).
fn insert_users(app: &TestApp, list: &[(String, String, Option<String>)]) {
    app.store
        .write(|c| {
            for (username, email, name) in list {
                users::insert_user(
                    c,
                    &users::NewUser {
                        subject: &uuid::Uuid::new_v4().to_string(),
                        username,
                        email,
                        email_verified: false,
                        name: name.as_deref(),
                        password_hash: "x",
                        is_admin: false,
                    },
                    1_700_000_000,
                )?;
            }
            Ok::<_, latchkey::store::StoreError>(())
        })
        .expect("insert users");
}

fn user(username: &str, email: &str, name: Option<&str>) -> (String, String, Option<String>) {
    (username.into(), email.into(), name.map(Into::into))
}

/// Every username the search `q` finds, following `next` page by page (`limit` a page);
/// checks that every page but the last is full.
async fn search_all(app: &TestApp, k: &str, q: &str, limit: usize) -> Vec<String> {
    let mut found = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/users?limit={limit}&q={}", urlencode(q));
        if let Some(a) = &after {
            path.push_str(&format!("&after={}", urlencode(a)));
        }
        let a = call(app, "GET", &path, Some(k), None).await;
        let body = a.expect(200);
        let page: Vec<String> = body["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect();
        found.extend(page.iter().cloned());
        match body["next"].as_str() {
            Some(n) => {
                assert_eq!(page.len(), limit, "a page before the last is full");
                assert_eq!(Some(n), page.last().map(String::as_str));
                after = Some(n.to_owned());
            }
            None => return found,
        }
    }
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_owned()
}

#[tokio::test]
async fn users_are_found_by_part_of_their_username_email_or_name_in_any_case_in_username_order() {
    let app = spawn_oidc_app().await;
    let k = key(&app, "ci");
    insert_users(
        &app,
        &[
            user("carol", "carol@Example.ORG", Some("Carol Jones")),
            user("dave", "d@corp.example", Some("David Jonesy")),
            user("erin", "erin@corp.example", None),
            user("100%_real", "p@corp.example", None),
        ],
    );

    for (q, expected) in [
        ("JONES", &["carol", "dave"][..]),
        ("example.org", &["carol"][..]),
        ("EXAMPLE.COM", &["alice"][..]),
        ("corp.example", &["100%_real", "dave", "erin"][..]),
        ("aro", &["carol"][..]),
        ("ri", &["erin"][..]),
        ("e", &["100%_real", "alice", "carol", "dave", "erin"][..]),
        ("%", &["100%_real"][..]),
        ("_", &["100%_real"][..]),
        ("%_r", &["100%_real"][..]),
        ("zzz", &[][..]),
        ("  ", &["100%_real", "alice", "carol", "dave", "erin"][..]),
    ] {
        assert_eq!(search_all(&app, &k, q, 50).await, expected, "q={q:?}");
    }
}

#[tokio::test]
async fn paging_through_users_shows_each_once_in_order_common_query_or_rare() {
    let app = spawn_oidc_app().await;
    let k = key(&app, "ci");
    // More matches for "common" than the search index sorts (2,000): it is answered by a scan
    // in username order instead, and must page the same way.
    let many: Vec<_> = (0..2100)
        .map(|i| user(&format!("u{i:04}"), &format!("u{i}@common.example"), None))
        .collect();
    insert_users(&app, &many);
    let expected: Vec<String> = many.iter().map(|u| u.0.clone()).collect();

    let common = search_all(&app, &k, "common", 500).await;
    assert_eq!(common, expected);
    let rare = search_all(&app, &k, "u01", 7).await;
    let want: Vec<String> = expected
        .iter()
        .filter(|u| u.contains("u01"))
        .cloned()
        .collect();
    assert_eq!(rare.len(), 100);
    assert_eq!(rare, want);
    let everyone = search_all(&app, &k, "", 500).await;
    assert_eq!(everyone.len(), 2101, "alice too");
}

#[tokio::test]
async fn a_removed_user_is_no_longer_found_and_a_new_one_is() {
    let app = spawn_oidc_app().await;
    let k = key(&app, "ci");
    let body = json!({ "username": "zora", "email": "zora@example.net" });
    call(&app, "POST", "/users", Some(&k), Some(body))
        .await
        .expect(201);
    assert_eq!(search_all(&app, &k, "example.net", 50).await, ["zora"]);

    call(&app, "DELETE", "/users/zora", Some(&k), None)
        .await
        .expect(200);

    assert!(search_all(&app, &k, "example.net", 50).await.is_empty());
}

#[tokio::test]
async fn active_sessions_are_listed_newest_first_a_page_at_a_time_and_per_user() {
    let app = spawn_oidc_app().await;
    let k = key(&app, "ci");
    add_user(&app, "bob", "bob@example.com", None);
    let now = latchkey::clock::Clock::now(&latchkey::clock::SystemClock);
    app.store
        .write(|c| {
            for (i, who) in ["alice", "bob", "alice"].iter().enumerate() {
                let u = users::get_user_by_username(c, who)?;
                sessions::insert_session(
                    c,
                    &sessions::NewSession {
                        secret_hash: &format!("secret-{i}"),
                        sid: &format!("sid-{i}"),
                        user_id: u.id,
                        auth_time: now,
                        amr: "pwd",
                        expires_at: now + 3600,
                        user_agent: None,
                        ip: None,
                    },
                    now,
                )?;
            }
            Ok::<_, latchkey::store::StoreError>(())
        })
        .unwrap();

    let first = call(&app, "GET", "/sessions?limit=2", Some(&k), None).await;
    let first = first.expect(200).clone();
    let who = |v: &Value| -> Vec<String> {
        v["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["username"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(who(&first), ["alice", "bob"]);
    let next = first["next"].as_str().expect("a next page");
    let second = call(
        &app,
        "GET",
        &format!("/sessions?limit=2&after={next}"),
        Some(&k),
        None,
    )
    .await;
    assert_eq!(who(second.expect(200)), ["alice"]);
    assert!(second.body["next"].is_null());

    let alices = call(&app, "GET", "/sessions?user=alice", Some(&k), None).await;
    assert_eq!(who(alices.expect(200)), ["alice", "alice"]);
    call(&app, "GET", "/sessions?user=nobody", Some(&k), None)
        .await
        .expect_error(404, "not_found");
}

#[tokio::test]
async fn the_audit_log_is_filtered_by_user_app_kind_family_and_time_and_paged() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let k = key(&app, "ci");
    let t0 = latchkey::clock::Clock::now(&clock);
    call(
        &app,
        "POST",
        "/groups",
        Some(&k),
        Some(json!({ "name": "ops" })),
    )
    .await
    .expect(201);
    clock.advance(100);
    let members = json!({ "usernames": ["alice"] });
    call(&app, "POST", "/groups/ops/members", Some(&k), Some(members))
        .await
        .expect(200);
    let client = json!({ "client_id": "wiki", "redirect_uris": ["https://wiki.example/cb"] });
    call(&app, "POST", "/clients", Some(&k), Some(client))
        .await
        .expect(201);
    clock.advance(100);
    call(
        &app,
        "PATCH",
        "/users/alice",
        Some(&k),
        Some(json!({ "disabled": true })),
    )
    .await
    .expect(200);

    let kinds = |path: String| {
        let app = &app;
        let k = &k;
        async move {
            let a = call(app, "GET", &path, Some(k), None).await;
            a.expect(200)["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["kind"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        kinds("/audit?kind=group".into()).await,
        ["group.members_added", "group.created"],
        "a family of kinds"
    );
    assert!(
        kinds("/audit?kind=grou".into()).await.is_empty(),
        "not a prefix match"
    );
    assert_eq!(kinds("/audit?client=wiki".into()).await, ["client.created"]);
    assert_eq!(
        kinds("/audit?user=alice&kind=user".into()).await,
        ["user.disabled"]
    );
    assert_eq!(
        kinds(format!("/audit?since={}&until={}", t0 + 100, t0 + 200)).await,
        ["client.created", "group.members_added"]
    );
    let rfc3339 = time::OffsetDateTime::from_unix_timestamp(t0 + 200)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    assert_eq!(
        kinds(format!("/audit?since={}", urlencode(&rfc3339))).await,
        ["user.disabled"]
    );

    let page = call(&app, "GET", "/audit?limit=2", Some(&k), None).await;
    let page = page.expect(200).clone();
    let next = page["next"].as_str().expect("more");
    let rest = kinds(format!("/audit?limit=2&after={next}")).await;
    assert_eq!(rest, ["group.members_added", "group.created"]);
}
