//! The authorization endpoint's rules (issue 3): client and redirect_uri problems show a page
//! and never redirect; everything after that goes back to the client with `error`, `state`
//! and `iss`. Login and consent pages are in login_consent.rs.
//! An authorization request sent as POST: conformance_basic.rs, `oidcc_ensure_post_request_succeeds...`.

use crate::support::*;

// ---- before the redirect_uri is trusted: an error page, never a redirect ----

#[tokio::test]
async fn authorize_with_unknown_client_id_shows_error_page_and_does_not_redirect() {
    let (app, _) = app_with_client().await;
    let res = browse(&app, &AuthReq::new("nobody").url(&app)).await;
    assert_error_page(res).await;
}

#[tokio::test]
async fn authorize_without_client_id_shows_error_page_and_does_not_redirect() {
    let (app, _) = app_with_client().await;
    let res = browse(&app, &AuthReq::new("app").unset("client_id").url(&app)).await;
    assert_error_page(res).await;
}

#[tokio::test]
async fn authorize_without_redirect_uri_shows_error_page_and_does_not_redirect() {
    let (app, _) = app_with_client().await;
    let res = browse(&app, &AuthReq::new("app").unset("redirect_uri").url(&app)).await;
    assert_error_page(res).await;
}

#[tokio::test]
async fn authorize_with_unregistered_redirect_uri_shows_error_page_and_does_not_redirect() {
    let (app, _) = app_with_client().await;
    let req = AuthReq::new("app").set("redirect_uri", "https://evil.example/cb");
    assert_error_page(browse(&app, &req.url(&app)).await).await;
}

#[tokio::test]
async fn authorize_with_registered_redirect_uri_plus_appended_path_shows_error_page() {
    let (app, _) = app_with_client().await;
    let req = AuthReq::new("app").set("redirect_uri", &format!("{REDIRECT_URI}/extra"));
    assert_error_page(browse(&app, &req.url(&app)).await).await;
}

#[tokio::test]
async fn authorize_with_registered_redirect_uri_plus_extra_query_shows_error_page() {
    let (app, _) = app_with_client().await;
    let req = AuthReq::new("app").set("redirect_uri", &format!("{REDIRECT_URI}?next=/admin"));
    assert_error_page(browse(&app, &req.url(&app)).await).await;
}

#[tokio::test]
async fn authorize_with_redirect_uri_in_different_case_shows_error_page() {
    let (app, _) = app_with_client().await;
    for uri in [
        "http://127.0.0.1:9/CB",
        "HTTP://127.0.0.1:9/cb",
        "http://127.0.0.1:9/cb/",
    ] {
        let req = AuthReq::new("app").set("redirect_uri", uri);
        assert_error_page(browse(&app, &req.url(&app)).await).await;
    }
}

#[tokio::test]
async fn authorize_with_bad_redirect_uri_shows_error_page_even_when_other_parameters_are_wrong_too()
{
    let (app, _) = app_with_client().await;
    let req = AuthReq::new("app")
        .set("redirect_uri", "https://evil.example/cb")
        .set("response_type", "token")
        .set("prompt", "none");
    assert_error_page(browse(&app, &req.url(&app)).await).await;
}

#[tokio::test]
async fn authorize_with_repeated_client_id_or_redirect_uri_shows_error_page() {
    let (app, _) = app_with_client().await;
    let req = AuthReq::new("app").add("redirect_uri", "https://evil.example/cb");
    assert_error_page(browse(&app, &req.url(&app)).await).await;
    let req = AuthReq::new("app").add("client_id", "app");
    assert_error_page(browse(&app, &req.url(&app)).await).await;
}

#[tokio::test]
async fn registered_redirect_uri_with_a_query_keeps_it_and_must_be_sent_exactly() {
    let app = spawn_oidc_app().await;
    let uri = format!("{REDIRECT_URI}?tenant=a");
    let secret = add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            redirect_uris: vec![uri.clone()],
            ..Default::default()
        },
    )
    .unwrap();
    let req = AuthReq::new("app").set("redirect_uri", &uri);
    let j = authorize_as(&app, &req.url(&app), "alice").await;
    assert!(j.callback.starts_with(&format!("{uri}&")), "{}", j.callback);
    assert_eq!(
        j.param("tenant").as_deref(),
        Some("a"),
        "the registered query comes back unchanged"
    );
    // The token request must name the same redirect_uri.
    let res = token_request(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &j.code()),
            ("redirect_uri", &uri),
            ("code_verifier", &req.verifier),
        ],
        Some(("app", &secret)),
    )
    .await;
    token_ok(res).await;
    // Without its query it is another URI.
    let req = AuthReq::new("app");
    assert_error_page(browse(&app, &req.url(&app)).await).await;
}

