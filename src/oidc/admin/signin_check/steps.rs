//! The steps of the checked sign-in, each decided by the function the real sign-in uses, and
//! the tokens that would follow.

use crate::config::Settings;
use crate::domain::{Acr, Method, Methods, ScopeSet, acr_for_token};
use crate::oidc::authorize::{self as az, AuthRequest, Next, Rejection};
use crate::oidc::interaction::second_factor::{Way, way};
use crate::oidc::signed_tokens::{access_token_payload, id_token_payload};
use crate::oidc::token::issue::{UserGrant, token_claims};
use crate::oidc::userinfo::{self, UserInfoError};
use crate::oidc::{access, mfa, passkeys};
use crate::store::clients::Client;
use crate::store::sessions::Session;
use crate::store::users::User;
use crate::store::{StoreError, Tx, groups};
use serde::Serialize;
use serde_json::{Map, Value};

/// How a step of the sign-in goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Nothing for the user to do.
    Passes,
    /// A page asks the user something (a second factor, consent); the sign-in goes on after.
    Asks,
    /// The sign-in ends here.
    Stops,
    /// An earlier step stopped the sign-in.
    NotReached,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub name: &'static str,
    pub state: StepState,
    pub text: String,
}

impl Step {
    /// `passes`, `asks`, `stops`, `not-reached`: for a page's class and label.
    pub fn state_word(&self) -> &'static str {
        match self.state {
            StepState::Passes => "passes",
            StepState::Asks => "asks",
            StepState::Stops => "stops",
            StepState::NotReached => "not-reached",
        }
    }
}

const STEPS: [&str; 6] = [
    "Authorization request",
    "Sign-in",
    "Second factor",
    "Access",
    "Consent",
    "Code and tokens",
];

/// The session of the checked sign-in: it exists only in memory.
const CHECK_SID: &str = "sign-in-checker";
/// What `at_hash` is computed over: no access token is minted.
const PLACEHOLDER_ACCESS_TOKEN: &str = "ACCESS-TOKEN";

/// The tokens the sign-in would end with, as their claims.
#[derive(Debug)]
pub(super) struct Tokens {
    pub access: Map<String, Value>,
    /// None: `openid` was not granted.
    pub id: Option<Map<String, Value>>,
    /// Err: why the app could not call userinfo with the access token.
    pub userinfo: Result<Map<String, Value>, String>,
    /// The API the access token is for.
    pub resource: Option<String>,
}

/// The checked sign-in, step by step.
#[derive(Debug, Default)]
pub(super) struct Run {
    pub steps: Vec<Step>,
    /// Why the sign-in ends before the app gets anything.
    pub stop: Option<String>,
    pub request: Option<AuthRequest>,
    /// The consent on record before this sign-in.
    pub granted: Option<ScopeSet>,
    /// The consent page would be shown first.
    pub consent_pending: bool,
    pub tokens: Option<Tokens>,
}

impl Run {
    fn push(&mut self, state: StepState, text: impl Into<String>) {
        let name = STEPS[self.steps.len().min(STEPS.len() - 1)];
        let text = text.into();
        if state == StepState::Stops {
            self.stop = Some(text.clone());
        }
        self.steps.push(Step { name, state, text });
    }

    /// End the sign-in at the next step; the rest are not reached.
    fn stop(mut self, text: impl Into<String>) -> Self {
        self.push(StepState::Stops, text);
        while self.steps.len() < STEPS.len() {
            self.push(StepState::NotReached, "");
        }
        self
    }

    pub fn signs_in(&self) -> bool {
        self.stop.is_none()
    }

    pub fn verdict(&self, user: &User, client: &Client) -> String {
        if let Some(why) = &self.stop {
            return format!("{} cannot sign in to {}: {why}", user.username, client.name);
        }
        let asks: Vec<String> = self
            .steps
            .iter()
            .filter(|s| s.state == StepState::Asks)
            .map(|s| s.name.to_lowercase())
            .collect();
        if asks.is_empty() {
            format!("{} can sign in to {}", user.username, client.name)
        } else {
            format!(
                "{} can sign in to {}, after the {} page",
                user.username,
                client.name,
                asks.join(" and the ")
            )
        }
    }
}

/// A session signed in just now at `level`, built in memory (never stored).
fn session_at(user: &User, level: Acr, now: i64) -> Session {
    let methods = match level {
        Acr::Pwd => Methods::of(&[Method::Pwd]),
        Acr::Mfa => Methods::of(&[Method::Pwd, Method::Otp]),
        Acr::Phr => Methods::of(&[Method::Hwk, Method::User]),
    };
    Session {
        id: 0,
        sid: CHECK_SID.into(),
        user_id: user.id,
        auth_time: now,
        amr: methods.to_string(),
        created_at: now,
        last_seen_at: now,
        expires_at: now,
        user_agent: None,
        ip: None,
    }
}

