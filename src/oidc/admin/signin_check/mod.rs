//! The sign-in checker: run an app's authorization request for a user up to the point the code
//! would be sent, without sending it, and say what the app would receive and why.
//!
//! Nothing here decides anything on its own: the request goes through `authorize::validate`,
//! the second factor through `authorize::step_up_needed` and `second_factor::way`, access and
//! consent through `authorize::decide`, the tokens through `token::issue::token_claims` and
//! `signed_tokens::*_payload`, userinfo through `userinfo::claims_for`, and the app's problems
//! through `doctor::client_findings`. The checker only reads: no code, session, consent,
//! pending request or audit row is written (the sign-in is a session built in memory).

mod claims;
mod steps;

use super::AdminError;
use crate::config::Settings;
use crate::crypto::keys::KeyRing;
use crate::doctor;
use crate::oidc::authorize::{self as az};
use crate::oidc::params::Params;
use crate::store::{Tx, clients, users};
use serde::Serialize;
use serde_json::Value;

pub use claims::{ClaimLine, ClaimState, ScopeLine};
pub use steps::{Step, StepState};

/// What to check: which app, for whom, asking for what.
#[derive(Debug, Clone, Default)]
pub struct CheckInput {
    pub client_id: String,
    /// The user who signs in (the admin themselves, or a chosen user).
    pub username: String,
    /// The scope the app would ask for; None or blank: every scope the app may use.
    pub scope: Option<String>,
    /// The API the app would name with `resource` (RFC 8707), if any.
    pub resource: Option<String>,
}

/// The PKCE policy of the app.
#[derive(Debug, Clone, Serialize)]
pub struct PkcePolicy {
    pub required: bool,
    pub why: String,
}

/// Everything the checker found.
#[derive(Debug, Clone, Serialize)]
pub struct SigninReport {
    pub client_id: String,
    pub app_name: String,
    pub username: String,
    /// The scope the request asked for.
    pub scope: String,
    pub resource: Option<String>,
    /// The authorization request that was checked, as the app would send it (`state`, `nonce`
    /// and `code_challenge` are placeholders).
    pub request_url: String,
    /// True when the app would get a code, once the user has done what the steps ask.
    pub signs_in: bool,
    /// One sentence: the outcome.
    pub verdict: String,
    /// The steps of the sign-in, in order.
    pub steps: Vec<Step>,
    pub scopes: Vec<ScopeLine>,
    pub id_token: Vec<ClaimLine>,
    pub access_token: Vec<ClaimLine>,
    pub userinfo: Vec<ClaimLine>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    pub pkce: PkcePolicy,
    pub id_token_alg: String,
    pub access_token_alg: String,
    /// `doctor`'s findings about this app.
    pub findings: Vec<doctor::Finding>,
}

/// A PKCE challenge for the checked request (RFC 7636 appendix B's example): the request must
/// carry one when the app requires PKCE, and an app should always send one.
const PLACEHOLDER_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const PLACEHOLDER_STATE: &str = "STATE";
pub(crate) const PLACEHOLDER_NONCE: &str = "NONCE";

/// Check the sign-in of `input.username` to `input.client_id`. Unknown app or user: NotFound.
pub fn check(
    c: &Tx<'_>,
    settings: &Settings,
    ring: &KeyRing,
    now: i64,
    input: &CheckInput,
) -> Result<SigninReport, AdminError> {
    let client = clients::get_client(c, input.client_id.trim())?;
    let user = users::get_user_by_username(c, input.username.trim())?;
    let scope = match input.scope.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => client.scopes.join(" "),
    };
    let resource = input
        .resource
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    let params = request_params(&client, &scope, resource.as_deref());
    let request_url = format!(
        "{}?{}",
        settings.endpoint("/authorize"),
        serde_urlencoded::to_string(&params).unwrap_or_default()
    );
    let validated = if client.redirect_uris.is_empty() {
        None
    } else {
        Some(az::validate(
            c,
            &Params::from_pairs(params),
            ring,
            settings,
            now,
        ))
    };
    let run = steps::run(c, settings, now, &client, &user, validated)?;
    let lists = claims::lists(c, settings, &client, &user, &scope, &run)?;
    let required = az::pkce_required(&client);
    let pkce = PkcePolicy {
        required,
        why: if client.is_public {
            "required: a public client has no secret, so PKCE is what binds the code to it".into()
        } else if required {
            "required: the app must send code_challenge with code_challenge_method=S256".into()
        } else {
            "optional: the app is exempt (registered with --no-pkce); it may still send it".into()
        },
    };
    Ok(SigninReport {
        client_id: client.client_id.clone(),
        app_name: client.name.clone(),
        username: user.username.clone(),
        scope,
        resource,
        request_url,
        signs_in: run.signs_in(),
        verdict: run.verdict(&user, &client),
        steps: run.steps,
        scopes: lists.scopes,
        id_token: lists.id_token,
        access_token: lists.access_token,
        userinfo: lists.userinfo,
        redirect_uris: client.redirect_uris.clone(),
        post_logout_redirect_uris: client.post_logout_redirect_uris.clone(),
        backchannel_logout_uri: client.backchannel_logout_uri.clone(),
        pkce,
        id_token_alg: client.id_token_alg.clone(),
        access_token_alg: settings.access_token_alg.as_str().to_owned(),
        findings: doctor::client_findings(c, &client.client_id, now),
    })
}

/// The parameters of the app's authorization request: a code flow to its first redirect URI.
fn request_params(
    client: &clients::Client,
    scope: &str,
    resource: Option<&str>,
) -> Vec<(String, String)> {
    let mut p: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", &client.client_id),
        (
            "redirect_uri",
            client.redirect_uris.first().map_or("", String::as_str),
        ),
        ("scope", scope),
        ("state", PLACEHOLDER_STATE),
        ("nonce", PLACEHOLDER_NONCE),
        ("code_challenge", PLACEHOLDER_CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    if let Some(r) = resource {
        p.push(("resource", r));
    }
    p.into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

impl ClaimLine {
    /// The value as compact JSON, for a page.
    pub fn shown(&self) -> String {
        match &self.value {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    }
}
