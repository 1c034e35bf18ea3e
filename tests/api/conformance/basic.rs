//! The OpenID Foundation's Basic OP plan, module by module, for a static client
//! (../shared/CONFORMANCE.md §2 and §3). Each test is named after its module and asserts what
//! that module checks, with the common checks of §2.5 (ID token) and §2.6 (userinfo).
//!
//! Modules covered in other files:
//! - oidcc-response-type-missing: authorize/validation.rs
//!   `authorize_without_response_type_redirects_with_invalid_request_state_and_iss`.
//! - oidcc-userinfo-get / -post-header / -post-body: userinfo/endpoint.rs
//!   `userinfo_accepts_get_with_a_bearer_header`, `..._post_with_a_bearer_header_and_an_empty_form_body`,
//!   `..._post_with_the_token_in_the_form_body` (and the lower-case `bearer` scheme).
//! - oidcc-display-page, oidcc-display-popup, oidcc-ui-locales, oidcc-claims-locales,
//!   oidcc-login-hint, oidcc-ensure-request-with-acr-values-succeeds,
//!   oidcc-ensure-request-with-unknown-parameter-succeeds: authorize/validation.rs
//!   `authorize_never_fails_because_of_unknown_parameters_display_locales_acr_values_login_hint_or_claims`.
//! - oidcc-prompt-none-not-logged-in: authorize/validation.rs
//!   `authorize_with_prompt_none_without_a_session_redirects_with_login_required_and_the_exact_state`.
//! - oidcc-codereuse (immediate reuse): token/endpoint.rs
//!   `a_reused_code_is_exactly_400_json_invalid_grant_and_revokes_the_tokens_it_gave`.
//! - oidcc-server-client-secret-post: token/endpoint.rs `client_secret_post_works`, with discovery
//!   listing `client_secret_post` in discovery_jwks.rs.
//! - oidcc-ensure-request-with-valid-pkce-succeeds: every flow here sends S256 PKCE.
//! - oidcc-request-uri-unsigned (dynamic clients only): authorize/validation.rs
//!   `authorize_with_request_uri_redirects_with_request_uri_not_supported`.
//! - oidcc-idtoken-unsigned (dynamic clients only): `none` is not in
//!   id_token_signing_alg_values_supported (discovery_jwks.rs), so the module is skipped.
//! - The setup checks of §2.1 (discovery and JWKS): discovery_jwks.rs.

use crate::support::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use latchkey::clock::{Clock, SystemClock};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Claims the suite expects in an ID token for scope=openid (EnsureIdTokenDoesNotContainNonRequestedClaims).
const ID_TOKEN_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "at_hash",
    "c_hash",
    "nbf",
    "jti",
    "sid",
    "s_hash",
];

/// §2.3: the callback of a successful request.
fn check_callback(app: &TestApp, j: &Journey, state: Option<&str>) -> String {
    assert!(
        j.callback.starts_with(&format!("{REDIRECT_URI}?")),
        "{}",
        j.callback
    );
    assert_eq!(j.param("error"), None, "{}", j.callback);
    assert_eq!(j.param("state").as_deref(), state, "state echoed exactly");
    assert_eq!(
        j.param("iss").as_deref(),
        Some(app.settings.issuer.as_str()),
        "iss equals the issuer"
    );
    let code = j.code();
    assert!(code.len() >= 16, "code >= 16 bytes");
    assert!(
        shannon_bits(&code) > 96.0,
        "code entropy {} bits",
        shannon_bits(&code)
    );
    code
}

/// §2.4: a token endpoint response.
fn check_token_response(t: &Value) {
    assert!(!str_of(t, "access_token").is_empty());
    assert!(
        str_of(t, "token_type").eq_ignore_ascii_case("bearer"),
        "{t}"
    );
    let e = t["expires_in"]
        .as_i64()
        .expect("expires_in present (W if missing)");
    assert!(e > 0 && e <= 31_536_000, "{e}");
    let at = str_of(t, "access_token");
    assert!(
        at.bytes().all(|b| (0x20..=0x7E).contains(&b)),
        "VSCHAR access token"
    );
    assert!(shannon_bits(at) > 96.0);
}

