//! Logout as an open redirector fails: only registered post-logout redirect URIs are followed.

use crate::support::*;
use reqwest::Response;

#[tokio::test]
async fn logout_never_redirects_to_an_unregistered_address() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &app_spec()).unwrap();
    add_client(
        &app,
        &ClientSpec {
            client_id: "other",
            skip_consent: true,
            post_logout_redirect_uris: vec!["https://other.example/bye".into()],
            ..Default::default()
        },
    );
    let near = [
        "https://evil.example/",
        "http://127.0.0.1:9/after-logout/",
        "http://127.0.0.1:9/after-logout?x=1",
        "http://127.0.0.1:9/after-logout#x",
        "http://127.0.0.1:9/AFTER-LOGOUT",
        "http://127.0.0.1:9/after-logoutx",
        "http://127.0.0.1:9/after",
        "http://127.0.0.1:9@evil.example/after-logout",
        "http://127.0.0.1:9/%61fter-logout",
        // registered, but for another client
        "https://other.example/bye",
        // the login redirect URI is not a post-logout one
        REDIRECT_URI,
    ];
    let signed_out_page = |res: Response, what: String| async move {
        assert!(
            res.headers().get("location").is_none(),
            "{what}: must not redirect, got {:?}",
            res.headers().get("location")
        );
        assert!(
            res.status() == 200 || res.status() == 400,
            "{what}: a page, got {}",
            res.status()
        );
        let body = res.text().await.unwrap();
        assert!(!body.contains("evil.example"), "{what}: {body}");
    };
    for uri in near {
        for extra in [vec![], vec![("client_id", "app")]] {
            let mut q = vec![("post_logout_redirect_uri", uri), ("state", "s")];
            q.extend(extra.iter().copied());
            let url = format!("/logout?{}", serde_urlencoded::to_string(&q).unwrap());
            signed_out_page(browse(&app, &url).await, format!("GET {url}")).await;
            let res = app
                .client
                .post(app.url("/logout"))
                .form(&q)
                .send()
                .await
                .unwrap();
            signed_out_page(res, format!("POST {q:?}")).await;
        }
    }
    // With a valid id_token_hint alice is signed out at once, but still not sent anywhere else.
    for uri in near {
        let t = tokens(&app, "app", Some(&secret), &[]).await;
        let q = [
            ("id_token_hint", str_of(&t, "id_token")),
            ("post_logout_redirect_uri", uri),
        ];
        let url = format!("/logout?{}", serde_urlencoded::to_string(q).unwrap());
        signed_out_page(browse(&app, &url).await, format!("hint + {uri}")).await;
    }
    // A tampered confirmation form (its hidden post_logout_redirect_uri replaced) is no better.
    sign_in(&app, "alice").await;
    let page = browse(&app, "/logout?client_id=app").await;
    let csrf = hidden(&page.text().await.unwrap(), "csrf_token").expect("confirmation form");
    let res = app
        .client
        .post(app.url("/logout"))
        .form(&[
            ("confirm", "yes"),
            ("csrf_token", csrf.as_str()),
            ("client_id", "app"),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    signed_out_page(res, "a tampered confirmation".into()).await;
    assert!(
        !signed_in(&app).await,
        "the confirmation itself was genuine"
    );
    // Control: the registered address, with its client, is where the browser goes.
    let url = format!(
        "/logout?{}",
        serde_urlencoded::to_string([
            ("client_id", "app"),
            ("post_logout_redirect_uri", POST_LOGOUT)
        ])
        .unwrap()
    );
    assert_eq!(location(&browse(&app, &url).await), POST_LOGOUT);
}
