//! The OAuth 2.0 Device Authorization Grant (RFC 8628): a test client plays the device (asks
//! for codes, polls /token), a cookie-jar HTTP client plays the person's browser (signs in on the
//! login page, enters the code on /device, allows or denies). Time moves by a `FixedClock`.

use crate::support::*;
use latchkey::clock::FixedClock;
use latchkey::store::users;
use reqwest::Response;
use serde_json::Value;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

const ALPHABET: &str = "BCDFGHJKLMNPQRSTVWXZ";

/// A public CLI tool: device_code + refresh_token, no redirect URI.
fn cli_spec(client_id: &'static str) -> ClientSpec {
    ClientSpec {
        client_id,
        public: true,
        grant_types: &[GRANT, "refresh_token"],
        redirect_uris: vec![],
        ..ClientSpec::default()
    }
}

async fn app_with_cli() -> (TestApp, FixedClock) {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    add_client(&app, &cli_spec("cli"));
    (app, clock)
}

/// POST /device_authorization as a public client (client_id in the body).
async fn start(app: &TestApp, client_id: &str, scope: Option<&str>) -> Response {
    let mut form = vec![("client_id", client_id)];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    post_form(app, "/device_authorization", &form, None).await
}

/// A successful device authorization response: 200, JSON, no-store.
async fn start_ok(app: &TestApp, client_id: &str, scope: Option<&str>) -> Value {
    let res = start(app, client_id, scope).await;
    assert_eq!(res.status(), 200);
    assert_no_store(&res);
    res.json().await.expect("JSON")
}

/// One poll of /token by a public client.
async fn poll(app: &TestApp, client_id: &str, device_code: &str) -> Response {
    token_request(
        app,
        &[
            ("grant_type", GRANT),
            ("device_code", device_code),
            ("client_id", client_id),
        ],
        None,
    )
    .await
}

/// The browser signs in as alice on the bare login page.
async fn sign_in_alice(app: &TestApp) {
    sign_in(app, "alice").await;
}