/// §2.5: the checks on every ID token. Returns its claims.
/// `nonce`: `Some(expected)` (None = must be absent), or `None` to not check it (refreshed tokens).
fn check_id_token(
    app: &TestApp,
    id_token: &str,
    client_id: &str,
    nonce: Option<Option<&str>>,
    access_token: Option<&str>,
) -> Value {
    let h = jwt_header(id_token);
    assert!(
        h["kid"].as_str().is_some_and(|k| !k.trim().is_empty()),
        "kid in {h}"
    );
    let c = jwt_claims(id_token);
    let now = SystemClock.now();
    assert_eq!(c["iss"], app.settings.issuer.as_str(), "iss");
    match &c["aud"] {
        Value::String(a) => assert_eq!(a, client_id),
        Value::Array(a) => assert!(a.iter().any(|x| x == client_id)),
        other => panic!("aud {other}"),
    }
    let exp = c["exp"].as_i64().expect("exp is a number");
    assert!(
        exp >= now - 300 && exp < now + 50 * 365 * 86_400,
        "exp in seconds: {exp}"
    );
    let iat = c["iat"].as_i64().expect("iat is a number");
    assert!((iat - now).abs() <= 300, "iat {iat} within 5 min of {now}");
    let auth_time = c["auth_time"]
        .as_i64()
        .expect("auth_time is always present");
    assert!(
        auth_time <= now + 300 && auth_time >= now - 365 * 86_400,
        "auth_time {auth_time}"
    );
    if let Some(expected) = nonce {
        assert_eq!(c["nonce"].as_str(), expected, "nonce");
    }
    let acr = c.get("acr").expect("latchkey always sends acr");
    assert!(acr.as_str().is_some_and(|a| !a.is_empty()), "acr {acr}");
    let sub = c["sub"].as_str().expect("sub");
    assert!(
        !sub.is_empty() && sub.len() <= 255 && sub.bytes().all(|b| (0x20..=0x7E).contains(&b)),
        "sub {sub:?}"
    );
    check_standard_claims(&c);
    if let (Some(at), Some(hash)) = (access_token, c.get("at_hash")) {
        assert_eq!(h["alg"], "RS256", "at_hash computed here for RS256 only");
        let d = Sha256::digest(at.as_bytes());
        assert_eq!(
            hash.as_str(),
            Some(URL_SAFE_NO_PAD.encode(&d[..16]).as_str()),
            "at_hash is correct"
        );
    }
    c
}

/// §2.6: claim typing, for userinfo and ID tokens.
fn check_standard_claims(v: &Value) {
    let standard_strings = [
        "sub",
        "name",
        "given_name",
        "family_name",
        "preferred_username",
        "email",
        "nickname",
        "locale",
        "zoneinfo",
        "website",
        "picture",
        "profile",
    ];
    for k in standard_strings {
        if let Some(x) = v.get(k) {
            let s = x.as_str().unwrap_or_else(|| panic!("{k} is a string: {x}"));
            assert!(!s.trim().is_empty() && s != "null", "{k} is not blank: {v}");
        }
    }
    if let Some(x) = v.get("email_verified") {
        assert!(x.is_boolean(), "email_verified is a boolean: {x}");
    }
    if let Some(x) = v.get("updated_at") {
        let t = x
            .as_i64()
            .unwrap_or_else(|| panic!("updated_at is a number: {x}"));
        assert!(
            t >= 631_152_000 && t <= SystemClock.now() + 300,
            "updated_at {t}"
        );
    }
    for (k, x) in v.as_object().unwrap() {
        assert!(!x.is_null(), "{k} is null");
    }
}

/// §2.6: a userinfo response for `id`'s subject. Returns its claims.
async fn check_userinfo(app: &TestApp, access_token: &str, id: &Value) -> Value {
    let res = userinfo(app, access_token).await;
    assert_eq!(res.status(), 200);
    let ct = header(&res, "content-type").unwrap_or_default();
    assert!(ct.starts_with("application/json"), "{ct}");
    let info: Value = res.json().await.expect("userinfo is JSON");
    assert!(info.is_object());
    assert_eq!(
        info["sub"], id["sub"],
        "userinfo sub equals the ID token sub"
    );
    check_standard_claims(&info);
    info
}

/// A whole code flow for alice through `app`'s client "app": returns (token response, ID token claims).
async fn flow(app: &TestApp, secret: &str, req: AuthReq) -> (Journey, Value, Value) {
    let j = authorize_as(app, &req.url(app), "alice").await;
    let state = req
        .params
        .iter()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.as_str());
    let code = check_callback(app, &j, state);
    let t = exchange(app, "app", Some(secret), &code, Some(&req.verifier)).await;
    check_token_response(&t);
    let nonce = req
        .params
        .iter()
        .find(|(k, _)| k == "nonce")
        .map(|(_, v)| v.as_str());
    let id = check_id_token(
        app,
        str_of(&t, "id_token"),
        "app",
        Some(nonce),
        Some(str_of(&t, "access_token")),
    );
    (j, t, id)
}

