//! Attacks on the redirect URI at /authorize (RFC 9700 §4.1): near misses of a registered
//! URI are refused, and an error before the redirect URI is trusted is a page, never a redirect.

use crate::support::*;

/// Near misses of `REDIRECT_URI` (`http://127.0.0.1:9/cb`) and `SECOND_REDIRECT`
/// (`https://app.example/cb`): none is registered, so none may be redirected to.
fn near_misses() -> Vec<String> {
    [
        // prefixes and suffixes
        "http://127.0.0.1:9/c",
        "http://127.0.0.1:9/",
        "http://127.0.0.1:9",
        "http://127.0.0.1:9/cbx",
        "http://127.0.0.1:9/cb/evil",
        "http://127.0.0.1:9/cb/../evil",
        "http://127.0.0.1:9//cb",
        "http://127.0.0.1:9/cb/",
        "https://app.example/cb/",
        "https://app.example/cb.evil.example",
        "https://app.example/cb;evil",
        // extra query or fragment
        "http://127.0.0.1:9/cb?",
        "http://127.0.0.1:9/cb?next=https://evil.example",
        "http://127.0.0.1:9/cb#",
        "http://127.0.0.1:9/cb#evil",
        "https://app.example/cb?x=1",
        "https://app.example/cb#x",
        // case changes
        "HTTP://127.0.0.1:9/cb",
        "http://127.0.0.1:9/CB",
        "https://APP.example/cb",
        "https://app.EXAMPLE/cb",
        "https://app.example/CB",
        "HTTPS://app.example/cb",
        // other spellings of the same place
        "http://127.0.0.1:09/cb",
        "http://localhost:9/cb",
        "http://2130706433:9/cb",
        "http://[::ffff:127.0.0.1]:9/cb",
        "https://app.example:443/cb",
        "https://app.example./cb",
        "https://app.example/./cb",
        "https://app.example/x/../cb",
        "http://app.example/cb",
        "//app.example/cb",
        "https:app.example/cb",
        "https:/app.example/cb",
        // userinfo tricks
        "http://127.0.0.1:9@evil.example/cb",
        "https://app.example@evil.example/cb",
        "https://evil.example@app.example/cb",
        "https://app.example%40evil.example/cb",
        "https://app.example\\@evil.example/cb",
        "https://app.example.evil.example/cb",
        "https://evil.example/cb?https://app.example/cb",
        "https://evil.example/https://app.example/cb",
        // percent-encoding variations
        "http://127.0.0.1:9/%63b",
        "http://127.0.0.1:9/c%62",
        "http://127.0.0.1:9/%63%62",
        "https://app.example/%63b",
        "https://app.example/cb%2F",
        "https://app.example/cb%2f",
        "https://app.example/cb%23",
        "https://app.example/cb%3F",
        "https://app.example/cb%00",
        "https://app.example/cb%20",
        "https%3A%2F%2Fapp.example%2Fcb",
        // whitespace and wildcards
        "https://app.example/cb ",
        " https://app.example/cb",
        "https://app.example/cb\t",
        "https://app.example/cb\n",
        "*",
        "https://*.example/cb",
        "https://app.example/*",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

#[tokio::test]
async fn every_near_miss_of_a_registered_redirect_uri_is_refused() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    // alice is signed in and the client skips consent: a wrongly accepted redirect_uri would
    // receive a code at once.
    tokens(&app, "app", Some(&secret), &[]).await;
    for uri in near_misses() {
        for method in ["GET", "POST"] {
            let req = AuthReq::new("app").set("redirect_uri", &uri);
            let res = match method {
                "GET" => browse(&app, &req.url(&app)).await,
                _ => app
                    .client
                    .post(app.url("/authorize"))
                    .form(&req.params)
                    .send()
                    .await
                    .unwrap(),
            };
            assert!(
                res.headers().get("location").is_none(),
                "{method} redirect_uri {uri:?} must not redirect, got {:?}",
                res.headers().get("location")
            );
            let body = assert_error_page(res).await;
            assert!(
                !body.contains("evil.example") && !body.contains("app.example"),
                "{uri:?}: the page must not echo the address: {body}"
            );
        }
    }
    // Controls: the registered URIs, exactly as registered, do get a code.
    for uri in [REDIRECT_URI, SECOND_REDIRECT] {
        let res = browse(
            &app,
            &AuthReq::new("app").set("redirect_uri", uri).url(&app),
        )
        .await;
        let loc = location(&res);
        assert!(loc.starts_with(&format!("{uri}?")), "{loc}");
        assert!(query_param(&loc, "code").is_some(), "{loc}");
    }
}

#[tokio::test]
async fn an_error_before_the_redirect_uri_is_trusted_is_a_page_not_an_open_redirect() {
    let app = spawn_oidc_app().await;
    add_client(&app, &app_spec());
    let evil = "https://evil.example/cb";
    for (what, req) in [
        (
            "an unknown client with an attacker's redirect_uri",
            AuthReq::new("nobody").set("redirect_uri", evil),
        ),
        (
            "no client_id",
            AuthReq::new("app")
                .unset("client_id")
                .set("redirect_uri", evil),
        ),
        (
            "an unregistered redirect_uri and a bad response_type",
            AuthReq::new("app")
                .set("redirect_uri", evil)
                .set("response_type", "token"),
        ),
        (
            "an unregistered redirect_uri and a bad scope",
            AuthReq::new("app")
                .set("redirect_uri", evil)
                .set("scope", "profile"),
        ),
        (
            "a repeated redirect_uri (registered first, attacker's second)",
            AuthReq::new("app").add("redirect_uri", evil),
        ),
        (
            "a repeated client_id",
            AuthReq::new("app")
                .add("client_id", "other")
                .set("redirect_uri", evil),
        ),
    ] {
        let res = browse(&app, &req.url(&app)).await;
        assert!(
            res.headers().get("location").is_none(),
            "{what}: must not redirect"
        );
        let body = assert_error_page(res).await;
        assert!(!body.contains("evil.example"), "{what}: {body}");
    }
    for path in [
        "/authorize/resume?req=https://evil.example",
        "/consent?req=https://evil.example",
        "/login?req=https://evil.example",
        "/authorize/resume",
    ] {
        let res = browse(&app, path).await;
        assert!(res.headers().get("location").is_none(), "{path}");
        assert_eq!(res.status(), 400, "{path}");
    }
}