/// Type `typed` on the entry form (the browser must be signed in); returns the answer.
async fn enter_code(app: &TestApp, typed: &str) -> Response {
    let page = browse(app, "/device").await;
    assert_eq!(page.status(), 200, "entry form for a signed-in browser");
    let csrf = hidden(&page.text().await.unwrap(), "csrf_token").expect("csrf on /device");
    app.client
        .post(app.url("/device"))
        .form(&[("user_code", typed), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap()
}

/// Enter the code, then press `decision` on the confirmation page; returns the final answer.
async fn decide(app: &TestApp, user_code: &str, decision: &str) -> Response {
    let confirm = enter_code(app, user_code).await;
    assert_eq!(confirm.status(), 200, "confirmation page");
    let html = confirm.text().await.unwrap();
    let csrf = hidden(&html, "csrf_token").expect("csrf on the confirmation page");
    let code = hidden(&html, "user_code").expect("user_code on the confirmation page");
    app.client
        .post(app.url("/device"))
        .form(&[
            ("user_code", code.as_str()),
            ("csrf_token", &csrf),
            ("decision", decision),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn device_flow_from_code_to_tokens_polls_pending_slow_down_then_issues_once() {
    let (app, _clock) = app_with_cli().await;

    // The device asks for codes.
    let started = start_ok(&app, "cli", Some("openid profile offline_access")).await;
    let user_code = str_of(&started, "user_code").to_owned();
    let device_code = str_of(&started, "device_code").to_owned();
    assert_eq!(user_code.len(), 9, "XXXX-XXXX: {user_code}");
    for (i, ch) in user_code.chars().enumerate() {
        if i == 4 {
            assert_eq!(ch, '-', "{user_code}");
        } else {
            assert!(
                ALPHABET.contains(ch),
                "{ch} of {user_code} is from the alphabet"
            );
        }
    }
    assert!(
        device_code.len() >= 43 && is_base64url(&device_code),
        "device_code is a 256-bit opaque string: {device_code}"
    );
    assert_eq!(
        started["verification_uri"],
        format!("{}/device", app.settings.issuer)
    );
    assert_eq!(
        started["verification_uri_complete"],
        format!("{}/device?user_code={user_code}", app.settings.issuer)
    );
    assert_eq!(started["expires_in"], 600);
    assert_eq!(started["interval"], 5);

    // It polls before the person did anything, then again at once.
    assert_oauth_error(
        poll(&app, "cli", &device_code).await,
        400,
        "authorization_pending",
    )
    .await;
    assert_oauth_error(poll(&app, "cli", &device_code).await, 400, "slow_down").await;

    // The person opens verification_uri_complete, is sent to sign in, and comes back to a
    // form already holding the code.
    let res = browse(&app, str_of(&started, "verification_uri_complete")).await;
    assert_eq!(res.status(), 303, "not signed in yet");
    let login = location(&res);
    assert!(login.starts_with("/login?next="), "{login}");
    let html = browse(&app, &login).await.text().await.unwrap();
    let next = hidden(&html, "next").expect("the login form carries where to go next");
    let csrf = hidden(&html, "csrf_token").unwrap();
    let res = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
            ("next", &next),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/device?user_code={user_code}"));
    let form = browse(&app, &location(&res)).await;
    assert_eq!(form.status(), 200);
    let html = form.text().await.unwrap();
    assert!(
        html.contains(&format!("value=\"{user_code}\"")),
        "the code is pre-filled: {html}"
    );

    // Continue: the confirmation names the app, the code and the scopes.
    let confirm = enter_code(&app, &user_code).await;
    assert_eq!(confirm.status(), 200);
    let html = confirm.text().await.unwrap();
    assert!(html.contains("The cli app"), "app name on the page: {html}");
    assert!(html.contains(&user_code), "user code on the page");
    assert!(
        html.contains("See your name and username"),
        "profile scope described"
    );
    assert!(html.contains("<button type=\"submit\" name=\"decision\" value=\"allow\">"));
    assert!(html.contains("name=\"decision\" value=\"deny\""));

    let res = decide(&app, &user_code, "allow").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Device connected"), "{html}");

    // Tokens, once.
    let tokens = token_ok(poll(&app, "cli", &device_code).await).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "offline_access openid profile");
    assert!(
        tokens["refresh_token"].is_string(),
        "refresh_token grant: {tokens}"
    );
    let alice = app
        .store
        .read(|c| users::get_user_by_username(c, "alice"))
        .unwrap();
    let id = verify_with_jwks(&app, str_of(&tokens, "id_token")).await;
    assert_eq!(id["iss"], app.settings.issuer.as_str());
    assert_eq!(id["aud"], "cli");
    assert_eq!(id["sub"], alice.subject.as_str());
    assert_eq!(
        id["name"], "Alice Example",
        "profile claims in the ID token"
    );
    assert!(id.get("nonce").is_none());
    let access = verify_with_jwks(&app, str_of(&tokens, "access_token")).await;
    assert_eq!(access["aud"], app.settings.endpoint("/userinfo"));
    assert_eq!(access["client_id"], "cli");
    assert_eq!(access["scope"], "offline_access openid profile");
    assert_eq!(access["sub"], alice.subject.as_str());
    let info = userinfo(&app, str_of(&tokens, "access_token")).await;
    assert_eq!(info.status(), 200, "the access token works at userinfo");

    // The device code is spent.
    assert_oauth_error(poll(&app, "cli", &device_code).await, 400, "invalid_grant").await;

    // The refresh token works for the public client.
    let res = token_request(
        &app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_of(&tokens, "refresh_token")),
            ("client_id", "cli"),
        ],
        None,
    )
    .await;
    token_ok(res).await;

    // Approval and issue are audited.
    let approved = audited(&app, "device.approved");
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0].client_id.as_deref(), Some("cli"));
    assert_eq!(approved[0].subject.as_deref(), Some(alice.subject.as_str()));
    assert!(
        audited(&app, "token.issued")
            .iter()
            .any(|e| e.detail.as_deref().is_some_and(|d| d.contains(GRANT))),
        "token.issued names the device grant"
    );
}

