//! Notice mails after sensitive changes (a new browser, a password change), the per-user
//! opt-out, and a new email address: unverified until the link mailed to it is used, with a
//! notice to the old one.

use super::*;

/// Wait for the sender, then give it a moment to send anything more.
async fn settle(sink: &SmtpSink, n: usize) -> Vec<SunkMail> {
    sink.wait_for(n, MAIL_WAIT).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    sink.mails()
}

#[tokio::test]
async fn a_sign_in_from_a_new_browser_sends_a_notice_but_the_first_one_and_a_known_browser_do_not()
{
    let sink = smtp_sink().await;
    let app = onboarding_app(Some(&sink)).await;
    let first = fresh_browser();
    assert_eq!(
        login_with(&app, &first, "alice", PASSWORD).await.status(),
        303
    );
    // The same browser again: known.
    assert_eq!(
        login_with(&app, &first, "alice", PASSWORD).await.status(),
        303
    );
    assert!(
        settle(&sink, 1).await.is_empty(),
        "no notice for the first browser"
    );

    let second = fresh_browser();
    let res = second
        .get(app.url("/login"))
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
        )
        .send()
        .await
        .unwrap();
    let csrf = hidden(&res.text().await.unwrap(), "csrf_token").unwrap();
    let res = second
        .post(app.url("/login"))
        .header(
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
        )
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let mails = settle(&sink, 1).await;
    assert_eq!(mails.len(), 1, "one notice");
    let m = &mails[0];
    assert_eq!(m.to, ["alice@example.com"]);
    assert_eq!(m.subject(), "New sign-in to your account");
    let text = m.text();
    assert!(text.contains("If this wasn't you"), "{text}");
    assert!(
        text.contains("Firefox on Linux") && text.contains("127.0.0.1"),
        "{text}"
    );
}

#[tokio::test]
async fn a_password_change_sends_a_notice_unless_the_user_turned_notices_off() {
    let sink = smtp_sink().await;
    let app = onboarding_app(Some(&sink)).await;
    let b = app.client.clone();
    assert_eq!(login_with(&app, &b, "alice", PASSWORD).await.status(), 303);
    let change = |old: &'static str, new: &'static str| {
        let (app, b) = (&app, b.clone());
        async move {
            submit(
                app,
                &b,
                "/account",
                "/account/password",
                &[
                    ("current_password", old),
                    ("new_password", new),
                    ("confirm_password", new),
                ],
            )
            .await
            .status()
        }
    };
    assert_eq!(change(PASSWORD, "second password 22").await, 200);
    let mails = settle(&sink, 1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject(), "Your password was changed");
    assert!(mails[0].text().contains("If this wasn't you"));

    // Off: the account page's switch.
    let (_, html) = page(&app, &b, "/account").await;
    assert!(
        html.contains("name=\"notices\" value=\"on\" checked"),
        "on by default"
    );
    let res = submit(&app, &b, "/account", "/account/notices", &[]).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Notice mails are off."));
    assert!(!user(&app, "alice").security_notices);
    assert_eq!(
        change("second password 22", "third password 333").await,
        200
    );
    assert_eq!(
        settle(&sink, 2).await.len(),
        1,
        "no notice once they are off"
    );
    let other = fresh_browser();
    assert_eq!(
        login_with(&app, &other, "alice", "third password 333")
            .await
            .status(),
        303
    );
    assert_eq!(settle(&sink, 2).await.len(), 1, "nor for a new browser");
    assert_eq!(audited(&app, "user.notices_changed").len(), 1);
}

#[tokio::test]
async fn a_new_email_address_is_unverified_until_its_link_is_used_and_the_old_one_is_told() {
    let sink = smtp_sink().await;
    let app = onboarding_app(Some(&sink)).await;
    let b = app.client.clone();
    assert_eq!(login_with(&app, &b, "alice", PASSWORD).await.status(), 303);
    let res = submit(
        &app,
        &b,
        "/account",
        "/account/email",
        &[("email", "not-an-address")],
    )
    .await;
    assert_eq!(res.status(), 400);
    let res = submit(
        &app,
        &b,
        "/account",
        "/account/email",
        &[("email", "alice@new.example.com")],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Open the link we mailed")
    );
    let alice = user(&app, "alice");
    assert_eq!(alice.email, "alice@new.example.com");
    assert!(!alice.email_verified, "unverified until the link is used");

    let mails = settle(&sink, 2).await;
    assert_eq!(mails.len(), 2);
    let to_new = sink.mails_to("alice@new.example.com");
    let to_old = sink.mails_to("alice@example.com");
    assert_eq!((to_new.len(), to_old.len()), (1, 1));
    assert!(
        to_old[0].text().contains("alice@new.example.com")
            && to_old[0].text().contains("If this wasn't you")
    );
    let link = to_new[0]
        .link("/verify-email/")
        .expect("a verification link");
    let path = link.strip_prefix(&app.settings.issuer).unwrap();
    // Opening the link (a mail scanner would) changes nothing; the button does.
    let other = fresh_browser();
    let (status, html) = page(&app, &other, path).await;
    assert_eq!(status, 200);
    assert!(html.contains("alice@new.example.com"));
    assert!(!user(&app, "alice").email_verified);
    let res = submit(&app, &other, path, path, &[]).await;
    assert_eq!(res.status(), 200);
    assert!(user(&app, "alice").email_verified);
    assert_eq!(page(&app, &other, path).await.0, 410, "used once");
}

#[tokio::test]
async fn changing_the_email_needs_a_fresh_sign_in() {
    let clock = clock_now();
    let app = spawn_at(&clock, |s| s.reauth_secs = 60).await;
    let b = app.client.clone();
    assert_eq!(login_with(&app, &b, "alice", PASSWORD).await.status(), 303);
    clock.advance(61);
    let (_, html) = page(&app, &b, "/account").await;
    assert!(
        !html.contains("action=\"/account/email\""),
        "no form on an old sign-in"
    );
    let csrf = hidden(&html, "csrf_token").unwrap();
    let res = b
        .post(app.url("/account/email"))
        .form(&[("csrf_token", csrf.as_str()), ("email", "x@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/login?reauth=1"));
    assert_eq!(user(&app, "alice").email, "alice@example.com");
}
