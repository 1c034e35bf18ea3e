//! Every recipe names this issuer and the client, holds no secret, and parses as what it is.

use super::*;
use crate::config::Sources;

const ISSUER: &str = "https://id.example.org";

fn settings() -> Settings {
    Settings::load(&Sources {
        config_file: None,
        env: vec![],
        flags: vec![("issuer", ISSUER.into())],
    })
    .expect("settings")
}

fn client(redirect_uris: &[&str]) -> Client {
    Client {
        id: 1,
        client_id: "team-app".into(),
        name: "Team app".into(),
        is_public: false,
        secret_hash: Some("not-a-secret-but-a-hash".into()),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        scopes: [
            "openid",
            "profile",
            "email",
            "groups",
            "offline_access",
            "department",
        ]
        .map(String::from)
        .to_vec(),
        skip_consent: false,
        require_pkce: true,
        id_token_alg: "ES256".into(),
        backchannel_logout_uri: None,
        redirect_uris: redirect_uris.iter().map(|u| u.to_string()).collect(),
        post_logout_redirect_uris: Vec::new(),
        web_origins: Vec::new(),
        extra_web_origins: Vec::new(),
        require_mfa: false,
        created_at: 0,
    }
}

fn by_id<'a>(all: &'a [Recipe], id: &str) -> &'a Recipe {
    all.iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no recipe {id}"))
}

/// The words of a shell command, single quotes undone (what `sh_word` produces).
fn shell_words(cmd: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for ch in cmd.trim_end().chars() {
        match ch {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            _ => {
                word.push(ch);
                any = true;
            }
        }
    }
    assert!(!quoted, "unbalanced quotes in {cmd}");
    if any {
        words.push(word);
    }
    words
}

fn flag<'a>(words: &'a [String], name: &str) -> &'a str {
    let prefix = format!("--{name}=");
    words
        .iter()
        .find_map(|w| w.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no --{name} in {words:?}"))
}

#[test]
fn every_recipe_names_the_issuer_and_the_client_id_and_holds_a_secret_placeholder() {
    let all = recipes(&settings(), &client(&[]));
    let ids: Vec<&str> = all.iter().map(|r| r.id).collect();
    assert_eq!(
        ids,
        [
            "grafana",
            "forgejo",
            "gitea",
            "nextcloud",
            "oauth2-proxy",
            "apache",
            "immich",
            "outline",
            "portainer"
        ]
    );
    for r in &all {
        assert!(r.text.contains(ISSUER), "{}: {}", r.app, r.text);
        assert!(r.text.contains("team-app"), "{}: {}", r.app, r.text);
        assert!(r.text.contains(SECRET_PLACEHOLDER), "{}: {}", r.app, r.text);
        assert!(!r.text.contains("not-a-secret-but-a-hash"), "{}", r.app);
        assert!(r.text.ends_with('\n'), "{}", r.app);
    }
}

#[test]
fn the_scopes_are_the_clients_without_offline_access_standard_ones_first() {
    let all = recipes(&settings(), &client(&[]));
    let grafana = &by_id(&all, "grafana").text;
    assert!(
        grafana.contains("\nscopes = openid profile email groups department\n"),
        "{grafana}"
    );
}

#[test]
fn grafana_is_an_ini_section_with_its_callback_base_as_root_url() {
    let all = recipes(
        &settings(),
        &client(&["https://grafana.team.example/login/generic_oauth"]),
    );
    let r = by_id(&all, "grafana");
    assert!(r.callback_registered);
    assert_eq!(
        r.callback,
        "https://grafana.team.example/login/generic_oauth"
    );
    let mut sections = Vec::new();
    for line in r.text.lines().filter(|l| !l.is_empty()) {
        if line.starts_with('[') {
            assert!(line.ends_with(']'), "{line}");
            sections.push(line);
            continue;
        }
        let (k, v) = line.split_once(" = ").unwrap_or_else(|| panic!("{line}"));
        assert!(
            k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{k}"
        );
        assert!(!v.is_empty(), "{line}");
    }
    assert_eq!(sections, ["[server]", "[auth.generic_oauth]"]);
    assert!(r.text.contains("root_url = https://grafana.team.example\n"));
    assert!(r.text.contains(&format!("auth_url = {ISSUER}/authorize\n")));
    assert!(r.text.contains("groups_attribute_path = groups\n"));
    assert!(r.text.contains("use_pkce = true\n"));
}

#[test]
fn forgejo_and_gitea_are_one_command_each_with_the_source_name_of_the_callback() {
    let all = recipes(
        &settings(),
        &client(&["https://git.team.example/user/oauth2/our-sso/callback"]),
    );
    for (id, bin) in [("forgejo", "forgejo"), ("gitea", "gitea")] {
        let r = by_id(&all, id);
        assert_eq!(r.text.lines().count(), 1, "{}", r.text);
        let words = shell_words(&r.text);
        assert_eq!(&words[..4], [bin, "admin", "auth", "add-oauth"]);
        assert_eq!(flag(&words, "name"), "our-sso");
        assert_eq!(flag(&words, "key"), "team-app");
        assert_eq!(
            flag(&words, "auto-discover-url"),
            format!("{ISSUER}/.well-known/openid-configuration")
        );
        assert_eq!(
            flag(&words, "scopes"),
            "openid profile email groups department"
        );
        assert!(r.callback_registered);
    }
}

