//! A stolen database or log gives nothing away: secrets are stored hashed, generated with
//! enough entropy, and never logged.

use crate::support::*;
use latchkey::crypto::keys::Alg;
use latchkey::crypto::random;
use latchkey::store::Store;

/// Every value of every column of every table, as text (table.column, value).
fn every_stored_value(app: &TestApp) -> Vec<(String, String)> {
    app.store
        .sql(|c| {
            let tables: Vec<String> = c
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut out = Vec::new();
            for t in tables {
                let cols: Vec<String> = c
                    .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))?
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                for col in cols {
                    let mut st = c.prepare(&format!(
                        "SELECT CAST(\"{col}\" AS BLOB) FROM \"{t}\" WHERE \"{col}\" IS NOT NULL"
                    ))?;
                    let values: Vec<Vec<u8>> =
                        st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
                    for v in values {
                        out.push((
                            format!("{t}.{col}"),
                            String::from_utf8_lossy(&v).into_owned(),
                        ));
                    }
                }
            }
            Ok(out)
        })
        .expect("read the whole database")
}

/// The raw bytes of the database files (main file, WAL, shared memory).
fn database_bytes(app: &TestApp) -> Vec<u8> {
    let db = db_path(app.data_path());
    let mut out = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", db.display());
        if let Ok(bytes) = std::fs::read(&path) {
            out.extend(bytes);
        }
    }
    out
}

