//! Every scope and claim of the checked sign-in, with the reason it is there or missing. The
//! values come from the tokens the real code would build (see `steps::tokens`); this module only
//! explains them.

use super::PLACEHOLDER_NONCE;
use super::steps::Run;
use crate::config::Settings;
use crate::domain::ScopeSet;
use crate::oidc::resource::client_may_request;
use crate::oidc::scopes::{SUPPORTED, claims_for_scope, scope_of_claim};
use crate::store::attributes::{self, CustomScope};
use crate::store::clients::Client;
use crate::store::users::User;
use crate::store::{StoreError, Tx, apis};
use serde::Serialize;
use serde_json::{Map, Value};

/// Whether the app receives a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimState {
    Present,
    /// Present once the user has consented on the consent page.
    AfterConsent,
    Missing,
}

/// One claim of one token (or of userinfo).
#[derive(Debug, Clone, Serialize)]
pub struct ClaimLine {
    pub name: String,
    pub state: ClaimState,
    /// The value this sign-in would give (None when missing).
    pub value: Option<Value>,
    /// The value differs for each sign-in (times, ids, the session): the one shown is an example.
    pub varies: bool,
    pub reason: String,
}

impl ClaimLine {
    /// `present`, `after consent` or `missing`, for a page.
    pub fn state_word(&self) -> &'static str {
        match self.state {
            ClaimState::Present => "present",
            ClaimState::AfterConsent => "after consent",
            ClaimState::Missing => "missing",
        }
    }
}

/// One scope: whether the request asks for it, and what becomes of it.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeLine {
    pub scope: String,
    pub requested: bool,
    /// It is granted by this sign-in (possibly after consent).
    pub granted: bool,
    pub reason: String,
}

pub(super) struct Lists {
    pub scopes: Vec<ScopeLine>,
    pub id_token: Vec<ClaimLine>,
    pub access_token: Vec<ClaimLine>,
    pub userinfo: Vec<ClaimLine>,
}

const ID_TOKEN: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "amr",
    "acr",
    "sid",
    "at_hash",
];
const ACCESS_TOKEN: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "client_id",
    "scope",
    "jti",
    "iat",
    "exp",
    "auth_time",
    "sid",
    "groups",
    "userinfo_claims",
];
/// The user claims the standard scopes release, in the order of [`SUPPORTED`].
fn standard_user_claims() -> Vec<&'static str> {
    SUPPORTED
        .iter()
        .flat_map(|s| claims_for_scope(s))
        .copied()
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    IdToken,
    AccessToken,
    UserInfo,
}

/// What the reasons are worded from.
struct Ctx<'a> {
    settings: &'a Settings,
    client: &'a Client,
    user: &'a User,
    run: &'a Run,
    /// The scope the request carries on after validation.
    kept: ScopeSet,
    custom: Vec<CustomScope>,
}

pub(super) fn lists(
    c: &Tx<'_>,
    settings: &Settings,
    client: &Client,
    user: &User,
    asked: &str,
    run: &Run,
) -> Result<Lists, StoreError> {
    let cx = Ctx {
        settings,
        client,
        user,
        run,
        kept: run.request.as_ref().map(|r| r.scopes()).unwrap_or_default(),
        custom: attributes::list_custom_scopes(c)?,
    };
    let mut custom_claims: Vec<&str> = cx
        .custom
        .iter()
        .flat_map(|s| s.claims.iter().map(String::as_str))
        .collect();
    custom_claims.sort_unstable();
    custom_claims.dedup();
    let user_claims: Vec<&str> = standard_user_claims()
        .into_iter()
        .chain(custom_claims)
        .collect();
    let id_names: Vec<&str> = ID_TOKEN
        .iter()
        .copied()
        .chain(user_claims.clone())
        .collect();
    let userinfo_names: Vec<&str> = ["sub"].into_iter().chain(user_claims).collect();
    let tokens = run.tokens.as_ref();
    let id = tokens.map(|t| {
        t.id.as_ref()
            .ok_or_else(|| "no ID token: the scope openid is not granted".to_owned())
    });
    let access = tokens.map(|t| Ok(&t.access));
    let userinfo = tokens.map(|t| t.userinfo.as_ref().map_err(Clone::clone));
    Ok(Lists {
        scopes: scope_lines(c, &cx, asked)?,
        id_token: claim_lines(&cx, Target::IdToken, &id_names, id),
        access_token: claim_lines(&cx, Target::AccessToken, ACCESS_TOKEN, access),
        userinfo: claim_lines(&cx, Target::UserInfo, &userinfo_names, userinfo),
    })
}

