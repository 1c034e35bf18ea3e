//! The login and consent pages (issue 3): one answer for every bad sign-in, CSRF and
//! cross-origin protection, session cookies and fixation, remembered consent.
//! prompt=login and max_age=1 with a later auth_time: conformance_basic.rs
//! (`oidcc_prompt_login_...`, `oidcc_max_age_1_...`).

use crate::support::*;
use latchkey::store::users;
use reqwest::Response;

/// The login page of a fresh authorization request: (path, csrf token, req handle).
async fn login_page(app: &TestApp) -> (String, String, String) {
    let res = browse(app, &AuthReq::new("app").url(app)).await;
    assert_eq!(res.status(), 303);
    let path = location(&res);
    assert!(path.starts_with("/login?req="), "{path}");
    let html = browse(app, &path).await.text().await.unwrap();
    let csrf = hidden(&html, "csrf_token").expect("csrf token");
    let req = hidden(&html, "req").expect("req");
    (path, csrf, req)
}

async fn post_login(app: &TestApp, form: &[(&str, &str)]) -> Response {
    app.client
        .post(app.url("/login"))
        .form(form)
        .send()
        .await
        .expect("POST /login")
}

fn sets_session(res: &Response) -> bool {
    set_cookies(res)
        .iter()
        .any(|c| c.contains("latchkey_session=") && !c.contains("latchkey_session=;"))
}

/// Attribute names and values of one Set-Cookie header, lower-cased names.
fn attributes(cookie: &str) -> Vec<(String, String)> {
    cookie
        .split(';')
        .skip(1)
        .map(|a| {
            let (k, v) = a.split_once('=').unwrap_or((a, ""));
            (k.trim().to_ascii_lowercase(), v.trim().to_owned())
        })
        .collect()
}

fn has_attr(cookie: &str, name: &str, value: Option<&str>) -> bool {
    attributes(cookie)
        .iter()
        .any(|(k, v)| k == name && value.is_none_or(|want| v.eq_ignore_ascii_case(want)))
}

#[tokio::test]
async fn login_with_wrong_password_unknown_user_or_disabled_user_gives_the_same_401_page() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    let carol = add_user(&app, "carol", "carol@example.com", Some("Carol"));
    app.store
        .write(|c| users::update_user_disabled(c, carol.id, true, 1_700_000_100))
        .expect("disable carol");
    let (_, csrf, req) = login_page(&app).await;

    let mut bodies = Vec::new();
    for (user, pw) in [
        ("alice", "wrong password"),
        ("nobody", PASSWORD),
        ("carol", PASSWORD),
    ] {
        let res = post_login(
            &app,
            &[
                ("username", user),
                ("password", pw),
                ("csrf_token", &csrf),
                ("req", &req),
            ],
        )
        .await;
        assert_eq!(res.status(), 401, "{user}");
        assert!(res.headers().get("location").is_none(), "{user}");
        assert!(!sets_session(&res), "{user}: no session on failure");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("Invalid username or password"),
            "{user}: {html}"
        );
        let fresh_csrf = hidden(&html, "csrf_token").expect("csrf on the re-rendered page");
        let normalized = html
            .replace(&fresh_csrf, "CSRF")
            .replace(&format!("value=\"{user}\""), "value=\"USER\"");
        assert!(
            !normalized.contains(user),
            "{user} appears only in the username field"
        );
        bodies.push((user, normalized));
    }
    for (user, body) in &bodies[1..] {
        assert_eq!(
            *body, bodies[0].1,
            "the page for {user} differs from the one for alice"
        );
    }
}

#[tokio::test]
async fn login_post_without_or_with_a_wrong_csrf_token_is_refused_and_creates_no_session() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    );
    let (_, csrf, req) = login_page(&app).await;
    let wrong = latchkey::crypto::random::token();
    for form in [
        vec![
            ("username", "alice"),
            ("password", PASSWORD),
            ("req", req.as_str()),
        ],
        vec![
            ("username", "alice"),
            ("password", PASSWORD),
            ("req", req.as_str()),
            ("csrf_token", wrong.as_str()),
        ],
    ] {
        let res = post_login(&app, &form).await;
        assert_eq!(res.status(), 403);
        assert!(!sets_session(&res));
    }
    // A fresh browser with no CSRF cookie at all, sending the token it saw elsewhere.
    let res = fresh_browser()
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("req", req.as_str()),
            ("csrf_token", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(!sets_session(&res));
    // Still no session: prompt=none gets login_required.
    let res = browse(&app, &AuthReq::new("app").set("prompt", "none").url(&app)).await;
    assert_redirect_error(&app, &res, "login_required", Some(STATE));
}