/// Walk the sign-in: the request as validated (None: the app has no redirect URI), the
/// sign-in, the second factor, access, consent, and the tokens.
pub(super) fn run(
    c: &Tx<'_>,
    settings: &Settings,
    now: i64,
    client: &Client,
    user: &User,
    validated: Option<Result<(AuthRequest, Client), Rejection>>,
) -> Result<Run, StoreError> {
    let mut run = Run::default();
    let mut areq = match validated {
        None => {
            return Ok(run.stop(
                "the app has no redirect URI, so it cannot send anyone to sign in (a machine client uses client_credentials instead)",
            ));
        }
        Some(Err(Rejection::Store(e))) => return Err(e),
        Some(Err(Rejection::Page { title, message })) => {
            return Ok(run.stop(format!(
                "the request is refused with an error page ({title}): {message}"
            )));
        }
        Some(Err(Rejection::Redirect(refusal))) => {
            let (_, err) = *refusal;
            return Ok(run.stop(format!(
                "the request is refused and the app gets {}: {}",
                err.code.as_str(),
                err.description()
            )));
        }
        Some(Ok((areq, _))) => areq,
    };
    run.request = Some(areq.clone());
    run.push(
        StepState::Passes,
        format!(
            "the request passes every check (client, redirect_uri, {}); the scope it carries on: {}",
            az::check_names().join(", "),
            areq.scope
        ),
    );
    if user.disabled {
        return Ok(run.stop(format!(
            "{0} is disabled, so every sign-in is refused (latchkey user enable {0})",
            user.username
        )));
    }
    run.push(
        StepState::Passes,
        format!("{} signs in with their password", user.username),
    );

    let floor = mfa::user_floor(c, settings, user)?;
    let level = match second_factor(c, settings, now, client, user, &areq, floor)? {
        Ok((level, state, text)) => {
            run.push(state, text);
            level
        }
        Err(why) => return Ok(run.stop(why)),
    };

    let session = session_at(user, level, now);
    areq.signed_in_sid = Some(session.sid.clone());
    let may_use = access::may_use(c, user, client)?;
    run.granted = az::granted_scopes(c, user.id, client.id)?;
    let next = az::decide(
        &areq,
        client,
        Some((&session, user)),
        floor,
        may_use,
        run.granted.as_ref(),
        now,
    );
    let allowed = groups::list_client_allowed_groups(c, client.id)?;
    let theirs = groups::list_user_group_names(c, user.id)?;
    match next {
        Next::Denied => {
            let in_groups = if theirs.is_empty() {
                "no group".to_owned()
            } else {
                theirs.join(", ")
            };
            return Ok(run.stop(format!(
                "not in an allowed group: the app is restricted to {}, and {} is in {in_groups}",
                allowed.join(", "),
                user.username
            )));
        }
        Next::Consent | Next::Issue => {
            let text = if allowed.is_empty() {
                "the app is open to every user".to_owned()
            } else {
                let shared: Vec<&str> = theirs
                    .iter()
                    .filter(|g| allowed.contains(g))
                    .map(String::as_str)
                    .collect();
                format!(
                    "{} is in {}, which the app is restricted to",
                    user.username,
                    shared.join(", ")
                )
            };
            run.push(StepState::Passes, text);
        }
        other => {
            return Ok(run.stop(format!(
                "the sign-in would not get past {other:?} (a checker bug: please report it)"
            )));
        }
    }
    if next == Next::Consent {
        run.consent_pending = true;
        let lines = crate::oidc::resource::describe_scopes(c, &areq.consent_scopes())?;
        let before = run.granted.clone().unwrap_or_default();
        let asked = areq.consent_scopes();
        let new: Vec<&str> = asked.iter().filter(|s| !before.contains(s)).collect();
        run.push(
            StepState::Asks,
            format!(
                "{} is asked to consent ({}); the page lists: {}",
                user.username,
                if new.is_empty() {
                    "the request asks for consent again".to_owned()
                } else {
                    format!("not granted yet: {}", new.join(" "))
                },
                lines.join("; ")
            ),
        );
    } else if client.skip_consent {
        run.push(
            StepState::Passes,
            "not asked: the app is registered with skip-consent",
        );
    } else {
        run.push(
            StepState::Passes,
            format!(
                "not asked: {} already consented to {}",
                user.username,
                run.granted.clone().unwrap_or_default()
            ),
        );
    }
    match tokens(c, settings, now, client, user, &areq, &session)? {
        Ok((tokens, text)) => {
            run.push(StepState::Passes, text);
            run.tokens = Some(tokens);
        }
        Err(why) => return Ok(run.stop(why)),
    }
    Ok(run)
}