/// The lines of one target. `claims`: None when the sign-in stops before tokens, Err when this
/// target gets nothing (no ID token, userinfo refused).
fn claim_lines(
    cx: &Ctx<'_>,
    target: Target,
    names: &[&str],
    claims: Option<Result<&Map<String, Value>, String>>,
) -> Vec<ClaimLine> {
    let missing_all = match (&claims, &cx.run.stop) {
        (_, Some(stop)) => Some(format!("no tokens: {stop}")),
        (None, None) => Some("no tokens".to_owned()),
        (Some(Err(why)), None) => Some(why.clone()),
        (Some(Ok(_)), None) => None,
    };
    names
        .iter()
        .filter_map(|name| {
            let value = match &claims {
                Some(Ok(m)) if missing_all.is_none() => m.get(*name).cloned(),
                _ => None,
            };
            // Only asked-for extras appear when present; the rest are listed either way.
            if *name == "userinfo_claims" && value.is_none() {
                return None;
            }
            let (reason, varies) = match &missing_all {
                Some(why) => (why.clone(), false),
                None => reason(cx, target, name, value.as_ref()),
            };
            let state = match (&value, cx.run.consent_pending) {
                (None, _) => ClaimState::Missing,
                (Some(_), true) => ClaimState::AfterConsent,
                (Some(_), false) => ClaimState::Present,
            };
            Some(ClaimLine {
                name: (*name).to_owned(),
                state,
                value,
                varies,
                reason,
            })
        })
        .collect()
}

/// Why `name` is in `target` (or not), and whether its value differs per sign-in.
fn reason(cx: &Ctx<'_>, target: Target, name: &str, value: Option<&Value>) -> (String, bool) {
    let user = &cx.user.username;
    let ttl = match target {
        Target::AccessToken => cx.settings.access_token_ttl_secs,
        _ => cx.settings.id_token_ttl_secs,
    };
    let api = cx.run.tokens.as_ref().and_then(|t| t.resource.as_deref());
    let protocol = match (name, target) {
        ("iss", _) => Some(("this issuer".to_owned(), false)),
        ("sub", _) => Some((
            format!("{user}'s subject: an identifier that never changes"),
            false,
        )),
        ("aud", Target::AccessToken) => Some((
            match api {
                Some(a) => format!("the API {a} (the request names it with resource)"),
                None => "the userinfo endpoint".to_owned(),
            },
            false,
        )),
        ("aud", _) => Some(("this app's client id".to_owned(), false)),
        ("client_id", _) => Some(("this app".to_owned(), false)),
        ("scope", _) => Some((
            match api {
                Some(a) => format!("the scopes of {a} the app holds, and only those"),
                None => "the granted scopes, without API scopes".to_owned(),
            },
            false,
        )),
        ("exp", _) => Some((format!("{ttl} seconds after it is issued"), true)),
        ("iat", _) => Some(("when it is issued".to_owned(), true)),
        ("jti", _) => Some(("a unique id, for revocation".to_owned(), true)),
        ("auth_time", _) => Some((format!("when {user} signed in"), true)),
        ("nonce", _) => Some((
            format!("the nonce the app sends in its request (here {PLACEHOLDER_NONCE})"),
            true,
        )),
        ("amr", _) => Some((
            format!("how {user} signed in, for the sign-in this check walked through"),
            false,
        )),
        ("acr", _) => Some(("the level of that sign-in".to_owned(), false)),
        ("sid", _) => Some(("the browser session, for logout".to_owned(), true)),
        ("at_hash", _) => Some((
            "half a hash of the access token issued with it".to_owned(),
            true,
        )),
        ("userinfo_claims", _) => Some((
            "the claims the request asked userinfo for (claims parameter)".to_owned(),
            false,
        )),
        _ => None,
    };
    if let Some((text, varies)) = protocol {
        return match value {
            Some(_) => (text, varies),
            None => (format!("not sent: {text}"), false),
        };
    }
    (user_claim_reason(cx, name, value.is_some()), false)
}

