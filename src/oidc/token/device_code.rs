//! grant_type=urn:ietf:params:oauth:grant-type:device_code (RFC 8628 §3.4, §3.5): the device
//! polls until the person decided, then gets tokens exactly once.

use super::Issued;
use super::issue::{UserGrant, issue_to_user};
use crate::config::Settings;
use crate::crypto::random;
use crate::domain::DEVICE_CODE;
use crate::oidc::device::SLOW_DOWN_SECS;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::params::Params;
use crate::store::clients::Client;
use crate::store::device::{self, DeviceStatus};
use crate::store::{Store, StoreError, users};

pub fn exchange(
    store: &Store,
    settings: &Settings,
    now: i64,
    client: &Client,
    p: &Params,
) -> Result<Issued, OAuthError> {
    let code = p
        .get("device_code")
        .ok_or_else(|| OAuthError::invalid_request("device_code is required"))?;
    let hash = random::hash_token(code);

    // The closure commits even when the answer is an error: a poll's time and a slowed-down
    // interval must stick. A poll is a short-lived step; issuing tokens (a refresh token, an
    // audit row) makes the unit wait for its fsync (see `Store::write_short_lived`).
    store.write_short_lived(|c| -> Result<Result<Issued, OAuthError>, StoreError> {
        let Some(d) = device::find_device_by_device_code(c, &hash)? else {
            return Ok(Err(OAuthError::invalid_grant("the device_code is invalid")));
        };
        // Nothing about another client's device code, not even that it is pending.
        if d.client_pk != client.id {
            return Ok(Err(OAuthError::invalid_grant(
                "the device_code was issued to another client",
            )));
        }
        if d.status == DeviceStatus::Issued {
            return Ok(Err(OAuthError::invalid_grant(
                "the device_code was already used",
            )));
        }
        if d.expires_at <= now {
            return Ok(Err(OAuthError::new(
                ErrorCode::ExpiredToken,
                "the device_code has expired: start over",
            )));
        }
        match d.status {
            DeviceStatus::Denied => {
                return Ok(Err(OAuthError::new(
                    ErrorCode::AccessDenied,
                    "the user denied the request",
                )));
            }
            DeviceStatus::Pending => {
                let too_soon = d.last_polled_at.is_some_and(|t| now - t < d.interval_secs);
                if too_soon {
                    let interval = d.interval_secs + SLOW_DOWN_SECS;
                    device::update_device_poll(c, d.id, now, interval)?;
                    return Ok(Err(OAuthError::new(
                        ErrorCode::SlowDown,
                        format!("polling too fast: wait {interval} seconds between requests"),
                    )));
                }
                device::update_device_poll(c, d.id, now, d.interval_secs)?;
                return Ok(Err(OAuthError::new(
                    ErrorCode::AuthorizationPending,
                    "the user has not decided yet",
                )));
            }
            DeviceStatus::Approved | DeviceStatus::Issued => {}
        }
        let (Some(user_id), Some(auth_time), Some(amr)) = (d.user_id, d.auth_time, &d.amr) else {
            return Err(StoreError::Corrupt(
                "an approved device authorization has no user".into(),
            ));
        };
        let user = users::get_user(c, user_id)?;
        if user.disabled {
            return Ok(Err(OAuthError::invalid_grant("the user is disabled")));
        }
        if !device::consume_device(c, d.id, now)? {
            return Ok(Err(OAuthError::invalid_grant(
                "the device_code was already used",
            )));
        }
        let issued = match issue_to_user(
            c,
            settings,
            now,
            client,
            &user,
            &UserGrant {
                grant: DEVICE_CODE,
                scope: &d.scope,
                sid: d.sid.as_deref(),
                auth_time,
                amr,
                acr: d.acr.as_deref(),
                nonce: None,
                claims: None,
                code_hash: None,
                resource: d.resource.as_deref(),
            },
        )? {
            Ok(i) => i,
            Err(e) => return Ok(Err(e)),
        };
        Ok(Ok(issued))
    })?
}
