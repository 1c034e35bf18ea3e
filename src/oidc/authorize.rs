//! The authorization endpoint (OIDC Core §3.1.2): validate in a fixed order, then decide
//! whether the user must sign in, must consent, or gets a code.

use super::claims as requested_claims;
use super::error::{ErrorCode, OAuthError};
use crate::crypto::random;
use crate::domain::{Acr, Methods, ScopeSet};
use crate::store::clients::{self, Client};
use crate::store::sessions::{self, Session};
use crate::store::users::User;
use crate::store::{StoreError, Tx, codes, consents, pending};
use serde::{Deserialize, Serialize};

/// Codes live 60 seconds; a pending request (login + consent) ten minutes.
pub const CODE_TTL_SECS: i64 = 60;
pub const PENDING_TTL_SECS: i64 = 600;
/// The longest `claims` parameter we read (bytes of its value).
pub const MAX_CLAIMS_BYTES: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    FormPost,
}

/// A validated authorization request: safe to act on, and to store while the user signs in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthRequest {
    pub client_pk: i64,
    pub client_id: String,
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub state: Option<String>,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Vec<String>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    pub id_token_hint_sub: Option<String>,
    pub claims: Option<serde_json::Value>,
    /// The API the access token is for (RFC 8707); None: userinfo.
    #[serde(default)]
    pub resource: Option<String>,
    pub created_at: i64,
    /// The session (`sid`) that signed in on our login page for this very request: only that
    /// session satisfies prompt=login, select_account and max_age.
    #[serde(default)]
    pub signed_in_sid: Option<String>,
    /// The known levels of `acr_values` (`domain::Acr`), weakest first; unknown ones dropped.
    #[serde(default)]
    pub acr_values: Vec<String>,
}

impl AuthRequest {
    pub fn has_prompt(&self, p: &str) -> bool {
        self.prompt.iter().any(|x| x == p)
    }
    pub fn scopes(&self) -> ScopeSet {
        ScopeSet::parse(&self.scope).unwrap_or_default()
    }
    /// What a consent must cover: the requested scopes and the scopes releasing the claims
    /// asked for through `claims` (the access token's `scope` stays [`AuthRequest::scopes`]).
    pub fn consent_scopes(&self) -> ScopeSet {
        self.scopes()
            .union(&requested_claims::scopes_of_requested(self.claims.as_ref()))
    }
    /// The levels the request asks for: `acr_values` and an essential `acr` in `claims`.
    pub fn asked_acr(&self) -> Vec<Acr> {
        let mut v: Vec<Acr> = self
            .acr_values
            .iter()
            .filter_map(|a| Acr::parse(a))
            .collect();
        v.extend(requested_claims::essential_acr(self.claims.as_ref()));
        v.sort();
        v.dedup();
        v
    }
}

/// Where an answer goes once client and redirect_uri are known.
#[derive(Debug, Clone)]
pub struct Reply {
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub state: Option<String>,
}

impl Reply {
    pub fn of(req: &AuthRequest) -> Self {
        Self {
            redirect_uri: req.redirect_uri.clone(),
            response_mode: req.response_mode,
            state: req.state.clone(),
        }
    }
}

/// Why a request cannot proceed.
#[derive(Debug)]
pub enum Rejection {
    /// Client or redirect_uri could not be trusted: show a page, never redirect.
    Page {
        title: &'static str,
        message: String,
    },
    /// Everything else goes back to the client (boxed: the error is large, the others small).
    Redirect(Box<(Reply, OAuthError)>),
    Store(StoreError),
}

impl From<StoreError> for Rejection {
    fn from(e: StoreError) -> Self {
        Rejection::Store(e)
    }
}

mod validate;
pub use validate::{check_names, id_token_hint_subject, pkce_required, validate};

/// What to do with a valid request.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    Login,
    /// Signed in, but not strongly enough: a second factor (or a passkey, for `phr`) brings
    /// the session to this level.
    SecondFactor(Acr),
    Consent,
    Issue,
    /// The user is not in a group allowed to use this client: a page, then access_denied.
    Denied,
    Fail(ErrorCode, &'static str),
}

