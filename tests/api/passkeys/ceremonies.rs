//! The sign-in ceremony endpoints: what they refuse, single use, expiry, throttling.

use super::*;

const ENDPOINTS: [&str; 4] = [
    "/login/passkey/begin",
    "/login/passkey/finish",
    "/account/passkeys/begin",
    "/account/passkeys/finish",
];

#[tokio::test]
async fn passkey_endpoints_refuse_bad_input_with_a_4xx_json_error_and_never_a_500() {
    let (app, _clock) = passkey_app().await;
    sign_in(&app, "alice").await;
    let csrf = csrf_of(&app, "/account").await;
    for path in ENDPOINTS {
        // Not JSON at all.
        let res = app
            .client
            .post(app.url(path))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap();
        let (status, body) = json_answer(res).await;
        assert_eq!(status, 415, "{path}: {body}");
        // JSON that is not an object, and invalid JSON.
        for raw in ["[1,2]", "{\"csrf_token\":", "\"x\""] {
            let res = app
                .client
                .post(app.url(path))
                .header("content-type", "application/json")
                .body(raw)
                .send()
                .await
                .unwrap();
            let (status, body) = json_answer(res).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (400, Some("invalid_request")),
                "{path} {raw}"
            );
        }
        // No CSRF token, or someone else's.
        for token in [json!(null), json!("x".repeat(43))] {
            let (status, body) =
                post_json(&app, path, &json!({"csrf_token": token, "name": "k"})).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (403, Some("csrf")),
                "{path}"
            );
        }
        // Finishing without a ceremony, with an unknown one, or with a credential of the wrong shape.
        if path.ends_with("finish") {
            let (status, body) = post_json(&app, path, &json!({"csrf_token": csrf})).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (400, Some("invalid_request")),
                "{path}"
            );
            for (challenge, credential) in [
                (json!("A".repeat(43)), json!({"id": "x"})),
                (json!("short"), json!({"id": "x"})),
                (json!(12), json!({})),
            ] {
                let (status, body) = post_json(
                    &app,
                    path,
                    &json!({"csrf_token": csrf, "challenge": challenge, "credential": credential}),
                )
                .await;
                assert!((400..500).contains(&status), "{path}: {status} {body}");
                assert!(
                    body["error"].is_string() && body["message"].is_string(),
                    "{body}"
                );
            }
        }
    }
    // A real ceremony answered with something that is not a credential.
    let (_, begun) = post_json(&app, "/login/passkey/begin", &json!({"csrf_token": csrf})).await;
    let garbage = json!({"csrf_token": csrf, "challenge": begun["challenge"], "credential": {"id": 5, "response": []}});
    let (status, body) = post_json(&app, "/login/passkey/finish", &garbage).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request")),
        "{body}"
    );
}

#[tokio::test]
async fn a_passkey_sign_in_asks_any_discoverable_credential_to_verify_its_user() {
    let (app, _clock) = passkey_app().await;
    let csrf = csrf_of(&app, "/login").await;
    let (status, begun) =
        post_json(&app, "/login/passkey/begin", &json!({"csrf_token": csrf})).await;
    assert_eq!(status, 200, "{begun}");
    assert_eq!(begun["challenge"].as_str().map(str::len), Some(43));
    let pk = &begun["options"]["publicKey"];
    assert_eq!(pk["rpId"], "localhost");
    assert_eq!(pk["userVerification"], "required");
    assert_eq!(
        pk["allowCredentials"],
        json!([]),
        "usernameless: any passkey of this site"
    );
    assert_eq!(begun["options"]["mediation"], "conditional");
}

async fn begin_sign_in(app: &TestApp, csrf: &str) -> Value {
    let (status, begun) =
        post_json(app, "/login/passkey/begin", &json!({"csrf_token": csrf})).await;
    assert_eq!(status, 200, "{begun}");
    begun["challenge"].clone()
}

async fn finish_bogus(app: &TestApp, csrf: &str, challenge: &Value) -> (u16, Value) {
    let body = json!({
        "csrf_token": csrf,
        "challenge": challenge,
        "credential": bogus_assertion(app, "Y3JlZC1h"),
    });
    post_json(app, "/login/passkey/finish", &body).await
}

