//! Mail: invite and reset links mailed (and followed), "Forgot password?" (the same answer for
//! every name, one mail, throttled), and the sender's retries across a mail server that is down
//! and a server restart.

use super::*;
use latchkey::clock::SystemClock;
use std::sync::Arc;

const NEW_PASSWORD: &str = "my very own password 9";

#[tokio::test]
async fn an_invite_is_mailed_and_its_link_signs_the_person_in() {
    let sink = smtp_sink().await;
    let app = onboarding_app(Some(&sink)).await;
    let (_, out) = invite(&app, "bob", &["--name", "Bob Builder"]);
    assert_eq!(out["emailed"], true);
    let mails = sink.wait_for(1, MAIL_WAIT).await;
    assert_eq!(mails.len(), 1, "one mail");
    let mail = &mails[0];
    assert_eq!(mail.to, ["bob@example.com"]);
    assert_eq!(mail.from, "id@example.com");
    assert!(mail.subject().contains("invited"), "{}", mail.subject());
    let text = mail.text();
    assert!(
        text.contains("Hello Bob Builder") && text.contains("text/html"),
        "plain text and HTML: {text}"
    );
    let link = mail.link("/invite/").expect("the link is in the mail");
    assert_eq!(
        link,
        out["url"].as_str().unwrap(),
        "the printed link is the mailed one"
    );
    let path = link.strip_prefix(&app.settings.issuer).unwrap();
    let b = fresh_browser();
    let res = accept_with_password(&app, &b, path, NEW_PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(page(&app, &b, "/account").await.0, 200);
    assert!(
        app.store
            .read(latchkey::store::mail_queue::list_mail)
            .unwrap()
            .is_empty(),
        "a sent mail leaves the queue"
    );
    // The queued link was sealed: the database never held it in the clear (checked before
    // sending by `no_link_in_the_clear`).
}

#[tokio::test]
async fn a_queued_link_is_sealed_so_the_database_alone_holds_no_usable_link() {
    let sink = smtp_sink_in(SinkMode::Down).await;
    let app = onboarding_app(Some(&sink)).await;
    let (_, out) = invite(&app, "bob", &[]);
    let token = out["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let queued = app
        .store
        .read(latchkey::store::mail_queue::list_mail)
        .unwrap();
    assert_eq!(queued.len(), 1);
    assert!(
        !queued[0].params.contains(&token) && !queued[0].link.as_deref().unwrap().contains(&token)
    );
    let db = std::fs::read(db_path(app.data_path())).unwrap();
    assert!(!String::from_utf8_lossy(&db).contains(&token));
}

#[tokio::test]
async fn no_email_only_prints_the_link() {
    let sink = smtp_sink().await;
    let app = onboarding_app(Some(&sink)).await;
    let (_, out) = invite(&app, "bob", &["--no-email"]);
    assert_eq!(out["emailed"], false);
    let out = cli_json(&app, &["user", "reset-link", "alice", "--no-email"]);
    assert_eq!(out["emailed"], false);
    assert!(
        app.store
            .read(latchkey::store::mail_queue::list_mail)
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn forgot_password_answers_the_same_for_every_name_and_mails_only_a_real_account() {
    let sink = smtp_sink().await;
    let app = onboarding_app(Some(&sink)).await;
    let (_, login) = page(&app, &fresh_browser(), "/login").await;
    assert!(
        login.contains("href=\"/login/forgot\""),
        "the login page offers it"
    );
    let ask = |name: &'static str| {
        let app = &app;
        async move {
            let b = fresh_browser();
            let res = submit(
                app,
                &b,
                "/login/forgot",
                "/login/forgot",
                &[("username", name)],
            )
            .await;
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }
    };
    let (s1, known) = ask("alice").await;
    let (s2, unknown) = ask("nobody-here").await;
    let (s3, by_mail) = ask("ALICE@example.com").await;
    assert_eq!((s1, s2, s3), (200, 200, 200));
    let strip = |html: &str| html.replace(&hidden(html, "csrf_token").unwrap_or_default(), "");
    assert_eq!(strip(&known), strip(&unknown), "the same page either way");
    assert!(known.contains("If an account goes by that name"), "{known}");
    let mails = sink.wait_for(2, MAIL_WAIT).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let mails_now = sink.mails();
    assert_eq!(
        mails_now.len(),
        2,
        "one mail per request for the real account, none for the other: {mails:?}"
    );
    assert!(mails_now.iter().all(|m| m.to == ["alice@example.com"]));
    assert_eq!(strip(&by_mail), strip(&known));

    // The newest link works; the older one was replaced.
    let older = mails_now[0].link("/reset/").unwrap();
    let newer = mails_now[1].link("/reset/").unwrap();
    let path = newer.strip_prefix(&app.settings.issuer).unwrap();
    let b = fresh_browser();
    let fields = [
        ("new_password", NEW_PASSWORD),
        ("confirm_password", NEW_PASSWORD),
    ];
    assert_eq!(submit(&app, &b, path, path, &fields).await.status(), 200);
    assert_eq!(
        login_with(&app, &fresh_browser(), "alice", NEW_PASSWORD)
            .await
            .status(),
        303
    );
    let older = older.strip_prefix(&app.settings.issuer).unwrap();
    assert_eq!(page(&app, &b, older).await.0, 410);
    let requested = audited(&app, "user.reset_requested");
    assert_eq!(requested.len(), 3);
}

#[tokio::test]
async fn forgot_password_is_throttled_per_account_and_per_address() {
    let sink = smtp_sink().await;
    // A clock that stands still: the waits earned never run out during the test.
    let clock = clock_now();
    let smtp = smtp_to(&sink);
    let app = spawn_at(&clock, move |s| s.smtp = Some(smtp)).await;
    let b = fresh_browser();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let res = submit(
            &app,
            &b,
            "/login/forgot",
            "/login/forgot",
            &[("username", "alice")],
        )
        .await;
        statuses.push(res.status().as_u16());
        if res.status() == 429 {
            assert!(res.headers().get("retry-after").is_some());
        }
    }
    assert_eq!(statuses[..3], [200, 200, 200]);
    assert_eq!(statuses[3], 429, "{statuses:?}");
    // Other names from the same address: allowed until the address's own limit.
    let mut last = 200;
    for i in 0..12 {
        let name = format!("someone{i}");
        let res = submit(
            &app,
            &b,
            "/login/forgot",
            "/login/forgot",
            &[("username", &name)],
        )
        .await;
        last = res.status().as_u16();
        if last == 429 {
            break;
        }
    }
    assert_eq!(last, 429, "the address is limited too");
}

#[tokio::test]
async fn without_mail_there_is_no_forgot_password() {
    let app = onboarding_app(None).await;
    let (_, login) = page(&app, &fresh_browser(), "/login").await;
    assert!(!login.contains("/login/forgot"));
    assert_eq!(page(&app, &fresh_browser(), "/login/forgot").await.0, 404);
}

#[tokio::test]
async fn mail_queued_while_the_mail_server_is_down_is_delivered_later_even_across_a_restart() {
    let sink = smtp_sink_in(SinkMode::Down).await;
    let mut app = onboarding_app(Some(&sink)).await;
    invite(&app, "bob", &[]);
    // The sender tries, fails, and keeps the mail with its next attempt scheduled.
    let deadline = std::time::Instant::now() + MAIL_WAIT;
    loop {
        let q = app
            .store
            .read(latchkey::store::mail_queue::list_mail)
            .unwrap();
        if q.first().is_some_and(|m| m.attempts >= 1) {
            assert!(q[0].last_error.is_some());
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no attempt was made: {q:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(sink.connections() >= 1);
    assert!(sink.mails().is_empty());

    // The server stops; the mail server comes back; a new server on the same data sends it.
    app.stop().await;
    sink.set_mode(SinkMode::Accept);
    let settings = app.settings.clone();
    let dir = std::mem::replace(&mut app.data_dir, tempfile::tempdir().unwrap());
    let again = spawn_app_in(dir, |s| *s = settings, Arc::new(SystemClock)).await;
    let mails = sink.wait_for(1, MAIL_WAIT).await;
    assert_eq!(mails.len(), 1, "delivered after the restart");
    assert!(mails[0].link("/invite/").is_some());
    // The sink has the mail once the server's DATA is accepted; the server removes its queue
    // row after that reply, so wait for it rather than race it (on PostgreSQL it came ~ms late).
    let deadline = std::time::Instant::now() + MAIL_WAIT;
    loop {
        let q = again
            .store
            .read(latchkey::store::mail_queue::list_mail)
            .unwrap();
        if q.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the delivered mail stayed queued: {q:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_busy_mail_server_gets_the_mail_on_a_retry() {
    let sink = smtp_sink_in(SinkMode::TempFail).await;
    let app = onboarding_app(Some(&sink)).await;
    cli_json(&app, &["user", "reset-link", "alice"]);
    let deadline = std::time::Instant::now() + MAIL_WAIT;
    while app
        .store
        .read(latchkey::store::mail_queue::list_mail)
        .unwrap()
        .first()
        .is_none_or(|m| m.attempts == 0)
    {
        assert!(std::time::Instant::now() < deadline);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    sink.set_mode(SinkMode::Accept);
    let mails = sink.wait_for(1, MAIL_WAIT).await;
    assert_eq!(mails.len(), 1, "sent on a later attempt");
    assert!(mails[0].link("/reset/").is_some());
}

#[tokio::test]
async fn mail_still_failing_after_a_day_is_given_up_and_audited() {
    let sink = smtp_sink_in(SinkMode::Down).await;
    let clock = clock_now();
    let smtp = smtp_to(&sink);
    let app = spawn_at(&clock, move |s| s.smtp = Some(smtp)).await;
    let now = latchkey::clock::Clock::now(&clock);
    app.store
        .write(|c| {
            let u = latchkey::store::users::get_user_by_username(c, "alice")?;
            let params = latchkey::oidc::mail::MailParams::for_user(&u, now - 86_400);
            latchkey::oidc::mail::queue_notice(
                c,
                &app.settings,
                &u,
                latchkey::oidc::mail::MailKind::PasswordChanged,
                &params,
            )
        })
        .unwrap();
    let deadline = std::time::Instant::now() + MAIL_WAIT;
    while audited(&app, "mail.failed").is_empty() {
        assert!(std::time::Instant::now() < deadline, "not given up");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let failed = &audited(&app, "mail.failed")[0];
    assert_eq!(failed.subject.as_deref(), Some("alice"));
    assert!(
        failed
            .detail
            .as_deref()
            .unwrap()
            .contains("password_changed")
    );
    assert!(
        app.store
            .read(latchkey::store::mail_queue::list_mail)
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn two_nodes_on_one_database_share_the_forgot_password_limit() {
    let sink = smtp_sink().await;
    let clock = clock_now();
    let smtp = smtp_to(&sink);
    let a = spawn_at(&clock, move |s| s.smtp = Some(smtp)).await;
    let b = spawn_node_beside(&a, Arc::new(clock.clone())).await;
    let browser = fresh_browser();
    let mut statuses = Vec::new();
    // Sent alternately: each node sees two requests, the account four.
    for node in [&a, &b, &a, &b] {
        let fields = [("username", "alice")];
        let res = submit(node, &browser, "/login/forgot", "/login/forgot", &fields).await;
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
}
