//! `latchkey doctor` on built-in TLS: expired, expiring and misnamed certificates, files
//! `serve` could not load, a world-readable key; and no proxy advice when TLS is built in.

use crate::support::*;
use latchkey::config::TlsFiles;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use time::{Duration, OffsetDateTime};

/// `latchkey doctor --json` for `issuer` with `files`, bound to every interface; the findings.
fn doctor(issuer: &str, files: &TlsFiles) -> Vec<Value> {
    let data = tempfile::tempdir().unwrap();
    let mut cmd = latchkey_cmd(data.path());
    cmd.args(["doctor", "--json"])
        .env("LATCHKEY_ISSUER", issuer)
        .env("LATCHKEY_BIND", "0.0.0.0:443")
        .env("LATCHKEY_TLS_CERT", &files.cert)
        .env("LATCHKEY_TLS_KEY", &files.key);
    let out = run(cmd, None);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json prints JSON ({e}): {}\n{}",
            out.stdout, out.stderr
        )
    })
}

/// The findings whose check starts with `tls` or names a proxy.
fn tls_findings(findings: &[Value]) -> Vec<(String, String)> {
    findings
        .iter()
        .filter_map(|f| {
            let check = f["check"].as_str()?;
            (check.starts_with("tls") || check.contains("proxy")).then(|| {
                (
                    check.to_owned(),
                    f["severity"].as_str().unwrap_or("").to_owned(),
                )
            })
        })
        .collect()
}

fn finding<'a>(findings: &'a [Value], check: &str) -> &'a Value {
    findings
        .iter()
        .find(|f| f["check"] == check)
        .unwrap_or_else(|| panic!("no {check} finding in {findings:#?}"))
}

fn pair(s: &str) -> (String, String) {
    let (a, b) = s.split_once(' ').unwrap();
    (a.to_owned(), b.to_owned())
}

const ISSUER: &str = "https://login.example.com";

#[test]
fn a_valid_certificate_for_the_issuer_host_gives_no_tls_findings_and_no_proxy_advice() {
    let ca = TestCa::new();
    let dir = cert_dir();
    let files = ca.leaf_for(&["login.example.com"], 60).install(dir.path());

    let findings = doctor(ISSUER, &files);

    assert_eq!(tls_findings(&findings), vec![], "{findings:#?}");
    // A wildcard for the parent domain covers the issuer's host too.
    let files = ca.leaf_for(&["*.example.com"], 60).install(dir.path());
    assert_eq!(tls_findings(&doctor(ISSUER, &files)), vec![]);
}

#[test]
fn an_expired_certificate_is_critical() {
    let ca = TestCa::new();
    let dir = cert_dir();
    let now = OffsetDateTime::now_utc();
    let files = ca
        .leaf_valid(
            &["login.example.com"],
            now - Duration::days(90),
            now - Duration::days(1),
        )
        .install(dir.path());

    let findings = doctor(ISSUER, &files);

    assert_eq!(
        tls_findings(&findings),
        vec![pair("tls-cert-expired critical")]
    );
    let f = finding(&findings, "tls-cert-expired");
    assert!(f["message"].as_str().unwrap().contains("expired"), "{f}");
    assert!(f["fix"].as_str().unwrap().contains("renew"), "{f}");
}

#[test]
fn a_certificate_expiring_within_14_days_is_a_warning_and_one_with_a_month_left_is_fine() {
    let ca = TestCa::new();
    let dir = cert_dir();
    let files = ca.leaf_for(&["login.example.com"], 10).install(dir.path());

    let findings = doctor(ISSUER, &files);

    assert_eq!(
        tls_findings(&findings),
        vec![pair("tls-cert-expiring warning")]
    );
    let f = finding(&findings, "tls-cert-expiring");
    let msg = f["message"].as_str().unwrap();
    // Ten days less the moments since the certificate was made.
    assert!(
        msg.contains("in 9 days") || msg.contains("in 10 days"),
        "{f}"
    );

    let files = ca.leaf_for(&["login.example.com"], 30).install(dir.path());
    assert_eq!(tls_findings(&doctor(ISSUER, &files)), vec![]);
}

#[test]
fn a_certificate_that_does_not_name_the_issuer_host_is_critical() {
    let ca = TestCa::new();
    let dir = cert_dir();
    for names in [
        &["www.example.com", "192.0.2.7"][..],
        // A wildcard stands for one label only.
        &["*.login.example.com"][..],
        &["*.com"][..],
    ] {
        let files = ca.leaf_for(names, 60).install(dir.path());

        let findings = doctor(ISSUER, &files);

        assert_eq!(
            tls_findings(&findings),
            vec![pair("tls-cert-host-mismatch critical")],
            "{names:?}"
        );
        let msg = finding(&findings, "tls-cert-host-mismatch")["message"].to_string();
        assert!(
            msg.contains("login.example.com") && msg.contains(names[0]),
            "{msg}"
        );
    }
}

#[test]
fn unreadable_and_mismatched_tls_files_are_critical() {
    let ca = TestCa::new();
    let dir = cert_dir();
    let files = ca.leaf_for(&["login.example.com"], 60).install(dir.path());
    let missing = TlsFiles {
        cert: dir.path().join("missing.pem"),
        key: files.key.clone(),
    };

    let findings = doctor(ISSUER, &missing);
    assert_eq!(
        tls_findings(&findings),
        vec![pair("tls-cert-unreadable critical")]
    );
    assert!(
        finding(&findings, "tls-cert-unreadable")["message"]
            .to_string()
            .contains("missing.pem")
    );

    let garbage_key = TlsFiles {
        cert: files.cert.clone(),
        key: files.cert.clone(),
    };
    let findings = doctor(ISSUER, &garbage_key);
    assert_eq!(
        tls_findings(&findings),
        vec![pair("tls-cert-unreadable critical")]
    );
    assert!(
        finding(&findings, "tls-cert-unreadable")["message"]
            .to_string()
            .contains("`tls_key`")
    );

    let other = cert_dir();
    let other_key = ca
        .leaf_for(&["login.example.com"], 60)
        .install(other.path())
        .key;
    let findings = doctor(
        ISSUER,
        &TlsFiles {
            cert: files.cert.clone(),
            key: other_key,
        },
    );
    assert_eq!(
        tls_findings(&findings),
        vec![pair("tls-key-mismatch critical")]
    );
}

#[test]
fn a_private_key_readable_by_every_user_is_a_warning() {
    let ca = TestCa::new();
    let dir = cert_dir();
    let files = ca.leaf_for(&["login.example.com"], 60).install(dir.path());
    std::fs::set_permissions(&files.key, std::fs::Permissions::from_mode(0o644)).unwrap();

    let findings = doctor(ISSUER, &files);

    assert_eq!(
        tls_findings(&findings),
        vec![pair("tls-key-permissions warning")]
    );
    assert!(
        finding(&findings, "tls-key-permissions")["fix"]
            .to_string()
            .contains("chmod 600")
    );
}