#[tokio::test]
async fn login_post_from_another_origin_is_refused() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    );
    let (_, csrf, req) = login_page(&app).await;
    let form = [
        ("username", "alice"),
        ("password", PASSWORD),
        ("req", req.as_str()),
        ("csrf_token", csrf.as_str()),
    ];
    for (name, value) in [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ] {
        let res = app
            .client
            .post(app.url("/login"))
            .header(name, value)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{name}: {value}");
        assert!(!sets_session(&res));
    }
    let res = browse(&app, &AuthReq::new("app").set("prompt", "none").url(&app)).await;
    assert_redirect_error(&app, &res, "login_required", Some(STATE));
    // The same form from our own origin works.
    let res = app
        .client
        .post(app.url("/login"))
        .header("Origin", app.settings.issuer.as_str())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(sets_session(&res));
}

#[tokio::test]
async fn successful_login_sets_an_httponly_samesite_lax_session_cookie_for_path_root() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    let (path, _, req) = login_page(&app).await;
    let res = submit_login(&app, &path, "alice", PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        format!("/authorize/resume?req={req}"),
        "back to the pending request"
    );
    let cookie = set_cookies(&res)
        .into_iter()
        .find(|c| c.starts_with("latchkey_session="))
        .expect("a session cookie");
    assert!(has_attr(&cookie, "httponly", None), "{cookie}");
    assert!(has_attr(&cookie, "samesite", Some("lax")), "{cookie}");
    assert!(has_attr(&cookie, "path", Some("/")), "{cookie}");
    assert!(
        !has_attr(&cookie, "domain", None),
        "a host-only cookie: {cookie}"
    );
    let value = cookie_value(&res, "latchkey_session").unwrap();
    assert!(value.len() >= 43, "the session id has >= 256 bits: {value}");
}

#[tokio::test]
async fn with_an_https_issuer_cookies_are_secure_and_use_the_host_prefix() {
    let app = spawn_oidc_app_with(|s| s.issuer = "https://login.example".into()).await;
    let http = plain_client();
    let page = http.get(app.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csrf_cookie = set_cookies(&page)
        .into_iter()
        .find(|c| c.contains("latchkey_csrf="))
        .expect("a CSRF cookie");
    assert!(
        csrf_cookie.starts_with("__Host-latchkey_csrf="),
        "{csrf_cookie}"
    );
    assert!(has_attr(&csrf_cookie, "secure", None), "{csrf_cookie}");
    assert!(has_attr(&csrf_cookie, "path", Some("/")), "{csrf_cookie}");
    assert!(!has_attr(&csrf_cookie, "domain", None), "{csrf_cookie}");
    let token = cookie_value(&page, "__Host-latchkey_csrf").unwrap();
    let html = page.text().await.unwrap();
    assert_eq!(hidden(&html, "csrf_token").as_deref(), Some(token.as_str()));

    let res = http
        .post(app.url("/login"))
        .header("Cookie", format!("__Host-latchkey_csrf={token}"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let cookie = set_cookies(&res)
        .into_iter()
        .find(|c| c.contains("latchkey_session="))
        .expect("a session cookie");
    assert!(cookie.starts_with("__Host-latchkey_session="), "{cookie}");
    for attr in ["secure", "httponly"] {
        assert!(has_attr(&cookie, attr, None), "{attr}: {cookie}");
    }
    assert!(has_attr(&cookie, "samesite", Some("lax")), "{cookie}");
    assert!(has_attr(&cookie, "path", Some("/")), "{cookie}");
    assert!(!has_attr(&cookie, "domain", None), "{cookie}");
}

#[tokio::test]
async fn every_login_gets_a_new_session_id_and_ends_the_old_session() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    );
    let first = sign_in(&app, "alice").await;
    let second = sign_in(&app, "alice").await;
    assert_ne!(first, second, "a fresh session id on every login");
    let silent = |cookie: String| {
        let url = AuthReq::new("app").set("prompt", "none").url(&app);
        async move {
            plain_client()
                .get(url)
                .header("Cookie", format!("latchkey_session={cookie}"))
                .send()
                .await
                .unwrap()
        }
    };
    let res = silent(first).await;
    assert_redirect_error(&app, &res, "login_required", Some(STATE));
    let res = silent(second).await;
    let loc = location(&res);
    assert!(
        query_param_present(&loc, "code"),
        "the new session works: {loc}"
    );
}

fn query_param_present(url: &str, name: &str) -> bool {
    crate::support::query_param(url, name).is_some()
}

#[tokio::test]
async fn a_session_id_chosen_by_an_attacker_is_not_adopted() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    );
    let planted = latchkey::crypto::random::token();
    let http = plain_client();
    let page = http
        .get(app.url("/login"))
        .header("Cookie", format!("latchkey_session={planted}"))
        .send()
        .await
        .unwrap();
    let csrf = cookie_value(&page, "latchkey_csrf").unwrap();
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
    let issued = cookie_value(&res, "latchkey_session").expect("a session cookie");
    assert_ne!(issued, planted);
}

