//! doctor's fixes for clients are `client update` commands that work as printed: run through a
//! shell, they clear the findings and keep the client (its secret, tokens and consents).

use super::checks::{code, doctor, healthy_setup, insert_client, of, text};
use crate::support::*;
use std::path::Path;
use std::process::Command;

/// Run the command a fix ends with, as an admin would paste it into a shell.
fn run_fix(dir: &Path, fix: &str) -> CliOutput {
    let at = fix
        .find("latchkey client ")
        .unwrap_or_else(|| panic!("no command in {fix:?}"));
    let bin = Path::new(env!("CARGO_BIN_EXE_latchkey"))
        .parent()
        .expect("the binary's directory");
    let mut sh = Command::new("sh");
    sh.env_clear()
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("LATCHKEY_DATA_DIR", dir)
        .current_dir(dir)
        .arg("-c")
        .arg(&fix[at..]);
    run(sh, None)
}

#[test]
fn each_client_fix_run_in_a_shell_clears_its_finding_and_keeps_the_client() {
    let dir = healthy_setup();
    let d = dir.path();
    run_cli(
        d,
        &[
            "client",
            "add",
            "legacy",
            "--no-pkce",
            "--redirect-uri",
            "https://legacy.example/cb",
        ],
        None,
    )
    .ok();
    insert_client(
        d,
        "old",
        false,
        &["authorization_code"],
        "http://old.example/cb",
    );
    insert_client(
        d,
        "spa",
        true,
        &["authorization_code", "client_credentials"],
        "https://spa.example/cb",
    );
    let checks = [
        "client-pkce-disabled",
        "client-plain-http-uri",
        "client-public-client-credentials",
    ];

    let (out, findings) = doctor(d);
    assert_eq!(code(&out), 2);
    for check in checks {
        let found = of(&findings, check);
        assert_eq!(found.len(), 1, "{check}: {findings:#?}");
        let fix = text(found[0], "fix");
        assert!(fix.contains("latchkey client update "), "{fix}");
        run_fix(d, &fix).ok();
    }

    let (out, findings) = doctor(d);
    for check in checks {
        assert!(of(&findings, check).is_empty(), "{check}: {findings:#?}");
    }
    assert_eq!(code(&out), 0, "{findings:#?}");
    let clients = run_cli(d, &["client", "list", "--json"], None).json();
    let ids: Vec<&str> = clients
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["app", "legacy", "old", "spa"], "nothing was removed");
    let audit = run_cli(d, &["audit", "--json"], None).json();
    let kinds: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "client.updated").count(), 3);
    assert!(!kinds.contains(&"client.removed"), "{kinds:?}");
}