// ---- after the redirect_uri is trusted: errors go back to the client ----

#[tokio::test]
async fn authorize_without_response_type_redirects_with_invalid_request_state_and_iss() {
    let (app, _) = app_with_client().await;
    let res = browse(&app, &AuthReq::new("app").unset("response_type").url(&app)).await;
    assert_redirect_error(&app, &res, "invalid_request", Some(STATE));
}

#[tokio::test]
async fn authorize_with_response_type_token_redirects_with_unsupported_response_type() {
    let (app, _) = app_with_client().await;
    for rt in ["token", "id_token", "code id_token", "code token"] {
        let res = browse(
            &app,
            &AuthReq::new("app").set("response_type", rt).url(&app),
        )
        .await;
        assert_redirect_error(&app, &res, "unsupported_response_type", Some(STATE));
    }
}

#[tokio::test]
async fn authorize_with_scope_without_openid_redirects_with_invalid_scope() {
    let (app, _) = app_with_client().await;
    let res = browse(
        &app,
        &AuthReq::new("app").set("scope", "profile email").url(&app),
    )
    .await;
    assert_redirect_error(&app, &res, "invalid_scope", Some(STATE));
    let res = browse(&app, &AuthReq::new("app").unset("scope").url(&app)).await;
    assert_redirect_error(&app, &res, "invalid_scope", Some(STATE));
}

#[tokio::test]
async fn authorize_ignores_unknown_scope_values_and_leaves_them_out_of_the_token() {
    let (app, secret) = app_with_client().await;
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid frobnicate phone https://api.example/read")],
    )
    .await;
    assert_eq!(
        str_of(&t, "scope"),
        "openid",
        "unknown scopes are dropped: {t}"
    );
    let at = jwt_claims(str_of(&t, "access_token"));
    assert_eq!(at["scope"], "openid");
}

#[tokio::test]
async fn authorize_with_a_known_scope_the_client_may_not_use_redirects_with_invalid_scope() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            scopes: &["openid", "profile"],
            ..Default::default()
        },
    );
    let res = browse(
        &app,
        &AuthReq::new("app").set("scope", "openid email").url(&app),
    )
    .await;
    assert_redirect_error(&app, &res, "invalid_scope", Some(STATE));
}

#[tokio::test]
async fn authorize_with_code_challenge_method_plain_redirects_with_invalid_request() {
    let (app, _) = app_with_client().await;
    let (verifier, _) = pkce_pair();
    let req = AuthReq::new("app")
        .set("code_challenge", &verifier)
        .set("code_challenge_method", "plain");
    let res = browse(&app, &req.url(&app)).await;
    assert_redirect_error(&app, &res, "invalid_request", Some(STATE));
    // A challenge without a method defaults to plain (RFC 7636 §4.3): refused too.
    let req = AuthReq::new("app")
        .set("code_challenge", &verifier)
        .unset("code_challenge_method");
    let res = browse(&app, &req.url(&app)).await;
    assert_redirect_error(&app, &res, "invalid_request", Some(STATE));
}

#[tokio::test]
async fn authorize_with_request_object_redirects_with_request_not_supported() {
    let (app, _) = app_with_client().await;
    let req = AuthReq::new("app").set("request", "eyJhbGciOiJub25lIn0.eyJzdGF0ZSI6IngifQ.");
    let res = browse(&app, &req.url(&app)).await;
    assert_redirect_error(&app, &res, "request_not_supported", Some(STATE));
}

#[tokio::test]
async fn authorize_with_request_uri_redirects_with_request_uri_not_supported() {
    let (app, _) = app_with_client().await;
    let req = AuthReq::new("app").set("request_uri", "https://rp.example/request.jwt");
    let res = browse(&app, &req.url(&app)).await;
    assert_redirect_error(&app, &res, "request_uri_not_supported", Some(STATE));
}