#[tokio::test]
async fn oidcc_server_plain_code_flow_passes_every_common_check() {
    let (app, secret) = app_with_client().await;
    let (_, t, id) = flow(&app, &secret, AuthReq::new("app")).await;
    assert!(
        id.get("name").is_none(),
        "no name in the ID token for scope=openid"
    );
    for k in id.as_object().unwrap().keys() {
        assert!(
            ID_TOKEN_CLAIMS.contains(&k.as_str()),
            "non-requested claim {k} in the ID token: {id}"
        );
    }
    check_userinfo(&app, str_of(&t, "access_token"), &id).await;
}

#[tokio::test]
async fn oidcc_idtoken_signature_id_token_has_a_kid_and_is_rs256_by_default() {
    let (app, secret) = app_with_client().await;
    let t = tokens(&app, "app", Some(&secret), &[]).await;
    let h = jwt_header(str_of(&t, "id_token"));
    assert_eq!(h["alg"], "RS256");
    assert!(h["kid"].as_str().is_some_and(|k| !k.is_empty()));
}

#[tokio::test]
async fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow_and_the_id_token_has_no_nonce() {
    let (app, secret) = app_with_client().await;
    let (_, _, id) = flow(&app, &secret, AuthReq::new("app").unset("nonce")).await;
    assert!(id.get("nonce").is_none());
}

#[tokio::test]
async fn oidcc_scope_profile_returns_the_profile_claims_at_userinfo() {
    let (app, secret) = app_with_client().await;
    let (_, t, id) = flow(
        &app,
        &secret,
        AuthReq::new("app").set("scope", "openid profile"),
    )
    .await;
    let info = check_userinfo(&app, str_of(&t, "access_token"), &id).await;
    assert_eq!(info["name"], "Alice Example");
    assert_eq!(info["preferred_username"], "alice");
    assert!(info["updated_at"].is_number());
    assert!(info.get("email").is_none());
}

#[tokio::test]
async fn oidcc_scope_email_returns_email_and_a_boolean_email_verified() {
    let (app, secret) = app_with_client().await;
    let (_, t, id) = flow(
        &app,
        &secret,
        AuthReq::new("app").set("scope", "openid email"),
    )
    .await;
    let info = check_userinfo(&app, str_of(&t, "access_token"), &id).await;
    assert_eq!(info["email"], "alice@example.com");
    assert_eq!(info["email_verified"], true);
}

#[tokio::test]
async fn oidcc_scope_address_and_phone_are_not_advertised_and_are_ignored_when_sent() {
    let (app, secret) = app_with_client().await;
    let meta: Value = browse(&app, "/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    let scopes: Vec<&str> = meta["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        !scopes.contains(&"address") && !scopes.contains(&"phone"),
        "the suite skips these modules: {scopes:?}"
    );
    // A static client sends them anyway: no invalid_scope.
    for scope in ["openid address", "openid phone"] {
        let (_, t, id) = flow(&app, &secret, AuthReq::new("app").set("scope", scope)).await;
        check_userinfo(&app, str_of(&t, "access_token"), &id).await;
    }
}

#[tokio::test]
async fn oidcc_scope_all_returns_every_supported_claim() {
    let (app, secret) = app_with_client().await;
    let req = AuthReq::new("app").set("scope", "openid email phone address profile");
    let (_, t, id) = flow(&app, &secret, req).await;
    let info = check_userinfo(&app, str_of(&t, "access_token"), &id).await;
    for k in [
        "name",
        "preferred_username",
        "updated_at",
        "email",
        "email_verified",
    ] {
        assert!(info.get(k).is_some(), "{k} in {info}");
    }
}

#[tokio::test]
async fn oidcc_alternate_happy_flow_accepts_reversed_scope_order_and_reordered_parameters() {
    let (app, secret) = app_with_client().await;
    let mut req = AuthReq::new("app").set("scope", "email openid");
    req.params.reverse();
    let (_, t, id) = flow(&app, &secret, req).await;
    let info = check_userinfo(&app, str_of(&t, "access_token"), &id).await;
    assert_eq!(info["email"], "alice@example.com");
}