#[tokio::test]
async fn a_ceremony_is_single_use_and_expires() {
    let (app, clock) = passkey_app().await;
    store_passkey(&app, "alice", "Y3JlZC1h", "Laptop");
    let csrf = csrf_of(&app, "/login").await;

    let challenge = begin_sign_in(&app, &csrf).await;
    let (status, body) = finish_bogus(&app, &csrf, &challenge).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("passkey_rejected")),
        "{body}"
    );
    let (status, body) = finish_bogus(&app, &csrf, &challenge).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("challenge_expired")),
        "a second use: {body}"
    );

    let challenge = begin_sign_in(&app, &csrf).await;
    clock.advance(301);
    let (status, body) = finish_bogus(&app, &csrf, &challenge).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("challenge_expired")),
        "after 5 minutes: {body}"
    );
    let failures = audited(&app, "passkey.failed");
    assert_eq!(
        failures.len(),
        1,
        "only the checked-and-refused answer is a failure"
    );
    assert_eq!(
        failures[0].actor.as_deref(),
        Some("alice"),
        "the account the passkey named"
    );
}

#[tokio::test]
async fn a_passkey_unknown_here_is_refused_and_nobody_is_signed_in() {
    let (app, _clock) = passkey_app().await;
    let csrf = csrf_of(&app, "/login").await;
    let (_, begun) = post_json(&app, "/login/passkey/begin", &json!({"csrf_token": csrf})).await;
    let body = json!({"csrf_token": csrf, "challenge": begun["challenge"], "credential": bogus_assertion(&app, "bm9ib2R5")});
    let res = app
        .client
        .post(app.url("/login/passkey/finish"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(cookie_value(&res, "latchkey_session").is_none());
    let (status, body) = json_answer(res).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("passkey_rejected"))
    );
    assert_eq!(
        browse(&app, "/account").await.status(),
        303,
        "still signed out"
    );
}

#[tokio::test]
async fn failed_passkey_answers_count_against_their_source_in_the_sign_in_throttle() {
    let clock = clock_now();
    let app = spawn_at(&clock, |s| {
        s.issuer = format!("http://localhost:{}", s.bind.port());
        s.login_failures_per_ip = 2;
    })
    .await;
    store_passkey(&app, "alice", "Y3JlZC1h", "Laptop");
    let csrf = csrf_of(&app, "/login").await;
    let mut statuses = vec![];
    for _ in 0..4 {
        let (_, begun) =
            post_json(&app, "/login/passkey/begin", &json!({"csrf_token": csrf})).await;
        let body = json!({"csrf_token": csrf, "challenge": begun["challenge"], "credential": bogus_assertion(&app, "Y3JlZC1h")});
        let res = app
            .client
            .post(app.url("/login/passkey/finish"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let retry = res.headers().get("retry-after").is_some();
        let (status, _) = json_answer(res).await;
        statuses.push((status, retry));
    }
    assert_eq!(statuses[0], (401, false));
    assert!(statuses.contains(&(429, true)), "{statuses:?}");
    // The password form of the same source is held too: it is one throttle.
    let (status, _) = login_attempt(&app, &app.client, &[], "alice", PASSWORD).await;
    assert_eq!(status, 429);
}

#[tokio::test]
async fn ceremonies_begun_from_one_address_are_limited() {
    let clock = clock_now();
    let app = spawn_at(&clock, |s| {
        s.issuer = format!("http://localhost:{}", s.bind.port());
        s.pending_requests_per_address = 2;
    })
    .await;
    let csrf = csrf_of(&app, "/login").await;
    let mut statuses = vec![];
    for _ in 0..3 {
        let (status, _) =
            post_json(&app, "/login/passkey/begin", &json!({"csrf_token": csrf})).await;
        statuses.push(status);
    }
    assert_eq!(statuses, [200, 200, 429]);
    clock.advance(301);
    let (status, _) = post_json(&app, "/login/passkey/begin", &json!({"csrf_token": csrf})).await;
    assert_eq!(status, 200, "expired ceremonies no longer count");
}

#[tokio::test]
async fn the_login_page_offers_passkeys_in_the_username_field_and_loads_the_script() {
    let (app, _clock) = passkey_app().await;
    let res = browse(&app, "/login").await;
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = res.text().await.unwrap();
    assert!(
        html.contains(r#"autocomplete="username webauthn""#),
        "{html}"
    );
    assert!(html.contains(r#"<script src="/static/passkeys.js" defer></script>"#));
    assert!(html.contains("Sign in with a passkey"));
    assert!(!html.contains("<script>"), "no inline script");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    let js = browse(&app, "/static/passkeys.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(js.contains("\"conditional\"") && js.contains("/login/passkey/finish"));
}

#[tokio::test]
async fn with_an_ip_address_issuer_passkeys_are_not_offered_and_the_endpoints_say_so() {
    let app = spawn_oidc_app().await;
    let html = browse(&app, "/login").await.text().await.unwrap();
    assert!(html.contains(r#"autocomplete="username""#));
    assert!(!html.contains("passkey"), "{html}");
    let csrf = hidden(&html, "csrf_token").unwrap();
    let (status, body) =
        post_json(&app, "/login/passkey/begin", &json!({"csrf_token": csrf})).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("passkeys_unavailable"))
    );
}