#[tokio::test]
async fn slow_down_adds_five_seconds_to_the_interval_every_time() {
    let (app, clock) = app_with_cli().await;
    let started = start_ok(&app, "cli", None).await;
    let dc = str_of(&started, "device_code");

    assert_oauth_error(poll(&app, "cli", dc).await, 400, "authorization_pending").await;
    clock.advance(4);
    let body = assert_oauth_error(poll(&app, "cli", dc).await, 400, "slow_down").await;
    assert!(
        str_of(&body, "error_description").contains("10 seconds"),
        "{body}"
    );
    // 6 s later is enough for the old 5 s interval, not for the new 10 s.
    clock.advance(6);
    assert_oauth_error(poll(&app, "cli", dc).await, 400, "slow_down").await;
    clock.advance(14);
    assert_oauth_error(poll(&app, "cli", dc).await, 400, "slow_down").await;
    clock.advance(20);
    assert_oauth_error(poll(&app, "cli", dc).await, 400, "authorization_pending").await;
}

#[tokio::test]
async fn the_poll_interval_and_lifetime_come_from_the_settings() {
    let clock = clock_now();
    let app = crate::support::spawn_app_with_clock(
        |s| {
            s.device_code_ttl_secs = 900;
            s.device_poll_interval_secs = 2;
        },
        std::sync::Arc::new(clock.clone()),
    )
    .await;
    add_client(&app, &cli_spec("cli"));
    let started = start_ok(&app, "cli", None).await;
    assert_eq!(started["expires_in"], 900);
    assert_eq!(started["interval"], 2);
    let dc = str_of(&started, "device_code");
    assert_oauth_error(poll(&app, "cli", dc).await, 400, "authorization_pending").await;
    clock.advance(2);
    assert_oauth_error(poll(&app, "cli", dc).await, 400, "authorization_pending").await;
}