#[tokio::test]
async fn consent_page_names_the_client_and_the_scopes_in_plain_words() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    let res = browse(
        &app,
        &AuthReq::new("app").set("scope", "openid email").url(&app),
    )
    .await;
    let res = submit_login(&app, &location(&res), "alice", PASSWORD).await;
    let res = browse(&app, &location(&res)).await;
    let consent = location(&res);
    assert!(consent.starts_with("/consent?req="), "{consent}");
    let page = browse(&app, &consent).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("The app app"), "{html}");
    assert!(html.to_lowercase().contains("email address"), "{html}");
    assert!(html.contains(r#"name="decision" value="allow""#), "{html}");
    assert!(html.contains(r#"name="decision" value="deny""#), "{html}");
}

#[tokio::test]
async fn consent_post_without_a_valid_csrf_token_is_refused() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    let res = browse(&app, &AuthReq::new("app").url(&app)).await;
    let res = submit_login(&app, &location(&res), "alice", PASSWORD).await;
    let consent = location(&browse(&app, &location(&res)).await);
    let html = browse(&app, &consent).await.text().await.unwrap();
    let req = hidden(&html, "req").unwrap();
    let res = app
        .client
        .post(app.url("/consent"))
        .form(&[
            ("decision", "allow"),
            ("req", req.as_str()),
            ("csrf_token", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.headers().get("location").is_none());
}

#[tokio::test]
async fn consent_denied_sends_access_denied_to_the_client() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    let res = browse(&app, &AuthReq::new("app").url(&app)).await;
    let res = submit_login(&app, &location(&res), "alice", PASSWORD).await;
    let consent = location(&browse(&app, &location(&res)).await);
    assert!(consent.starts_with("/consent"), "{consent}");
    let res = submit_consent(&app, &consent, "deny").await;
    assert_redirect_error(&app, &res, "access_denied", Some(STATE));
    // Nothing was remembered: the next silent request still needs consent.
    let res = browse(&app, &AuthReq::new("app").set("prompt", "none").url(&app)).await;
    assert_redirect_error(&app, &res, "consent_required", Some(STATE));
}

#[tokio::test]
async fn consent_is_remembered_for_the_same_scopes() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    let req = AuthReq::new("app").set("scope", "openid profile email");
    let first = authorize_as(&app, &req.url(&app), "alice").await;
    assert!(first.saw("/consent"), "{first:?}");
    for scope in ["openid profile email", "openid email", "openid"] {
        let res = browse(&app, &AuthReq::new("app").set("scope", scope).url(&app)).await;
        assert_eq!(res.status(), 302, "{scope}");
        let loc = location(&res);
        assert!(
            loc.starts_with(REDIRECT_URI) && query_param_present(&loc, "code"),
            "{scope}: no consent page again: {loc}"
        );
    }
}

#[tokio::test]
async fn consent_is_asked_again_with_prompt_consent_or_new_scopes() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    authorize_as(&app, &AuthReq::new("app").url(&app), "alice").await;
    let res = browse(
        &app,
        &AuthReq::new("app").set("prompt", "consent").url(&app),
    )
    .await;
    assert!(
        location(&res).starts_with("/consent"),
        "prompt=consent: {}",
        location(&res)
    );
    let res = browse(
        &app,
        &AuthReq::new("app").set("scope", "openid email").url(&app),
    )
    .await;
    assert!(
        location(&res).starts_with("/consent"),
        "new scope: {}",
        location(&res)
    );
    // Allowing the new scope keeps the old ones too.
    let j = authorize_as(
        &app,
        &AuthReq::new("app").set("scope", "openid email").url(&app),
        "alice",
    )
    .await;
    assert!(j.saw("/consent"));
    let res = browse(
        &app,
        &AuthReq::new("app").set("scope", "openid email").url(&app),
    )
    .await;
    assert!(query_param_present(&location(&res), "code"));
}

#[tokio::test]
async fn a_skip_consent_client_never_shows_the_consent_page() {
    let app = spawn_oidc_app().await;
    let secret = add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    )
    .unwrap();
    let j = authorize_as(
        &app,
        &AuthReq::new("app").set("scope", "openid profile").url(&app),
        "alice",
    )
    .await;
    assert!(j.saw("/login"));
    assert!(!j.saw("/consent"), "{j:?}");
    let req = AuthReq::new("app").set("scope", "openid profile email offline_access");
    let j = authorize_as(&app, &req.url(&app), "alice").await;
    assert!(j.visited.is_empty(), "straight back to the client: {j:?}");
    exchange(&app, "app", Some(&secret), &j.code(), Some(&req.verifier)).await;
}

