//! `latchkey doctor` and passkeys: an issuer browsers will not hold passkeys for.

use crate::support::*;
use serde_json::Value;

fn findings_for(issuer: &str) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = latchkey_cmd(dir.path());
    cmd.args(["doctor", "--json"])
        .env("LATCHKEY_ISSUER", issuer);
    let out = run(cmd, None);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

fn passkey_findings(issuer: &str) -> Vec<Value> {
    findings_for(issuer)
        .into_iter()
        .filter(|f| f["check"] == "passkeys-impossible")
        .collect()
}

#[test]
fn doctor_warns_when_the_issuer_makes_passkeys_impossible() {
    for issuer in [
        "http://127.0.0.1:8080",
        "https://192.0.2.10",
        "https://[2001:db8::1]",
        "http://login.example.com",
    ] {
        let found = passkey_findings(issuer);
        assert_eq!(found.len(), 1, "{issuer}: {found:#?}");
        assert_eq!(found[0]["severity"], "warning");
        assert!(
            found[0]["fix"].as_str().unwrap().contains("https://"),
            "{:#?}",
            found[0]
        );
    }
    for issuer in [
        "http://localhost:8080",
        "https://login.example.com",
        "https://login.example.com/sso",
    ] {
        assert!(passkey_findings(issuer).is_empty(), "{issuer}");
    }
}
