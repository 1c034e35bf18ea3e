//! RP-Initiated Logout 1.0 and Back-Channel Logout 1.0 (the OpenID Foundation's logout test plans).

use crate::support::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey::oidc::session_end;
use latchkey::store::users;
use serde_json::Value;

const POST_LOGOUT: &str = "http://127.0.0.1:9/after-logout";

const VERIFIER: &str = "logout-test-verifier-0123456789-abcdefghijklmnop";

fn authorize_url(app: &TestApp, client_id: &str, extra: &str) -> String {
    app.url(&format!(
        "/authorize?client_id={client_id}&redirect_uri={REDIRECT_URI}&response_type=code&scope=openid%20profile{extra}&state=s1&code_challenge={}&code_challenge_method=S256",
        s256(VERIFIER)
    ))
}

/// Sign alice in at `client_id` and exchange the code: the token response.
async fn sign_in(app: &TestApp, client_id: &str, secret: &str, extra: &str) -> Value {
    let callback = authorize_as_alice(app, &authorize_url(app, client_id, extra)).await;
    let code = query_param(&callback, "code").unwrap_or_else(|| panic!("no code: {callback}"));
    let res = reqwest::Client::new()
        .post(app.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .expect("token request");
    assert_eq!(res.status(), 200);
    res.json().await.expect("token json")
}

/// prompt=none at `client_id`: the error it gets back, if any.
async fn silent_error(app: &TestApp, client_id: &str) -> Option<String> {
    let res = browse(app, &authorize_url(app, client_id, "&prompt=none")).await;
    query_param(&location(&res), "error")
}

fn logout_client(app: &TestApp, id: &'static str, backchannel: Option<String>) -> String {
    add_client(
        app,
        &ClientSpec {
            client_id: id,
            skip_consent: true,
            post_logout_redirect_uris: vec![POST_LOGOUT.to_owned()],
            backchannel_logout_uri: backchannel,
            ..Default::default()
        },
    )
    .expect("confidential client")
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_redirects_with_the_exact_state_and_ends_the_session() {
    let app = spawn_oidc_app().await;
    let secret = logout_client(&app, "app", None);
    let tokens = sign_in(&app, "app", &secret, "").await;
    let id_token = tokens["id_token"].as_str().expect("id token");
    let state = r##"ab12 #%&=?/"\+;~:@[]{}"##;
    let url = format!(
        "/logout?{}",
        serde_urlencoded::to_string([
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", POST_LOGOUT),
            ("state", state)
        ])
        .unwrap()
    );
    let res = browse(&app, &url).await;
    assert_eq!(
        res.status(),
        302,
        "a valid hint and a registered URI redirect at once"
    );
    let loc = location(&res);
    assert!(loc.starts_with(POST_LOGOUT), "{loc}");
    assert_eq!(
        query_param(&loc, "state").as_deref(),
        Some(state),
        "state echoed exactly"
    );
    let only_state: Vec<_> = url::Url::parse(&loc)
        .unwrap()
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect();
    assert_eq!(only_state, vec!["state"], "no other parameters");
    assert_eq!(
        silent_error(&app, "app").await.as_deref(),
        Some("login_required"),
        "really signed out"
    );
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_state_redirects_without_state() {
    let app = spawn_oidc_app().await;
    let secret = logout_client(&app, "app", None);
    let tokens = sign_in(&app, "app", &secret, "").await;
    let url = format!(
        "/logout?id_token_hint={}&post_logout_redirect_uri={POST_LOGOUT}",
        tokens["id_token"].as_str().unwrap()
    );
    let res = browse(&app, &url).await;
    assert_eq!(location(&res), POST_LOGOUT);
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_or_extended_post_logout_redirect_uri_never_redirects() {
    for bad in [
        format!("{POST_LOGOUT}?foo=bar"),
        "http://127.0.0.1:9/bad_post_logout_redirect_uri".to_owned(),
    ] {
        let app = spawn_oidc_app().await;
        let secret = logout_client(&app, "app", None);
        let tokens = sign_in(&app, "app", &secret, "").await;
        let url = format!(
            "/logout?{}",
            serde_urlencoded::to_string([
                ("id_token_hint", tokens["id_token"].as_str().unwrap()),
                ("post_logout_redirect_uri", &bad),
                ("state", "x")
            ])
            .unwrap()
        );
        let res = browse(&app, &url).await;
        assert_eq!(res.status(), 200, "{bad}: a page, not a redirect");
        assert!(res.headers().get("location").is_none());
        let html = res.text().await.unwrap();
        assert!(html.contains("You are signed out"), "{html}");
        assert_eq!(
            silent_error(&app, "app").await.as_deref(),
            Some("login_required")
        );
    }
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_modified_or_forged_id_token_hint_shows_an_error_and_keeps_the_session()
 {
    let app = spawn_oidc_app().await;
    let secret = logout_client(&app, "app", None);
    let tokens = sign_in(&app, "app", &secret, "").await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let payload = id_token.split('.').nth(1).unwrap();
    let none = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#));
    let hs = format!(
        "{}.{payload}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode("forged-mac")
    );
    for hint in [none, hs] {
        let url =
            format!("/logout?id_token_hint={hint}&post_logout_redirect_uri={POST_LOGOUT}&state=x");
        let res = browse(&app, &url).await;
        assert_eq!(res.status(), 400);
        assert!(res.headers().get("location").is_none(), "never a redirect");
    }
    assert_eq!(silent_error(&app, "app").await, None, "still signed in");
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_id_token_hint_asks_for_confirmation_before_signing_out() {
    let app = spawn_oidc_app().await;
    let secret = logout_client(&app, "app", None);
    sign_in(&app, "app", &secret, "").await;
    let res = browse(
        &app,
        &format!("/logout?post_logout_redirect_uri={POST_LOGOUT}&state=x"),
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Sign out?"), "{html}");
    assert_eq!(
        silent_error(&app, "app").await,
        None,
        "a GET alone does not sign out"
    );

    // A forged confirmation (no CSRF token) is refused.
    let forged = app
        .client
        .post(app.url("/logout"))
        .form(&[("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(silent_error(&app, "app").await, None);

    let csrf = hidden(&html, "csrf_token").expect("csrf on the confirm page");
    let done = app
        .client
        .post(app.url("/logout"))
        .form(&[("confirm", "yes"), ("csrf_token", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200, "the client is unknown: no redirect");
    assert!(done.text().await.unwrap().contains("You are signed out"));
    assert_eq!(
        silent_error(&app, "app").await.as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn oidcc_rp_initiated_logout_no_params_and_only_state_show_a_signed_out_page() {
    let app = spawn_oidc_app().await;
    for url in ["/logout", "/logout?state=abc"] {
        let res = browse(&app, url).await;
        assert_eq!(res.status(), 200, "{url}");
        assert!(res.headers().get("location").is_none());
        assert!(res.text().await.unwrap().contains("You are signed out"));
    }
}

#[tokio::test]
async fn logout_revokes_session_bound_refresh_tokens_but_offline_ones_survive() {
    let app = spawn_oidc_app().await;
    let secret = logout_client(&app, "app", None);
    let online = sign_in(&app, "app", &secret, "").await;
    let offline = sign_in(&app, "app", &secret, "%20offline_access").await;
    let res = browse(
        &app,
        &format!(
            "/logout?id_token_hint={}",
            online["id_token"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(res.status(), 200);
    let refresh = |rt: String| {
        let (app_url, secret) = (app.url("/token"), secret.clone());
        async move {
            reqwest::Client::new()
                .post(app_url)
                .basic_auth("app", Some(secret))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", &rt)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        refresh(online["refresh_token"].as_str().unwrap().to_owned()).await,
        400,
        "bound to the ended session"
    );
    assert_eq!(
        refresh(offline["refresh_token"].as_str().unwrap().to_owned()).await,
        200,
        "offline_access survives logout"
    );
}

#[tokio::test]
async fn oidcc_backchannel_rp_initiated_logout_posts_a_valid_logout_token() {
    let app = spawn_oidc_app().await;
    let (uri, mut rx) = backchannel_receiver().await;
    let secret = logout_client(&app, "app", Some(uri));
    let tokens = sign_in(&app, "app", &secret, "").await;
    let id = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert!(id["sid"].is_string(), "ID tokens carry sid");

    let res = browse(
        &app,
        &format!(
            "/logout?id_token_hint={}&post_logout_redirect_uri={POST_LOGOUT}&state=z",
            tokens["id_token"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(
        res.status(),
        302,
        "the user is not kept waiting for the back channel"
    );

    let lt = next_logout_token(&mut rx).await;
    assert_eq!(jwt_header(&lt)["typ"], "logout+jwt");
    let c = jwt_claims(&lt);
    assert_eq!(c["iss"], app.address.as_str());
    assert_eq!(c["aud"], "app");
    assert_eq!(c["sub"], id["sub"]);
    assert_eq!(c["sid"], id["sid"]);
    assert!(c["iat"].is_i64() && c["exp"].is_i64() && c["jti"].is_string());
    assert!(c.get("nonce").is_none(), "a logout token never has a nonce");
    assert_eq!(
        c["events"],
        serde_json::json!({"http://schemas.openid.net/event/backchannel-logout": {}})
    );
    // The signature verifies with our keys, pinned to the key's own algorithm.
    let keys = app
        .store
        .read(|c| latchkey::store::keys::list_keys(c, 0))
        .expect("keys");
    let ring = latchkey::crypto::keys::KeyRing::load(&keys).expect("ring");
    assert!(
        latchkey::crypto::jwt::verify(&ring, &lt, &["logout+jwt"]).is_ok(),
        "signature verifies"
    );
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_notifies_clients_over_the_back_channel() {
    let app = spawn_oidc_app().await;
    let (uri, mut rx) = backchannel_receiver().await;
    let secret = logout_client(&app, "app", Some(uri));
    let tokens = sign_in(&app, "app", &secret, "").await;
    let id = jwt_claims(tokens["id_token"].as_str().unwrap());
    app.store
        .write(|c| {
            let u = users::get_user_by_username(c, "alice")?;
            users::update_user_disabled(c, u.id, true, 1)?;
            session_end::end_user_sessions(c, &u, "user_disabled", 1).map(|_| ())
        })
        .expect("disable alice");
    let c = jwt_claims(&next_logout_token(&mut rx).await);
    assert_eq!(c["sid"], id["sid"]);
    assert_eq!(
        silent_error(&app, "app").await.as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn an_expired_session_ends_with_a_back_channel_logout() {
    let clock = crate::support::clock_now();
    let app = crate::support::spawn_oidc_app_at(clock.clone()).await;
    let (uri, mut rx) = backchannel_receiver().await;
    let secret = logout_client(&app, "app", Some(uri));
    let tokens = sign_in(&app, "app", &secret, "").await;
    let id = jwt_claims(tokens["id_token"].as_str().unwrap());
    clock.advance(app.settings.session_idle_timeout_secs + 1);
    // What the server's maintenance loop does every 30 s, run now.
    latchkey::oidc::maintenance::sweep(
        &app.store,
        latchkey::clock::Clock::now(&clock),
        app.settings.session_idle_timeout_secs,
    )
    .expect("sweep");
    let c = jwt_claims(&next_logout_token(&mut rx).await);
    assert_eq!(c["sid"], id["sid"]);
    assert_eq!(c["sub"], id["sub"]);
}

/// A back-channel URI on a server that accepts connections and never answers: an app that hangs.
async fn hanging_receiver() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind hanging receiver");
    let url = format!(
        "http://{}/backchannel_logout",
        listener.local_addr().expect("addr")
    );
    tokio::spawn(async move {
        // Keep every connection open and silent until the test ends.
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock);
        }
    });
    url
}

#[tokio::test]
async fn unreachable_app_does_not_delay_other_apps_backchannel_logout() {
    let app = spawn_oidc_app().await;
    let (uri, mut rx) = backchannel_receiver().await;
    // Registered and signed in to first, so its notice is the first one queued.
    let hanging = logout_client(&app, "hanging", Some(hanging_receiver().await));
    let secret = logout_client(&app, "app", Some(uri));
    sign_in(&app, "hanging", &hanging, "").await;
    let tokens = sign_in(&app, "app", &secret, "").await;

    let started = std::time::Instant::now();
    let res = browse(
        &app,
        &format!(
            "/logout?id_token_hint={}&post_logout_redirect_uri={POST_LOGOUT}",
            tokens["id_token"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(res.status(), 302);
    // The hanging app's request times out after 5 s; the other app must not wait for that.
    let body = tokio::time::timeout(std::time::Duration::from_secs(2), rx.recv())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "no back-channel logout at the reachable app {:?} after the logout",
                started.elapsed()
            )
        })
        .expect("receiver open");
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&body).expect("form body");
    assert_eq!(jwt_claims(&pairs[0].1)["aud"], "app");
}

#[tokio::test]
async fn a_logout_while_a_notice_to_a_hanging_app_is_in_flight_is_delivered_at_once() {
    let app = spawn_oidc_app().await;
    let (uri, mut rx) = backchannel_receiver().await;
    let hanging = logout_client(&app, "hanging", Some(hanging_receiver().await));
    let secret = logout_client(&app, "app", Some(uri));
    let first = sign_in(&app, "hanging", &hanging, "").await;
    browse(
        &app,
        &format!(
            "/logout?id_token_hint={}",
            first["id_token"].as_str().unwrap()
        ),
    )
    .await;
    // The hanging app's notice is now waiting out its 5 s timeout; a new session logs out.
    let tokens = sign_in(&app, "app", &secret, "").await;
    let started = std::time::Instant::now();
    browse(
        &app,
        &format!(
            "/logout?id_token_hint={}",
            tokens["id_token"].as_str().unwrap()
        ),
    )
    .await;
    let body = tokio::time::timeout(std::time::Duration::from_secs(2), rx.recv())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "no notice at the reachable app after {:?}",
                started.elapsed()
            )
        })
        .expect("receiver open");
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&body).expect("form body");
    assert_eq!(jwt_claims(&pairs[0].1)["aud"], "app");
}

/// Poll until `check` holds (the delivery loop looks at the outbox at least every 5 s).
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !check() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_failing_back_channel_notice_is_retried_with_backoff_then_given_up_and_audited() {
    use latchkey::clock::Clock;
    use latchkey::store::{audit, backchannel};
    let clock = crate::support::clock_now();
    let app = crate::support::spawn_oidc_app_at(clock.clone()).await;
    // A port nobody listens on: every attempt is refused at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let secret = logout_client(
        &app,
        "down",
        Some(format!("http://{closed}/backchannel_logout")),
    );
    let tokens = sign_in(&app, "down", &secret, "").await;
    browse(
        &app,
        &format!(
            "/logout?id_token_hint={}",
            tokens["id_token"].as_str().unwrap()
        ),
    )
    .await;
    let now = clock.now();
    let outbox = |at: i64| {
        app.store
            .read(|c| backchannel::list_due_outbox(c, at, &[], 50))
            .unwrap()
    };
    eventually("a first failed attempt", || {
        outbox(now + 1000).first().map(|i| i.attempts) == Some(1)
    })
    .await;
    assert!(outbox(now + 1).is_empty(), "not retried before 2 s");
    assert_eq!(outbox(now + 2).len(), 1, "retried after 2 s");

    // Two more failed attempts on the books; the next one is the last.
    let id = outbox(now + 2)[0].id;
    for _ in 0..2 {
        app.store
            .write(|c| backchannel::reschedule_outbox(c, id, now))
            .unwrap();
    }
    let failed = || {
        app.store
            .read(|c| audit::list_audit_events(c, 100))
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "backchannel_logout.failed")
            .collect::<Vec<_>>()
    };
    eventually("the give-up is audited", || !failed().is_empty()).await;
    assert!(
        outbox(now + 1_000_000).is_empty(),
        "given up: gone from the outbox"
    );
    let events = failed();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].client_id.as_deref(), Some("down"));
    assert!(events[0].detail.is_some(), "with the reason");
}

/// Redeem a code for the `app` client of these tests: the response.
async fn redeem_code(app: &TestApp, secret: &str, code: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url("/token"))
        .basic_auth("app", Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .expect("token request")
}

#[tokio::test]
async fn a_code_redeemed_just_after_logout_yields_no_tokens_bound_to_the_dead_session() {
    let app = spawn_oidc_app().await;
    let secret = logout_client(&app, "app", None);
    let first = sign_in(&app, "app", &secret, "").await;
    // Two more codes from the same SSO session, one of them for offline access...
    let online = authorize_as_alice(&app, &authorize_url(&app, "app", "")).await;
    let offline = authorize_as_alice(&app, &authorize_url(&app, "app", "%20offline_access")).await;
    // ...and the user signs out before the app redeems them.
    let res = browse(
        &app,
        &format!(
            "/logout?id_token_hint={}",
            first["id_token"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(res.status(), 200);

    let res = redeem_code(&app, &secret, &query_param(&online, "code").unwrap()).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
    // offline_access is meant to outlive the browser session.
    let res = redeem_code(&app, &secret, &query_param(&offline, "code").unwrap()).await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_session_bound_refresh_token_stops_working_when_the_session_times_out() {
    let clock = crate::support::clock_now();
    let app = crate::support::spawn_oidc_app_at(clock.clone()).await;
    let secret = logout_client(&app, "app", None);
    let online = sign_in(&app, "app", &secret, "").await;
    let offline = sign_in(&app, "app", &secret, "%20offline_access").await;
    let refresh = |rt: &str| {
        let (url, secret, rt) = (app.url("/token"), secret.clone(), rt.to_owned());
        async move {
            reqwest::Client::new()
                .post(url)
                .basic_auth("app", Some(secret))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", &rt)])
                .send()
                .await
                .unwrap()
        }
    };
    // The browser goes quiet for longer than the idle timeout: the session has ended, whether or
    // not the background sweep has noticed yet.
    clock.advance(app.settings.session_idle_timeout_secs + 1);
    let res = refresh(online["refresh_token"].as_str().unwrap()).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant", "{body}");
    let res = refresh(offline["refresh_token"].as_str().unwrap()).await;
    assert_eq!(
        res.status(),
        200,
        "offline_access is not bound to the session"
    );
}
