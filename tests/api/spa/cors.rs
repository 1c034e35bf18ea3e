//! CORS at /token, /userinfo, /revoke and /device_authorization: preflights, and actual
//! responses that echo `Origin` only for the client concerned.

use crate::support::*;
use reqwest::Response;

const SPA_ORIGIN: &str = "https://spa.example";
const EVIL: &str = "https://evil.example";
/// The origin of `REDIRECT_URI`, allowed by default for every client registered with it.
const REDIRECT_ORIGIN: &str = "http://127.0.0.1:9";

/// A public client `spa` (redirect URI `REDIRECT_URI`) that also allows `SPA_ORIGIN`.
fn spa_spec() -> ClientSpec {
    ClientSpec {
        client_id: "spa",
        public: true,
        skip_consent: true,
        web_origins: vec![SPA_ORIGIN.to_owned()],
        ..Default::default()
    }
}

/// A public client `b` with a redirect URI on another origin and no extra web origins.
fn b_spec() -> ClientSpec {
    ClientSpec {
        client_id: "b",
        public: true,
        skip_consent: true,
        redirect_uris: vec!["https://b.example/cb".to_owned()],
        ..Default::default()
    }
}

fn acao(res: &Response) -> Option<String> {
    header(res, "access-control-allow-origin")
}

fn assert_no_cors(res: &Response, what: &str) {
    for h in res.headers().keys() {
        assert!(
            !h.as_str().starts_with("access-control-"),
            "{what}: unexpected CORS header {h}"
        );
    }
}

fn assert_echoes(res: &Response, origin: &str, what: &str) {
    assert_eq!(acao(res).as_deref(), Some(origin), "{what}");
    let vary = header(res, "vary").unwrap_or_default();
    assert!(vary.contains("Origin"), "{what}: Vary {vary:?}");
    assert_eq!(
        header(res, "access-control-allow-credentials"),
        None,
        "{what}: never credentials"
    );
}

async fn preflight(app: &TestApp, path: &str, origin: &str) -> Response {
    reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, app.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type, authorization",
        )
        .send()
        .await
        .expect("OPTIONS")
}

async fn post_from(app: &TestApp, path: &str, origin: &str, form: &[(&str, &str)]) -> Response {
    reqwest::Client::new()
        .post(app.url(path))
        .header("Origin", origin)
        .form(form)
        .send()
        .await
        .expect("POST")
}

async fn userinfo_from(app: &TestApp, token: &str, origin: &str) -> Response {
    reqwest::Client::new()
        .get(app.url("/userinfo"))
        .header("Origin", origin)
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("GET /userinfo")
}

async fn app_with_spa() -> TestApp {
    let app = spawn_oidc_app().await;
    add_client(&app, &spa_spec());
    add_client(&app, &b_spec());
    app
}

/// A code for `spa`, redeemed by a browser on `origin`.
async fn redeem_from(app: &TestApp, origin: &str) -> Response {
    let (code, verifier) = get_code(app, "spa", &[("scope", "openid offline_access")]).await;
    post_from(
        app,
        "/token",
        origin,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
            ("client_id", "spa"),
        ],
    )
    .await
}

#[tokio::test]
async fn preflights_answer_204_with_methods_headers_and_max_age_for_an_allowed_origin() {
    let app = app_with_spa().await;
    for (path, methods) in [
        ("/token", "POST"),
        ("/revoke", "POST"),
        ("/device_authorization", "POST"),
        ("/userinfo", "GET, POST"),
    ] {
        for origin in [SPA_ORIGIN, REDIRECT_ORIGIN, "https://b.example"] {
            let res = preflight(&app, path, origin).await;
            assert_eq!(res.status(), 204, "{path} from {origin}");
            assert_echoes(&res, origin, path);
            assert_eq!(
                header(&res, "access-control-allow-methods").as_deref(),
                Some(methods),
                "{path}"
            );
            let allowed = header(&res, "access-control-allow-headers").unwrap_or_default();
            assert!(allowed.contains("authorization"), "{path}: {allowed}");
            assert!(allowed.contains("content-type"), "{path}: {allowed}");
            assert!(
                header(&res, "access-control-max-age").is_some(),
                "{path}: max age"
            );
        }
    }
}

#[tokio::test]
async fn a_preflight_from_an_origin_no_client_allows_gets_no_allow_origin() {
    let app = app_with_spa().await;
    for path in ["/token", "/revoke", "/device_authorization", "/userinfo"] {
        for origin in [
            EVIL,
            "null",
            "https://spa.example.evil",
            "http://127.0.0.1:10",
        ] {
            let res = preflight(&app, path, origin).await;
            assert_eq!(res.status(), 204, "{path} from {origin}");
            assert_eq!(acao(&res), None, "{path} from {origin}");
            assert!(
                header(&res, "vary").unwrap_or_default().contains("Origin"),
                "{path}: Vary"
            );
        }
    }
}

#[tokio::test]
async fn a_token_response_echoes_an_origin_the_client_allows_and_nothing_else() {
    let app = app_with_spa().await;
    for origin in [SPA_ORIGIN, REDIRECT_ORIGIN] {
        let res = redeem_from(&app, origin).await;
        assert_echoes(&res, origin, "token response");
        let body = token_ok(res).await;
        assert!(body.get("refresh_token").is_some(), "{body}");
    }
    // Without Origin (a server-side client): no CORS header at all.
    let (code, verifier) = get_code(&app, "spa", &[]).await;
    let res = redeem(&app, "spa", None, &code, Some(&verifier)).await;
    assert_no_cors(&res, "no Origin");
    token_ok(res).await;
}

