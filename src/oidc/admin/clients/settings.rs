//! A client's settings as a whole: the one check every registration and every change passes
//! (on the client as it would be afterwards, not on the change), list edits, and the list of
//! what a change changed (for the audit row).

use super::AdminError;
use crate::crypto::keys::Alg;
use crate::domain::{GrantType, RedirectUri, ScopeSet, WebOrigin};

/// Every setting of a client besides its id and its type (public or confidential), as typed or
/// as stored. Lists are compared as sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientSettings {
    /// Shown on the login and consent pages; empty: the client id.
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    /// Items may hold several, space-separated.
    pub grant_types: Vec<String>,
    /// Items may hold several, space-separated.
    pub scopes: Vec<String>,
    /// Group names; empty: everyone may use the client.
    pub allowed_groups: Vec<String>,
    pub skip_consent: bool,
    pub require_pkce: bool,
    /// RS256, ES256 or EdDSA.
    pub id_token_alg: String,
    /// Web origins besides those of the redirect URIs (the stored `extra_web_origins`).
    pub web_origins: Vec<String>,
    pub require_mfa: bool,
}

/// How one list setting changes: start from `replace` (when `Some`: a form's whole list) or
/// the current list, take out `remove`, put in `add`.
/// In the admin API's JSON a list setting is either an array (the whole list) or an object
/// `{"add": [...], "remove": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListEdit {
    pub replace: Option<Vec<String>>,
    pub remove: Vec<String>,
    pub add: Vec<String>,
}

impl<'de> serde::Deserialize<'de> for ListEdit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        #[derive(Default)]
        struct Edit {
            replace: Option<Vec<String>>,
            remove: Vec<String>,
            add: Vec<String>,
        }
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Either {
            Whole(Vec<String>),
            Edit(Edit),
        }
        Ok(match Either::deserialize(d)? {
            Either::Whole(items) => ListEdit::set(items),
            Either::Edit(e) => ListEdit {
                replace: e.replace,
                remove: e.remove,
                add: e.add,
            },
        })
    }
}

impl ListEdit {
    /// The whole list, as an edit form sends it.
    pub fn set(items: Vec<String>) -> Self {
        Self {
            replace: Some(items),
            ..Self::default()
        }
    }

    /// Add these, remove those (CLI-style).
    pub fn delta(add: Vec<String>, remove: Vec<String>) -> Self {
        Self {
            replace: None,
            remove,
            add,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.replace.is_none() && self.remove.is_empty() && self.add.is_empty()
    }

    /// The list after the edit. `same` compares items (group names ignore case). Removing an
    /// item that is not there is refused: it is most likely a typo, and the admin believes
    /// something is gone that never was.
    pub(super) fn apply(
        &self,
        current: &[String],
        what: &str,
        same: impl Fn(&str, &str) -> bool,
    ) -> Result<Vec<String>, AdminError> {
        let mut out: Vec<String> = Vec::new();
        let base = self.replace.as_deref().unwrap_or(current);
        for item in base.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            if !out.iter().any(|o| same(o, item)) {
                out.push(item.to_owned());
            }
        }
        for r in self.remove.iter().map(|s| s.trim()) {
            let before = out.len();
            out.retain(|o| !same(o, r));
            if out.len() == before {
                return Err(AdminError::Invalid(format!(
                    "{what}: {r:?} is not one of the client's"
                )));
            }
        }
        for a in self.add.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            if !out.iter().any(|o| same(o, a)) {
                out.push(a.to_owned());
            }
        }
        Ok(out)
    }

    /// The same edit with every item split at spaces (scopes and grant types may come as
    /// `"openid profile"`).
    pub(super) fn words(&self) -> Self {
        let split = |v: &[String]| -> Vec<String> {
            v.iter()
                .flat_map(|s| s.split_whitespace().map(str::to_owned))
                .collect()
        };
        Self {
            replace: self.replace.as_deref().map(split),
            remove: split(&self.remove),
            add: split(&self.add),
        }
    }
}

