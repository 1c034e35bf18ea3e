//! Invites: the CLI's link, choosing a password or a passkey alone, where to go after, and
//! links that no longer work (410, never a 500).

use super::*;
use serde_json::json;

const NEW_PASSWORD: &str = "a long new password 42";

#[tokio::test]
async fn an_invite_link_from_the_cli_lets_the_person_choose_a_password_and_signs_them_in() {
    let app = onboarding_app(None).await;
    let (path, out) = invite(&app, "bob", &["--name", "Bob B"]);
    assert!(
        path.starts_with("/invite/") && path.len() == "/invite/".len() + 43,
        "{path}"
    );
    assert_eq!(out["emailed"], false, "no mail without smtp_url");
    let ttl = out["expires_at"].as_i64().unwrap() - latchkey::cli::now();
    assert!((604_790..=604_800).contains(&ttl), "7 days: {ttl}");
    let bob = user(&app, "bob");
    assert!(!bob.email_verified, "unverified until the invite is used");
    assert_eq!(bob.password_hash, "", "no password yet");

    let browser = browser_for(&app);
    let (status, html) = page(&app, &browser, &path).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Welcome, bob") && html.contains("new_password"),
        "{html}"
    );
    assert!(
        html.contains("passkey-invite"),
        "a passkey is offered on localhost"
    );

    // The account page's rules: the same twice, and the policy.
    let res = submit(
        &app,
        &browser,
        &path,
        &path,
        &[("new_password", "short"), ("confirm_password", "short")],
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Choose another password")
    );
    let res = submit(
        &app,
        &browser,
        &path,
        &path,
        &[
            ("new_password", NEW_PASSWORD),
            ("confirm_password", "something else 42"),
        ],
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("not the same"));

    let res = accept_with_password(&app, &browser, &path, NEW_PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/welcome");
    assert!(
        cookie_value(&res, "latchkey_session").is_some(),
        "signed in"
    );
    let (status, html) = page(&app, &browser, "/welcome").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("You are all set") && html.contains("href=\"/account\""),
        "{html}"
    );
    let (status, html) = page(&app, &browser, "/account").await;
    assert_eq!(status, 200, "a real session");
    assert!(html.contains("bob@example.com"));
    assert!(
        user(&app, "bob").email_verified,
        "the invite verified the address"
    );
    let accepted = audited(&app, "user.invite_accepted");
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].actor.as_deref(), Some("bob"));
    assert_eq!(
        audited(&app, "user.invited")[0].actor.as_deref(),
        Some("cli")
    );

    // Used: a second use (and the page) is 410, and the password works at /login.
    let (status, html) = page(&app, &fresh_browser(), &path).await;
    assert_eq!(status, 410);
    assert!(html.contains("used already"), "{html}");
    let res = login_with(&app, &fresh_browser(), "bob", NEW_PASSWORD).await;
    assert_eq!(res.status(), 303, "bob signs in with the password he chose");
}

#[tokio::test]
async fn an_invite_for_an_app_sends_the_person_on_to_that_app() {
    let app = onboarding_app(None).await;
    add_client(
        &app,
        &ClientSpec {
            client_id: "grafana",
            redirect_uris: vec!["https://grafana.example.com/login/generic_oauth".into()],
            ..Default::default()
        },
    );
    let missing = latchkey_cmd(app.data_path())
        .args([
            "user",
            "invite",
            "carol",
            "--email",
            "c@example.com",
            "--client",
            "nope",
        ])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no app"),
        "an unknown app is refused"
    );
    assert!(
        app.store
            .read(|c| latchkey::store::users::find_user_by_username(c, "carol"))
            .unwrap()
            .is_none(),
        "and nothing was created"
    );

    let (path, _) = invite(&app, "carol", &["--client", "grafana"]);
    let browser = browser_for(&app);
    let (_, html) = page(&app, &browser, &path).await;
    assert!(
        html.contains("The grafana app"),
        "the page names the app: {html}"
    );
    let res = accept_with_password(&app, &browser, &path, NEW_PASSWORD).await;
    assert_eq!(location(&res), "/welcome?app=grafana");
    let (_, html) = page(&app, &browser, "/welcome?app=grafana").await;
    assert!(
        html.contains("href=\"https://grafana.example.com\"")
            && html.contains("Continue to The grafana app"),
        "{html}"
    );
}

#[tokio::test]
async fn an_invite_puts_the_person_in_the_groups_named_and_makes_an_admin_when_asked() {
    let app = onboarding_app(None).await;
    app.cli(&["group", "add", "ops"], None).ok();
    invite(&app, "dave", &["--group", "ops", "--admin"]);
    let shown = app.cli(&["user", "show", "dave", "--json"], None).json();
    assert_eq!(shown["groups"], json!(["ops"]));
    assert_eq!(shown["is_admin"], true);
    let err = app.cli(
        &[
            "user",
            "invite",
            "erin",
            "--email",
            "e@example.com",
            "--group",
            "nope",
        ],
        None,
    );
    assert!(err.one_line_error().contains("no group"), "{}", err.stderr);
}