#[test]
fn nextcloud_is_an_occ_command_for_user_oidc() {
    let all = recipes(
        &settings(),
        &client(&["https://cloud.team.example/index.php/apps/user_oidc/code"]),
    );
    let r = by_id(&all, "nextcloud");
    let words = shell_words(&r.text);
    assert_eq!(
        &words[..4],
        ["php", "occ", "user_oidc:provider", "latchkey"]
    );
    assert_eq!(flag(&words, "clientid"), "team-app");
    assert_eq!(
        flag(&words, "discoveryuri"),
        format!("{ISSUER}/.well-known/openid-configuration")
    );
    assert!(r.callback_registered, "{:?}", r.callback);
}

#[test]
fn oauth2_proxy_is_toml_with_pkce() {
    let all = recipes(
        &settings(),
        &client(&["https://app.team.example/oauth2/callback"]),
    );
    let r = by_id(&all, "oauth2-proxy");
    let t: toml::Table = toml::from_str(&r.text).unwrap_or_else(|e| panic!("{e}\n{}", r.text));
    assert_eq!(t["provider"].as_str(), Some("oidc"));
    assert_eq!(t["oidc_issuer_url"].as_str(), Some(ISSUER));
    assert_eq!(t["client_id"].as_str(), Some("team-app"));
    assert_eq!(t["code_challenge_method"].as_str(), Some("S256"));
    assert_eq!(
        t["redirect_url"].as_str(),
        Some("https://app.team.example/oauth2/callback")
    );
    assert_eq!(t["oidc_groups_claim"].as_str(), Some("groups"));
}

#[test]
fn apache_lines_are_mod_auth_openidc_directives_and_one_location() {
    let all = recipes(&settings(), &client(&["https://intranet.team.example/cb"]));
    let r = by_id(&all, "apache");
    let mut opened = 0;
    for line in r.text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match line {
            "<Location />" => opened += 1,
            "</Location>" => opened -= 1,
            "AuthType openid-connect" | "Require valid-user" => assert_eq!(opened, 1),
            _ => assert!(line.starts_with("OIDC") && line.contains(' '), "{line}"),
        }
    }
    assert_eq!(opened, 0);
    assert!(
        r.text
            .contains("OIDCRedirectURI https://intranet.team.example/cb\n")
    );
    assert!(
        r.text
            .contains("OIDCScope \"openid profile email groups department\"\n")
    );
}

#[test]
fn immich_is_json_with_the_clients_id_token_algorithm() {
    let all = recipes(
        &settings(),
        &client(&["https://photos.team.example/auth/login"]),
    );
    let r = by_id(&all, "immich");
    let v: serde_json::Value = serde_json::from_str(&r.text).expect("JSON");
    let o = &v["oauth"];
    assert_eq!(
        o["issuerUrl"],
        format!("{ISSUER}/.well-known/openid-configuration")
    );
    assert_eq!(o["clientId"], "team-app");
    assert_eq!(o["signingAlgorithm"], "ES256");
    assert!(r.callback_registered);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("https://photos.team.example/user-settings"))
    );
}

#[test]
fn outline_is_environment_variables() {
    let all = recipes(
        &settings(),
        &client(&["https://wiki.team.example/auth/oidc.callback"]),
    );
    let r = by_id(&all, "outline");
    for line in r.text.lines() {
        let (k, _) = line.split_once('=').unwrap_or_else(|| panic!("{line}"));
        assert!(
            k.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
            "{k}"
        );
    }
    assert!(r.text.starts_with("URL=https://wiki.team.example\n"));
    assert!(r.text.contains(&format!("OIDC_TOKEN_URI={ISSUER}/token\n")));
}

#[test]
fn portainer_is_labelled_fields() {
    let all = recipes(&settings(), &client(&["https://docker.team.example"]));
    let r = by_id(&all, "portainer");
    for line in r.text.lines() {
        assert!(line.split_once(": ").is_some(), "{line}");
    }
    assert!(
        r.text
            .contains("Redirect URL: https://docker.team.example\n")
    );
    assert!(
        r.text
            .contains(&format!("Resource URL: {ISSUER}/userinfo\n"))
    );
}

#[test]
fn an_app_that_sends_no_pkce_is_flagged_for_a_client_that_requires_it() {
    let mut cl = client(&[]);
    let flagged = |cl: &Client, id: &str| {
        by_id(&recipes(&settings(), cl), id)
            .notes
            .iter()
            .any(|n| n.contains("does not send PKCE"))
    };
    for id in ["portainer", "outline", "gitea"] {
        assert!(flagged(&cl, id), "{id}");
    }
    for id in ["grafana", "forgejo", "oauth2-proxy", "immich"] {
        assert!(!flagged(&cl, id), "{id}");
    }
    cl.require_pkce = false;
    assert!(!flagged(&cl, "portainer"));
}

#[test]
fn a_missing_callback_is_pointed_out_with_the_url_the_app_sends() {
    let all = recipes(&settings(), &client(&["https://elsewhere.example/cb"]));
    let r = by_id(&all, "grafana");
    assert!(!r.callback_registered);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("/login/generic_oauth") && n.contains("does not register it")),
        "{:?}",
        r.notes
    );
}

#[test]
fn a_public_client_is_told_the_app_needs_a_confidential_one() {
    let mut cl = client(&[]);
    cl.is_public = true;
    let all = recipes(&settings(), &cl);
    assert!(
        by_id(&all, "grafana")
            .notes
            .iter()
            .any(|n| n.contains("this client is public"))
    );
}