#[tokio::test]
async fn the_pending_request_survives_login_and_consent_without_retyping() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    let req = AuthReq::new("app")
        .set("scope", "openid profile")
        .set("max_age", "3600");
    let j = authorize_as(&app, &req.url(&app), "alice").await;
    assert!(j.saw("/login") && j.saw("/consent"), "{j:?}");
    assert_eq!(j.param("state").as_deref(), Some(STATE));
    let t = exchange(&app, "app", Some(&secret), &j.code(), Some(&req.verifier)).await;
    let id = jwt_claims(str_of(&t, "id_token"));
    assert_eq!(id["nonce"], NONCE);
    assert_eq!(str_of(&t, "scope"), "openid profile");
}

#[tokio::test]
async fn an_unknown_pending_request_handle_shows_an_error_page() {
    let app = spawn_oidc_app().await;
    for path in [
        "/login?req=nope",
        "/consent?req=nope",
        "/authorize/resume?req=nope",
    ] {
        let res = browse(&app, path).await;
        assert_eq!(res.status(), 400, "{path}");
        assert!(res.headers().get("location").is_none(), "{path}");
    }
}

#[tokio::test]
async fn max_age_0_forces_a_new_login_even_within_the_same_second() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let secret = add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    )
    .unwrap();
    let first = tokens(&app, "app", Some(&secret), &[]).await;
    let first = jwt_claims(str_of(&first, "id_token"));
    // Same second: OIDC Core §3.1.2.1 says max_age=0 is prompt=login.
    let res = browse(&app, &AuthReq::new("app").set("max_age", "0").url(&app)).await;
    assert_eq!(res.status(), 303, "max_age=0 must not reuse the session");
    assert!(location(&res).starts_with("/login"), "{}", location(&res));
    clock.advance(1);
    let req = AuthReq::new("app").set("max_age", "0");
    let j = authorize_as(&app, &req.url(&app), "alice").await;
    assert!(j.saw("/login"));
    let second = exchange(&app, "app", Some(&secret), &j.code(), Some(&req.verifier)).await;
    let second = jwt_claims(str_of(&second, "id_token"));
    assert_eq!(second["sub"], first["sub"]);
    assert!(
        second["auth_time"].as_i64() > first["auth_time"].as_i64(),
        "{first} {second}"
    );
}

#[tokio::test]
async fn prompt_select_account_shows_the_login_page_again() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    );
    sign_in(&app, "alice").await;
    let res = browse(
        &app,
        &AuthReq::new("app")
            .set("prompt", "select_account")
            .url(&app),
    )
    .await;
    assert!(location(&res).starts_with("/login"), "{}", location(&res));
}

#[tokio::test]
async fn a_session_idle_longer_than_the_idle_timeout_needs_a_new_login() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    );
    sign_in(&app, "alice").await;
    let silent = AuthReq::new("app").set("prompt", "none").url(&app);
    clock.advance(app.settings.session_idle_timeout_secs - 60);
    let res = browse(&app, &silent).await;
    assert!(
        query_param_present(&location(&res), "code"),
        "still alive just before the idle timeout"
    );
    // That request counted as use: the idle clock restarts.
    clock.advance(app.settings.session_idle_timeout_secs - 60);
    let res = browse(&app, &silent).await;
    assert!(
        query_param_present(&location(&res), "code"),
        "use keeps the session alive"
    );
    clock.advance(app.settings.session_idle_timeout_secs + 1);
    let res = browse(&app, &silent).await;
    assert_redirect_error(&app, &res, "login_required", Some(STATE));
}

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_even_when_used() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    );
    sign_in(&app, "alice").await;
    let silent = AuthReq::new("app").set("prompt", "none").url(&app);
    let step = app.settings.session_idle_timeout_secs / 2;
    let mut elapsed = 0;
    while elapsed + step < app.settings.session_max_lifetime_secs {
        clock.advance(step);
        elapsed += step;
        let res = browse(&app, &silent).await;
        assert!(
            query_param_present(&location(&res), "code"),
            "alive after {elapsed} s"
        );
    }
    clock.advance(app.settings.session_max_lifetime_secs - elapsed);
    let res = browse(&app, &silent).await;
    assert_redirect_error(&app, &res, "login_required", Some(STATE));
}

