//! Adding and removing passkeys on the account page: a signed-in session, the CSRF token, a
//! fresh sign-in; a removed passkey is no longer asked for; an account's last way in stays.

use super::*;
use latchkey::domain::{Method, Methods};
use latchkey::oidc::login::{ClientInfo, start_session_with};
use std::sync::Arc;

fn allowed_ids(begun: &Value) -> Vec<String> {
    let mut ids: Vec<String> = begun["options"]["publicKey"]["allowCredentials"]
        .as_array()
        .expect("allowCredentials")
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn adding_a_passkey_needs_a_session_and_a_fresh_sign_in() {
    let clock = clock_now();
    let app = spawn_at(&clock, |s| {
        s.issuer = format!("http://localhost:{}", s.bind.port());
        s.reauth_secs = 120;
    })
    .await;
    let csrf = csrf_of(&app, "/login").await;
    let (status, body) = post_json(
        &app,
        "/account/passkeys/begin",
        &json!({"csrf_token": csrf, "name": "Laptop"}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("not_signed_in"))
    );

    sign_in(&app, "alice").await;
    let csrf = csrf_of(&app, "/account").await;
    let (status, begun) = post_json(
        &app,
        "/account/passkeys/begin",
        &json!({"csrf_token": csrf, "name": " Laptop "}),
    )
    .await;
    assert_eq!(status, 200, "{begun}");
    let pk = &begun["options"]["publicKey"];
    assert_eq!(pk["rp"]["id"], "localhost");
    assert_eq!(pk["user"]["name"], "alice");
    assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(pk["excludeCredentials"], json!([]));

    for name in ["", "   ", "a\u{7}b", &"x".repeat(65)] {
        let (status, body) = post_json(
            &app,
            "/account/passkeys/begin",
            &json!({"csrf_token": csrf, "name": name}),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_name")),
            "{name:?}"
        );
    }

    // Past reauth_secs the same session may look but not add.
    clock.advance(121);
    let (status, body) = post_json(
        &app,
        "/account/passkeys/begin",
        &json!({"csrf_token": csrf, "name": "Laptop"}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("reauth_required"))
    );
    assert_eq!(body["login"], "/login?next=/account");
    let finish =
        json!({"csrf_token": csrf, "challenge": begun["challenge"], "credential": {"id": "x"}});
    let (status, body) = post_json(&app, "/account/passkeys/finish", &finish).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("reauth_required")),
        "nor finish what it began"
    );
    let page = browse(&app, "/account").await.text().await.unwrap();
    assert!(
        page.contains(r#"<a href="/login?next=/account">sign in again</a>"#),
        "{page}"
    );
    assert!(!page.contains("Add a passkey"));
}

#[tokio::test]
async fn a_removed_passkey_is_no_longer_asked_for_and_its_removal_is_audited() {
    let (app, clock) = passkey_app().await;
    store_passkey(&app, "alice", "a2V5LWE", "Laptop");
    store_passkey(&app, "alice", "a2V5LWI", "Phone");
    let cookie = sign_in(&app, "alice").await;
    // With a passkey the account needs two factors: the password alone is half-way.
    assert_eq!(
        location(&browse(&app, "/account").await),
        "/login/second-factor?next=/account"
    );
    let csrf = csrf_of(&app, "/login/second-factor?next=/account").await;
    let ask = json!({"csrf_token": csrf, "purpose": "second_factor", "next": "/account"});
    let (status, begun) = post_json(&app, "/login/passkey/begin", &ask).await;
    assert_eq!(status, 200, "{begun}");
    assert_eq!(allowed_ids(&begun), ["a2V5LWE", "a2V5LWI"]);

    step_up_in_store(&app, &cookie, latchkey::clock::Clock::now(&clock));
    let page = browse(&app, "/account").await.text().await.unwrap();
    assert!(page.contains("Laptop") && page.contains("Phone"), "{page}");
    let laptop = hidden_after(&page, "Laptop");
    let csrf = hidden(&page, "csrf_token").unwrap();
    let res = app
        .client
        .post(app.url("/account/passkeys/remove"))
        .form(&[("csrf_token", csrf.as_str()), ("id", laptop.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    assert!(page.contains("The passkey “Laptop” was removed."), "{page}");
    assert!(!page.contains("passkey-name\">Laptop"));

    let (_, begun) = post_json(&app, "/login/passkey/begin", &ask).await;
    assert_eq!(
        allowed_ids(&begun),
        ["a2V5LWI"],
        "the removed one is not offered"
    );
    let removed = audited(&app, "passkey.removed");
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].actor.as_deref(), Some("alice"));
    assert!(removed[0].detail.as_deref().unwrap().contains("Laptop"));
}

/// The row id in the remove form that follows the passkey named `name`.
fn hidden_after(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("passkey-name\">{name}<"))
        .expect("listed");
    hidden(&page[at..], "id").expect("its remove form")
}