#[tokio::test]
async fn oidcc_prompt_login_forces_a_new_login_and_a_strictly_later_auth_time() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    let (_, _, first) = flow(&app, &secret, AuthReq::new("app")).await;
    clock.advance(1);
    let (j, _, second) = flow(&app, &secret, AuthReq::new("app").set("prompt", "login")).await;
    assert!(j.saw("/login"), "the login page is shown again: {j:?}");
    assert!(!j.saw("/consent"), "consent was remembered: {j:?}");
    assert_eq!(second["sub"], first["sub"]);
    assert!(
        second["auth_time"].as_i64() > first["auth_time"].as_i64(),
        "{first} / {second}"
    );
}

#[tokio::test]
async fn oidcc_prompt_none_logged_in_succeeds_silently_with_the_same_sub_and_auth_time() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    let (_, _, first) = flow(&app, &secret, AuthReq::new("app")).await;
    clock.advance(3);
    let (j, _, second) = flow(&app, &secret, AuthReq::new("app").set("prompt", "none")).await;
    assert!(j.visited.is_empty(), "no login and no consent page: {j:?}");
    assert_eq!(second["sub"], first["sub"]);
    assert_eq!(second["auth_time"], first["auth_time"]);
}

#[tokio::test]
async fn oidcc_max_age_1_after_two_seconds_forces_a_new_login_and_a_later_auth_time() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    let (_, _, first) = flow(&app, &secret, AuthReq::new("app")).await;
    clock.advance(2);
    let (j, _, second) = flow(&app, &secret, AuthReq::new("app").set("max_age", "1")).await;
    assert!(j.saw("/login"), "a forced second login: {j:?}");
    assert_eq!(second["sub"], first["sub"]);
    let (a1, a2) = (
        first["auth_time"].as_i64().unwrap(),
        second["auth_time"].as_i64().unwrap(),
    );
    assert!(a2 > a1, "later auth_time: {a1} then {a2}");
    assert_eq!(a2, clock.now(), "auth_time is the time of the new login");
}

#[tokio::test]
async fn oidcc_max_age_1_with_prompt_none_after_two_seconds_is_login_required() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    flow(&app, &secret, AuthReq::new("app")).await;
    clock.advance(2);
    let res = browse(
        &app,
        &AuthReq::new("app")
            .set("max_age", "1")
            .set("prompt", "none")
            .url(&app),
    )
    .await;
    assert_redirect_error(&app, &res, "login_required", Some(STATE));
}

#[tokio::test]
async fn oidcc_max_age_10000_reuses_the_session_with_the_same_sub_and_auth_time() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    let (_, _, first) = flow(&app, &secret, AuthReq::new("app").set("max_age", "15000")).await;
    clock.advance(5);
    let (j, _, second) = flow(&app, &secret, AuthReq::new("app").set("max_age", "10000")).await;
    assert!(!j.saw("/login"), "no new login: {j:?}");
    assert!(first.get("auth_time").is_some() && second.get("auth_time").is_some());
    assert_eq!(second["sub"], first["sub"]);
    assert_eq!(second["auth_time"], first["auth_time"]);
}

#[tokio::test]
async fn oidcc_id_token_hint_with_prompt_none_succeeds_silently_with_the_same_sub_and_auth_time() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    let (_, t, first) = flow(&app, &secret, AuthReq::new("app")).await;
    let hint = str_of(&t, "id_token").to_owned();
    clock.advance(1);
    let req = AuthReq::new("app")
        .set("prompt", "none")
        .set("id_token_hint", &hint);
    let (j, _, second) = flow(&app, &secret, req).await;
    assert!(j.visited.is_empty(), "{j:?}");
    assert_eq!(second["sub"], first["sub"]);
    assert_eq!(second["auth_time"], first["auth_time"]);
    // An expired ID token is still a valid hint (OIDC Core §3.1.2.1).
    clock.advance(app.settings.id_token_ttl_secs + 1);
    let req = AuthReq::new("app")
        .set("prompt", "none")
        .set("id_token_hint", &hint);
    let j = authorize_as(&app, &req.url(&app), "alice").await;
    assert!(j.visited.is_empty(), "{j:?}");
    let t = exchange(&app, "app", Some(&secret), &j.code(), Some(&req.verifier)).await;
    assert_eq!(jwt_claims(str_of(&t, "id_token"))["sub"], first["sub"]);
}

