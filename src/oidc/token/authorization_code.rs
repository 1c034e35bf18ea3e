//! grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6).

use super::Issued;
use super::issue::{UserGrant, issue_to_user};
use crate::config::Settings;
use crate::crypto::random;
use crate::domain::{CodeChallenge, CodeVerifier};
use crate::oidc::client_auth::Credentials;
use crate::oidc::error::OAuthError;
use crate::oidc::params::Params;
use crate::oidc::resource;
use crate::store::codes::{self, Consumed};
use crate::store::{Store, StoreError, audit, refresh, users};

pub fn exchange(
    store: &Store,
    settings: &Settings,
    now: i64,
    creds: &Credentials,
    p: &Params,
) -> Result<Issued, OAuthError> {
    // Checked before the unit, reported after the client is authenticated (as every error is).
    let parsed = (|| {
        let code = p
            .get("code")
            .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
        let redirect_uri = p
            .get("redirect_uri")
            .ok_or_else(|| OAuthError::invalid_request("redirect_uri is required"))?;
        let verifier = p
            .get("code_verifier")
            .map(|v| CodeVerifier::parse(v).map_err(|e| OAuthError::invalid_grant(e.0)))
            .transpose()?;
        Ok((random::hash_token(code), redirect_uri, verifier))
    })();
    let resources = p.resources();

    // The closure commits even when the grant fails, so a replay's revocations stick. The code's
    // consumption alone is a short-lived step; the refresh token, revocations and audit rows
    // written here make the unit wait for its fsync (see `Store::write_short_lived`).
    store.write_short_lived(|c| -> Result<Result<Issued, OAuthError>, StoreError> {
        let (client, (code_hash, redirect_uri, verifier)) =
            match super::client_for(c, creds, "authorization_code", parsed)? {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            };
        let client = &client;
        let code = match codes::consume_code(c, &code_hash, now)? {
            Consumed::Invalid => {
                return Ok(Err(OAuthError::invalid_grant(
                    "the code is invalid or has expired",
                )));
            }
            Consumed::Replayed {
                access_jti,
                access_expires_at,
            } => {
                if let (Some(jti), Some(exp)) = (access_jti, access_expires_at) {
                    refresh::insert_revoked_jti(c, &jti, exp)?;
                }
                refresh::revoke_refresh_tokens_from_code(c, &code_hash, now)?;
                audit::insert_audit_event(
                    c,
                    &audit::AuditEvent {
                        at: now,
                        kind: "code.replayed".into(),
                        client_id: Some(client.client_id.clone()),
                        ..Default::default()
                    },
                )?;
                return Ok(Err(OAuthError::invalid_grant(
                    "the code was already used; tokens issued from it are revoked",
                )));
            }
            Consumed::Fresh(code) => code,
        };
        if code.client_pk != client.id {
            return Ok(Err(OAuthError::invalid_grant(
                "the code was issued to another client",
            )));
        }
        if code.redirect_uri != redirect_uri {
            return Ok(Err(OAuthError::invalid_grant(
                "redirect_uri does not match the authorization request",
            )));
        }
        let challenge = code
            .code_challenge
            .as_deref()
            .map(CodeChallenge::parse)
            .transpose();
        match (challenge, &verifier) {
            (Ok(Some(ch)), Some(v)) if ch.matches(v) => {}
            (Ok(Some(_)), Some(_)) => {
                return Ok(Err(OAuthError::invalid_grant(
                    "code_verifier does not match code_challenge",
                )));
            }
            (Ok(Some(_)), None) => {
                return Ok(Err(OAuthError::invalid_grant("code_verifier is required")));
            }
            (Ok(None), Some(_)) => {
                return Ok(Err(OAuthError::invalid_grant(
                    "no code_challenge was sent for this code",
                )));
            }
            (Ok(None), None) => {}
            (Err(_), _) => {
                return Ok(Err(OAuthError::invalid_grant(
                    "stored code_challenge is invalid",
                )));
            }
        }
        if let Err(e) = resource::check_token_resource(&resources, code.resource.as_deref()) {
            return Ok(Err(e));
        }
        let user = users::get_user(c, code.user_id)?;
        if user.disabled {
            return Ok(Err(OAuthError::invalid_grant("the user is disabled")));
        }
        let issued = match issue_to_user(
            c,
            settings,
            now,
            client,
            &user,
            &UserGrant {
                grant: "authorization_code",
                scope: &code.scope,
                sid: code.sid.as_deref(),
                auth_time: code.auth_time,
                amr: &code.amr,
                acr: code.acr.as_deref(),
                nonce: code.nonce.as_deref(),
                claims: code.claims.as_deref(),
                code_hash: Some(&code_hash),
                resource: code.resource.as_deref(),
            },
        )? {
            Ok(i) => i,
            Err(e) => return Ok(Err(e)),
        };
        codes::update_code_access_token(c, &code_hash, &issued.access.jti, issued.access.exp)?;
        Ok(Ok(issued))
    })?
}
