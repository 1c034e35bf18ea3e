//! grant_type=refresh_token (RFC 6749 §6), rotated on every use, with reuse detection.

use super::Issued;
use crate::config::Settings;
use crate::crypto::keys::Alg;
use crate::crypto::random;
use crate::domain::ScopeSet;
use crate::oidc::claims::{Target, keep_allowed_text, requested_names, user_claims};
use crate::oidc::client_auth::Credentials;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::params::Params;
use crate::oidc::signed_tokens::{IdClaims, amr_list};
use crate::oidc::{access, resource};
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
        let token = p
            .get("refresh_token")
            .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
        let requested = p
            .get("scope")
            .map(|s| ScopeSet::parse(s).map_err(|e| OAuthError::new(ErrorCode::InvalidScope, e.0)))
            .transpose()?;
        Ok((random::hash_token(token), requested))
    })();
    let resources = p.resources();

    store.write(|c| -> Result<Result<Issued, OAuthError>, StoreError> {
        let (client, (hash, requested)) =
            match super::client_for(c, creds, "refresh_token", parsed)? {
                Ok(v) => v,
                Err(e) => return Ok(Err(e)),
            };
        let client = &client;
        let Some(rt) = refresh::find_refresh_token(c, &hash)? else {
            return Ok(Err(OAuthError::invalid_grant(
                "the refresh token is invalid",
            )));
        };
        if rt.client_pk != client.id {
            return Ok(Err(OAuthError::invalid_grant(
                "the refresh token was issued to another client",
            )));
        }
        if rt.expires_at <= now {
            return Ok(Err(OAuthError::invalid_grant(
                "the refresh token has expired",
            )));
        }
        let original = ScopeSet::parse(&rt.scope).unwrap_or_default();
        let scope = match requested {
            Some(r) if !r.is_subset(&original) => {
                return Ok(Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    "a refresh cannot add scopes that were not granted",
                )));
            }
            Some(r) if !r.is_empty() => r,
            _ => original.clone(),
        };
        if let Err(e) = resource::check_token_resource(&resources, rt.resource.as_deref()) {
            return Ok(Err(e));
        }
        let user = users::get_user(c, rt.user_id)?;
        if user.disabled {
            return Ok(Err(OAuthError::invalid_grant("the user is disabled")));
        }
        if let Err(e) = access::check_at_token(c, &user, client, "refresh_token", now)? {
            return Ok(Err(e));
        }
        // Bound to a browser session (no offline_access): it ends with that session, however
        // the session ended (sign-out, expiry, idleness, removal).
        if let Some(sid) = &rt.sid
            && !crate::oidc::login::session_is_live(c, sid, settings, now)?
        {
            refresh::revoke_refresh_family(c, &rt.family_id, now)?;
            return Ok(Err(OAuthError::invalid_grant(
                "the sign-in session this refresh token belongs to has ended",
            )));
        }
        if rt.used_at.is_some()
            || rt.revoked_at.is_some()
            || !refresh::consume_refresh_token(c, rt.id, now)?
        {
            // Reuse of a rotated token: someone has a copy. Revoke the whole family.
            if refresh::revoke_refresh_family(c, &rt.family_id, now)? > 0 {
                audit::insert_audit_event(
                    c,
                    &audit::AuditEvent {
                        at: now,
                        kind: "refresh_token.reused".into(),
                        client_id: Some(client.client_id.clone()),
                        subject: Some(user.subject.clone()),
                        ..Default::default()
                    },
                )?;
            }
            return Ok(Err(OAuthError::invalid_grant(
                "the refresh token was already used or revoked",
            )));
        }

        // /authorize keeps only claims of scopes the client may use; tokens from before it did
        // (or from before the client's scopes were narrowed) are held to the same rule here.
        let claims = keep_allowed_text(rt.claims.as_deref(), &original, |s| {
            resource::client_may_request(client, s)
        });
        let (mut access, profile) = match super::issue::user_access(
            c,
            settings,
            now,
            client,
            &user,
            &scope,
            rt.resource.as_deref(),
        )? {
            Ok(x) => x,
            Err(e) => return Ok(Err(e)),
        };
        access.auth_time = Some(rt.auth_time);
        access.sid = rt.sid.clone();
        access.userinfo_claims = requested_names(claims.as_deref(), Target::UserInfo);
        let new_token = random::token();
        refresh::insert_refresh_token(
            c,
            &refresh::NewRefreshToken {
                token_hash: &random::hash_token(&new_token),
                family_id: &rt.family_id,
                client_pk: client.id,
                user_id: user.id,
                sid: rt.sid.as_deref(),
                scope: &rt.scope,
                claims: claims.as_deref(),
                auth_time: rt.auth_time,
                amr: &rt.amr,
                acr: rt.acr.as_deref(),
                code_hash: None,
                expires_at: rt.expires_at,
                access_jti: &access.jti,
                access_expires_at: access.exp,
                resource: rt.resource.as_deref(),
            },
            now,
        )?;
        let id = scope.contains("openid").then(|| {
            let alg = Alg::parse(&client.id_token_alg).unwrap_or(Alg::RS256);
            (
                alg,
                IdClaims {
                    sub: user.subject.clone(),
                    aud: client.client_id.clone(),
                    auth_time: rt.auth_time,
                    nonce: None,
                    amr: amr_list(&rt.amr),
                    acr: super::issue::token_acr(rt.acr.as_deref(), &rt.amr),
                    sid: rt.sid.clone(),
                    extra: user_claims(
                        &profile,
                        &scope,
                        &requested_names(claims.as_deref(), Target::IdToken),
                    ),
                },
            )
        });
        super::audit_issued(
            c,
            "refresh_token",
            &client.client_id,
            &user.subject,
            &access.jti,
            now,
        )?;
        Ok(Ok(Issued {
            access,
            id,
            refresh_token: Some(new_token),
        }))
    })?
}