/// Check a client's settings as they would be stored, for a new client as for a changed one;
/// returns them cleaned (trimmed, each item once, scopes in canonical order).
pub(super) fn check(
    s: &ClientSettings,
    client_id: &str,
    public: bool,
) -> Result<ClientSettings, AdminError> {
    let name = parse_name(&s.name, client_id)?;
    let redirect_uris = parse_uris(&s.redirect_uris)?;
    let post_logout_redirect_uris = parse_uris(&s.post_logout_redirect_uris)?;
    let backchannel_logout_uri = s
        .backchannel_logout_uri
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| RedirectUri::parse(u).map(|r| r.as_str().to_owned()))
        .transpose()?;
    let mut grant_types: Vec<String> = Vec::new();
    for g in s.grant_types.iter().flat_map(|g| g.split_whitespace()) {
        let g = GrantType::parse(g)?;
        if public && g == GrantType::ClientCredentials {
            return Err(AdminError::Invalid(
                "a public client cannot use client_credentials".into(),
            ));
        }
        if !grant_types.iter().any(|x| x == g.as_str()) {
            grant_types.push(g.as_str().to_owned());
        }
    }
    if grant_types.is_empty() {
        return Err(AdminError::Invalid(
            "a client needs at least one grant type".into(),
        ));
    }
    if redirect_uris.is_empty() && grant_types.iter().any(|g| g == "authorization_code") {
        return Err(AdminError::Invalid(
            "a redirect URI is required for the authorization_code grant".into(),
        ));
    }
    let scopes: Vec<String> = ScopeSet::parse(&s.scopes.join(" "))?
        .iter()
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return Err(AdminError::Invalid(
            "a client needs at least one scope".into(),
        ));
    }
    let alg = Alg::parse(s.id_token_alg.trim()).ok_or_else(|| {
        AdminError::Invalid(format!(
            "unknown ID token algorithm {:?}: use RS256, ES256 or EdDSA",
            s.id_token_alg
        ))
    })?;
    if public && !s.require_pkce {
        return Err(AdminError::Invalid(
            "public clients always require PKCE".into(),
        ));
    }
    let mut web_origins: Vec<String> = Vec::new();
    for o in s.web_origins.iter().map(|o| o.trim()) {
        let o = WebOrigin::parse(o)?.as_str().to_owned();
        if !web_origins.contains(&o) {
            web_origins.push(o);
        }
    }
    let mut allowed_groups: Vec<String> = Vec::new();
    for g in s.allowed_groups.iter().map(|g| g.trim()) {
        if !g.is_empty() && !allowed_groups.iter().any(|x| x.eq_ignore_ascii_case(g)) {
            allowed_groups.push(g.to_owned());
        }
    }
    Ok(ClientSettings {
        name,
        redirect_uris,
        post_logout_redirect_uris,
        backchannel_logout_uri,
        grant_types,
        scopes,
        allowed_groups,
        skip_consent: s.skip_consent,
        require_pkce: s.require_pkce,
        id_token_alg: alg.as_str().to_owned(),
        web_origins,
        require_mfa: s.require_mfa,
    })
}

fn parse_uris(list: &[String]) -> Result<Vec<String>, AdminError> {
    let mut out: Vec<String> = Vec::new();
    for u in list.iter().map(|u| u.trim()) {
        let u = RedirectUri::parse(u)?.as_str().to_owned();
        if !out.contains(&u) {
            out.push(u);
        }
    }
    Ok(out)
}

fn parse_name(name: &str, default: &str) -> Result<String, AdminError> {
    let name = match name.trim() {
        "" => default,
        n => n,
    }
    .to_owned();
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AdminError::Invalid(
            "the name must be at most 100 printable characters".into(),
        ));
    }
    Ok(name)
}

