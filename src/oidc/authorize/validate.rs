//! Validating an authorization request: an ordered list of small named checks.
//!
//! First the checks that decide whether the request can be answered at the client at all
//! (size, client, redirect_uri): until they pass, an error is a page and never a redirect (no
//! open redirect). Then [`CHECKS`], in order; the first that fails is answered at the client's
//! redirect_uri. Each check reads the parameters and fills in its part of the request.

use super::{AuthRequest, MAX_CLAIMS_BYTES, Rejection, Reply, ResponseMode};
use crate::config::Settings;
use crate::crypto::jwt;
use crate::crypto::keys::KeyRing;
use crate::domain::{CodeChallenge, ScopeSet};
use crate::oidc::claims as requested_claims;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::params::Params;
use crate::oidc::resource;
use crate::store::Tx;
use crate::store::clients::{self, Client};

/// The longest `nonce` and `state` we keep.
const MAX_NONCE: usize = 512;
const MAX_STATE: usize = 2048;

/// What the checks see and fill in, once client and redirect_uri are known.
struct Ctx<'a> {
    c: &'a Tx<'a>,
    p: &'a Params,
    ring: &'a KeyRing,
    settings: &'a Settings,
    client: Client,
    req: AuthRequest,
    /// The scope as asked for, until the `scope` check resolves it.
    scope: ScopeSet,
}

type Check = fn(&mut Ctx<'_>) -> Result<(), Failure>;

/// Why a check failed: a protocol error for the client, or the store.
enum Failure {
    OAuth(OAuthError),
    Store(crate::store::StoreError),
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Self {
        Failure::Store(e)
    }
}

fn fail(code: ErrorCode, msg: &str) -> Result<(), Failure> {
    Err(Failure::OAuth(OAuthError::new(code, msg)))
}

/// The checks after redirect_uri, in the order they run (OIDC Core §3.1.2.2, RFC 9700).
const CHECKS: &[(&str, Check)] = &[
    ("response_mode", response_mode),
    ("request_objects", request_objects),
    ("response_type", response_type),
    ("repeated_parameters", repeated_parameters),
    ("grant", grant),
    ("scope", scope),
    ("pkce", pkce),
    ("nonce_and_state", nonce_and_state),
    ("prompt", prompt),
    ("max_age", max_age),
    ("id_token_hint", id_token_hint),
    ("claims", claims),
    ("acr_values", acr_values),
    ("login_hint", login_hint),
];

/// The names of the checks, in order (for documentation and tests).
pub fn check_names() -> Vec<&'static str> {
    CHECKS.iter().map(|(name, _)| *name).collect()
}

/// Validate `p`: the request, safe to act on and to store while the user signs in, with its
/// client; or why not.
pub fn validate(
    c: &Tx<'_>,
    p: &Params,
    ring: &KeyRing,
    settings: &Settings,
    now: i64,
) -> Result<(AuthRequest, Client), Rejection> {
    let (client, redirect_uri) = identify(c, p)?;
    let req = AuthRequest {
        client_pk: client.id,
        client_id: client.client_id.clone(),
        redirect_uri,
        response_mode: ResponseMode::Query,
        state: p.get("state").map(str::to_owned),
        scope: String::new(),
        nonce: None,
        code_challenge: None,
        prompt: Vec::new(),
        max_age: None,
        login_hint: None,
        id_token_hint_sub: None,
        claims: None,
        resource: None,
        created_at: now,
        signed_in_sid: None,
        acr_values: Vec::new(),
    };
    let mut ctx = Ctx {
        c,
        p,
        ring,
        settings,
        client,
        req,
        scope: ScopeSet::default(),
    };
    for (name, check) in CHECKS {
        match check(&mut ctx) {
            Ok(()) => {}
            Err(Failure::OAuth(e)) => {
                tracing::debug!(check = name, error = %e, "authorization request refused");
                let reply = Reply::of(&ctx.req);
                return Err(Rejection::Redirect(Box::new((reply, e))));
            }
            Err(Failure::Store(e)) => return Err(Rejection::Store(e)),
        }
    }
    Ok((ctx.req, ctx.client))
}