#[tokio::test]
async fn a_denied_request_gets_access_denied_and_no_tokens() {
    let (app, _clock) = app_with_cli().await;
    let started = start_ok(&app, "cli", None).await;
    sign_in_alice(&app).await;
    let res = decide(&app, str_of(&started, "user_code"), "deny").await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Request denied"));

    let dc = str_of(&started, "device_code");
    assert_oauth_error(poll(&app, "cli", dc).await, 400, "access_denied").await;
    assert_eq!(audited(&app, "device.denied").len(), 1);
    assert!(audited(&app, "token.issued").is_empty());

    // The user code is spent: it cannot be approved afterwards.
    let res = enter_code(&app, str_of(&started, "user_code")).await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn an_expired_device_code_gets_expired_token_and_its_user_code_no_longer_works() {
    let (app, clock) = app_with_cli().await;
    let started = start_ok(&app, "cli", None).await;
    let dc = str_of(&started, "device_code").to_owned();
    sign_in_alice(&app).await;

    clock.advance(600);
    assert_oauth_error(poll(&app, "cli", &dc).await, 400, "expired_token").await;
    let res = enter_code(&app, str_of(&started, "user_code")).await;
    assert_eq!(res.status(), 400);
    let html = res.text().await.unwrap();
    assert!(html.contains("role=\"alert\""), "{html}");

    // The sweep keeps the row ten minutes past expiry (late polls still hear expired_token),
    // then deletes it.
    let count = || {
        app.store
            .sql(|c| {
                Ok(
                    c.query_row("SELECT count(*) FROM device_authorizations", [], |r| {
                        r.get::<_, i64>(0)
                    })?,
                )
            })
            .unwrap()
    };
    let now = latchkey::clock::Clock::now(&clock);
    latchkey::oidc::maintenance::sweep(&app.store, now, 3600).unwrap();
    assert_eq!(count(), 1);
    latchkey::oidc::maintenance::sweep(&app.store, now + 601, 3600).unwrap();
    assert_eq!(count(), 0);
}

#[tokio::test]
async fn an_approval_that_expires_before_the_poll_gets_expired_token() {
    let (app, clock) = app_with_cli().await;
    let started = start_ok(&app, "cli", None).await;
    sign_in_alice(&app).await;
    assert_eq!(
        decide(&app, str_of(&started, "user_code"), "allow")
            .await
            .status(),
        200
    );
    clock.advance(601);
    assert_oauth_error(
        poll(&app, "cli", str_of(&started, "device_code")).await,
        400,
        "expired_token",
    )
    .await;
}

#[tokio::test]
async fn a_device_code_is_bound_to_the_client_that_asked_for_it() {
    let (app, _clock) = app_with_cli().await;
    let other_secret = add_client(
        &app,
        &ClientSpec {
            client_id: "tv",
            grant_types: &[GRANT],
            redirect_uris: vec![],
            ..ClientSpec::default()
        },
    )
    .unwrap();
    let started = start_ok(&app, "cli", None).await;
    let dc = str_of(&started, "device_code");
    sign_in_alice(&app).await;
    decide(&app, str_of(&started, "user_code"), "allow").await;

    let res = token_request(
        &app,
        &[("grant_type", GRANT), ("device_code", dc)],
        Some(("tv", &other_secret)),
    )
    .await;
    assert_oauth_error(res, 400, "invalid_grant").await;

    // The rightful client still gets its tokens: the wrong client's attempt spent nothing.
    let tokens = token_ok(poll(&app, "cli", dc).await).await;
    assert!(tokens["access_token"].is_string());
}

#[tokio::test]
async fn a_confidential_client_authenticates_at_both_endpoints() {
    let (app, _clock) = app_with_cli().await;
    let secret = add_client(
        &app,
        &ClientSpec {
            client_id: "tv",
            grant_types: &[GRANT],
            redirect_uris: vec![],
            ..ClientSpec::default()
        },
    )
    .unwrap();
    // Without its secret: invalid_client.
    assert_oauth_error(start(&app, "tv", None).await, 401, "invalid_client").await;
    let res = post_form(&app, "/device_authorization", &[], Some(("tv", "wrong"))).await;
    assert_oauth_error(res, 401, "invalid_client").await;

    let res = post_form(
        &app,
        "/device_authorization",
        &[("scope", "openid email")],
        Some(("tv", &secret)),
    )
    .await;
    assert_eq!(res.status(), 200);
    let started: Value = res.json().await.unwrap();
    sign_in_alice(&app).await;
    decide(&app, str_of(&started, "user_code"), "allow").await;
    let res = token_request(
        &app,
        &[
            ("grant_type", GRANT),
            ("device_code", str_of(&started, "device_code")),
        ],
        Some(("tv", &secret)),
    )
    .await;
    let tokens = token_ok(res).await;
    assert!(
        tokens.get("refresh_token").is_none(),
        "no refresh_token grant, no refresh token: {tokens}"
    );
    assert_eq!(
        jwt_claims(str_of(&tokens, "id_token"))["email"],
        "alice@example.com"
    );
}

#[tokio::test]
async fn a_client_without_the_device_grant_is_unauthorized() {
    let (app, _clock) = app_with_cli().await;
    add_client(
        &app,
        &ClientSpec {
            client_id: "web",
            public: true,
            ..ClientSpec::default()
        },
    );
    assert_oauth_error(start(&app, "web", None).await, 400, "unauthorized_client").await;

    // Nor may it redeem another client's device code at /token.
    let started = start_ok(&app, "cli", None).await;
    let res = poll(&app, "web", str_of(&started, "device_code")).await;
    assert_oauth_error(res, 400, "unauthorized_client").await;
}

#[tokio::test]
async fn unknown_scopes_and_scopes_the_client_may_not_have_are_invalid_scope() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock).await;
    add_client(
        &app,
        &ClientSpec {
            scopes: &["openid", "profile"],
            ..cli_spec("cli")
        },
    );
    for scope in ["openid admin", "openid email", "openid \"x\""] {
        let body =
            assert_oauth_error(start(&app, "cli", Some(scope)).await, 400, "invalid_scope").await;
        assert!(body["error_description"].is_string(), "{scope}: {body}");
    }
    let ok = start_ok(&app, "cli", Some("profile")).await;
    assert!(ok["device_code"].is_string());
}

#[tokio::test]
async fn a_scope_without_openid_gets_an_access_token_but_no_id_token() {
    let (app, _clock) = app_with_cli().await;
    let started = start_ok(&app, "cli", Some("profile")).await;
    sign_in_alice(&app).await;
    decide(&app, str_of(&started, "user_code"), "allow").await;
    let tokens = token_ok(poll(&app, "cli", str_of(&started, "device_code")).await).await;
    assert!(tokens.get("id_token").is_none(), "{tokens}");
    assert_eq!(tokens["scope"], "profile");
}