#[tokio::test]
async fn oidcc_id_token_hint_for_another_user_with_prompt_none_is_login_required() {
    let (app, secret) = app_with_client().await;
    crate::support::add_user(&app, "bob", "bob@example.com", Some("Bob"));
    let req = AuthReq::new("app");
    let j = authorize_as(&app, &req.url(&app), "bob").await;
    let bobs = exchange(&app, "app", Some(&secret), &j.code(), Some(&req.verifier)).await;
    // Alice signs in in a new browser session (the app's cookie jar now holds her session).
    sign_in(&app, "alice").await;
    let req = AuthReq::new("app")
        .set("prompt", "none")
        .set("id_token_hint", str_of(&bobs, "id_token"));
    let res = browse(&app, &req.url(&app)).await;
    let loc = assert_redirect_error(&app, &res, "login_required", Some(STATE));
    assert!(loc.starts_with(REDIRECT_URI));
}

#[tokio::test]
async fn oidcc_codereuse_30seconds_is_exactly_400_json_invalid_grant_and_the_first_access_token_stops_working()
 {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    let (code, verifier) = get_code(&app, "app", &[]).await;
    let t = exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    let at = str_of(&t, "access_token").to_owned();
    clock.advance(30);
    let res = redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    let body = assert_oauth_error(res, 400, "invalid_grant").await;
    let err = body["error"].as_str().unwrap();
    assert!(err.bytes().all(|b| b == 0x20
        || b == 0x21
        || (0x23..=0x5B).contains(&b)
        || (0x5D..=0x7E).contains(&b)));
    let res = userinfo(&app, &at).await;
    assert!(
        res.status().is_client_error(),
        "tokens from a reused code are revoked: {}",
        res.status()
    );
}

#[tokio::test]
async fn oidcc_ensure_registered_redirect_uri_refuses_a_path_extension_with_an_error_page() {
    let (app, _) = app_with_client().await;
    // Even for a signed-in user who already consented.
    authorize_as(&app, &AuthReq::new("app").url(&app), "alice").await;
    let suffix: String = latchkey::crypto::random::token()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(10)
        .collect();
    let bad = format!("{REDIRECT_URI}/{suffix}");
    let res = browse(
        &app,
        &AuthReq::new("app").set("redirect_uri", &bad).url(&app),
    )
    .await;
    assert_error_page(res).await;
}

#[tokio::test]
async fn oidcc_ensure_post_request_succeeds() {
    let (app, secret) = app_with_client().await;
    let req = AuthReq::new("app");
    let res = app
        .client
        .post(app.url("/authorize"))
        .form(&req.params)
        .send()
        .await
        .unwrap();
    let j = drive(&app, res, "alice").await;
    let code = check_callback(&app, &j, Some(STATE));
    let t = exchange(&app, "app", Some(&secret), &code, Some(&req.verifier)).await;
    check_id_token(
        &app,
        str_of(&t, "id_token"),
        "app",
        Some(Some(NONCE)),
        Some(str_of(&t, "access_token")),
    );
    // And the errors of a POSTed request go back to the client the same way.
    let bad = AuthReq::new("app").set("response_type", "token");
    let res = app
        .client
        .post(app.url("/authorize"))
        .form(&bad.params)
        .send()
        .await
        .unwrap();
    assert_redirect_error(&app, &res, "unsupported_response_type", Some(STATE));
}

/// An unsigned (alg none) request object holding `claims`.
fn unsigned_request_object(claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[tokio::test]
async fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported() {
    let (app, _) = app_with_client().await;
    let full = AuthReq::new("app");
    let inner: serde_json::Map<String, Value> = full
        .params
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    let object = unsigned_request_object(&Value::Object(inner));
    // The URL repeats only response_type, client_id, scope and redirect_uri: state and nonce
    // are only inside the object, so an OP that ignored it would lose them.
    let url = app.url(&format!(
        "/authorize?{}",
        serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", "app"),
            ("scope", "openid"),
            ("redirect_uri", REDIRECT_URI),
            ("request", object.as_str()),
        ])
        .unwrap()
    ));
    let res = browse(&app, &url).await;
    assert_redirect_error(&app, &res, "request_not_supported", None);
}

#[tokio::test]
async fn oidcc_ensure_request_object_with_redirect_uri_shows_an_error_page_for_the_invalid_url_redirect_uri()
 {
    let (app, _) = app_with_client().await;
    let full = AuthReq::new("app");
    let inner: serde_json::Map<String, Value> = full
        .params
        .iter()
        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
        .collect();
    let object = unsigned_request_object(&Value::Object(inner));
    let req = AuthReq::new("app")
        .set("redirect_uri", &format!("{REDIRECT_URI}/_invalid"))
        .set("request", &object);
    let res = browse(&app, &req.url(&app)).await;
    // Never a redirect to the registered URI with request_not_supported.
    assert_error_page(res).await;
}

