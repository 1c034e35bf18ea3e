//! HTML injection fails: whatever a request or a registration puts on a page is escaped.

use crate::support::*;
use latchkey::crypto::random;
use latchkey::store::clients;

/// An HTML payload that also breaks out of an attribute value.
const XSS: &str = "\"'><script>alert(1)</script>";

const IMG_XSS: &str = "<img src=x onerror=alert(1)>";

/// A client registered with a display name of the test's choosing.
fn add_client_named(app: &TestApp, spec: &ClientSpec, name: &str) -> String {
    let secret = random::token();
    let hash = random::hash_token(&secret);
    let grant_types: Vec<String> = spec.grant_types.iter().map(|s| s.to_string()).collect();
    let scopes: Vec<String> = spec.scopes.iter().map(|s| s.to_string()).collect();
    app.store
        .write(|c| {
            clients::insert_client(
                c,
                &clients::NewClient {
                    client_id: spec.client_id,
                    name,
                    secret_hash: Some(&hash),
                    grant_types: &grant_types,
                    scopes: &scopes,
                    skip_consent: spec.skip_consent,
                    require_pkce: true,
                    id_token_alg: "RS256",
                    backchannel_logout_uri: None,
                    redirect_uris: &spec.redirect_uris,
                    post_logout_redirect_uris: &spec.post_logout_redirect_uris,
                    web_origins: &[],
                },
                1_700_000_000,
            )
        })
        .expect("insert client");
    secret
}

/// `payload` appears nowhere raw in `html`, and its `<` is shown escaped (it was displayed, safely).
fn assert_escaped(what: &str, html: &str, payload: &str) {
    assert!(!html.contains(payload), "{what}: raw {payload:?} in {html}");
    assert!(
        !html.contains("<script>alert(1)") && !html.contains("<img src=x"),
        "{what}: live markup in {html}"
    );
    let lower = html.to_ascii_lowercase();
    assert!(
        [
            "&lt;script",
            "&#60;script",
            "&#x3c;script",
            "&lt;img",
            "&#60;img",
            "&#x3c;img"
        ]
        .iter()
        .any(|e| lower.contains(e)),
        "{what}: the value should be shown, escaped: {html}"
    );
}

/// The HTML-unescaped value of a hidden input.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#38;", "&")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#x2f;", "/")
        .replace("&#x2F;", "/")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn html_in_login_hint_or_a_failed_username_is_escaped() {
    let app = spawn_oidc_app().await;
    add_client(&app, &app_spec());
    let res = browse(&app, &AuthReq::new("app").set("login_hint", XSS).url(&app)).await;
    let login = location(&res);
    let html = browse(&app, &login).await.text().await.unwrap();
    assert_escaped("login_hint", &html, XSS);
    let res = submit_login(&app, &login, XSS, PASSWORD).await;
    assert_eq!(res.status(), 401);
    assert_escaped("a failed username", &res.text().await.unwrap(), XSS);
}

#[tokio::test]
async fn html_in_state_or_error_details_is_escaped_in_the_form_post_page() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    tokens(&app, "app", Some(&secret), &[]).await;
    let res = browse(
        &app,
        &AuthReq::new("app")
            .set("response_mode", "form_post")
            .set("state", XSS)
            .url(&app),
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert_escaped("state in form_post", &html, XSS);
    let state = hidden(&html, "state").expect("state field");
    assert_eq!(
        unescape(&state),
        XSS,
        "the client gets its state back exactly"
    );
    // An error whose description names an attacker's parameter.
    let res = browse(
        &app,
        &AuthReq::new("app")
            .set("response_mode", "form_post")
            .set("state", XSS)
            .add("<script>alert(1)</script>", "1")
            .add("<script>alert(1)</script>", "2")
            .url(&app),
    )
    .await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(hidden(&html, "error").is_some(), "{html}");
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(!html.contains(XSS), "{html}");
}

#[tokio::test]
async fn a_client_name_with_html_is_escaped_on_every_page() {
    let app = spawn_oidc_app().await;
    let name = "<script>alert(1)</script>";
    let spec = ClientSpec {
        client_id: "evil",
        post_logout_redirect_uris: vec![POST_LOGOUT.into()],
        ..Default::default()
    };
    add_client_named(&app, &spec, name);
    let res = browse(&app, &AuthReq::new("evil").url(&app)).await;
    let login = location(&res);
    let html = browse(&app, &login).await.text().await.unwrap();
    assert_escaped("login page", &html, name);
    let res = submit_login(&app, &login, "alice", PASSWORD).await;
    let consent = location(&browse(&app, &location(&res)).await);
    let html = browse(&app, &consent).await.text().await.unwrap();
    assert_escaped("consent page", &html, name);
    let res = submit_consent(&app, &consent, "allow").await;
    assert!(query_param(&location(&res), "code").is_some());
    let html = browse(&app, "/account").await.text().await.unwrap();
    assert_escaped("account page", &html, name);
    let confirm = browse(&app, "/logout?client_id=evil")
        .await
        .text()
        .await
        .unwrap();
    assert_escaped("logout confirmation", &confirm, name);
    let csrf = hidden(&confirm, "csrf_token").unwrap();
    let done = app
        .client
        .post(app.url("/logout"))
        .form(&[
            ("confirm", "yes"),
            ("csrf_token", csrf.as_str()),
            ("client_id", "evil"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert_escaped("signed-out page", &done.text().await.unwrap(), name);
}

#[tokio::test]
async fn error_pages_never_echo_raw_input() {
    let app = spawn_oidc_app().await;
    add_client(&app, &app_spec());
    sign_in(&app, "alice").await;
    let enc = |pairs: &[(&str, &str)]| serde_urlencoded::to_string(pairs).unwrap();
    let paths = [
        format!("/authorize?{}", AuthReq::new(IMG_XSS).query()),
        format!(
            "/authorize?{}",
            AuthReq::new("app")
                .set("redirect_uri", &format!("{REDIRECT_URI}{IMG_XSS}"))
                .query()
        ),
        format!(
            "/authorize?{}",
            AuthReq::new("app").add("client_id", IMG_XSS).query()
        ),
        format!("/logout?{}", enc(&[("client_id", IMG_XSS)])),
        format!("/logout?{}", enc(&[("id_token_hint", IMG_XSS)])),
        format!("/login?{}", enc(&[("req", IMG_XSS)])),
        format!("/consent?{}", enc(&[("req", IMG_XSS)])),
        format!("/authorize/resume?{}", enc(&[("req", IMG_XSS)])),
        format!(
            "/static/{}",
            enc(&[("x", IMG_XSS)]).trim_start_matches("x=")
        ),
        format!("/{}", enc(&[("x", IMG_XSS)]).trim_start_matches("x=")),
    ];
    for path in paths {
        let res = browse(&app, &path).await;
        let status = res.status();
        assert!(status.is_client_error(), "{path}: got {status}");
        assert!(res.headers().get("location").is_none(), "{path}");
        let body = res.text().await.unwrap();
        assert!(
            !body.contains("onerror") && !body.contains("<img"),
            "{path}: the input is echoed: {body}"
        );
    }
}
