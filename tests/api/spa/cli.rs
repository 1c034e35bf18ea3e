//! `--web-origin` on `client add` and `client update`, shown by `client show`.

use crate::support::*;

fn add_spa(dir: &std::path::Path, extra: &[&str]) -> CliOutput {
    let mut args = vec![
        "client",
        "add",
        "spa",
        "--public",
        "--redirect-uri",
        "https://app.example/callback",
        "--json",
    ];
    args.extend_from_slice(extra);
    run_cli(dir, &args, None)
}

#[test]
fn client_web_origins_default_to_the_redirect_origins_plus_web_origin() {
    let dir = tempfile::tempdir().unwrap();
    let out = add_spa(dir.path(), &["--web-origin", "https://cdn.example:8443"]).json();
    assert_eq!(
        out["web_origins"],
        serde_json::json!(["https://app.example", "https://cdn.example:8443"])
    );

    let show = run_cli(dir.path(), &["client", "show", "spa", "--json"], None).json();
    assert_eq!(
        show["web_origins"],
        serde_json::json!(["https://app.example", "https://cdn.example:8443"])
    );
    assert_eq!(
        show["extra_web_origins"],
        serde_json::json!(["https://cdn.example:8443"])
    );
    let text = run_cli(dir.path(), &["client", "show", "spa"], None);
    assert!(
        text.ok()
            .contains("web origins:      https://app.example https://cdn.example:8443"),
        "{}",
        text.stdout
    );

    let upd = run_cli(
        dir.path(),
        &[
            "client",
            "update",
            "spa",
            "--web-origin",
            "http://localhost:5173",
            "--remove-web-origin",
            "https://cdn.example:8443",
            "--json",
        ],
        None,
    )
    .json();
    assert_eq!(
        upd["web_origins"],
        serde_json::json!(["https://app.example", "http://localhost:5173"])
    );
}

#[test]
fn client_web_origin_must_be_an_https_or_loopback_origin_without_path_query_or_wildcard() {
    let dir = tempfile::tempdir().unwrap();
    for bad in [
        "https://app.example/",
        "https://app.example/path",
        "https://app.example?x=1",
        "https://*.example",
        "*",
        "http://app.example",
        "ftp://app.example",
        "app.example",
        "https://user@app.example",
    ] {
        let out = add_spa(dir.path(), &["--web-origin", bad]);
        let err = out.one_line_error();
        assert!(err.contains("web origin"), "{bad}: {err}");
    }
    assert_eq!(
        run_cli(dir.path(), &["client", "list", "--json"], None).json(),
        serde_json::json!([]),
        "nothing registered"
    );

    add_spa(dir.path(), &[]).ok();
    let out = run_cli(
        dir.path(),
        &[
            "client",
            "update",
            "spa",
            "--web-origin",
            "https://app.example/x",
        ],
        None,
    );
    assert!(out.one_line_error().contains("web origin"));
}
