//! Oversized and malformed requests get a 4xx, never a 5xx or a hang: body, parameter, header
//! limits and repeated parameters.

use crate::support::*;
use reqwest::Response;
use serde_json::{Value, json};

async fn assert_healthy(app: &TestApp) {
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200, "the server is still healthy");
}

#[tokio::test]
async fn a_body_over_64_kib_is_refused_with_a_4xx() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    sign_in(&app, "alice").await;
    let big = "x".repeat(70 * 1024);
    for path in [
        "/token",
        "/login",
        "/authorize",
        "/consent",
        "/logout",
        "/introspect",
        "/revoke",
        "/userinfo",
        "/account/password",
        "/account/apps/revoke",
    ] {
        let res = app
            .client
            .post(app.url(path))
            .header("Authorization", basic("app", &secret))
            .form(&[("grant_type", "authorization_code"), ("junk", big.as_str())])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: no answer: {e}"));
        let status = res.status();
        assert!(
            status.is_client_error(),
            "{path}: a 70 KiB body must get a 4xx (413), got {status}"
        );
    }
    assert_healthy(&app).await;
}

#[tokio::test]
async fn oversized_protocol_parameters_get_a_4xx_never_a_5xx() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let long = "a".repeat(10_000);
    // /authorize: an error page before the client is trusted, an error redirect after.
    for req in [
        AuthReq::new(&long),
        AuthReq::new("app").set("redirect_uri", &format!("{REDIRECT_URI}{long}")),
    ] {
        assert_error_page(browse(&app, &req.url(&app)).await).await;
    }
    for key in [
        "state",
        "nonce",
        "scope",
        "code_challenge",
        "prompt",
        "max_age",
    ] {
        let res = browse(&app, &AuthReq::new("app").set(key, &long).url(&app)).await;
        assert_eq!(res.status(), 302, "{key}");
        let loc = location(&res);
        assert!(
            query_param(&loc, "error").is_some() && query_param(&loc, "code").is_none(),
            "{key}: refused, got {loc:.200}"
        );
    }
    // /token
    for (what, form) in [
        (
            "code",
            vec![
                ("grant_type", "authorization_code"),
                ("code", long.as_str()),
                ("redirect_uri", REDIRECT_URI),
            ],
        ),
        (
            "refresh_token",
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", long.as_str()),
            ],
        ),
        ("grant_type", vec![("grant_type", long.as_str())]),
    ] {
        let res = token_request(&app, &form, Some(("app", &secret))).await;
        let status = res.status();
        assert!(status.is_client_error(), "/token {what}: got {status}");
    }
    let res = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", long.as_str()),
        ],
        None,
    )
    .await;
    assert_oauth_error(res, 401, "invalid_client").await;
    let res = token_request(
        &app,
        &[("grant_type", "refresh_token")],
        Some((long.as_str(), long.as_str())),
    )
    .await;
    assert_oauth_error(res, 401, "invalid_client").await;
    // /login
    for (user, pw) in [(long.as_str(), PASSWORD), ("alice", long.as_str())] {
        let res = submit_login(&app, "/login", user, pw).await;
        assert!(
            res.status().is_client_error(),
            "login: got {}",
            res.status()
        );
        assert!(cookie_value(&res, "latchkey_session").is_none());
    }
    // /userinfo and /introspect
    assert_eq!(userinfo(&app, &long).await.status(), 401);
    assert_eq!(
        introspect(&app, &secret, &long).await,
        json!({ "active": false })
    );
    assert_healthy(&app).await;
}

/// A valid request for each endpoint, with `extra` parameters added: (what, response).
async fn valid_requests_with(
    app: &TestApp,
    secret: &str,
    extra: &[(String, String)],
) -> Vec<(&'static str, Response)> {
    let mut out = Vec::new();
    // /authorize (alice is signed in: without the extras this gets a code)
    let mut req = AuthReq::new("app");
    for (k, v) in extra {
        req = req.add(k, v);
    }
    out.push(("/authorize", browse(app, &req.url(app)).await));
    // /token
    let (code, verifier) = get_code(app, "app", &[]).await;
    let mut form: Vec<(&str, &str)> = vec![
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", &verifier),
    ];
    form.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    out.push((
        "/token",
        token_request(app, &form, Some(("app", secret))).await,
    ));
    // /login
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
    let mut form: Vec<(&str, &str)> = vec![
        ("username", "alice"),
        ("password", PASSWORD),
        ("csrf_token", &csrf),
    ];
    form.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    out.push((
        "/login",
        b.post(app.url("/login")).form(&form).send().await.unwrap(),
    ));
    out
}

/// A refusal: a 4xx, or (at /authorize, once the client is trusted) an error sent back to it.
fn assert_refused(what: &str, res: &Response) {
    let status = res.status();
    if status == 302 {
        let loc = location(res);
        assert!(
            loc.starts_with(REDIRECT_URI)
                && query_param(&loc, "error").as_deref() == Some("invalid_request"),
            "{what}: must be refused, got a redirect to {loc:.300}"
        );
    } else {
        assert!(
            status.is_client_error(),
            "{what}: must be refused, got {status}"
        );
    }
}

