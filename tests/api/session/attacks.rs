//! Attacks on the browser session (RFC 9700 §4.x, OWASP session management): fixation,
//! reuse after idle timeout, absolute lifetime or logout, and cookie attributes.

use crate::support::*;
use latchkey::crypto::random;
use latchkey::store::{sessions, users};
use reqwest::Response;

/// GET /account with only the session cookie `name=value`: true when that session is alive.
async fn session_alive(app: &TestApp, name: &str, value: &str) -> bool {
    let res = plain_client()
        .get(app.url("/account"))
        .header("Cookie", format!("{name}={value}"))
        .send()
        .await
        .expect("GET /account");
    match res.status().as_u16() {
        200 => true,
        303 => {
            assert!(location(&res).starts_with("/login"), "{}", location(&res));
            false
        }
        s => panic!("GET /account answered {s}"),
    }
}

#[tokio::test]
async fn session_fixation_fails_because_login_and_reauthentication_issue_a_new_id() {
    let app = spawn_oidc_app().await;
    add_client(&app, &app_spec());
    // A session id planted by an attacker before login is not adopted.
    let planted = random::token();
    let http = plain_client();
    let page = http
        .get(app.url("/login"))
        .header("Cookie", format!("latchkey_session={planted}"))
        .send()
        .await
        .unwrap();
    let csrf = cookie_value(&page, "latchkey_csrf").expect("a CSRF cookie");
    let res = http
        .post(app.url("/login"))
        .header(
            "Cookie",
            format!("latchkey_session={planted}; latchkey_csrf={csrf}"),
        )
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let issued = cookie_value(&res, "latchkey_session").expect("a session");
    assert_ne!(issued, planted);
    assert!(!session_alive(&app, "latchkey_session", &planted).await);

    // Re-authentication (prompt=login, then max_age=0) replaces the session each time.
    let first = sign_in(&app, "alice").await;
    let mut previous = vec![first];
    for extra in [("prompt", "login"), ("max_age", "0")] {
        let res = browse(&app, &AuthReq::new("app").with(&[extra]).url(&app)).await;
        let login = location(&res);
        assert!(login.starts_with("/login?req="), "{extra:?}: {login}");
        let res = submit_login(&app, &login, "alice", PASSWORD).await;
        assert_eq!(res.status(), 303);
        let new = cookie_value(&res, "latchkey_session").expect("a new session cookie");
        for old in &previous {
            assert_ne!(&new, old, "{extra:?}: a new session id");
            assert!(
                !session_alive(&app, "latchkey_session", old).await,
                "{extra:?}: the old session ended"
            );
        }
        assert!(session_alive(&app, "latchkey_session", &new).await);
        previous.push(new);
    }
}

#[tokio::test]
async fn an_idle_session_cannot_be_used_after_the_timeout() {
    let clock = clock_now();
    let app = spawn_at(&clock, |s| {
        s.session_idle_timeout_secs = 600;
        s.session_max_lifetime_secs = 3600;
    })
    .await;
    let cookie = sign_in(&app, "alice").await;
    clock.advance(590);
    assert!(session_alive(&app, "latchkey_session", &cookie).await);
    clock.advance(590);
    assert!(
        session_alive(&app, "latchkey_session", &cookie).await,
        "use restarts the idle clock"
    );
    clock.advance(601);
    assert!(
        !session_alive(&app, "latchkey_session", &cookie).await,
        "idle longer than the timeout"
    );
}

#[tokio::test]
async fn a_session_in_use_still_ends_at_its_absolute_lifetime() {
    let clock = clock_now();
    let app = spawn_at(&clock, |s| {
        s.session_idle_timeout_secs = 600;
        s.session_max_lifetime_secs = 3600;
    })
    .await;
    let cookie = sign_in(&app, "alice").await;
    for _ in 0..7 {
        clock.advance(500);
        assert!(session_alive(&app, "latchkey_session", &cookie).await);
    }
    clock.advance(100);
    assert!(
        !session_alive(&app, "latchkey_session", &cookie).await,
        "3,600 seconds after sign-in"
    );
}