#[tokio::test]
async fn an_origin_no_client_allows_cannot_read_a_token_response() {
    let app = app_with_spa().await;
    let res = redeem_from(&app, EVIL).await;
    assert_eq!(
        acao(&res),
        None,
        "the browser must not let evil read the tokens"
    );
    assert_no_cors(&res, "token from evil");
}

#[tokio::test]
async fn an_origin_allowed_for_client_a_gets_no_allow_origin_on_a_request_for_client_b() {
    let app = app_with_spa().await;
    // The code flow of client b, from spa's origin: no header, success or not.
    let res = post_from(
        &app,
        "/token",
        SPA_ORIGIN,
        &[
            ("grant_type", "authorization_code"),
            ("code", "nonsense"),
            ("redirect_uri", "https://b.example/cb"),
            ("code_verifier", &"v".repeat(43)),
            ("client_id", "b"),
        ],
    )
    .await;
    assert_no_cors(&res, "token for b from spa's origin");
    // ...while b's own origin reads the same error.
    let res = post_from(
        &app,
        "/token",
        "https://b.example",
        &[
            ("grant_type", "authorization_code"),
            ("code", "nonsense"),
            ("redirect_uri", "https://b.example/cb"),
            ("code_verifier", &"v".repeat(43)),
            ("client_id", "b"),
        ],
    )
    .await;
    assert_echoes(&res, "https://b.example", "b's own origin reads its error");
    assert_oauth_error(res, 400, "invalid_grant").await;
    // Basic auth names the client as well: a confidential client's origin is not spa's.
    let secret = add_client(&app, &app_spec()).expect("secret");
    let res = reqwest::Client::new()
        .post(app.url("/token"))
        .header("Origin", SPA_ORIGIN)
        .header("Authorization", basic("app", &secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .expect("POST");
    assert_no_cors(&res, "Basic-authenticated app from spa's origin");
    // Device authorization and revocation decide by client too.
    for path in ["/device_authorization", "/revoke"] {
        let res = post_from(
            &app,
            path,
            SPA_ORIGIN,
            &[("client_id", "b"), ("token", "x")],
        )
        .await;
        assert_no_cors(&res, path);
        let res = post_from(
            &app,
            path,
            SPA_ORIGIN,
            &[("client_id", "spa"), ("token", "x")],
        )
        .await;
        assert_echoes(&res, SPA_ORIGIN, path);
    }
}

#[tokio::test]
async fn an_allowed_origin_reads_token_errors_too() {
    let app = app_with_spa().await;
    let res = post_from(
        &app,
        "/token",
        SPA_ORIGIN,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "stolen"),
            ("client_id", "spa"),
        ],
    )
    .await;
    assert_echoes(&res, SPA_ORIGIN, "error response");
    assert_oauth_error(res, 400, "invalid_grant").await;
}

#[tokio::test]
async fn userinfo_echoes_only_origins_of_the_client_the_token_was_issued_to() {
    let app = app_with_spa().await;
    let t = token_ok(redeem_from(&app, SPA_ORIGIN).await).await;
    let at = str_of(&t, "access_token");
    let res = userinfo_from(&app, at, SPA_ORIGIN).await;
    assert_eq!(res.status(), 200);
    assert_echoes(&res, SPA_ORIGIN, "userinfo");
    // b.example is allowed for client b, not for the token's client.
    for origin in ["https://b.example", EVIL] {
        let res = userinfo_from(&app, at, origin).await;
        assert_eq!(res.status(), 200);
        assert_no_cors(&res, origin);
    }
    // No Origin: no CORS header (no more `*`).
    let res = userinfo(&app, at).await;
    assert_no_cors(&res, "userinfo without Origin");
    // A forged token names no client: nothing to echo.
    let res = userinfo_from(&app, "a.b.c", SPA_ORIGIN).await;
    assert_eq!(res.status(), 401);
    assert_no_cors(&res, "invalid token");
}

#[tokio::test]
async fn introspection_and_html_pages_never_answer_cors() {
    let app = app_with_spa().await;
    let secret = add_client(&app, &app_spec()).expect("secret");
    // `app` allows REDIRECT_ORIGIN by default: introspection still says nothing to browsers.
    let res = reqwest::Client::new()
        .post(app.url("/introspect"))
        .header("Origin", REDIRECT_ORIGIN)
        .header("Authorization", basic("app", &secret))
        .form(&[("token", "x")])
        .send()
        .await
        .expect("POST /introspect");
    assert_eq!(res.status(), 200);
    assert_no_cors(&res, "/introspect");
    let res = preflight(&app, "/introspect", REDIRECT_ORIGIN).await;
    assert_no_cors(&res, "OPTIONS /introspect");
    for path in [
        "/login",
        "/device",
        "/account",
        "/logout",
        &AuthReq::new("spa").url(&app)[app.url("").len()..],
    ] {
        let res = reqwest::Client::new()
            .get(app.url(path))
            .header("Origin", SPA_ORIGIN)
            .send()
            .await
            .expect("GET page");
        assert_no_cors(&res, path);
    }
    // Discovery and JWKS stay readable by anyone.
    for path in ["/.well-known/openid-configuration", "/jwks"] {
        let res = app.get(path).await;
        assert_eq!(acao(&res).as_deref(), Some("*"), "{path}");
    }
}