#[tokio::test]
async fn authorize_with_a_repeated_parameter_redirects_with_invalid_request() {
    let (app, _) = app_with_client().await;
    for key in ["scope", "state", "nonce", "response_type", "code_challenge"] {
        let value = AuthReq::new("app")
            .params
            .iter()
            .find(|(k, _)| k == key)
            .unwrap()
            .1
            .clone();
        let req = AuthReq::new("app").add(key, &value);
        let res = browse(&app, &req.url(&app)).await;
        assert_eq!(res.status(), 302, "repeated {key}");
        let loc = location(&res);
        assert_eq!(
            query_param(&loc, "error").as_deref(),
            Some("invalid_request"),
            "repeated {key}: {loc}"
        );
        assert_eq!(query_param(&loc, "code"), None);
    }
}

#[tokio::test]
async fn authorize_with_prompt_none_without_a_session_redirects_with_login_required_and_the_exact_state()
 {
    let (app, _) = app_with_client().await;
    let mut state = latchkey::crypto::random::token() + &"Zz09".repeat(21);
    state.truncate(124);
    state.push_str("-._~");
    assert_eq!(state.len(), 128);
    let req = AuthReq::new("app")
        .set("prompt", "none")
        .set("state", &state);
    let res = fresh_browser().get(req.url(&app)).send().await.unwrap();
    assert_redirect_error(&app, &res, "login_required", Some(&state));
}

#[tokio::test]
async fn authorize_with_prompt_none_and_a_session_but_no_consent_redirects_with_consent_required() {
    let (app, _) = app_with_client().await;
    sign_in(&app, "alice").await;
    let req = AuthReq::new("app").set("prompt", "none");
    let res = browse(&app, &req.url(&app)).await;
    assert_redirect_error(&app, &res, "consent_required", Some(STATE));
}

#[tokio::test]
async fn authorize_with_prompt_none_combined_with_login_redirects_with_invalid_request() {
    let (app, _) = app_with_client().await;
    for prompt in ["none login", "consent none"] {
        let res = browse(&app, &AuthReq::new("app").set("prompt", prompt).url(&app)).await;
        assert_redirect_error(&app, &res, "invalid_request", Some(STATE));
    }
}

#[tokio::test]
async fn authorize_with_an_unknown_prompt_value_redirects_with_invalid_request() {
    let (app, _) = app_with_client().await;
    let res = browse(
        &app,
        &AuthReq::new("app").set("prompt", "sideways").url(&app),
    )
    .await;
    assert_redirect_error(&app, &res, "invalid_request", Some(STATE));
}

#[tokio::test]
async fn authorize_with_a_malformed_max_age_redirects_with_invalid_request() {
    let (app, _) = app_with_client().await;
    for v in ["-1", "soon"] {
        let res = browse(&app, &AuthReq::new("app").set("max_age", v).url(&app)).await;
        assert_redirect_error(&app, &res, "invalid_request", Some(STATE));
    }
}

#[tokio::test]
async fn authorize_with_an_unsupported_response_mode_redirects_with_invalid_request() {
    let (app, _) = app_with_client().await;
    let res = browse(
        &app,
        &AuthReq::new("app")
            .set("response_mode", "fragment")
            .url(&app),
    )
    .await;
    assert_redirect_error(&app, &res, "invalid_request", Some(STATE));
}

/// Covers the conformance modules oidcc-ensure-request-with-unknown-parameter-succeeds,
/// oidcc-display-page, oidcc-display-popup, oidcc-ui-locales, oidcc-claims-locales,
/// oidcc-ensure-request-with-acr-values-succeeds and oidcc-login-hint.
#[tokio::test]
async fn authorize_never_fails_because_of_unknown_parameters_display_locales_acr_values_login_hint_or_claims()
 {
    let (app, secret) = app_with_client().await;
    let host = url::Url::parse(&app.settings.issuer)
        .unwrap()
        .host_str()
        .unwrap()
        .to_owned();
    let buffy = format!("buffy@{host}");
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("extra", "foobar")],
        vec![("display", "page")],
        vec![("display", "popup")],
        vec![("ui_locales", "se")],
        vec![("claims_locales", "se")],
        vec![("acr_values", "1 2")],
        vec![("login_hint", &buffy)],
        vec![("claims", r#"{"userinfo":{"name":{"essential":true}}}"#)],
        vec![(
            "claims",
            r#"{"id_token":{"auth_time":{"essential":true},"acr":{"values":["urn:x"]}},"userinfo":{"nickname":null}}"#,
        )],
        vec![
            ("extra", "foobar"),
            ("display", "touch"),
            ("ui_locales", "fr-CA en"),
            ("claims_locales", "de"),
            ("acr_values", "0"),
        ],
    ];
    for extra in cases {
        let t = tokens(&app, "app", Some(&secret), &extra).await;
        let id = jwt_claims(str_of(&t, "id_token"));
        assert_eq!(id["nonce"], NONCE, "{extra:?}");
        if let Some(acr) = id.get("acr") {
            assert!(
                acr.as_str().is_some_and(|a| !a.is_empty()),
                "acr, if present, is a non-empty string: {id}"
            );
        }
    }
}