#[tokio::test]
async fn a_session_cookie_replayed_after_logout_is_refused() {
    let app = spawn_oidc_app().await;
    add_client(&app, &app_spec());
    let hash_in_db = |cookie: &str| {
        let hash = random::hash_token(cookie);
        app.store
            .read(|c| sessions::find_session_by_secret(c, &hash))
            .unwrap()
            .is_some()
    };
    // By the logout confirmation.
    let cookie = sign_in(&app, "alice").await;
    assert!(hash_in_db(&cookie));
    let html = browse(&app, "/logout").await.text().await.unwrap();
    let csrf = hidden(&html, "csrf_token").expect("confirmation form");
    let res = app
        .client
        .post(app.url("/logout"))
        .form(&[("confirm", "yes"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(!hash_in_db(&cookie), "the row is gone");
    assert!(
        !session_alive(&app, "latchkey_session", &cookie).await,
        "a copy of the cookie is worthless"
    );
    // By "Sign out" on the account page.
    let cookie = sign_in(&app, "alice").await;
    let html = browse(&app, "/account").await.text().await.unwrap();
    let csrf = hidden(&html, "csrf_token").unwrap();
    let sid = hidden(&html, "sid").unwrap();
    let res = app
        .client
        .post(app.url("/account/sessions/end"))
        .form(&[("csrf_token", csrf.as_str()), ("sid", sid.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(!hash_in_db(&cookie));
    assert!(!session_alive(&app, "latchkey_session", &cookie).await);
    // By RP-initiated logout with an id_token_hint.
    let secret = add_client(
        &app,
        &ClientSpec {
            client_id: "rp",
            skip_consent: true,
            ..Default::default()
        },
    )
    .unwrap();
    let t = tokens(&app, "rp", Some(&secret), &[]).await;
    let sessions_before = app
        .store
        .read(|c| {
            let alice = users::get_user_by_username(c, "alice")?;
            sessions::list_user_sessions(c, alice.id)
        })
        .unwrap();
    assert_eq!(sessions_before.len(), 1);
    let url = format!(
        "/logout?{}",
        serde_urlencoded::to_string([("id_token_hint", str_of(&t, "id_token"))]).unwrap()
    );
    assert_eq!(browse(&app, &url).await.status(), 200);
    let sessions_after = app
        .store
        .read(|c| {
            let alice = users::get_user_by_username(c, "alice")?;
            sessions::list_user_sessions(c, alice.id)
        })
        .unwrap();
    assert!(sessions_after.is_empty(), "{sessions_after:?}");
}

/// Attribute names (lower case) and values of one Set-Cookie header.
fn cookie_attributes(cookie: &str) -> Vec<(String, String)> {
    cookie
        .split(';')
        .skip(1)
        .map(|a| {
            let (k, v) = a.split_once('=').unwrap_or((a, ""));
            (k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase())
        })
        .collect()
}

fn cookie_named(res: &Response, name: &str) -> String {
    set_cookies(res)
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", set_cookies(res)))
}

#[tokio::test]
async fn session_cookies_are_httponly_samesite_and_host_only() {
    let app = spawn_oidc_app().await;
    let page = plain_client().get(app.url("/login")).send().await.unwrap();
    let csrf_cookie = cookie_named(&page, "latchkey_csrf");
    let res = submit_login(&app, "/login", "alice", PASSWORD).await;
    let session_cookie = cookie_named(&res, "latchkey_session");
    for (what, cookie, same_site) in [
        ("session", &session_cookie, &["lax"][..]),
        ("csrf", &csrf_cookie, &["lax", "strict"][..]),
    ] {
        let attrs = cookie_attributes(cookie);
        let has = |k: &str| attrs.iter().any(|(n, _)| n == k);
        let value = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert!(has("httponly"), "{what}: {cookie}");
        assert!(
            value("samesite").is_some_and(|v| same_site.contains(&v.as_str())),
            "{what}: {cookie}"
        );
        assert_eq!(value("path").as_deref(), Some("/"), "{what}: {cookie}");
        assert!(!has("domain"), "{what}: host-only: {cookie}");
    }
}

#[tokio::test]
async fn session_cookies_are_secure_and_host_prefixed_with_an_https_issuer() {
    let app = spawn_oidc_app_with(|s| s.issuer = "https://login.example".into()).await;
    let http = plain_client();
    let page = http.get(app.url("/login")).send().await.unwrap();
    let csrf_cookie = cookie_named(&page, "__Host-latchkey_csrf");
    let csrf = cookie_value(&page, "__Host-latchkey_csrf").unwrap();
    let res = http
        .post(app.url("/login"))
        .header("Cookie", format!("__Host-latchkey_csrf={csrf}"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session_cookie = cookie_named(&res, "__Host-latchkey_session");
    assert!(
        set_cookies(&res).iter().all(|c| c.starts_with("__Host-")),
        "every cookie has the prefix: {:?}",
        set_cookies(&res)
    );
    for cookie in [&csrf_cookie, &session_cookie] {
        let attrs = cookie_attributes(cookie);
        let has = |k: &str| attrs.iter().any(|(n, _)| n == k);
        assert!(has("secure") && has("httponly"), "{cookie}");
        assert!(!has("domain"), "{cookie}");
        assert!(
            attrs.iter().any(|(n, v)| n == "path" && v == "/"),
            "{cookie}"
        );
    }
    let value = cookie_value(&res, "__Host-latchkey_session").unwrap();
    assert!(session_alive(&app, "__Host-latchkey_session", &value).await);
    // The same value under the unprefixed name (which a sibling subdomain or a plain-http
    // attacker could set) is ignored.
    assert!(!session_alive(&app, "latchkey_session", &value).await);
}
