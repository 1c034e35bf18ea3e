//! `theme_dir`: static files a team can replace or add without rebuilding.

use crate::support::*;

#[tokio::test]
async fn theme_dir_replaces_built_in_static_files_and_adds_new_ones() {
    let theme = tempfile::tempdir().unwrap();
    std::fs::create_dir(theme.path().join("static")).unwrap();
    std::fs::write(
        theme.path().join("static/style.css"),
        "body { color: rebeccapurple }",
    )
    .unwrap();
    std::fs::write(
        theme.path().join("static/logo.svg"),
        "<svg xmlns='http://www.w3.org/2000/svg'/>",
    )
    .unwrap();
    let dir = theme.path().to_owned();
    let app = spawn_app_with(move |s| s.theme_dir = Some(dir)).await;

    let css = app.get("/static/style.css").await;
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(css.text().await.unwrap(), "body { color: rebeccapurple }");
    let logo = app.get("/static/logo.svg").await;
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");
    // Files the theme does not replace still come from the binary.
    let js = app.get("/static/form_post.js").await;
    assert_eq!(js.status(), 200);
    assert!(js.text().await.unwrap().contains("submit"));
}

#[tokio::test]
async fn static_files_are_embedded_and_paths_cannot_escape_the_folder() {
    let app = spawn_app().await;
    let css = app.get("/static/style.css").await;
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["x-content-type-options"], "nosniff");
    for bad in [
        "/static/..%2FCargo.toml",
        "/static/.hidden",
        "/static/nope.css",
    ] {
        assert_eq!(app.get(bad).await.status(), 404, "{bad}");
    }
}

#[test]
fn a_theme_dir_that_does_not_exist_is_a_configuration_error() {
    let e = latchkey::config::Settings::load(&latchkey::config::Sources {
        config_file: None,
        env: vec![("LATCHKEY_THEME_DIR".into(), "/nonexistent/theme".into())],
        flags: vec![],
    })
    .unwrap_err();
    assert!(e.0.contains("`theme_dir`"), "{e}");
}

/// Template overrides are process-wide (one server, one look), so this runs the real binary.
#[test]
fn theme_dir_templates_replace_built_in_pages_and_the_rest_fall_back() {
    let theme = tempfile::tempdir().unwrap();
    std::fs::create_dir(theme.path().join("templates")).unwrap();
    std::fs::write(
        theme.path().join("templates/login.html"),
        r#"{% extends "base.html" %}{% block title %}ACME sign-in{% endblock %}{% block content %}<h1>ACME staff sign-in</h1><form method="post" action="/login"><input type="hidden" name="csrf_token" value="{{ csrf }}"><input name="username" value="{{ username }}"><input name="password" type="password"><button>Go</button></form>{% endblock %}"#,
    )
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = crate::support::latchkey_cmd(data.path())
        .env("LATCHKEY_THEME_DIR", theme.path())
        .env("LATCHKEY_BIND", format!("127.0.0.1:{port}"))
        .arg("serve")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let get = |path: &str| -> Option<String> {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        Some(out)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let login = loop {
        if let Some(page) = get("/login") {
            break page;
        }
        assert!(std::time::Instant::now() < deadline, "server did not start");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let home = get("/").unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        login.contains("ACME staff sign-in"),
        "the themed login page: {login}"
    );
    assert!(
        login.contains("<title>ACME sign-in · latchkey</title>"),
        "extends the built-in base.html"
    );
    assert!(
        login.contains("name=\"csrf_token\" value=\""),
        "with its context"
    );
    assert!(
        login.contains("content-security-policy"),
        "headers stay ours"
    );
    assert!(
        home.contains("This is your team's sign-in service"),
        "other pages are built in: {home}"
    );
}