#[tokio::test]
async fn authorize_with_login_hint_prefills_the_username_field() {
    let (app, _) = app_with_client().await;
    let res = browse(
        &app,
        &AuthReq::new("app").set("login_hint", "alice").url(&app),
    )
    .await;
    assert_eq!(res.status(), 303);
    let login = location(&res);
    assert!(login.starts_with("/login"), "{login}");
    let html = browse(&app, &login).await.text().await.unwrap();
    assert_eq!(
        input_value(&html, "username").as_deref(),
        Some("alice"),
        "{html}"
    );
    // A hint is text, never markup.
    let res = browse(
        &app,
        &AuthReq::new("app")
            .set("login_hint", "\"><script>x</script>")
            .url(&app),
    )
    .await;
    let html = browse(&app, &location(&res)).await.text().await.unwrap();
    assert!(!html.contains("<script>x"), "the hint is escaped: {html}");
}

/// The `value` of the input named `name`.
fn input_value(html: &str, name: &str) -> Option<String> {
    let start = html.find(&format!("name=\"{name}\""))?;
    let tag_start = html[..start].rfind('<')?;
    let tag_end = start + html[start..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let v = tag.find("value=\"")? + "value=\"".len();
    let end = tag[v..].find('"')?;
    Some(tag[v..v + end].to_owned())
}

#[tokio::test]
async fn authorize_with_response_mode_form_post_returns_a_self_posting_form_under_a_strict_csp() {
    let app = spawn_oidc_app().await;
    let secret = add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..Default::default()
        },
    )
    .unwrap();
    sign_in(&app, "alice").await;
    let req = AuthReq::new("app").set("response_mode", "form_post");
    let res = browse(&app, &req.url(&app)).await;
    assert_eq!(
        res.status(),
        200,
        "form_post answers with a page, not a redirect"
    );
    assert!(res.headers().get("location").is_none());
    assert!(
        header(&res, "content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert_no_store(&res);
    let csp = header(&res, "content-security-policy").expect("a CSP");
    let form_action = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("form-action"))
        .unwrap_or_else(|| panic!("CSP has form-action: {csp}"));
    assert!(
        form_action.split(' ').any(|s| s == "http://127.0.0.1:9"),
        "form-action allows the client origin: {csp}"
    );
    assert!(
        !csp.contains("unsafe-inline"),
        "no inline script allowed: {csp}"
    );
    let html = res.text().await.unwrap();
    assert!(html.contains("method=\"post\""), "{html}");
    assert!(
        html.contains(&format!("action=\"{REDIRECT_URI}\"")),
        "{html}"
    );
    let code = input_value(&html, "code").expect("code field");
    assert_eq!(input_value(&html, "state").as_deref(), Some(STATE));
    assert_eq!(
        input_value(&html, "iss").as_deref(),
        Some(app.settings.issuer.as_str())
    );
    for (i, _) in html.match_indices("<script") {
        let tag = &html[i..i + html[i..].find('>').unwrap()];
        assert!(tag.contains("src="), "no inline script: {tag}");
        let close = &html[i + tag.len() + 1..];
        assert!(
            close.starts_with("</script>"),
            "script elements are empty: {html}"
        );
    }
    for handler in ["onload=", "onclick=", "onsubmit=", "javascript:"] {
        assert!(!html.contains(handler), "no inline handlers: {html}");
    }
    assert!(
        html.contains("<button") || html.contains("type=\"submit\""),
        "works without JavaScript: {html}"
    );
    let t = exchange(&app, "app", Some(&secret), &code, Some(&req.verifier)).await;
    assert!(t.get("id_token").is_some());
}

