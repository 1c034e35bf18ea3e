//! The Device Authorization Grant (RFC 8628), free of HTTP: the device authorization endpoint
//! (§3.1, §3.2), and what the verification page needs (§3.3): finding a pending request by its
//! user code, and recording the person's decision. Redeeming the device code at the token
//! endpoint is `token::device_code`.

use super::client_auth;
use super::error::{ErrorCode, OAuthError};
use super::params::Params;
use super::resource::{self, Resolved};
use super::throttle::Key;
use crate::config::Settings;
use crate::crypto::random;
use crate::domain::{DEVICE_CODE, ScopeSet, UserCode};
use crate::store::clients::{self, Client};
use crate::store::device::{self, Approval, DeviceAuthorization};
use crate::store::sessions::{self, Session};
use crate::store::users::User;
use crate::store::{Store, StoreError, Tx, audit, consents};
use serde::Serialize;

/// The verification page, under the issuer.
pub const VERIFICATION_PATH: &str = "/device";
/// The scope of a request that names none.
pub const DEFAULT_SCOPE: &str = "openid";
/// Wrong user codes allowed per browser session, and per client IP, before waits start
/// (then 1 s, 2 s, 4 s, ... up to `login_max_wait_secs`). A code is ~34.6 bits.
pub const USER_CODE_FAILURES_PER_SESSION: u32 = 5;
pub const USER_CODE_FAILURES_PER_IP: u32 = 20;
const TOO_MANY: &str = "too many unfinished device authorizations from this address";
/// Unfinished requests expire within minutes; a client over its limit retries after this.
pub const PENDING_RETRY_AFTER_SECS: i64 = 60;

/// How much longer a device must wait after polling too fast (RFC 8628 §3.5).
pub const SLOW_DOWN_SECS: i64 = 5;