fn contains_bytes(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn a_stolen_database_holds_no_usable_session_id_code_refresh_token_or_client_secret() {
    let app = spawn_oidc_app().await;
    let added = app
        .cli(
            &[
                "client",
                "add",
                "cli-app",
                "--redirect-uri",
                REDIRECT_URI,
                "--skip-consent",
                "--json",
            ],
            None,
        )
        .json();
    let client_secret = added["client_secret"]
        .as_str()
        .expect("a generated client secret")
        .to_owned();
    // A full flow, keeping every secret the browser and the client saw.
    let res = browse(&app, &AuthReq::new("cli-app").url(&app)).await;
    let login = location(&res);
    let handle = query_param(&app.url(&login), "req").expect("pending request handle");
    let login_html = browse(&app, &login).await.text().await.unwrap();
    let csrf = hidden(&login_html, "csrf_token").unwrap();
    let res = submit_login(&app, &login, "alice", PASSWORD).await;
    let session = cookie_value(&res, "latchkey_session").expect("session cookie");
    let j = drive(&app, res, "alice").await;
    let code = j.code();
    // That code stays unredeemed; a second one, with a known verifier, is exchanged.
    let (code2, verifier2) = get_code(&app, "cli-app", &[("scope", "openid offline_access")]).await;
    let t = exchange(
        &app,
        "cli-app",
        Some(&client_secret),
        &code2,
        Some(&verifier2),
    )
    .await;
    let refresh1 = str_of(&t, "refresh_token").to_owned();
    let t2 = token_ok(refresh(&app, "cli-app", &client_secret, &refresh1, None).await).await;
    let refresh2 = str_of(&t2, "refresh_token").to_owned();
    let secrets = [
        ("the client secret", client_secret.as_str()),
        ("the session cookie", session.as_str()),
        ("the pending request handle", handle.as_str()),
        ("an unredeemed code", code.as_str()),
        ("a redeemed code", code2.as_str()),
        ("the PKCE verifier", verifier2.as_str()),
        ("a used refresh token", refresh1.as_str()),
        ("a live refresh token", refresh2.as_str()),
        ("the access token", str_of(&t2, "access_token")),
        ("the ID token", str_of(&t2, "id_token")),
        ("the CSRF token", csrf.as_str()),
        ("the password", PASSWORD),
    ];
    let stored = every_stored_value(&app);
    let bytes = database_bytes(&app);
    for (what, secret) in secrets {
        for (column, value) in &stored {
            assert!(!value.contains(secret), "{what} is stored in {column}");
        }
        assert!(
            !contains_bytes(&bytes, secret),
            "{what} is somewhere in the database files"
        );
    }
    // Control: the scan does see the stored hashes.
    for (what, secret, column) in [
        (
            "client secret",
            client_secret.as_str(),
            "clients.secret_hash",
        ),
        ("session cookie", session.as_str(), "sessions.secret_hash"),
        ("code", code.as_str(), "auth_codes.code_hash"),
        (
            "refresh token",
            refresh2.as_str(),
            "refresh_tokens.token_hash",
        ),
    ] {
        let h = random::hash_token(secret);
        assert!(
            stored.iter().any(|(c, v)| c == column && *v == h),
            "the {what}'s hash is in {column}"
        );
    }
}

#[tokio::test]
async fn generated_secrets_have_at_least_256_bits_so_guessing_fails() {
    let app = spawn_oidc_app().await;
    let mut samples: Vec<(&str, String)> = Vec::new();
    for id in ["gen-a", "gen-b"] {
        let out = app
            .cli(
                &[
                    "client",
                    "add",
                    id,
                    "--redirect-uri",
                    REDIRECT_URI,
                    "--skip-consent",
                    "--json",
                ],
                None,
            )
            .json();
        samples.push(("client secret", str_of(&out, "client_secret").to_owned()));
    }
    let rotated = app
        .cli(&["client", "rotate-secret", "gen-a", "--json"], None)
        .json();
    samples.push((
        "rotated client secret",
        str_of(&rotated, "client_secret").to_owned(),
    ));
    let secret = samples[0].1.clone();
    for _ in 0..2 {
        let b = fresh_browser();
        let html = b
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        samples.push(("CSRF token", hidden(&html, "csrf_token").unwrap()));
        samples.push(("session cookie", sign_in(&app, "alice").await));
        let res = browse(
            &app,
            &AuthReq::new("gen-b").set("prompt", "login").url(&app),
        )
        .await;
        samples.push((
            "pending request handle",
            query_param(&app.url(&location(&res)), "req").unwrap(),
        ));
    }
    let secret = rotated["client_secret"]
        .as_str()
        .unwrap_or(&secret)
        .to_owned();
    for _ in 0..2 {
        let (code, verifier) = get_code(&app, "gen-a", &[("scope", "openid offline_access")]).await;
        samples.push(("code", code.clone()));
        let t = exchange(&app, "gen-a", Some(&secret), &code, Some(&verifier)).await;
        samples.push(("refresh token", str_of(&t, "refresh_token").to_owned()));
        samples.push((
            "access token jti",
            jwt_claims(str_of(&t, "access_token"))["jti"]
                .as_str()
                .unwrap()
                .to_owned(),
        ));
    }
    for (what, s) in &samples {
        assert!(
            s.len() >= 43 && is_base64url(s),
            "{what} {s:?}: at least 43 base64url characters (256 bits)"
        );
        assert!(shannon_bits(s) >= 128.0, "{what} {s:?} looks random");
        let dupes = samples.iter().filter(|(_, o)| o == s).count();
        assert_eq!(dupes, 1, "{what} repeats");
    }
}

#[tokio::test]
async fn token_values_passwords_and_private_keys_never_reach_the_logs() {
    let data_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = ChildServer::start_with(data_dir.path(), port, &[("LATCHKEY_LOG_LEVEL", "trace")]);
    let mut settings = test_settings(data_dir.path());
    settings.bind = format!("127.0.0.1:{port}").parse().unwrap();
    settings.issuer = format!("http://127.0.0.1:{port}");
    let store = Store::open(&db_path(data_dir.path())).expect("open the server's database");
    let app = TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        data_dir,
        client: fresh_browser(),
        store,
        settings,
        metrics_port: None,
        server: None,
    };
    add_user(&app, "alice", "alice@example.com", Some("Alice Example"));
    let secret = add_client(&app, &app_spec()).unwrap();
    let wrong_password = "hunter2 but a much longer one";
    let failed = submit_login(&app, "/login", "alice", wrong_password).await;
    assert_eq!(failed.status(), 401);
    let session = sign_in(&app, "alice").await;
    let (code, verifier) = get_code(&app, "app", &[("scope", "openid offline_access")]).await;
    let t = exchange(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    // Failures log their reasons: make sure they are exercised too.
    let r1 = str_of(&t, "refresh_token").to_owned();
    let t2 = token_ok(refresh(&app, "app", &secret, &r1, None).await).await;
    let reuse = refresh(&app, "app", &secret, &r1, None).await;
    assert_oauth_error(reuse, 400, "invalid_grant").await;
    let replay = redeem(&app, "app", Some(&secret), &code, Some(&verifier)).await;
    assert_oauth_error(replay, 400, "invalid_grant").await;
    let wrong_secret = random::token();
    let res = refresh(
        &app,
        "app",
        &wrong_secret,
        str_of(&t2, "refresh_token"),
        None,
    )
    .await;
    assert_oauth_error(res, 401, "invalid_client").await;
    assert_eq!(
        userinfo(&app, str_of(&t, "access_token")).await.status(),
        401
    );
    introspect(&app, &secret, str_of(&t2, "access_token")).await;
    post_form(
        &app,
        "/revoke",
        &[("token", str_of(&t2, "access_token"))],
        Some(("app", &secret)),
    )
    .await;
    let url = format!(
        "/logout?{}",
        serde_urlencoded::to_string([("id_token_hint", str_of(&t2, "id_token"))]).unwrap()
    );
    browse(&app, &url).await;
    let private_key = our_key(&app, Alg::RS256).private_pem;
    let key_line = private_key
        .lines()
        .nth(5)
        .expect("a line of the PEM body")
        .to_owned();

    let log = server.log();
    server.kill();
    assert!(log.contains("listening"), "the log was captured: {log}");
    for (what, secret) in [
        ("the client secret", secret.as_str()),
        ("a wrong client secret", wrong_secret.as_str()),
        ("the password", PASSWORD),
        ("a wrong password", wrong_password),
        ("the session cookie", session.as_str()),
        ("the code", code.as_str()),
        ("the PKCE verifier", verifier.as_str()),
        ("the access token", str_of(&t, "access_token")),
        ("the ID token", str_of(&t, "id_token")),
        ("a refresh token", r1.as_str()),
        ("the rotated refresh token", str_of(&t2, "refresh_token")),
        ("a private signing key", key_line.as_str()),
        ("a private key marker", "PRIVATE KEY"),
    ] {
        assert!(!log.contains(secret), "{what} is in the log:\n{log}");
    }
}
