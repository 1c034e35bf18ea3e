//! Security headers of the HTML pages: no framing, no sniffing, a strict CSP, HSTS over https.

use crate::support::*;
use reqwest::Response;

/// The redirect URI of the client `other`, on another origin than `app`'s.
const OTHER_REDIRECT: &str = "https://other.example/cb";

/// The directives of a Content-Security-Policy, by name.
fn csp_directives(csp: &str) -> Vec<(String, Vec<String>)> {
    csp.split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            let mut parts = d.split_whitespace();
            let name = parts.next().unwrap().to_ascii_lowercase();
            (name, parts.map(str::to_owned).collect())
        })
        .collect()
}

/// The security headers every HTML page must carry; `form_origins` are the only origins (besides
/// 'self') forms may post to.
fn assert_page_headers(what: &str, res: &Response, form_origins: &[&str]) {
    let ct = header(res, "content-type").unwrap_or_default();
    assert!(
        ct.starts_with("text/html"),
        "{what}: an HTML page, got {ct}"
    );
    let csp = header(res, "content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    let dirs = csp_directives(&csp);
    let get = |name: &str| {
        dirs.iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{what}: no {name} in {csp}"))
    };
    let default_src = get("default-src");
    assert!(
        default_src == ["'none'"] || default_src == ["'self'"],
        "{what}: default-src {default_src:?}"
    );
    assert_eq!(get("frame-ancestors"), ["'none'"], "{what}: {csp}");
    let mut form_action = get("form-action");
    form_action.sort();
    let mut expected: Vec<String> = std::iter::once("'self'")
        .chain(form_origins.iter().copied())
        .map(str::to_owned)
        .collect();
    expected.sort();
    assert_eq!(form_action, expected, "{what}: form-action in {csp}");
    for (name, sources) in &dirs {
        for s in sources {
            assert!(
                !matches!(
                    s.as_str(),
                    "*" | "'unsafe-inline'" | "'unsafe-eval'" | "http:" | "https:"
                ),
                "{what}: {name} allows {s}"
            );
        }
    }
    assert_eq!(
        header(res, "x-frame-options").as_deref(),
        Some("DENY"),
        "{what}"
    );
    assert_eq!(
        header(res, "x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        header(res, "referrer-policy").as_deref(),
        Some("no-referrer"),
        "{what}"
    );
    let cc = header(res, "cache-control").unwrap_or_default();
    assert!(cc.contains("no-store"), "{what}: Cache-Control {cc:?}");
}

#[tokio::test]
async fn every_html_page_refuses_framing_sniffing_and_foreign_scripts() {
    let app = spawn_oidc_app().await;
    let client_origin = "http://127.0.0.1:9";
    let other_origin = "https://other.example";
    add_client(
        &app,
        &ClientSpec {
            post_logout_redirect_uris: vec![POST_LOGOUT.into()],
            ..Default::default()
        },
    );
    add_client(
        &app,
        &ClientSpec {
            client_id: "other",
            skip_consent: true,
            redirect_uris: vec![OTHER_REDIRECT.into()],
            ..Default::default()
        },
    );

    assert_page_headers("home, signed out", &browse(&app, "/").await, &[]);
    assert_page_headers("the bare login page", &browse(&app, "/login").await, &[]);
    let res = browse(&app, &AuthReq::new("app").url(&app)).await;
    let login = location(&res);
    assert_page_headers(
        "the login page of a request",
        &browse(&app, &login).await,
        &[client_origin],
    );
    let failed = submit_login(&app, &login, "alice", "not the password").await;
    assert_eq!(failed.status(), 401);
    assert_page_headers("a failed login", &failed, &[client_origin]);
    let forged = app
        .client
        .post(app.url("/login"))
        .form(&[("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_page_headers("a login refused for CSRF", &forged, &[]);

    let res = submit_login(&app, &login, "alice", PASSWORD).await;
    let consent = location(&browse(&app, &location(&res)).await);
    assert!(consent.starts_with("/consent"), "{consent}");
    assert_page_headers(
        "the consent page",
        &browse(&app, &consent).await,
        &[client_origin],
    );
    let forged = app
        .client
        .post(app.url("/consent"))
        .form(&[("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_page_headers("a consent refused for CSRF", &forged, &[]);

    let form_post = browse(
        &app,
        &AuthReq::new("other")
            .set("redirect_uri", OTHER_REDIRECT)
            .set("response_mode", "form_post")
            .url(&app),
    )
    .await;
    assert_eq!(form_post.status(), 200);
    assert_page_headers("the form_post page", &form_post, &[other_origin]);
    // Another client's origin never leaks into this client's pages.
    let res = browse(&app, &AuthReq::new("app").set("prompt", "login").url(&app)).await;
    let page = browse(&app, &location(&res)).await;
    assert!(
        !header(&page, "content-security-policy")
            .unwrap()
            .contains("other.example")
    );

    assert_page_headers("the account page", &browse(&app, "/account").await, &[]);
    assert_page_headers("home, signed in", &browse(&app, "/").await, &[]);
    assert_page_headers(
        "the authorize error page",
        &browse(&app, &AuthReq::new("nobody").url(&app)).await,
        &[],
    );
    assert_page_headers(
        "the expired request page",
        &browse(&app, "/consent?req=bogus").await,
        &[],
    );
    let url = format!(
        "/logout?{}",
        serde_urlencoded::to_string([
            ("client_id", "app"),
            ("post_logout_redirect_uri", POST_LOGOUT)
        ])
        .unwrap()
    );
    assert_page_headers(
        "the logout confirmation for a client",
        &browse(&app, &url).await,
        &[client_origin],
    );
    let confirm = browse(&app, "/logout").await;
    assert_page_headers("the logout confirmation", &confirm, &[]);
    let csrf = hidden(&confirm.text().await.unwrap(), "csrf_token").unwrap();
    let forged = app
        .client
        .post(app.url("/logout"))
        .form(&[("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_page_headers("a logout refused for CSRF", &forged, &[]);
    let done = app
        .client
        .post(app.url("/logout"))
        .form(&[("confirm", "yes"), ("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert_page_headers("the signed-out page", &done, &[]);
    assert_page_headers(
        "an invalid logout request",
        &browse(&app, "/logout?id_token_hint=x.y.z").await,
        &[],
    );
}

#[tokio::test]
async fn hsts_is_sent_when_the_issuer_is_https() {
    let https = spawn_oidc_app_with(|s| s.issuer = "https://login.example".into()).await;
    let http = spawn_oidc_app().await;
    for app in [&https, &http] {
        let expect = app.settings.issuer.starts_with("https://");
        let responses = [
            ("home page", app.get("/").await),
            ("login page", app.get("/login").await),
            (
                "error page",
                browse(app, &AuthReq::new("nobody").url(app)).await,
            ),
            (
                "discovery",
                app.get("/.well-known/openid-configuration").await,
            ),
            ("JWKS", app.get("/jwks").await),
            ("healthz", app.get("/healthz").await),
            (
                "token error",
                token_request(app, &[("grant_type", "x")], None).await,
            ),
            ("userinfo error", userinfo(app, "x").await),
        ];
        for (what, res) in responses {
            let hsts = header(&res, "strict-transport-security");
            if !expect {
                assert_eq!(hsts, None, "{what}: no HSTS on an http issuer");
                continue;
            }
            let hsts = hsts.unwrap_or_else(|| panic!("{what}: no Strict-Transport-Security"));
            let max_age: i64 = hsts
                .split(';')
                .map(str::trim)
                .find_map(|d| {
                    d.to_ascii_lowercase()
                        .strip_prefix("max-age=")
                        .map(str::to_owned)
                })
                .and_then(|v| v.trim_matches('"').parse().ok())
                .unwrap_or_else(|| panic!("{what}: no max-age in {hsts}"));
            assert!(max_age >= 31_536_000, "{what}: max-age {max_age}");
        }
    }
}