#[tokio::test]
async fn authorize_with_response_mode_form_post_also_posts_errors() {
    let (app, _) = app_with_client().await;
    let req = AuthReq::new("app")
        .set("response_mode", "form_post")
        .set("prompt", "none");
    let res = fresh_browser().get(req.url(&app)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert_eq!(
        input_value(&html, "error").as_deref(),
        Some("login_required"),
        "{html}"
    );
    assert_eq!(input_value(&html, "state").as_deref(), Some(STATE));
    assert_eq!(input_value(&html, "code"), None);
}

#[tokio::test]
async fn authorize_error_description_never_contains_a_quote_or_backslash() {
    let (app, _) = app_with_client().await;
    let nasty = r#"x"y\z"#;
    let scope = format!("openid {nasty}");
    let cases = [
        ("prompt", nasty),
        ("max_age", nasty),
        ("response_type", nasty),
        ("response_mode", nasty),
        ("scope", scope.as_str()),
        ("claims", nasty),
        ("code_challenge", nasty),
        ("id_token_hint", nasty),
    ];
    for (k, v) in cases {
        let res = browse(&app, &AuthReq::new("app").set(k, v).url(&app)).await;
        assert_eq!(res.status(), 302, "{k}={v}");
        let loc = location(&res);
        assert!(query_param(&loc, "error").is_some(), "{k}: {loc}");
        let d = query_param(&loc, "error_description").unwrap_or_default();
        assert!(!d.contains('"') && !d.contains('\\'), "{k}: {d:?}");
        assert_clean_description(&d);
    }
}

#[tokio::test]
async fn authorize_returns_the_code_with_state_and_iss_in_the_query() {
    let (app, _) = app_with_client().await;
    let j = authorize_as(&app, &AuthReq::new("app").url(&app), "alice").await;
    assert!(
        j.callback.starts_with(&format!("{REDIRECT_URI}?")),
        "{}",
        j.callback
    );
    assert_eq!(j.param("state").as_deref(), Some(STATE));
    assert_eq!(
        j.param("iss").as_deref(),
        Some(app.settings.issuer.as_str())
    );
    let code = j.code();
    assert!(code.len() >= 43 && is_base64url(&code), "{code}");
    assert!(url::Url::parse(&j.callback).unwrap().fragment().is_none());
}

#[tokio::test]
async fn authorize_for_a_client_without_the_code_grant_redirects_with_unauthorized_client() {
    let app = spawn_oidc_app().await;
    add_client(
        &app,
        &ClientSpec {
            grant_types: &["client_credentials"],
            ..Default::default()
        },
    );
    let res = browse(&app, &AuthReq::new("app").url(&app)).await;
    assert_redirect_error(&app, &res, "unauthorized_client", Some(STATE));
}

#[tokio::test]
async fn authorize_with_an_id_token_hint_we_did_not_issue_redirects_with_invalid_request() {
    let (app, _) = app_with_client().await;
    let res = browse(
        &app,
        &AuthReq::new("app")
            .set("id_token_hint", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
            .url(&app),
    )
    .await;
    assert_redirect_error(&app, &res, "invalid_request", Some(STATE));
}

#[tokio::test]
async fn authorize_with_client_id_in_different_case_shows_error_page() {
    let (app, _) = app_with_client().await;
    let res = browse(&app, &AuthReq::new("APP").url(&app)).await;
    assert_error_page(res).await;
}

#[tokio::test]
async fn authorize_echoes_state_and_nonce_with_reserved_and_non_ascii_characters_exactly() {
    let (app, secret) = app_with_client().await;
    let state = "a b&c=d+e/f?g#h%20i\u{e9}\u{1F511}";
    let nonce = "n&=+ %/\u{e9}";
    let req = AuthReq::new("app").set("state", state).set("nonce", nonce);
    let j = authorize_as(&app, &req.url(&app), "alice").await;
    assert_eq!(j.param("state").as_deref(), Some(state), "{}", j.callback);
    let t = exchange(&app, "app", Some(&secret), &j.code(), Some(&req.verifier)).await;
    assert_eq!(jwt_claims(str_of(&t, "id_token"))["nonce"], nonce);
    // And on an error response.
    let res = browse(
        &app,
        &AuthReq::new("app")
            .set("state", state)
            .set("response_type", "token")
            .url(&app),
    )
    .await;
    assert_redirect_error(&app, &res, "unsupported_response_type", Some(state));
}
