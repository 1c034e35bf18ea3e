//! `theme_dir`: static files a team can replace or add without rebuilding.

use crate::helpers::{spawn_app, spawn_app_with};

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