/// The second factor the sign-in asks for: the level it reaches, how the step goes and why;
/// Err: it cannot be passed.
fn second_factor(
    c: &Tx<'_>,
    settings: &Settings,
    now: i64,
    client: &Client,
    user: &User,
    areq: &AuthRequest,
    floor: Acr,
) -> Result<Result<(Acr, StepState, String), String>, StoreError> {
    let enrolled = mfa::enrolled(c, user.id)?;
    let name = &user.username;
    let password_only = session_at(user, Acr::Pwd, now);
    let Some(need) = az::step_up_needed(areq, client, &password_only, floor) else {
        return Ok(Ok((
            Acr::Pwd,
            StepState::Passes,
            format!(
                "not asked: {name} has none set up, mfa_required does not cover them, and the app does not require one"
            ),
        )));
    };
    let mut why = Vec::new();
    if mfa::policy_requires(settings, user) {
        why.push(format!("mfa_required covers {name}"));
    }
    if enrolled.any() {
        why.push(format!(
            "{name} has one set up, so every sign-in of theirs uses it"
        ));
    }
    if client.require_mfa {
        why.push("the app requires one (--require-mfa)".to_owned());
    }
    if !areq.asked_acr().is_empty() {
        why.push("the request asks for a stronger sign-in (acr)".to_owned());
    }
    let why = why.join("; ");
    Ok(match way(need, &enrolled, passkeys::available(settings)) {
        Way::Code => Ok((
            need,
            StepState::Asks,
            format!(
                "asked ({need}): {why}; {name} types their authenticator app's code or a recovery code{}",
                if enrolled.passkeys > 0 {
                    ", or uses a passkey"
                } else {
                    ""
                }
            ),
        )),
        Way::Enrol => Ok((
            need,
            StepState::Asks,
            format!(
                "asked ({need}): {why}; {name} has none set up, so they set up an authenticator app on the spot"
            ),
        )),
        Way::Passkey => Ok((
            need,
            StepState::Asks,
            format!("a passkey is asked for ({need}): {why}"),
        )),
        Way::PasskeyNeeded => Err(format!(
            "a passkey is needed ({need}), and {name} has none that works with this issuer"
        )),
    })
}

/// The tokens the token endpoint would issue for the code, and the sentence that says so;
/// Err: why it would refuse.
fn tokens(
    c: &Tx<'_>,
    settings: &Settings,
    now: i64,
    client: &Client,
    user: &User,
    areq: &AuthRequest,
    session: &Session,
) -> Result<Result<(Tokens, String), String>, StoreError> {
    // What issue_code stores and the code grant reads back.
    let acr = acr_for_token(&areq.asked_acr(), Methods::parse(&session.amr).acr());
    let claims = areq.claims.as_ref().map(Value::to_string);
    let grant = UserGrant {
        grant: "authorization_code",
        scope: &areq.scope,
        sid: Some(&session.sid),
        auth_time: session.auth_time,
        amr: &session.amr,
        acr: Some(acr.as_str()),
        nonce: areq.nonce.as_deref(),
        claims: claims.as_deref(),
        code_hash: None,
        resource: areq.resource.as_deref(),
    };
    let (access, id) = match token_claims(c, settings, now, client, user, &grant)? {
        Ok(x) => x,
        Err(e) => {
            return Ok(Err(format!(
                "the token endpoint refuses the code with {}: {}",
                e.code.as_str(),
                e.description()
            )));
        }
    };
    let access_map = access_token_payload(settings, &access);
    let userinfo = match &access.aud {
        Some(api) => Err(format!(
            "the access token is for the API {api}, not for userinfo"
        )),
        None => match userinfo::claims_for(c, &access_map)? {
            Ok(m) => Ok(m),
            Err(UserInfoError::InvalidToken(why)) => Err(format!("userinfo refuses: {why}")),
            Err(UserInfoError::InsufficientScope) => {
                Err("userinfo refuses: the access token has no openid scope".to_owned())
            }
            Err(e) => Err(format!("userinfo refuses: {e:?}")),
        },
    };
    let mut parts = Vec::new();
    if let Some((alg, _)) = &id {
        parts.push(format!("an ID token ({})", alg.as_str()));
    }
    parts.push(format!(
        "an access token for {} ({})",
        access.aud.as_deref().unwrap_or("userinfo"),
        settings.access_token_alg.as_str()
    ));
    if client.grant_types.iter().any(|g| g == "refresh_token") {
        parts.push("a refresh token".to_owned());
    }
    let text = format!(
        "a code goes back to {}, and the token endpoint gives {}",
        areq.redirect_uri,
        parts.join(", ")
    );
    let id = id.map(|(alg, idc)| {
        id_token_payload(settings, alg, now, &idc, Some(PLACEHOLDER_ACCESS_TOKEN))
    });
    Ok(Ok((
        Tokens {
            access: access_map,
            id,
            userinfo,
            resource: access.aud,
        },
        text,
    )))
}