#[tokio::test]
async fn oidcc_claims_essential_returns_name_at_userinfo_but_not_in_the_id_token() {
    let (app, secret) = app_with_client().await;
    let req = AuthReq::new("app").set("claims", r#"{"userinfo":{"name":{"essential":true}}}"#);
    let (_, t, id) = flow(&app, &secret, req).await;
    assert!(id.get("name").is_none(), "the ID token has no name: {id}");
    let info = check_userinfo(&app, str_of(&t, "access_token"), &id).await;
    assert_eq!(info["name"], "Alice Example", "{info}");
    assert!(
        info.get("email").is_none(),
        "only what was asked for: {info}"
    );
}

#[tokio::test]
async fn oidcc_claims_for_the_id_token_are_honoured_too() {
    let (app, secret) = app_with_client().await;
    let req = AuthReq::new("app").set("claims", r#"{"id_token":{"email":null}}"#);
    let (_, t, id) = flow(&app, &secret, req).await;
    assert_eq!(id["email"], "alice@example.com", "{id}");
    let info = check_userinfo(&app, str_of(&t, "access_token"), &id).await;
    assert!(info.get("email").is_none(), "{info}");
}

#[tokio::test]
async fn oidcc_refresh_token_rotates_keeps_id_token_claims_and_refuses_another_clients_token() {
    let clock = clock_now();
    let app = spawn_oidc_app_at(clock.clone()).await;
    let meta: Value = browse(&app, "/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        meta["grant_types_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "refresh_token")
    );
    assert!(
        meta["scopes_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "offline_access")
    );
    let s1 = add_client(
        &app,
        &ClientSpec {
            client_id: "app",
            ..Default::default()
        },
    )
    .unwrap();
    let s2 = add_client(
        &app,
        &ClientSpec {
            client_id: "app2",
            ..Default::default()
        },
    )
    .unwrap();
    let scope = "openid offline_access";

    let mut latest = Vec::new();
    for (client, secret) in [("app", &s1), ("app2", &s2)] {
        let req = AuthReq::new(client)
            .set("scope", scope)
            .set("prompt", "consent");
        let j = authorize_as(&app, &req.url(&app), "alice").await;
        assert!(j.saw("/consent"), "prompt=consent shows consent: {j:?}");
        let t = exchange(&app, client, Some(secret), &j.code(), Some(&req.verifier)).await;
        let rt = str_of(&t, "refresh_token");
        assert!(
            rt.bytes().all(|b| (0x20..=0x7E).contains(&b)),
            "refresh token chars"
        );
        let before = check_id_token(
            &app,
            str_of(&t, "id_token"),
            client,
            Some(Some(NONCE)),
            None,
        );

        clock.advance(1);
        let res = refresh(&app, client, secret, rt, Some(scope)).await;
        assert_eq!(res.status(), 200);
        let ct = header(&res, "content-type").unwrap_or_default();
        assert!(ct.starts_with("application/json"), "{ct}");
        let r = token_ok(res).await;
        check_token_response(&r);
        let new_rt = str_of(&r, "refresh_token");
        assert!(
            new_rt.len() >= 16 && shannon_bits(new_rt) > 96.0,
            "{new_rt}"
        );
        if let Some(new_id) = r.get("id_token").and_then(Value::as_str) {
            let after = check_id_token(&app, new_id, client, None, None);
            assert_eq!(after["iss"], before["iss"]);
            assert_eq!(after["sub"], before["sub"]);
            assert_ne!(after["iat"], before["iat"], "iat must differ");
            assert_eq!(after["aud"], before["aud"]);
            if after.get("auth_time").is_some() {
                assert_eq!(after["auth_time"], before["auth_time"]);
            }
            assert_eq!(after.get("azp"), before.get("azp"));
        }
        let res = userinfo(&app, str_of(&r, "access_token")).await;
        assert_eq!(res.status(), 200);
        latest.push(new_rt.to_owned());
    }
    // Client 1 presents client 2's refresh token.
    let res = refresh(&app, "app", &s1, &latest[1], Some(scope)).await;
    assert_oauth_error(res, 400, "invalid_grant").await;
}
