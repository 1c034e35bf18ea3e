//! The login page as an open redirector fails: its return path never leaves the site.

use crate::support::*;

#[tokio::test]
async fn a_login_return_path_off_the_site_is_never_followed() {
    let app = spawn_oidc_app().await;
    for next in [
        "https://evil.example/",
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example\\",
        "http:evil.example",
        "https:/evil.example",
        "javascript:alert(1)",
        "/account@evil.example",
        "/account/../..//evil.example",
        "/account?next=https://evil.example",
        " /account",
        "/%2F%2Fevil.example",
        "%2F%2Fevil.example",
    ] {
        let b = fresh_browser();
        let page = b
            .get(app.url(&format!(
                "/login?{}",
                serde_urlencoded::to_string([("next", next)]).unwrap()
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{next}");
        let html = page.text().await.unwrap();
        assert!(
            hidden(&html, "next").is_none_or(|n| n == "/account"),
            "{next}: the form must not carry it"
        );
        let csrf = hidden(&html, "csrf_token").unwrap();
        let res = b
            .post(app.url("/login"))
            .form(&[
                ("username", "alice"),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{next}: signs in");
        let loc = location(&res);
        assert!(
            loc.starts_with('/') && !loc.starts_with("//") && !loc.starts_with("/\\"),
            "{next}: sent to {loc}"
        );
        assert!(
            !loc.contains("evil") && !loc.contains("javascript"),
            "{next}: sent to {loc}"
        );
    }
}
