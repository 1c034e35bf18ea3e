//! contrib/latchkey.service: a unit systemd accepts as written, with the hardening the README
//! promises. (Readiness over NOTIFY_SOCKET is tested in `shutdown`.)

const UNIT: &str = include_str!("../../../contrib/latchkey.service");

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify_without_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    // `verify` checks that ExecStart exists and is executable: point it at the binary under test.
    let unit = UNIT.replace("/usr/local/bin/latchkey", env!("CARGO_BIN_EXE_latchkey"));
    let path = dir.path().join("latchkey.service");
    std::fs::write(&path, unit).unwrap();
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .expect("systemd-analyze (Debian package systemd) is installed by scripts/test");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "systemd-analyze verify failed: {said}"
    );
    // Unknown keys and bad values are only warnings for systemd: none may appear.
    let about_unit: Vec<_> = said
        .lines()
        .filter(|l| l.contains("latchkey.service"))
        .collect();
    assert!(about_unit.is_empty(), "warnings: {about_unit:?}");
}

#[test]
fn the_systemd_unit_runs_as_its_own_user_with_notify_readiness_and_a_read_only_system() {
    let lines: Vec<&str> = UNIT.lines().map(str::trim).collect();
    for wanted in [
        "Type=notify",
        "User=latchkey",
        "StateDirectory=latchkey",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=",
        "Restart=on-failure",
        "ExecReload=/bin/kill -HUP $MAINPID",
    ] {
        assert!(lines.contains(&wanted), "the unit lacks `{wanted}`");
    }
}