#[tokio::test]
async fn a_disabled_users_session_stops_working() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    );
    sign_in(&app, "alice").await;
    let alice = app
        .store
        .read(|c| users::get_user_by_username(c, "alice"))
        .unwrap();
    app.store
        .write(|c| users::update_user_disabled(c, alice.id, true, 1_700_000_100))
        .unwrap();
    let res = browse(&app, &AuthReq::new("app").set("prompt", "none").url(&app)).await;
    assert_redirect_error(&app, &res, "login_required", Some(STATE));
}

#[tokio::test]
async fn a_pending_request_expires_after_ten_minutes() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    add_client(&app, &ClientSpec::default());
    let res = browse(&app, &AuthReq::new("app").url(&app)).await;
    let login = location(&res);
    let html = browse(&app, &login).await.text().await.unwrap();
    let csrf = hidden(&html, "csrf_token").unwrap();
    let req = hidden(&html, "req").unwrap();
    clock.advance(601);
    assert_eq!(browse(&app, &login).await.status(), 400);
    let res = post_login(
        &app,
        &[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
            ("req", &req),
        ],
    )
    .await;
    assert_eq!(res.status(), 400, "an expired request cannot be completed");
    assert!(res.headers().get("location").is_none());
}

/// The `form-action` sources of a response's CSP.
fn form_action(res: &Response) -> Vec<String> {
    let csp = header(res, "content-security-policy").expect("a CSP");
    csp.split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("form-action "))
        .unwrap_or_else(|| panic!("no form-action in {csp}"))
        .split(' ')
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn login_and_consent_pages_let_their_form_redirect_to_the_client_and_cannot_be_framed() {
    let app = spawn_oidc_app().await;
    add_client(&app, &ClientSpec::default());
    let res = browse(&app, &AuthReq::new("app").url(&app)).await;
    let login = location(&res);
    let page = browse(&app, &login).await;
    // Browsers apply form-action to the redirects that follow a form POST.
    assert!(
        form_action(&page).contains(&"http://127.0.0.1:9".to_owned()),
        "{:?}",
        form_action(&page)
    );
    let csp = header(&page, "content-security-policy").unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(header(&page, "x-frame-options").as_deref(), Some("DENY"));
    assert_no_store(&page);
    let res = submit_login(&app, &login, "alice", PASSWORD).await;
    let consent = location(&browse(&app, &location(&res)).await);
    let page = browse(&app, &consent).await;
    assert!(
        form_action(&page).contains(&"http://127.0.0.1:9".to_owned()),
        "{:?}",
        form_action(&page)
    );
    assert_eq!(header(&page, "x-frame-options").as_deref(), Some("DENY"));
}

/// Under `Referrer-Policy: no-referrer` real browsers send `Origin: null` on same-origin form
/// POSTs (found by the Chromium end-to-end suite): that must still sign in, while the same
/// header from another site (Sec-Fetch-Site) is refused.
#[tokio::test]
async fn login_post_with_origin_null_from_our_own_page_is_accepted_but_not_from_another_site() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    );
    let (_, csrf, req) = login_page(&app).await;
    let form = [
        ("username", "alice"),
        ("password", PASSWORD),
        ("req", req.as_str()),
        ("csrf_token", csrf.as_str()),
    ];
    for site in ["cross-site", "same-site"] {
        let res = app
            .client
            .post(app.url("/login"))
            .header("Origin", "null")
            .header("Sec-Fetch-Site", site)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "Origin null from {site}");
        assert!(!sets_session(&res));
    }
    let res = app
        .client
        .post(app.url("/login"))
        .header("Origin", "null")
        .header("Sec-Fetch-Site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        303,
        "a real browser's same-origin POST signs in"
    );
    assert!(sets_session(&res));
}