/// Size, client_id, the client, redirect_uri: until these pass, errors are pages.
fn identify(c: &Tx<'_>, p: &Params) -> Result<(Client, String), Rejection> {
    let page = |title, message: &str| Rejection::Page {
        title,
        message: message.to_owned(),
    };
    if p.is_oversized() {
        return Err(page(
            "Invalid request",
            "The request is too large: too many parameters, or one that is too long.",
        ));
    }
    if p.is_repeated("client_id") {
        return Err(page(
            "Invalid request",
            "The request names more than one application (client_id).",
        ));
    }
    let client_id = p.get("client_id").ok_or_else(|| {
        page(
            "Invalid request",
            "The request does not say which application is asking (client_id is missing).",
        )
    })?;
    let client = clients::find_client(c, client_id)?.ok_or_else(|| {
        page(
            "Unknown application",
            "The application that sent you here is not registered with this sign-in service.",
        )
    })?;
    if p.is_repeated("redirect_uri") {
        return Err(page(
            "Invalid request",
            "The request has more than one redirect_uri.",
        ));
    }
    let redirect_uri = p.get("redirect_uri").ok_or_else(|| {
        page(
            "Invalid request",
            "The request does not say where to send you back (redirect_uri is missing).",
        )
    })?;
    if !client.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Err(page(
            "Invalid redirect address",
            "The application asked to send you back to an address it has not registered, so this request was stopped.",
        ));
    }
    Ok((client, redirect_uri.to_owned()))
}

/// `query` (default) or `form_post`; errors are delivered by query when it is neither.
fn response_mode(x: &mut Ctx<'_>) -> Result<(), Failure> {
    match x.p.get("response_mode") {
        None | Some("query") => Ok(()),
        Some("form_post") => {
            x.req.response_mode = ResponseMode::FormPost;
            Ok(())
        }
        Some(_) => fail(
            ErrorCode::InvalidRequest,
            "unsupported response_mode: use query or form_post",
        ),
    }
}

fn request_objects(x: &mut Ctx<'_>) -> Result<(), Failure> {
    if x.p.get("request").is_some() {
        return fail(
            ErrorCode::RequestNotSupported,
            "request objects are not supported",
        );
    }
    if x.p.get("request_uri").is_some() {
        return fail(
            ErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        );
    }
    Ok(())
}

fn response_type(x: &mut Ctx<'_>) -> Result<(), Failure> {
    match x.p.get("response_type") {
        None => fail(ErrorCode::InvalidRequest, "response_type is required"),
        Some("code") => Ok(()),
        Some(_) => fail(
            ErrorCode::UnsupportedResponseType,
            "only response_type=code is supported",
        ),
    }
}

fn repeated_parameters(x: &mut Ctx<'_>) -> Result<(), Failure> {
    match x.p.first_repeated() {
        Some(name) => fail(
            ErrorCode::InvalidRequest,
            &format!("parameter {name} is repeated"),
        ),
        None => Ok(()),
    }
}

fn grant(x: &mut Ctx<'_>) -> Result<(), Failure> {
    if x.client
        .grant_types
        .iter()
        .any(|g| g == "authorization_code")
    {
        Ok(())
    } else {
        fail(
            ErrorCode::UnauthorizedClient,
            "this client may not use the authorization code flow",
        )
    }
}

/// `openid` is required. Unknown scope values are dropped (OIDC Core §3.1.2.1); known ones
/// must be allowed for the client, and API scopes need the `resource` of their API (RFC 8707).
fn scope(x: &mut Ctx<'_>) -> Result<(), Failure> {
    let Ok(asked) = ScopeSet::parse(x.p.get("scope").unwrap_or("")) else {
        return fail(ErrorCode::InvalidScope, "scope contains invalid characters");
    };
    if !asked.contains("openid") {
        return fail(ErrorCode::InvalidScope, "scope must include openid");
    }
    let resolved = match resource::resolve_user_request(x.c, &x.client, &asked, &x.p.resources())? {
        Ok(r) => r,
        Err(e) => return Err(Failure::OAuth(e)),
    };
    x.req.scope = resolved.scope.to_string();
    x.req.resource = resolved.resource;
    x.scope = resolved.scope;
    Ok(())
}

/// Whether `client`'s requests must carry a PKCE challenge: public clients and clients
/// registered with PKCE (the check below, and the admin sign-in checker, ask this).
pub fn pkce_required(client: &Client) -> bool {
    client.is_public || client.require_pkce
}

/// S256 only; required when [`pkce_required`].
fn pkce(x: &mut Ctx<'_>) -> Result<(), Failure> {
    let required = pkce_required(&x.client);
    match (x.p.get("code_challenge"), x.p.get("code_challenge_method")) {
        (None, None) if required => fail(
            ErrorCode::InvalidRequest,
            "PKCE is required: send code_challenge with code_challenge_method=S256",
        ),
        (None, None) => Ok(()),
        (None, Some(_)) => fail(
            ErrorCode::InvalidRequest,
            "code_challenge_method without code_challenge",
        ),
        (Some(_), m) if m != Some("S256") => fail(
            ErrorCode::InvalidRequest,
            "code_challenge_method must be S256",
        ),
        (Some(ch), _) => match CodeChallenge::parse(ch) {
            Ok(ch) => {
                x.req.code_challenge = Some(ch.as_str().to_owned());
                Ok(())
            }
            Err(e) => fail(ErrorCode::InvalidRequest, &e.0),
        },
    }
}

