//! grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6).

use super::Issued;
use crate::config::Settings;
use crate::crypto::keys::Alg;
use crate::crypto::random;
use crate::domain::{CodeChallenge, CodeVerifier, ScopeSet};
use crate::oidc::claims::{Target, load_profile, requested_names, user_claims};
use crate::oidc::error::OAuthError;
use crate::oidc::params::Params;
use crate::oidc::tokens::{AccessClaims, IdClaims, amr_list};
use crate::oidc::{access, resource};
use crate::store::clients::Client;
use crate::store::codes::{self, Consumed};
use crate::store::{Store, StoreError, audit, refresh, users};

pub fn exchange(
    store: &Store,
    settings: &Settings,
    now: i64,
    client: &Client,
    p: &Params,
) -> Result<Issued, OAuthError> {
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
    let code_hash = random::hash_token(code);
    let resources = p.resources();

    // The closure commits even when the grant fails, so a replay's revocations stick.
    store.write(|c| -> Result<Result<Issued, OAuthError>, StoreError> {
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
        if !access::may_use(c, &user, client)? {
            access::record_denied(c, &user, client, "token", now)?;
            return Ok(Err(OAuthError::invalid_grant(
                "the user may no longer use this application",
            )));
        }
        let scope = ScopeSet::parse(&code.scope).unwrap_or_default();
        let (aud, at_scope) =
            match resource::access_token_scope(c, client, &scope, code.resource.as_deref())? {
                Ok(x) => x,
                Err(e) => return Ok(Err(e)),
            };
        let profile = load_profile(c, &user, &scope)?;
        let mut access = AccessClaims::new(
            settings,
            now,
            &user.subject,
            &client.client_id,
            &at_scope.to_string(),
        );
        access.aud = aud;
        access.groups = profile.groups.clone();
        access.auth_time = Some(code.auth_time);
        access.sid = code.sid.clone();
        access.userinfo_claims = requested_names(code.claims.as_deref(), Target::UserInfo);
        codes::update_code_access_token(c, &code_hash, &access.jti, access.exp)?;

        let refresh_token = if client.grant_types.iter().any(|g| g == "refresh_token") {
            let token = random::token();
            // offline_access tokens outlive the browser session; others are bound to it.
            let sid = if scope.contains("offline_access") {
                None
            } else {
                code.sid.as_deref()
            };
            refresh::insert_refresh_token(
                c,
                &refresh::NewRefreshToken {
                    token_hash: &random::hash_token(&token),
                    family_id: &random::token(),
                    client_pk: client.id,
                    user_id: user.id,
                    sid,
                    scope: &code.scope,
                    claims: code.claims.as_deref(),
                    auth_time: code.auth_time,
                    amr: &code.amr,
                    code_hash: Some(&code_hash),
                    expires_at: now + settings.refresh_token_ttl_secs,
                    access_jti: &access.jti,
                    access_expires_at: access.exp,
                    resource: code.resource.as_deref(),
                },
                now,
            )?;
            Some(token)
        } else {
            None
        };

        let id = IdClaims {
            sub: user.subject.clone(),
            aud: client.client_id.clone(),
            auth_time: code.auth_time,
            nonce: code.nonce.clone(),
            amr: amr_list(&code.amr),
            sid: code.sid.clone(),
            extra: user_claims(
                &profile,
                &scope,
                &requested_names(code.claims.as_deref(), Target::IdToken),
            ),
        };
        let alg = Alg::parse(&client.id_token_alg).unwrap_or(Alg::RS256);
        super::audit_issued(
            c,
            "authorization_code",
            &client.client_id,
            &user.subject,
            &access.jti,
            now,
        )?;
        Ok(Ok(Issued {
            access,
            id: Some((alg, id)),
            refresh_token,
        }))
    })?
}