#[tokio::test]
async fn links_that_are_unknown_malformed_or_of_another_kind_are_410_pages_never_500() {
    let app = onboarding_app(None).await;
    let (invite_path, _) = invite(&app, "bob", &[]);
    let token = invite_path.trim_start_matches("/invite/").to_owned();
    let browser = browser_for(&app);
    for path in [
        "/invite/x".to_owned(),
        format!("/invite/{}", "A".repeat(43)),
        format!("/invite/{}", "é".repeat(30)),
        format!("/reset/{token}"),
        format!("/verify-email/{token}"),
        format!("/reset/{}", "-".repeat(43)),
    ] {
        let (status, html) = page(&app, &browser, &path).await;
        assert_eq!(status, 410, "{path}");
        assert!(html.contains("This link no longer works"), "{path}: {html}");
        let res = browser
            .post(app.url(&path))
            .form(&[("new_password", NEW_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 410, "POST {path}");
    }
    // A newer invite replaces an older one.
    let (path2, _) = {
        let out = cli_json(&app, &["user", "reset-link", "bob"]);
        (out["url"].as_str().unwrap().to_owned(), out)
    };
    assert!(path2.contains("/reset/"));
    let (status, _) = page(&app, &browser, &invite_path).await;
    assert_eq!(status, 200, "a reset link does not touch the invite");
}

#[tokio::test]
async fn an_expired_invite_is_a_410_page() {
    let clock = clock_now();
    let app = spawn_at(&clock, |s| s.invite_ttl_secs = 600).await;
    let (path, _) = invite(&app, "bob", &[]);
    // The CLI used the real clock (a few seconds after the server's clock was set, when the
    // machine is busy); the server's moves well past the link's life.
    clock.advance(700);
    let (status, html) = page(&app, &fresh_browser(), &path).await;
    assert_eq!(status, 410);
    assert!(html.contains("expired"), "{html}");
}

#[tokio::test]
async fn an_invite_accepted_with_a_passkey_alone_makes_an_account_that_signs_in_with_it() {
    let app = onboarding_app(None).await;
    let (path, _) = invite(&app, "pat", &[]);
    let browser = browser_for(&app);
    let (_, html) = page(&app, &browser, &path).await;
    let csrf = hidden(&html, "csrf_token").unwrap();
    let post = |url: String, body: Value| {
        let b = browser.clone();
        async move {
            let res = b.post(url).json(&body).send().await.unwrap();
            let status = res.status().as_u16();
            let cookie = cookie_value(&res, "latchkey_session");
            (status, res.json::<Value>().await.unwrap(), cookie)
        }
    };
    let (status, begun, _) = post(
        app.url(&format!("{path}/passkey/begin")),
        json!({"csrf_token": csrf, "name": "Laptop"}),
    )
    .await;
    assert_eq!(status, 200, "{begun}");
    assert_eq!(begun["options"]["publicKey"]["user"]["name"], "pat");
    let mut key = SoftPasskey::new();
    let credential = key.register(&begun["options"], &app.settings.issuer);
    let finish =
        json!({"csrf_token": csrf, "challenge": begun["challenge"], "credential": credential});
    let (status, done, cookie) =
        post(app.url(&format!("{path}/passkey/finish")), finish.clone()).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["redirect"], "/welcome");
    assert!(cookie.is_some(), "signed in");
    let (status, html) = page(&app, &browser, "/account").await;
    assert_eq!(status, 200, "signed in with the passkey: {html}");
    assert!(
        html.contains("Laptop") && html.contains("Set a password"),
        "no password yet: {html}"
    );
    let pat = user(&app, "pat");
    assert!(pat.email_verified && pat.password_hash.is_empty());

    // The link is used; the finish cannot be replayed (the sign-in also renewed the CSRF token).
    let (status, body, _) = post(app.url(&format!("{path}/passkey/finish")), finish).await;
    assert!([400, 403, 410].contains(&status), "{status} {body}");
    let (status, _) = page(&app, &fresh_browser(), &path).await;
    assert_eq!(status, 410);

    // A password never signs in to a passkey-only account (not even an empty one).
    for pw in ["", "anything at all"] {
        let res = login_with(&app, &fresh_browser(), "pat", pw).await;
        assert_eq!(res.status(), 401, "{pw:?}");
    }
    // The passkey alone signs in from another browser.
    let other = fresh_browser();
    let (_, html) = page(&app, &other, "/login").await;
    let csrf = hidden(&html, "csrf_token").unwrap();
    let res = other
        .post(app.url("/login/passkey/begin"))
        .json(&json!({"csrf_token": csrf, "purpose": "sign_in", "next": "/account"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let begun: Value = res.json().await.unwrap();
    let assertion = key.sign_in(&begun["options"], &app.settings.issuer);
    let res = other.post(app.url("/login/passkey/finish")).json(&json!({"csrf_token": csrf, "purpose": "sign_in", "next": "/account", "challenge": begun["challenge"], "credential": assertion})).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let (status, _) = page(&app, &other, "/account").await;
    assert_eq!(status, 200, "signed in with the passkey alone");
    // Doctor does not call the missing password a broken hash.
    let report = app.cli(&["doctor", "--json"], None);
    assert!(
        !report.stdout.contains("password-hash-unreadable"),
        "{}",
        report.stdout
    );
}