#[tokio::test]
async fn a_user_code_typed_in_lower_case_without_the_dash_works() {
    let (app, _clock) = app_with_cli().await;
    let started = start_ok(&app, "cli", None).await;
    let user_code = str_of(&started, "user_code");
    sign_in_alice(&app).await;

    let typed = user_code.replace('-', "").to_ascii_lowercase();
    let res = enter_code(&app, &typed).await;
    assert_eq!(res.status(), 200, "confirmation page");
    let html = res.text().await.unwrap();
    assert_eq!(hidden(&html, "user_code").as_deref(), Some(user_code));

    let res = decide(&app, &typed, "allow").await;
    assert_eq!(res.status(), 200);
    token_ok(poll(&app, "cli", str_of(&started, "device_code")).await).await;
}

#[tokio::test]
async fn unknown_user_codes_show_an_error_and_repeated_guesses_are_throttled() {
    let (app, clock) = app_with_cli().await;
    let started = start_ok(&app, "cli", None).await;
    sign_in_alice(&app).await;

    // Codes of the right shape that do not exist, and malformed ones.
    for guess in [
        "BCDF-GHJK",
        "bcdfghjl",
        "not a code",
        "BCDF-GHJM",
        "BCDF-GHJN",
    ] {
        let res = enter_code(&app, guess).await;
        assert_eq!(res.status(), 400, "{guess}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("That code is not valid"),
            "the page says why: {html}"
        );
        assert!(html.contains("role=\"alert\""));
    }
    // The 6th wrong code sets a wait; the next attempt (even with the right code) is refused.
    assert_eq!(enter_code(&app, "BCDF-GHJP").await.status(), 400);
    let res = enter_code(&app, str_of(&started, "user_code")).await;
    assert_eq!(res.status(), 429);
    assert_eq!(header(&res, "retry-after").as_deref(), Some("1"));
    assert!(res.text().await.unwrap().contains("Too many wrong codes"));
    assert_eq!(audited(&app, "device.user_code_throttled").len(), 1);

    // Waits grow with every further miss.
    clock.advance(1);
    assert_eq!(enter_code(&app, "BCDF-GHJQ").await.status(), 400);
    let res = enter_code(&app, "BCDF-GHJR").await;
    assert_eq!(res.status(), 429);
    assert_eq!(header(&res, "retry-after").as_deref(), Some("2"));

    // No lockout: after the wait the right code works.
    clock.advance(2);
    assert_eq!(
        decide(&app, str_of(&started, "user_code"), "allow")
            .await
            .status(),
        200
    );

    // A new browser session from the same IP is still counted (per IP), but with its own
    // allowance per session it is not yet refused.
    let b = fresh_browser();
    let html = b
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf_token").unwrap();
    let res = b
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = b
        .get(app.url("/device"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf_token").unwrap();
    let res = b
        .post(app.url("/device"))
        .form(&[("user_code", "BCDF-GHJS"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "a fresh session has its own allowance");
}

#[tokio::test]
async fn post_device_without_the_csrf_token_is_refused() {
    let (app, _clock) = app_with_cli().await;
    let started = start_ok(&app, "cli", None).await;
    let user_code = str_of(&started, "user_code");
    sign_in_alice(&app).await;
    let _ = browse(&app, "/device").await; // the CSRF cookie is set

    for form in [
        vec![("user_code", user_code)],
        vec![("user_code", user_code), ("decision", "allow")],
        vec![
            ("user_code", user_code),
            ("decision", "allow"),
            ("csrf_token", "forged-forged-forged-forged-forged-forged-fo"),
        ],
    ] {
        let res = app
            .client
            .post(app.url("/device"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{form:?}");
    }
    // Nothing was approved.
    assert_oauth_error(
        poll(&app, "cli", str_of(&started, "device_code")).await,
        400,
        "authorization_pending",
    )
    .await;
    assert!(audited(&app, "device.approved").is_empty());
}

#[tokio::test]
async fn the_device_page_requires_sign_in_and_escapes_what_it_shows() {
    let (app, _clock) = app_with_cli().await;
    let res = browse(&app, "/device").await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login?next=%2Fdevice");
    // A genuine form POST without a session goes to sign-in too, keeping the code.
    let html = browse(&app, "/login").await.text().await.unwrap();
    let csrf = hidden(&html, "csrf_token").unwrap();
    let res = app
        .client
        .post(app.url("/device"))
        .form(&[
            ("user_code", "bcdf-ghjk"),
            ("csrf_token", &csrf),
            ("decision", "allow"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        "/login?next=%2Fdevice%3Fuser_code%3DBCDF-GHJK"
    );

    sign_in_alice(&app).await;
    let res = browse(&app, "/device?user_code=%3Cscript%3Ealert(1)%3C/script%3E").await;
    assert_eq!(res.status(), 200);
    let csp = header(&res, "content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert_no_store(&res);
    let html = res.text().await.unwrap();
    assert!(!html.contains("<script>alert"), "escaped: {html}");
    assert!(html.contains("<label for=\"user_code\">"), "labelled input");

    // The app's name is escaped on the confirmation page.
    app.store
        .sql_write(|c| {
            c.execute(
                "UPDATE clients SET name = '<img src=x onerror=alert(1)>' WHERE client_id = 'cli'",
                [],
            )?;
            Ok::<_, latchkey::store::StoreError>(())
        })
        .unwrap();
    let started = start_ok(&app, "cli", None).await;
    let res = enter_code(&app, str_of(&started, "user_code")).await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(!html.contains("<img"), "escaped: {html}");
    assert!(
        html.contains("&lt;img") || html.contains("&#60;img"),
        "{html}"
    );
}

#[tokio::test]
async fn device_and_user_codes_are_stored_only_as_hashes() {
    let (app, _clock) = app_with_cli().await;
    let started = start_ok(&app, "cli", None).await;
    let dc = str_of(&started, "device_code");
    let uc = str_of(&started, "user_code").replace('-', "");
    let rows: Vec<String> = app
        .store
        .sql(|c| {
            let mut st = c.prepare(
                "SELECT device_code_hash || ' ' || user_code_hash FROM device_authorizations",
            )?;
            let rows = st.query_map([], |r| r.get(0))?;
            Ok(rows.collect::<Result<Vec<String>, _>>()?)
        })
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].contains(dc) && !rows[0].contains(&uc), "{rows:?}");
}

#[tokio::test]
async fn discovery_advertises_the_device_authorization_endpoint_and_grant() {
    let (app, _clock) = app_with_cli().await;
    for doc in [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
    ] {
        let m: Value = browse(&app, doc).await.json().await.unwrap();
        assert_eq!(
            m["device_authorization_endpoint"],
            app.settings.endpoint("/device_authorization"),
            "{doc}"
        );
        assert!(
            m["grant_types_supported"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g == GRANT),
            "{doc}"
        );
    }
}

#[tokio::test]
async fn the_cli_registers_a_public_device_client_without_a_redirect_uri() {
    let (app, _clock) = app_with_cli().await;
    let out = app
        .cli(
            &[
                "client",
                "add",
                "mytool",
                "--name",
                "My CLI tool",
                "--public",
                "--grant-types",
                "urn:ietf:params:oauth:grant-type:device_code,refresh_token",
                "--json",
            ],
            None,
        )
        .json();
    assert_eq!(out["client_id"], "mytool");
    assert_eq!(
        out["grant_types"],
        serde_json::json!([GRANT, "refresh_token"])
    );
    assert!(out.get("client_secret").is_none());
    let started = start_ok(&app, "mytool", Some("openid offline_access")).await;
    assert!(started["user_code"].is_string());

    // The code flow still needs a redirect URI.
    let err = app
        .cli(&["client", "add", "web", "--public"], None)
        .one_line_error()
        .to_owned();
    assert!(err.contains("redirect URI is required"), "{err}");
}

fn cli_run(app: &TestApp, args: &[&str]) {
    crate::support::run_cli(app.data_path(), args, None).ok();
}

#[tokio::test]
async fn a_device_request_with_a_resource_gets_a_token_for_that_api() {
    let (app, _clock) = app_with_cli().await;
    cli_run(
        &app,
        &[
            "api",
            "add",
            "https://api.example.com",
            "--scope",
            "read:x=Read x",
            "--scope",
            "write:x",
        ],
    );
    cli_run(
        &app,
        &[
            "api",
            "grant",
            "https://api.example.com",
            "cli",
            "--scope",
            "read:x",
        ],
    );
    let form = [
        ("client_id", "cli"),
        ("scope", "openid read:x"),
        ("resource", "https://api.example.com"),
    ];
    let res = post_form(&app, "/device_authorization", &form, None).await;
    assert_eq!(res.status(), 200);
    let started: Value = res.json().await.unwrap();
    sign_in_alice(&app).await;
    let confirm = enter_code(&app, str_of(&started, "user_code")).await;
    let html = confirm.text().await.unwrap();
    assert!(
        html.contains("https://api.example.com: Read x"),
        "the API scope is described: {html}"
    );
    decide(&app, str_of(&started, "user_code"), "allow").await;
    let t = token_ok(poll(&app, "cli", str_of(&started, "device_code")).await).await;
    let at = jwt_claims(str_of(&t, "access_token"));
    assert_eq!(at["aud"], "https://api.example.com");
    assert_eq!(at["scope"], "read:x");
    assert_eq!(jwt_claims(str_of(&t, "id_token"))["aud"], "cli");

    // Ungranted API scopes and unknown resources are refused up front.
    let bad_scope = [
        ("client_id", "cli"),
        ("scope", "write:x"),
        ("resource", "https://api.example.com"),
    ];
    assert_oauth_error(
        post_form(&app, "/device_authorization", &bad_scope, None).await,
        400,
        "invalid_scope",
    )
    .await;
    let bad_target = [
        ("client_id", "cli"),
        ("resource", "https://nope.example.com"),
    ];
    assert_oauth_error(
        post_form(&app, "/device_authorization", &bad_target, None).await,
        400,
        "invalid_target",
    )
    .await;
}

#[tokio::test]
async fn a_user_outside_the_clients_allowed_groups_cannot_approve_a_device() {
    let (app, _clock) = app_with_cli().await;
    cli_run(&app, &["group", "add", "admins"]);
    cli_run(
        &app,
        &["client", "update", "cli", "--allowed-group", "admins"],
    );
    let started = start_ok(&app, "cli", None).await;
    sign_in_alice(&app).await;
    let res = enter_code(&app, str_of(&started, "user_code")).await;
    assert_eq!(res.status(), 403);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("have access to The cli app")
    );
    assert_oauth_error(
        poll(&app, "cli", str_of(&started, "device_code")).await,
        400,
        "access_denied",
    )
    .await;
    assert_eq!(audited(&app, "access.denied").len(), 1);
    assert!(audited(&app, "token.issued").is_empty());
}

#[tokio::test]
async fn a_device_code_polled_after_the_approving_browser_signed_out_gets_no_session_bound_tokens()
{
    let (app, clock) = app_with_cli().await;
    let online = start_ok(&app, "cli", Some("openid profile")).await;
    let offline = start_ok(&app, "cli", Some("openid offline_access")).await;
    sign_in_alice(&app).await;
    for started in [&online, &offline] {
        let done = decide(&app, str_of(started, "user_code"), "allow").await;
        assert_eq!(done.status(), 200);
    }
    // The person signs out of the browser that approved, before the device polls.
    let page = browse(&app, "/logout").await.text().await.unwrap();
    let csrf = hidden(&page, "csrf_token").expect("csrf on the sign-out page");
    let res = app
        .client
        .post(app.url("/logout"))
        .form(&[("confirm", "yes"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    clock.advance(6);

    let res = poll(&app, "cli", str_of(&online, "device_code")).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
    // offline_access was asked for: those tokens are meant to outlive the browser session.
    let res = poll(&app, "cli", str_of(&offline, "device_code")).await;
    let tokens = token_ok(res).await;
    assert!(tokens["refresh_token"].is_string());
}