/// Decide, given the browser's session (if any) and the level the user's own policy asks of
/// every sign-in (`floor`, see `oidc::mfa::user_floor`), whether that user may use the client
/// at all, and the consent on record, which must cover the scopes and the claims asked for
/// ([`AuthRequest::consent_scopes`]). A sign-in done for this request satisfies prompt=login,
/// select_account and max_age; a sign-in too weak for the user, the client or the acr asked
/// for needs a second factor first (before the access check: a half-signed-in visitor learns
/// nothing about the account).
pub fn decide(
    req: &AuthRequest,
    client: &Client,
    session: Option<(&Session, &User)>,
    floor: Acr,
    may_use: bool,
    granted: Option<&ScopeSet>,
    now: i64,
) -> Next {
    let none = req.has_prompt("none");
    let Some((s, user)) = session else {
        return if none {
            Next::Fail(ErrorCode::LoginRequired, "the user is not signed in")
        } else {
            Next::Login
        };
    };
    if login_needed(req, s, user, now) {
        return if none {
            Next::Fail(ErrorCode::LoginRequired, "the user must sign in again")
        } else {
            Next::Login
        };
    }
    if let Some(need) = step_up_needed(req, client, s, floor) {
        return if none {
            Next::Fail(
                ErrorCode::LoginRequired,
                "the sign-in is not strong enough for this request",
            )
        } else {
            Next::SecondFactor(need)
        };
    }
    if !may_use {
        return if none {
            Next::Fail(
                ErrorCode::AccessDenied,
                "the user may not use this application",
            )
        } else {
            Next::Denied
        };
    }
    if !client.skip_consent {
        let covered = granted.is_some_and(|g| req.consent_scopes().is_subset(g));
        if !covered || req.has_prompt("consent") {
            return if none {
                Next::Fail(ErrorCode::ConsentRequired, "the user has not consented")
            } else {
                Next::Consent
            };
        }
    }
    Next::Issue
}

/// True when the session is not good enough for this request: prompt=login or
/// select_account, max_age exceeded, or an id_token_hint for someone else. A sign-in done for
/// this very request satisfies the first three, but only when it is the browser's current
/// session; an id_token_hint is satisfied only by its own user.
pub fn login_needed(req: &AuthRequest, s: &Session, user: &User, now: i64) -> bool {
    let other_user = req
        .id_token_hint_sub
        .as_ref()
        .is_some_and(|sub| *sub != user.subject);
    if other_user {
        return true;
    }
    if req.signed_in_sid.as_deref() == Some(s.sid.as_str()) {
        return false;
    }
    // max_age=0 means "sign in now", like prompt=login (OIDC Core §3.1.2.1).
    let too_old = req.max_age.is_some_and(|m| m == 0 || now - s.auth_time > m);
    req.has_prompt("login") || req.has_prompt("select_account") || too_old
}

/// The level `s` must reach for this request when it is short of it: the user's own `floor`,
/// two factors for a `--require-mfa` client, and the lowest level asked for (`acr_values`,
/// essential `acr`) when the session meets none of them.
pub fn step_up_needed(req: &AuthRequest, client: &Client, s: &Session, floor: Acr) -> Option<Acr> {
    let have = Methods::parse(&s.amr).acr();
    let mut need = floor;
    if client.require_mfa {
        need = need.max(Acr::Mfa);
    }
    if let Some(asked) = crate::domain::step_up_to(&req.asked_acr(), have) {
        need = need.max(asked);
    }
    (need > have).then_some(need)
}

/// The scopes this user already granted this client.
pub fn granted_scopes(
    c: &Tx<'_>,
    user_id: i64,
    client_pk: i64,
) -> Result<Option<ScopeSet>, StoreError> {
    Ok(consents::find_consent(c, user_id, client_pk)?.and_then(|s| ScopeSet::parse(&s).ok()))
}