#[tokio::test]
async fn removing_a_passkey_needs_the_csrf_token_a_fresh_sign_in_and_one_of_your_own() {
    let (app, clock) = passkey_app().await;
    let mine = store_passkey(&app, "alice", "a2V5LWE", "Laptop");
    add_user(&app, "bob", "bob@example.com", None);
    let bobs = store_passkey(&app, "bob", "Ym9i", "Bob's key");
    let cookie = sign_in(&app, "alice").await;
    step_up_in_store(&app, &cookie, latchkey::clock::Clock::now(&clock));
    let csrf = csrf_of(&app, "/account").await;
    let remove = |token: String, id: i64| {
        let form = [("csrf_token", token), ("id", id.to_string())];
        let req = app
            .client
            .post(app.url("/account/passkeys/remove"))
            .form(&form);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(remove("x".repeat(43), mine).await, 403, "a forged form");
    assert_eq!(
        remove(csrf.clone(), bobs).await,
        404,
        "someone else's passkey"
    );
    clock.advance(601);
    assert_eq!(remove(csrf.clone(), mine).await, 403, "not a fresh sign-in");
    let left = app
        .store
        .read(|c| passkeys::list_user_passkeys(c, 1))
        .unwrap()
        .len()
        + app
            .store
            .read(|c| passkeys::list_user_passkeys(c, 2))
            .unwrap()
            .len();
    assert_eq!(left, 2, "nothing was removed");
    assert!(audited(&app, "passkey.removed").is_empty());
}

#[tokio::test]
async fn the_only_passkey_of_an_account_without_a_password_cannot_be_removed() {
    let (app, clock) = passkey_app().await;
    let only = store_passkey(&app, "alice", "a2V5LWE", "Laptop");
    // An account without a usable password (as one created with a passkey would be), signed
    // in with its passkey.
    let now = latchkey::clock::Clock::now(&clock);
    let secret = app
        .store
        .write(|c| {
            let u = users::get_user_by_username(c, "alice")?;
            users::update_user_password_hash(c, u.id, "!")?;
            let methods = Methods::of(&[Method::Hwk, Method::User]);
            let info = ClientInfo::default();
            start_session_with(c, &u, &app.settings, now, &info, &methods, None).map(|(s, _)| s)
        })
        .unwrap();
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let url: url::Url = app.address.parse().unwrap();
    jar.add_cookie_str(&format!("latchkey_session={secret}; Path=/"), &url);
    let browser = reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&page, "csrf_token").unwrap();
    let remove = |id: i64| {
        let form = [("csrf_token", csrf.clone()), ("id", id.to_string())];
        let req = browser
            .post(app.url("/account/passkeys/remove"))
            .form(&form);
        async move {
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        }
    };

    let (status, page) = remove(only).await;
    assert_eq!(status, 409);
    assert!(page.contains("the only way into your account"), "{page}");
    assert_eq!(
        app.store
            .read(|c| passkeys::count_user_passkeys(c, 1))
            .unwrap(),
        1
    );

    // With a second passkey, either may go.
    store_passkey(&app, "alice", "a2V5LWI", "Phone");
    let (status, _) = remove(only).await;
    assert_eq!(status, 200);
    assert_eq!(
        app.store
            .read(|c| passkeys::count_user_passkeys(c, 1))
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn user_show_lists_a_users_passkeys() {
    let (app, _clock) = passkey_app().await;
    store_passkey(&app, "alice", "a2V5LWE", "Laptop");
    let text = app.cli(&["user", "show", "alice"], None);
    assert!(
        text.ok().contains("passkeys:       \"Laptop\" (added "),
        "{}",
        text.ok()
    );
    let json = app.cli(&["user", "show", "alice", "--json"], None).json();
    assert_eq!(json["passkeys"][0]["name"], "Laptop");
    assert_eq!(json["passkeys"][0]["synced"], false);
    let none = app.cli(&["user", "show", "bob"], None);
    assert!(!none.status.success());
}
