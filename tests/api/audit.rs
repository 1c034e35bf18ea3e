//! Rule 16: the audit log, and `latchkey audit`.

use crate::browser::{ClientSpec, add_client, spawn_oidc_app};
use crate::flow::tokens;

#[tokio::test]
async fn rule_16_sign_in_consent_and_tokens_are_audited_and_listed_by_the_cli() {
    let app = spawn_oidc_app().await;
    let secret = add_client(&app, &ClientSpec::default()).unwrap();
    let t = tokens(
        &app,
        "app",
        Some(&secret),
        &[("scope", "openid offline_access")],
    )
    .await;
    let access = t["access_token"].as_str().unwrap().to_owned();
    let refresh = t["refresh_token"].as_str().unwrap().to_owned();

    let all = app.cli(&["audit", "--json"], None).json();
    let kinds: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in ["login.succeeded", "consent.given", "token.issued"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let text = all.to_string();
    assert!(
        !text.contains(&access) && !text.contains(&refresh),
        "never a token in the audit log"
    );

    let mine = app
        .cli(&["audit", "--user", "alice", "--json"], None)
        .json();
    assert!(mine.as_array().unwrap().len() >= 3);
    let by_client = app
        .cli(
            &["audit", "--client", "app", "--since", "1h", "--json"],
            None,
        )
        .json();
    assert!(
        by_client
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["client_id"] == "app")
    );
    assert!(!by_client.as_array().unwrap().is_empty());
    let future = app
        .cli(
            &["audit", "--since", "2999-01-01T00:00:00Z", "--json"],
            None,
        )
        .json();
    assert_eq!(future.as_array().unwrap().len(), 0);
    let human = app.cli(&["audit", "--limit", "5"], None);
    assert!(human.ok().lines().count() <= 5);
}

#[tokio::test]
async fn audit_rejects_a_bad_since_and_an_unknown_user_with_one_line() {
    let app = spawn_oidc_app().await;
    app.cli(&["audit", "--since", "yesterday"], None)
        .one_line_error();
    app.cli(&["audit", "--user", "nobody"], None)
        .one_line_error();
}

#[tokio::test]
async fn admin_changes_from_the_cli_are_audited() {
    let app = spawn_oidc_app().await;
    app.cli(&["user", "disable", "alice"], None).ok();
    app.cli(
        &[
            "client",
            "add",
            "x",
            "--redirect-uri",
            "https://x.example/cb",
        ],
        None,
    )
    .ok();
    let kinds: Vec<String> = app
        .cli(&["audit", "--json"], None)
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        kinds.contains(&"user.disabled".to_owned()) && kinds.contains(&"client.created".to_owned()),
        "{kinds:?}"
    );
}