/// Remember the request while the user signs in or consents; returns its handle, or None when
/// `source` (see `throttle::source`) already holds `limit` unfinished requests: what a visitor
/// who is not signed in can make us store stays bounded.
pub fn park(
    c: &Tx<'_>,
    req: &AuthRequest,
    source: &str,
    limit: i64,
    now: i64,
) -> Result<Option<String>, StoreError> {
    if pending::count_pending_from(c, source, now)? >= limit {
        return Ok(None);
    }
    let handle = random::token();
    let json = serde_json::to_string(req).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    pending::insert_pending(
        c,
        &pending::NewPending {
            id_hash: &random::hash_token(&handle),
            client_pk: req.client_pk,
            request: &json,
            source,
            expires_at: now + PENDING_TTL_SECS,
        },
        now,
    )?;
    Ok(Some(handle))
}

/// A parked request and its client, if the handle is known and fresh.
pub fn unpark(
    c: &Tx<'_>,
    handle: &str,
    now: i64,
) -> Result<Option<(AuthRequest, Client)>, StoreError> {
    if handle.len() != 43 {
        return Ok(None);
    }
    let Some(json) = pending::find_pending(c, &random::hash_token(handle), now)? else {
        return Ok(None);
    };
    let req: AuthRequest =
        serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let Some(client) = clients::find_client(c, &req.client_id)? else {
        return Ok(None);
    };
    // `client update` may have taken the redirect URI or the code flow away since the request
    // was parked: it is gone then, and no code goes to an address the admin removed.
    let still_allowed = client.redirect_uris.contains(&req.redirect_uri)
        && client.grant_types.iter().any(|g| g == "authorization_code");
    if !still_allowed {
        return Ok(None);
    }
    Ok(Some((req, client)))
}

/// Store the changed request under the same handle.
pub fn repark(c: &Tx<'_>, handle: &str, req: &AuthRequest) -> Result<(), StoreError> {
    let json = serde_json::to_string(req).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    pending::update_pending(c, &random::hash_token(handle), &json)
}

pub fn forget(c: &Tx<'_>, handle: &str) -> Result<(), StoreError> {
    pending::delete_pending(c, &random::hash_token(handle))
}

/// Issue a code for `req` to the signed-in user; returns the code (stored only hashed).
pub fn issue_code(
    c: &Tx<'_>,
    req: &AuthRequest,
    session: &Session,
    user: &User,
    now: i64,
) -> Result<String, StoreError> {
    let code = random::token();
    sessions::upsert_session_client(c, &session.sid, req.client_pk, user.id, now)?;
    codes::insert_code(
        c,
        &codes::AuthCode {
            code_hash: random::hash_token(&code),
            client_pk: req.client_pk,
            user_id: user.id,
            sid: Some(session.sid.clone()),
            redirect_uri: req.redirect_uri.clone(),
            scope: req.scope.clone(),
            nonce: req.nonce.clone(),
            code_challenge: req.code_challenge.clone(),
            claims: req.claims.as_ref().map(|v| v.to_string()),
            auth_time: session.auth_time,
            amr: session.amr.clone(),
            acr: Some(
                crate::domain::acr_for_token(&req.asked_acr(), Methods::parse(&session.amr).acr())
                    .as_str()
                    .to_owned(),
            ),
            expires_at: now + CODE_TTL_SECS,
            resource: req.resource.clone(),
        },
        now,
    )?;
    Ok(code)
}

/// The parameters of a successful response (RFC 9207 adds `iss`).
pub fn success_params(code: &str, reply: &Reply, issuer: &str) -> Vec<(&'static str, String)> {
    let mut v = vec![("code", code.to_owned())];
    if let Some(s) = &reply.state {
        v.push(("state", s.clone()));
    }
    v.push(("iss", issuer.to_owned()));
    v
}

pub fn error_params(err: &OAuthError, reply: &Reply, issuer: &str) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("error", err.code.as_str().to_owned()),
        ("error_description", err.description().to_owned()),
    ];
    if let Some(s) = &reply.state {
        v.push(("state", s.clone()));
    }
    v.push(("iss", issuer.to_owned()));
    v
}

/// `redirect_uri` with `params` added to its query (keeping the query it already has).
pub fn redirect_url(redirect_uri: &str, params: &[(&'static str, String)]) -> String {
    let encoded = serde_urlencoded::to_string(params).unwrap_or_default();
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    format!("{redirect_uri}{sep}{encoded}")
}

#[cfg(test)]
mod tests;
