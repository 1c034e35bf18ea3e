//! A sign-in done for one authorization request (prompt=login, max_age, id_token_hint) counts
//! only for the session it created, and only for the user the request asked for.

use crate::support::*;
use reqwest::{Client, Response};

async fn app() -> (TestApp, String) {
    let app = crate::support::spawn_oidc_app().await;
    add_user(&app, "bob", "bob@example.com", None);
    let secret = add_client(
        &app,
        &ClientSpec {
            skip_consent: true,
            ..ClientSpec::default()
        },
    )
    .expect("confidential client");
    (app, secret)
}

async fn get(app: &TestApp, b: &Client, url: &str) -> Response {
    let url = if url.starts_with('/') {
        app.url(url)
    } else {
        url.to_owned()
    };
    b.get(url).send().await.unwrap()
}

/// Submit the login form at `login_path` in browser `b`; returns the answer.
async fn log_in(app: &TestApp, b: &Client, login_path: &str, username: &str) -> Response {
    let html = get(app, b, login_path).await.text().await.unwrap();
    let mut form = vec![
        ("username", username.to_owned()),
        ("password", PASSWORD.to_owned()),
        ("csrf_token", hidden(&html, "csrf_token").unwrap()),
    ];
    if let Some(req) = hidden(&html, "req") {
        form.push(("req", req));
    }
    b.post(app.url("/login")).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn a_sign_in_for_a_prompt_login_request_does_not_satisfy_it_in_another_browser() {
    let (app, _) = app().await;
    // Bob's browser has an old session of its own.
    let bobs = fresh_browser();
    assert_eq!(log_in(&app, &bobs, "/login", "bob").await.status(), 303);

    // Alice's browser starts a prompt=login request and signs in for it.
    let alices = fresh_browser();
    let url = AuthReq::new("app").set("prompt", "login").url(&app);
    let res = get(&app, &alices, &url).await;
    let login = location(&res);
    assert!(login.starts_with("/login?req="), "{login}");
    let res = log_in(&app, &alices, &login, "alice").await;
    let resume = location(&res);
    assert!(resume.starts_with("/authorize/resume?req="), "{resume}");

    // Bob's browser replays the resume link first: Alice's sign-in is not his.
    let res = get(&app, &bobs, &resume).await;
    let to = location(&res);
    assert!(
        to.starts_with("/login?req="),
        "another session must sign in for itself, got {to}"
    );
    // Alice's own browser goes on to the app.
    let res = get(&app, &alices, &resume).await;
    let to = location(&res);
    assert!(to.starts_with(REDIRECT_URI) && to.contains("code="), "{to}");
}

#[tokio::test]
async fn an_id_token_hint_for_alice_is_not_satisfied_by_bob_signing_in() {
    let (app, secret) = app().await;
    let alice = tokens(&app, "app", Some(&secret), &[]).await;
    let hint = alice["id_token"].as_str().unwrap().to_owned();
    assert!(jwt_claims(&hint)["sub"].is_string());

    let b = fresh_browser();
    let url = AuthReq::new("app").set("id_token_hint", &hint).url(&app);
    let login = location(&get(&app, &b, &url).await);
    assert!(login.starts_with("/login?req="), "{login}");
    let resume = location(&log_in(&app, &b, &login, "bob").await);
    let to = location(&get(&app, &b, &resume).await);
    assert!(
        to.starts_with("/login?req="),
        "Bob signing in must not answer a request for Alice, got {to}"
    );
    // Alice signing in answers it.
    let resume = location(&log_in(&app, &b, &to, "alice").await);
    let to = location(&get(&app, &b, &resume).await);
    assert!(to.starts_with(REDIRECT_URI) && to.contains("code="), "{to}");
}