/// What differs between two states of a client, one item per setting, e.g.
/// `redirect_uris +https://new/cb -https://old/cb` or `skip_consent true -> false`.
pub(super) fn changes(before: &ClientSettings, after: &ClientSettings) -> Vec<String> {
    let mut out = Vec::new();
    let mut scalar = |what: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{what} {a} -> {b}"));
        }
    };
    scalar("name", quoted(&before.name), quoted(&after.name));
    scalar(
        "backchannel_logout_uri",
        before
            .backchannel_logout_uri
            .clone()
            .unwrap_or("none".into()),
        after
            .backchannel_logout_uri
            .clone()
            .unwrap_or("none".into()),
    );
    scalar(
        "skip_consent",
        before.skip_consent.to_string(),
        after.skip_consent.to_string(),
    );
    scalar(
        "require_pkce",
        before.require_pkce.to_string(),
        after.require_pkce.to_string(),
    );
    scalar(
        "id_token_alg",
        before.id_token_alg.clone(),
        after.id_token_alg.clone(),
    );
    scalar(
        "require_mfa",
        before.require_mfa.to_string(),
        after.require_mfa.to_string(),
    );
    for (what, a, b) in [
        ("redirect_uris", &before.redirect_uris, &after.redirect_uris),
        (
            "post_logout_redirect_uris",
            &before.post_logout_redirect_uris,
            &after.post_logout_redirect_uris,
        ),
        ("grant_types", &before.grant_types, &after.grant_types),
        ("scopes", &before.scopes, &after.scopes),
        (
            "allowed_groups",
            &before.allowed_groups,
            &after.allowed_groups,
        ),
        ("web_origins", &before.web_origins, &after.web_origins),
    ] {
        let added = b.iter().filter(|x| !a.contains(x)).map(|x| format!("+{x}"));
        let removed = a.iter().filter(|x| !b.contains(x)).map(|x| format!("-{x}"));
        let diff: Vec<String> = added.chain(removed).collect();
        if !diff.is_empty() {
            out.push(format!("{what} {}", diff.join(" ")));
        }
    }
    out
}

