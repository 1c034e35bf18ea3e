//! `latchkey serve` refuses to start with TLS settings it cannot honour: one line on stderr
//! naming the setting, a non-zero exit, and nothing created in the data dir.

use crate::support::*;

/// `latchkey serve` with `env` in a data dir that does not exist yet; asserts it fails with one
/// line, creates nothing, and returns that line.
fn serve_fails(env: &[(&str, &str)]) -> String {
    let parent = tempfile::tempdir().unwrap();
    let data_dir = parent.path().join("data");
    let port = free_port();
    let mut cmd = latchkey_cmd(&data_dir);
    cmd.arg("serve")
        .env("LATCHKEY_BIND", format!("127.0.0.1:{port}"))
        .env("LATCHKEY_ISSUER", format!("https://localhost:{port}"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(cmd, None);
    let line = out.one_line_error().to_owned();
    assert!(!data_dir.exists(), "nothing is created before the error");
    line
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn tls_cert_without_tls_key_is_a_start_error_naming_tls_key() {
    let dir = cert_dir();
    let files = TestCa::new().localhost().install(dir.path());

    let err = serve_fails(&[("LATCHKEY_TLS_CERT", path(&files.cert))]);

    assert!(
        err.contains("`tls_key`") && err.contains("both or neither"),
        "{err}"
    );
}

#[test]
fn tls_key_without_tls_cert_is_a_start_error_naming_tls_cert() {
    let dir = cert_dir();
    let files = TestCa::new().localhost().install(dir.path());

    let err = serve_fails(&[("LATCHKEY_TLS_KEY", path(&files.key))]);

    assert!(
        err.contains("`tls_cert`") && err.contains("both or neither"),
        "{err}"
    );
}

#[test]
fn tls_with_an_http_issuer_is_a_start_error_naming_issuer() {
    let dir = cert_dir();
    let files = TestCa::new().localhost().install(dir.path());

    let err = serve_fails(&[
        ("LATCHKEY_TLS_CERT", path(&files.cert)),
        ("LATCHKEY_TLS_KEY", path(&files.key)),
        ("LATCHKEY_ISSUER", "http://localhost:8443"),
    ]);

    assert!(err.contains("`issuer`") && err.contains("https"), "{err}");
}

#[test]
fn a_missing_certificate_file_is_a_start_error_naming_tls_cert_and_the_path() {
    let dir = cert_dir();
    let files = TestCa::new().localhost().install(dir.path());
    let missing = dir.path().join("nope.pem");

    let err = serve_fails(&[
        ("LATCHKEY_TLS_CERT", path(&missing)),
        ("LATCHKEY_TLS_KEY", path(&files.key)),
    ]);

    assert!(
        err.contains("`tls_cert`") && err.contains("nope.pem"),
        "{err}"
    );
    assert!(err.contains("cannot read"), "{err}");
}

#[test]
fn files_that_are_not_a_certificate_or_a_key_are_start_errors_naming_their_setting() {
    let dir = cert_dir();
    let files = TestCa::new().localhost().install(dir.path());
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "this is not PEM\n").unwrap();

    let err = serve_fails(&[
        ("LATCHKEY_TLS_CERT", path(&garbage)),
        ("LATCHKEY_TLS_KEY", path(&files.key)),
    ]);
    assert!(
        err.contains("`tls_cert`") && err.contains("no certificate"),
        "{err}"
    );

    // A certificate where the key should be.
    let err = serve_fails(&[
        ("LATCHKEY_TLS_CERT", path(&files.cert)),
        ("LATCHKEY_TLS_KEY", path(&files.cert)),
    ]);
    assert!(
        err.contains("`tls_key`") && err.contains("private key"),
        "{err}"
    );
}

#[test]
fn a_key_that_does_not_belong_to_the_certificate_is_a_start_error_naming_tls_key() {
    let ca = TestCa::new();
    let (a, b) = (cert_dir(), cert_dir());
    let first = ca.localhost().install(a.path());
    let second = ca.localhost().install(b.path());

    let err = serve_fails(&[
        ("LATCHKEY_TLS_CERT", path(&first.cert)),
        ("LATCHKEY_TLS_KEY", path(&second.key)),
    ]);

    assert!(
        err.contains("`tls_key`") && err.contains("does not match the certificate"),
        "{err}"
    );
}