/// The kind of scope `s` is, for sentences.
fn kind(cx: &Ctx<'_>, s: &str) -> &'static str {
    if cx.custom.iter().any(|c| c.name == s) {
        "custom scope"
    } else {
        "scope"
    }
}

/// Why a claim a scope releases is there, or not.
fn user_claim_reason(cx: &Ctx<'_>, name: &str, present: bool) -> String {
    let user = &cx.user.username;
    let releasing: Vec<&str> = match scope_of_claim(name) {
        Some(s) => vec![s],
        None => cx
            .custom
            .iter()
            .filter(|c| c.claims.iter().any(|x| x == name))
            .map(|c| c.name.as_str())
            .collect(),
    };
    if present {
        let s = releasing
            .iter()
            .find(|s| cx.kept.contains(s))
            .copied()
            .unwrap_or("openid");
        let mut text = format!("released by the {} {s}", kind(cx, s));
        if name == "groups" {
            text.push_str(&format!(": the groups {user} is in"));
        }
        let consented = cx.run.granted.as_ref().is_some_and(|g| g.contains(s));
        if cx.run.consent_pending && !consented {
            text.push_str(&format!(
                " ({user} has not consented to {s} yet: the consent page asks)"
            ));
        }
        return text;
    }
    let Some(first) = releasing.first().copied() else {
        return "no scope releases it".to_owned();
    };
    let allowed: Vec<&str> = releasing
        .iter()
        .copied()
        .filter(|s| client_may_request(cx.client, s))
        .collect();
    let id = &cx.client.client_id;
    if allowed.is_empty() {
        return if kind(cx, first) == "custom scope" {
            format!(
                "custom scope not granted: {} releases it, and this app may not use it (latchkey client update {id} --scopes ...)",
                releasing.join(", ")
            )
        } else {
            format!(
                "scope not allowed: {first} releases it, and this app may not use it (latchkey client update {id} --scopes ...)"
            )
        };
    }
    if !allowed.iter().any(|s| cx.kept.contains(s)) {
        return format!(
            "scope not requested: {} releases it, and the request does not ask for it",
            allowed.join(", ")
        );
    }
    if scope_of_claim(name).is_some() {
        format!("attribute unset: {user} has no {name} on record")
    } else {
        format!(
            "attribute unset: {user} has no attribute {name} (latchkey user set-attribute {user} {name} VALUE)"
        )
    }
}

/// Every scope the request asks for, the app may use, or exists, with what becomes of it.
fn scope_lines(c: &Tx<'_>, cx: &Ctx<'_>, asked: &str) -> Result<Vec<ScopeLine>, StoreError> {
    let asked: Vec<&str> = asked.split_whitespace().collect();
    let grants = apis::list_client_grants(c, cx.client.id)?;
    let mut names: Vec<&str> = Vec::new();
    let candidates = asked
        .iter()
        .copied()
        .chain(cx.client.scopes.iter().map(String::as_str))
        .chain(SUPPORTED.iter().copied())
        .chain(cx.custom.iter().map(|s| s.name.as_str()))
        .chain(grants.iter().map(|(_, s)| s.as_str()));
    for s in candidates {
        if !names.contains(&s) {
            names.push(s);
        }
    }
    let user = &cx.user.username;
    let mut out = Vec::new();
    for s in names {
        let requested = asked.contains(&s);
        let granted = cx.kept.contains(s) && cx.run.tokens.is_some();
        let api = grants.iter().find(|(_, g)| g == s).map(|(a, _)| a.as_str());
        let reason = if requested && cx.kept.contains(s) {
            let consent = if cx.client.skip_consent {
                "no consent asked (skip-consent)".to_owned()
            } else if cx.run.granted.as_ref().is_some_and(|g| g.contains(s)) {
                format!("{user} consented")
            } else {
                format!("{user} is asked to consent")
            };
            match api {
                Some(a) => {
                    format!("requested; a scope of the API {a}, granted to this app; {consent}")
                }
                None => format!("requested and allowed; {consent}"),
            }
        } else if requested && cx.run.request.is_none() {
            "requested; the request is refused (see the steps)".to_owned()
        } else if requested {
            "requested, but no scope of that name exists: dropped".to_owned()
        } else if let Some(a) = api {
            format!(
                "a scope of the API {a}, granted to this app; not requested (the app must name {a} with resource)"
            )
        } else if client_may_request(cx.client, s) {
            "allowed for this app, not requested".to_owned()
        } else if kind(cx, s) == "custom scope" {
            "custom scope not granted to this app".to_owned()
        } else {
            "not allowed for this app".to_owned()
        };
        out.push(ScopeLine {
            scope: s.to_owned(),
            requested,
            granted,
            reason,
        });
    }
    Ok(out)
}