fn nonce_and_state(x: &mut Ctx<'_>) -> Result<(), Failure> {
    let nonce = x.p.get("nonce");
    if nonce.is_some_and(|n| n.len() > MAX_NONCE) {
        return fail(ErrorCode::InvalidRequest, "nonce is too long");
    }
    if x.req.state.as_ref().is_some_and(|s| s.len() > MAX_STATE) {
        return fail(ErrorCode::InvalidRequest, "state is too long");
    }
    x.req.nonce = nonce.map(str::to_owned);
    Ok(())
}

/// none, login, consent, select_account; `none` alone.
fn prompt(x: &mut Ctx<'_>) -> Result<(), Failure> {
    let prompt: Vec<String> =
        x.p.get("prompt")
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
    if let Some(v) = prompt
        .iter()
        .find(|v| !matches!(v.as_str(), "none" | "login" | "consent" | "select_account"))
    {
        return fail(
            ErrorCode::InvalidRequest,
            &format!("unsupported prompt value {v}"),
        );
    }
    if prompt.iter().any(|v| v == "none") && prompt.len() > 1 {
        return fail(
            ErrorCode::InvalidRequest,
            "prompt=none cannot be combined with other values",
        );
    }
    x.req.prompt = prompt;
    Ok(())
}

fn max_age(x: &mut Ctx<'_>) -> Result<(), Failure> {
    let Some(v) = x.p.get("max_age") else {
        return Ok(());
    };
    match v.parse::<i64>() {
        Ok(n) if n >= 0 => {
            x.req.max_age = Some(n);
            Ok(())
        }
        _ => fail(
            ErrorCode::InvalidRequest,
            "max_age must be a non-negative number of seconds",
        ),
    }
}

fn id_token_hint(x: &mut Ctx<'_>) -> Result<(), Failure> {
    let Some(hint) = x.p.get("id_token_hint") else {
        return Ok(());
    };
    match id_token_hint_subject(x.ring, x.settings, &x.client.client_id, hint) {
        Some(sub) => {
            x.req.id_token_hint_sub = Some(sub);
            Ok(())
        }
        None => fail(
            ErrorCode::InvalidRequest,
            "id_token_hint is not an ID token issued by this provider",
        ),
    }
}

/// At most [`MAX_CLAIMS_BYTES`], a JSON object; claims of scopes the client may not use are
/// dropped here, once, so nothing downstream (consent, code, tokens, userinfo) ever sees them
/// (OIDC Core §5.4, §5.5).
fn claims(x: &mut Ctx<'_>) -> Result<(), Failure> {
    let Some(text) = x.p.get("claims") else {
        return Ok(());
    };
    if text.len() > MAX_CLAIMS_BYTES {
        return fail(
            ErrorCode::InvalidRequest,
            &format!("claims is too long: at most {MAX_CLAIMS_BYTES} bytes"),
        );
    }
    let Some(v) = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .filter(serde_json::Value::is_object)
    else {
        return fail(ErrorCode::InvalidRequest, "claims must be a JSON object");
    };
    let client = &x.client;
    x.req.claims = Some(requested_claims::keep_allowed(v, &x.scope, |s| {
        resource::client_may_request(client, s)
    }));
    Ok(())
}

/// The levels latchkey knows (`acr_values_supported`); other values are dropped, never an
/// error (acr_values is a voluntary request, OIDC Core §3.1.2.1).
fn acr_values(x: &mut Ctx<'_>) -> Result<(), Failure> {
    let asked = crate::domain::Acr::parse_list(x.p.get("acr_values").unwrap_or(""));
    x.req.acr_values = asked.iter().map(|a| a.as_str().to_owned()).collect();
    Ok(())
}

fn login_hint(x: &mut Ctx<'_>) -> Result<(), Failure> {
    x.req.login_hint = x.p.get("login_hint").map(|h| h.chars().take(256).collect());
    Ok(())
}

/// The `sub` of an ID token we signed. It may have expired (OIDC Core §3.1.2.1).
/// It must have been issued to `client_id` (RFC 8725 §3.9: check the audience of every token).
pub fn id_token_hint_subject(
    ring: &KeyRing,
    settings: &Settings,
    client_id: &str,
    token: &str,
) -> Option<String> {
    let claims = jwt::verify(ring, token, &[crate::oidc::signed_tokens::ID_TOKEN_TYP]).ok()?;
    if claims.get("iss").and_then(|v| v.as_str()) != Some(settings.issuer.as_str()) {
        return None;
    }
    let for_client = match claims.get("aud") {
        Some(serde_json::Value::String(a)) => a == client_id,
        Some(serde_json::Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(client_id)),
        _ => false,
    };
    if !for_client {
        return None;
    }
    claims
        .get("sub")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}
