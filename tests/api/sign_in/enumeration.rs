//! User enumeration at sign-in fails: unknown, wrong-password and disabled look and take the same.

use crate::support::*;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

/// A browser whose connections come from `ip` (any 127.x.y.z reaches the server over loopback),
/// so that each attempt counts against its own client IP and stays clear of the per-IP sign-in
/// throttle (sign_in/throttle.rs).
fn browser_from(ip: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .local_address(IpAddr::V4(ip))
        .build()
        .expect("build HTTP client")
}

/// What a failed sign-in looked like from the outside.
struct Attempt {
    status: u16,
    /// The page with the CSRF token and the typed username replaced by placeholders.
    body: String,
    /// Response header names (without `date`), sorted.
    header_names: Vec<String>,
    elapsed: Duration,
}

async fn timed_login_attempt(
    app: &TestApp,
    ip: Ipv4Addr,
    username: &str,
    password: &str,
) -> Attempt {
    let b = browser_from(ip);
    let html = b
        .get(app.url("/login"))
        .send()
        .await
        .expect("GET /login")
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf_token").expect("csrf");
    let start = Instant::now();
    let res = b
        .post(app.url("/login"))
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .expect("POST /login");
    let elapsed = start.elapsed();
    let status = res.status().as_u16();
    let mut header_names: Vec<String> = res
        .headers()
        .keys()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k != "date")
        .collect();
    header_names.sort();
    let body = res
        .text()
        .await
        .unwrap()
        .replace(&csrf, "CSRF")
        .replace(&format!("value=\"{username}\""), "value=\"USER\"");
    Attempt {
        status,
        body,
        header_names,
        elapsed,
    }
}

#[tokio::test]
async fn usernames_cannot_be_enumerated_unknown_wrong_password_and_disabled_look_the_same() {
    let app = spawn_oidc_app().await;
    for name in ["carol", "dave"] {
        add_user(&app, name, &format!("{name}@example.com"), None);
        disable_user(&app, name);
    }
    let cases = [
        ("wrong password", "alice", "not the password"),
        ("unknown user", "nobody", PASSWORD),
        (
            "unknown user, wrong password",
            "nobody2",
            "not the password",
        ),
        ("disabled user, right password", "carol", PASSWORD),
        ("disabled user, wrong password", "dave", "not the password"),
        ("an impossible username", "no such user!", PASSWORD),
    ];
    let mut seen = Vec::new();
    for (i, (what, user, pw)) in cases.iter().enumerate() {
        let a = timed_login_attempt(&app, Ipv4Addr::new(127, 0, 10, 1 + i as u8), user, pw).await;
        assert!(
            !a.body.contains(user),
            "{what}: the username appears only in its field"
        );
        seen.push((*what, a));
    }
    let (first, reference) = &seen[0];
    assert_eq!(reference.status, 401);
    for (what, a) in &seen[1..] {
        assert_eq!(a.status, reference.status, "{what} vs {first}: status");
        assert_eq!(
            a.header_names, reference.header_names,
            "{what} vs {first}: headers"
        );
        assert_eq!(a.body, reference.body, "{what} vs {first}: body");
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// An unknown user costs the same argon2 work as a wrong password (a dummy hash is checked):
/// medians of interleaved attempts, each from its own account and IP, stay within a generous
/// factor of each other. Without the dummy hash an unknown user answers some 20 times faster.
#[tokio::test]
async fn usernames_cannot_be_enumerated_by_timing_unknown_and_disabled_users_match_a_wrong_password()
 {
    const ROUNDS: usize = 5;
    let app = spawn_oidc_app().await;
    for i in 0..ROUNDS {
        add_user(&app, &format!("known{i}"), "k@example.com", None);
        add_user(&app, &format!("disabled{i}"), "d@example.com", None);
        disable_user(&app, &format!("disabled{i}"));
    }
    add_user(&app, "warmup", "w@example.com", None);
    // Warm up both paths (the dummy hash is computed on first use).
    timed_login_attempt(
        &app,
        Ipv4Addr::new(127, 0, 11, 1),
        "warmup-unknown",
        "x1y2z3w4",
    )
    .await;
    timed_login_attempt(&app, Ipv4Addr::new(127, 0, 11, 2), "warmup", "x1y2z3w4").await;

    let (mut unknown, mut wrong, mut disabled) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        for k in 0..3 {
            let kind = (round + k) % 3;
            let ip = Ipv4Addr::new(127, 0, 12, (round * 3 + k + 1) as u8);
            match kind {
                0 => {
                    let a =
                        timed_login_attempt(&app, ip, &format!("ghost{round}"), "x1y2z3w4").await;
                    assert_eq!(a.status, 401);
                    unknown.push(a.elapsed);
                }
                1 => {
                    let a =
                        timed_login_attempt(&app, ip, &format!("known{round}"), "x1y2z3w4").await;
                    assert_eq!(a.status, 401);
                    wrong.push(a.elapsed);
                }
                _ => {
                    let a =
                        timed_login_attempt(&app, ip, &format!("disabled{round}"), PASSWORD).await;
                    assert_eq!(a.status, 401);
                    disabled.push(a.elapsed);
                }
            }
        }
    }
    // Control: the measurement tells password work from none. A POST refused for its CSRF token
    // (no argon2 at all) is far quicker than a wrong password.
    let mut no_work = Vec::new();
    for i in 0..ROUNDS {
        let b = browser_from(Ipv4Addr::new(127, 0, 13, 1 + i as u8));
        let start = Instant::now();
        let res = b
            .post(app.url("/login"))
            .form(&[("username", "alice"), ("password", "x1y2z3w4")])
            .send()
            .await
            .unwrap();
        no_work.push(start.elapsed());
        assert_eq!(res.status(), 403);
    }
    let (u, w, d) = (median(unknown), median(wrong), median(disabled));
    let n = median(no_work);
    eprintln!(
        "sign-in timing medians: unknown user {u:?}, wrong password {w:?}, disabled user {d:?}, \
         no password work {n:?}"
    );
    assert!(
        n * 2 < w,
        "the timing cannot tell argon2 work ({w:?}) from none ({n:?})"
    );
    assert!(
        u * 2 >= w,
        "an unknown user answers much faster ({u:?}) than a wrong password ({w:?})"
    );
    assert!(
        d * 2 >= w,
        "a disabled user answers much faster ({d:?}) than a wrong password ({w:?})"
    );
}