fn quoted(s: &str) -> String {
    format!("{s:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_in_json_is_the_whole_list_or_a_change_to_it() {
        let whole: ListEdit = serde_json::from_str(r#"["a","b"]"#).unwrap();
        assert_eq!(whole, ListEdit::set(vec!["a".into(), "b".into()]));
        let edit: ListEdit = serde_json::from_str(r#"{"add":["c"],"remove":["a"]}"#).unwrap();
        assert_eq!(edit.replace, None);
        assert_eq!(
            (edit.add, edit.remove),
            (vec!["c".to_owned()], vec!["a".to_owned()])
        );
        assert!(serde_json::from_str::<ListEdit>(r#"{"plus":["c"]}"#).is_err());
        assert!(serde_json::from_str::<ListEdit>(r#""a""#).is_err());
    }

    fn good() -> ClientSettings {
        ClientSettings {
            name: "App".into(),
            redirect_uris: vec!["https://app.example/cb".into()],
            grant_types: vec!["authorization_code refresh_token".into()],
            scopes: vec!["openid".into(), "profile email".into()],
            require_pkce: true,
            id_token_alg: "RS256".into(),
            ..Default::default()
        }
    }

    fn refused(s: ClientSettings, public: bool) -> String {
        match check(&s, "app", public) {
            Err(AdminError::Invalid(m)) => m,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_client_comes_back_cleaned_with_items_split_and_each_once() {
        let mut s = good();
        s.redirect_uris.push(" https://app.example/cb ".into());
        s.allowed_groups = vec!["Staff".into(), "staff".into()];
        let c = check(&s, "app", false).unwrap();
        assert_eq!(c.redirect_uris, ["https://app.example/cb"]);
        assert_eq!(c.grant_types, ["authorization_code", "refresh_token"]);
        assert_eq!(c.scopes, ["email", "openid", "profile"]);
        assert_eq!(c.allowed_groups, ["Staff"]);
        assert_eq!(
            check(
                &ClientSettings {
                    name: " ".into(),
                    ..good()
                },
                "app",
                false
            )
            .unwrap()
            .name,
            "app"
        );
    }

    #[test]
    fn the_rules_hold_for_the_whole_client_whatever_changed() {
        let public_cc = ClientSettings {
            grant_types: vec!["client_credentials".into()],
            ..good()
        };
        assert!(refused(public_cc.clone(), true).contains("client_credentials"));
        assert!(check(&public_cc, "app", false).is_ok());
        let no_pkce = ClientSettings {
            require_pkce: false,
            ..good()
        };
        assert!(refused(no_pkce.clone(), true).contains("PKCE"));
        assert!(check(&no_pkce, "app", false).is_ok());
        let no_uri = ClientSettings {
            redirect_uris: vec![],
            ..good()
        };
        assert!(refused(no_uri, false).contains("redirect URI is required"));
        let device_only = ClientSettings {
            redirect_uris: vec![],
            grant_types: vec!["urn:ietf:params:oauth:grant-type:device_code".into()],
            ..good()
        };
        assert!(check(&device_only, "app", true).is_ok());
        for (s, says) in [
            (
                ClientSettings {
                    grant_types: vec![],
                    ..good()
                },
                "grant type",
            ),
            (
                ClientSettings {
                    scopes: vec![],
                    ..good()
                },
                "scope",
            ),
            (
                ClientSettings {
                    id_token_alg: "HS256".into(),
                    ..good()
                },
                "HS256",
            ),
            (
                ClientSettings {
                    redirect_uris: vec!["http://app.example/cb".into()],
                    ..good()
                },
                "plain http",
            ),
            (
                ClientSettings {
                    backchannel_logout_uri: Some("nope".into()),
                    ..good()
                },
                "nope",
            ),
            (
                ClientSettings {
                    web_origins: vec!["https://x.example/path".into()],
                    ..good()
                },
                "web origin",
            ),
            (
                ClientSettings {
                    name: "a\nb".into(),
                    ..good()
                },
                "name",
            ),
        ] {
            let m = refused(s, false);
            assert!(m.contains(says), "{m:?} should mention {says:?}");
        }
    }

    #[test]
    fn a_list_edit_replaces_then_removes_then_adds_and_refuses_removing_what_is_not_there() {
        let cur = vec!["a".to_owned(), "b".to_owned()];
        let eq = |x: &str, y: &str| x == y;
        let e = ListEdit::delta(vec!["c".into(), "a".into()], vec!["b".into()]);
        assert_eq!(e.apply(&cur, "things", eq).unwrap(), ["a", "c"]);
        let e = ListEdit {
            replace: Some(vec!["x".into(), "y".into()]),
            remove: vec!["y".into()],
            add: vec!["z".into()],
        };
        assert_eq!(e.apply(&cur, "things", eq).unwrap(), ["x", "z"]);
        assert_eq!(
            ListEdit::set(vec![]).apply(&cur, "things", eq).unwrap(),
            Vec::<String>::new()
        );
        let err = ListEdit::delta(vec![], vec!["q".into()])
            .apply(&cur, "things", eq)
            .unwrap_err();
        assert_eq!(err.to_string(), "things: \"q\" is not one of the client's");
        let groups = ListEdit::delta(vec!["STAFF".into()], vec!["Ops".into()]);
        let g = groups
            .apply(&["ops".into(), "staff".into()], "allowed_groups", |a, b| {
                a.eq_ignore_ascii_case(b)
            })
            .unwrap();
        assert_eq!(g, ["staff"]);
    }

    #[test]
    fn changes_name_each_setting_that_moved_and_nothing_else() {
        let before = good();
        assert!(changes(&before, &before).is_empty());
        let after = ClientSettings {
            name: "New".into(),
            redirect_uris: vec!["https://app.example/new".into()],
            skip_consent: true,
            backchannel_logout_uri: Some("https://app.example/bcl".into()),
            ..before.clone()
        };
        assert_eq!(
            changes(&before, &after),
            [
                "name \"App\" -> \"New\"",
                "backchannel_logout_uri none -> https://app.example/bcl",
                "skip_consent false -> true",
                "redirect_uris +https://app.example/new -https://app.example/cb",
            ]
        );
    }
}