/// The generic cap on a parameter's length (`MAX_VALUE_BYTES`, 16 KiB) holds for parameters
/// the endpoint does not even read. (A 10,000-character value of an unknown parameter is under
/// that cap and is ignored like any unknown parameter; 10,000-character values of the protocol
/// parameters are refused by their own limits, see the test above.)
#[tokio::test]
async fn a_value_over_the_length_cap_is_refused_for_any_parameter() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    sign_in(&app, "alice").await;
    // Controls: the same requests without the extra parameter succeed.
    for (what, res) in valid_requests_with(&app, &secret, &[]).await {
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "control {what}: {}",
            res.status()
        );
        if what == "/authorize" {
            assert!(query_param(&location(&res), "code").is_some());
        }
    }
    let under = [("x".to_owned(), "a".repeat(10_000))];
    for (what, res) in valid_requests_with(&app, &secret, &under).await {
        assert!(
            !res.status().is_server_error(),
            "{what} with a 10,000-character parameter: {}",
            res.status()
        );
    }
    let over = [(
        "x".to_owned(),
        "a".repeat(latchkey::oidc::params::MAX_VALUE_BYTES + 1),
    )];
    for (what, res) in valid_requests_with(&app, &secret, &over).await {
        assert_refused(&format!("{what} with a parameter over the cap"), &res);
    }
    assert_healthy(&app).await;
}

#[tokio::test]
async fn a_thousand_parameters_are_refused() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    sign_in(&app, "alice").await;
    let extra: Vec<(String, String)> = (0..1000)
        .map(|i| (format!("p{i}"), "1".to_owned()))
        .collect();
    for (what, res) in valid_requests_with(&app, &secret, &extra).await {
        assert_refused(&format!("{what} with 1,000 extra parameters"), &res);
    }
    assert_healthy(&app).await;
}

#[tokio::test]
async fn a_huge_header_or_too_many_headers_get_a_4xx() {
    let app = spawn_oidc_app().await;
    let big = "x".repeat(140 * 1024);
    let res = plain_client()
        .get(app.url("/"))
        .header("X-Big", big.as_str())
        .send()
        .await
        .expect("an answer to a 140 KiB header");
    assert!(
        res.status().is_client_error(),
        "140 KiB header: {}",
        res.status()
    );
    let mut rb = plain_client().get(app.url("/"));
    for i in 0..200 {
        rb = rb.header(format!("x-h{i}"), "1");
    }
    let res = rb.send().await.expect("an answer to 200 headers");
    assert!(
        res.status().is_client_error(),
        "200 headers: {}",
        res.status()
    );
    // Large but legal ones are handled, not crashed on.
    let res = plain_client()
        .get(app.url("/"))
        .header("Cookie", format!("latchkey_session={}", "a".repeat(20_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "an oversized session cookie is ignored");
    let res = userinfo(&app, &"a.b.".repeat(5_000)).await;
    assert_eq!(res.status(), 401);
    assert_healthy(&app).await;
}

#[tokio::test]
async fn repeated_oauth_parameters_are_invalid_request() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    sign_in(&app, "alice").await;
    // /authorize, once the client is trusted: an error back to the client. The repeat carries
    // the same value, so only the repetition itself is wrong.
    let base = AuthReq::new("app").set("response_mode", "query");
    for key in [
        "response_type",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "response_mode",
    ] {
        let value = base
            .params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap();
        let res = browse(&app, &base.clone().add(key, &value).url(&app)).await;
        let loc = location(&res);
        assert_eq!(res.status(), 302, "{key}");
        assert_eq!(
            query_param(&loc, "error").as_deref(),
            Some("invalid_request"),
            "{key}: {loc}"
        );
        assert!(query_param(&loc, "code").is_none(), "{key}");
    }
    for key in ["prompt", "max_age", "login_hint"] {
        let value = if key == "max_age" {
            "3600"
        } else if key == "prompt" {
            "none"
        } else {
            "alice"
        };
        let req = base.clone().set(key, value).add(key, value);
        let res = browse(&app, &req.url(&app)).await;
        let loc = location(&res);
        assert_eq!(
            query_param(&loc, "error").as_deref(),
            Some("invalid_request"),
            "{key}: {loc}"
        );
    }
    // Before the client is trusted: an error page.
    for key in ["client_id", "redirect_uri"] {
        let value = if key == "client_id" {
            "app"
        } else {
            REDIRECT_URI
        };
        assert_error_page(browse(&app, &base.clone().add(key, value).url(&app)).await).await;
    }
    // /token
    for key in [
        "grant_type",
        "code",
        "redirect_uri",
        "code_verifier",
        "client_id",
        "scope",
    ] {
        let (code, verifier) = get_code(&app, "app", &[]).await;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier.as_str()),
            ("client_id", "app"),
            ("scope", "openid"),
        ];
        let dup = *form.iter().find(|(k, _)| *k == key).unwrap();
        form.push(dup);
        let res = token_request(&app, &form, Some(("app", &secret))).await;
        assert_oauth_error(res, 400, "invalid_request").await;
    }
    let res = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "app"),
            ("client_secret", &secret),
            ("client_secret", &secret),
        ],
        None,
    )
    .await;
    assert_oauth_error(res, 400, "invalid_request").await;
}

#[tokio::test]
async fn repeated_parameters_are_invalid_request_at_revoke_and_introspect() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let r = str_of(&t, "refresh_token");
    let a = str_of(&t, "access_token");
    let mut wrong = Vec::new();
    for path in ["/introspect", "/revoke"] {
        for (what, form) in [
            ("token twice", vec![("token", r), ("token", a)]),
            (
                "token_type_hint twice",
                vec![
                    ("token", a),
                    ("token_type_hint", "access_token"),
                    ("token_type_hint", "refresh_token"),
                ],
            ),
        ] {
            let res = post_form(&app, path, &form, Some(("app", &secret))).await;
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            let code = serde_json::from_str::<Value>(&body)
                .ok()
                .map(|v| v["error"].clone());
            if status != 400 || code != Some(json!("invalid_request")) {
                wrong.push(format!("{path} with {what}: {status} {body}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "repeated parameters must be 400 invalid_request:\n{}",
        wrong.join("\n")
    );
}