/// RFC 8628 §3.2.
#[derive(Debug, Serialize)]
pub struct DeviceAuthResponse {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// POST /device_authorization: authenticate the client as at the token endpoint, check that it
/// may use the grant and the scopes it asks for, and hand out a fresh pair of codes.
/// `source` (see `throttle::source`) may hold at most `pending_requests_per_address`
/// unexpired device authorizations: more are refused with `temporarily_unavailable`.
pub fn device_authorization(
    store: &Store,
    settings: &Settings,
    now: i64,
    authorization: Option<&str>,
    p: &Params,
    source: &str,
) -> Result<DeviceAuthResponse, OAuthError> {
    let client = client_auth::authenticate_request(store, authorization, p)?;
    if !client.grant_types.iter().any(|g| g == DEVICE_CODE) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use the device authorization grant",
        ));
    }
    let resolved =
        store.read(|c| requested_scope(c, &client, p.get("scope"), &p.resources()))??;
    let scope = resolved.scope.to_string();
    let device_code = random::token();
    let device_code_hash = random::hash_token(&device_code);
    // A user code may collide with one not yet swept (1 in 2^34 per row): draw again.
    for _ in 0..5 {
        let user_code = random::user_code();
        let inserted = store.write(|c| {
            if device::count_device_from(c, source, now)? >= settings.pending_requests_per_address {
                return Err(StoreError::Conflict(TOO_MANY.into()));
            }
            device::insert_device_authorization(
                c,
                &device::NewDeviceAuthorization {
                    device_code_hash: &device_code_hash,
                    user_code_hash: &random::hash_token(user_code.as_str()),
                    client_pk: client.id,
                    scope: &scope,
                    resource: resolved.resource.as_deref(),
                    expires_at: now + settings.device_code_ttl_secs,
                    interval_secs: settings.device_poll_interval_secs,
                    source,
                },
                now,
            )
        });
        match inserted {
            Ok(()) => {
                let shown = user_code.display();
                let verification_uri = settings.endpoint(VERIFICATION_PATH);
                tracing::info!(client_id = %client.client_id, scope = %scope, "device authorization started");
                return Ok(DeviceAuthResponse {
                    device_code,
                    verification_uri_complete: format!("{verification_uri}?user_code={shown}"),
                    verification_uri,
                    user_code: shown,
                    expires_in: settings.device_code_ttl_secs,
                    interval: settings.device_poll_interval_secs,
                });
            }
            Err(StoreError::Conflict(why)) if why == TOO_MANY => {
                return Err(OAuthError::too_many_requests(
                    "too many unfinished device authorizations from this address; try again later",
                    PENDING_RETRY_AFTER_SECS,
                ));
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(OAuthError::server_error("no free user code after 5 draws"))
}

/// The scopes of a device request: `openid` when none are named; every one must be a scope
/// latchkey knows (OIDC, custom, or of the API named by `resource`) and one the client holds.
pub fn requested_scope(
    c: &Tx<'_>,
    client: &Client,
    scope: Option<&str>,
    resources: &[&str],
) -> Result<Result<Resolved, OAuthError>, StoreError> {
    let invalid = |msg: String| OAuthError::new(ErrorCode::InvalidScope, msg);
    let Ok(mut set) = ScopeSet::parse(scope.unwrap_or("")) else {
        return Ok(Err(invalid("scope contains invalid characters".into())));
    };
    if set.is_empty() {
        set = ScopeSet::parse(DEFAULT_SCOPE).unwrap_or_default();
    }
    let resolved = match resource::resolve_user_request(c, client, &set, resources)? {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    // Unlike /authorize (OIDC Core §3.1.2.1), nothing here says unknown scopes are ignored.
    if let Some(s) = set.iter().find(|s| !resolved.scope.contains(s)) {
        return Ok(Err(invalid(format!("unknown scope {s}"))));
    }
    Ok(Ok(resolved))
}

/// A device authorization still waiting for a decision, found by the code a person typed.
pub fn find_pending(
    c: &Tx<'_>,
    code: &UserCode,
    now: i64,
) -> Result<Option<(DeviceAuthorization, Client)>, StoreError> {
    let Some(d) =
        device::find_pending_device_by_user_code(c, &random::hash_token(code.as_str()), now)?
    else {
        return Ok(None);
    };
    let client = clients::get_client_by_pk(c, d.client_pk)?;
    Ok(Some((d, client)))
}

/// The keys wrong user codes are counted under (a separate throttle from sign-in's).
pub fn throttle_keys(sid: &str, ip: Option<&str>) -> Vec<Key> {
    vec![
        Key::new(format!("session:{sid}"), USER_CODE_FAILURES_PER_SESSION),
        Key::new(
            format!("ip:{}", super::throttle::source(ip)),
            USER_CODE_FAILURES_PER_IP,
        ),
    ]
}

/// Record the signed-in person's decision on a pending request. Returns false when it was no
/// longer pending (decided in another tab, or expired meanwhile). An approval also counts as
/// consent (so the app shows on the account page, where it can be revoked).
pub fn decide(
    c: &Tx<'_>,
    d: &DeviceAuthorization,
    client: &Client,
    (session, user): (&Session, &User),
    allow: bool,
    ip: Option<&str>,
    now: i64,
) -> Result<bool, StoreError> {
    let acr = crate::domain::Methods::parse(&session.amr).acr();
    let approval = allow.then(|| Approval {
        user_id: user.id,
        sid: &session.sid,
        auth_time: session.auth_time,
        amr: &session.amr,
        acr: acr.as_str(),
    });
    if !device::decide_device(c, d.id, approval.as_ref(), now)? {
        return Ok(false);
    }
    if allow {
        let before = consents::find_consent(c, user.id, client.id)?
            .and_then(|s| ScopeSet::parse(&s).ok())
            .unwrap_or_default();
        let all = before.union(&ScopeSet::parse(&d.scope).unwrap_or_default());
        consents::upsert_consent(c, user.id, client.id, &all.to_string(), now)?;
        sessions::upsert_session_client(c, &session.sid, client.id, user.id, now)?;
    }
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now,
            kind: if allow {
                "device.approved"
            } else {
                "device.denied"
            }
            .into(),
            actor: Some(user.username.clone()),
            subject: Some(user.subject.clone()),
            client_id: Some(client.client_id.clone()),
            ip: ip.map(str::to_owned),
            detail: Some(serde_json::json!({ "scope": d.scope }).to_string()),
        },
    )?;
    Ok(true)
}

/// Too many wrong user codes: later attempts wait `secs`.
pub fn audit_throttled(
    c: &Tx<'_>,
    username: &str,
    ip: Option<&str>,
    secs: i64,
    now: i64,
) -> Result<(), StoreError> {
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now,
            kind: "device.user_code_throttled".into(),
            actor: Some(username.to_owned()),
            ip: ip.map(str::to_owned),
            detail: Some(format!("{{\"wait_secs\":{secs}}}")),
            ..Default::default()
        },
    )
}
