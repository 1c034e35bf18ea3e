//! Tokens for a user who granted a client access, however the grant was obtained (an
//! authorization code, an approved device code): shared so every grant issues alike.

use super::Issued;
use crate::config::Settings;
use crate::crypto::keys::Alg;
use crate::crypto::random;
use crate::domain::ScopeSet;
use crate::oidc::claims::{Profile, Target, load_profile, requested_names, user_claims};
use crate::oidc::error::OAuthError;
use crate::oidc::signed_tokens::{AccessClaims, IdClaims, amr_list};
use crate::oidc::{access, resource};
use crate::store::clients::Client;
use crate::store::users::User;
use crate::store::{StoreError, Tx, refresh};

/// What the user granted, and how they signed in when they did.
pub struct UserGrant<'a> {
    /// The grant type, for the audit log.
    pub grant: &'a str,
    pub scope: &'a str,
    /// The browser session the grant came from.
    pub sid: Option<&'a str>,
    pub auth_time: i64,
    pub amr: &'a str,
    /// The `acr` chosen when the grant was given; None: the level of `amr`.
    pub acr: Option<&'a str>,
    pub nonce: Option<&'a str>,
    /// Requested claims (the `claims` parameter), JSON.
    pub claims: Option<&'a str>,
    /// The authorization code the grant came from, so a replay can revoke what it issued.
    pub code_hash: Option<&'a str>,
    /// The API the access token is for (RFC 8707); None: userinfo.
    pub resource: Option<&'a str>,
}

/// The access token claims for `user` holding `scope` (its audience and scopes by `resource`,
/// the `groups` claim when granted), and what the scopes release about the user.
pub fn user_access<'u>(
    c: &Tx<'_>,
    settings: &Settings,
    now: i64,
    client: &Client,
    user: &'u User,
    scope: &ScopeSet,
    resource: Option<&str>,
) -> Result<Result<(AccessClaims, Profile<'u>), OAuthError>, StoreError> {
    let (aud, at_scope) = match resource::access_token_scope(c, client, scope, resource)? {
        Ok(x) => x,
        Err(e) => return Ok(Err(e)),
    };
    let profile = load_profile(c, user, scope)?;
    let mut access = AccessClaims::new(
        settings,
        now,
        &user.subject,
        &client.client_id,
        &at_scope.to_string(),
    );
    access.aud = aud;
    access.groups = profile.groups.clone();
    Ok(Ok((access, profile)))
}

/// The `acr` of a grant's ID tokens: the one chosen when it was given (a known level), else
/// the level its methods reach.
pub fn token_acr(chosen: Option<&str>, amr: &str) -> String {
    chosen
        .and_then(crate::domain::Acr::parse)
        .unwrap_or_else(|| crate::domain::Methods::parse(amr).acr())
        .as_str()
        .to_owned()
}

/// The claims of an access token, and of an ID token with its algorithm (None: no `openid`).
pub type TokenClaims = (AccessClaims, Option<(Alg, IdClaims)>);

/// What the tokens of grant `g` say, before they are signed: the access token's claims, and the
/// ID token's with its algorithm when `openid` was granted. Only reads: [`issue_to_user`]
/// records what it issues, and the admin sign-in checker shows these without issuing anything.
pub fn token_claims(
    c: &Tx<'_>,
    settings: &Settings,
    now: i64,
    client: &Client,
    user: &User,
    g: &UserGrant<'_>,
) -> Result<Result<TokenClaims, OAuthError>, StoreError> {
    let scope = ScopeSet::parse(g.scope).unwrap_or_default();
    let (mut access, profile) =
        match user_access(c, settings, now, client, user, &scope, g.resource)? {
            Ok(x) => x,
            Err(e) => return Ok(Err(e)),
        };
    access.auth_time = Some(g.auth_time);
    access.sid = g.sid.map(str::to_owned);
    access.userinfo_claims = requested_names(g.claims, Target::UserInfo);
    let id = scope.contains("openid").then(|| {
        let alg = Alg::parse(&client.id_token_alg).unwrap_or(Alg::RS256);
        (
            alg,
            IdClaims {
                sub: user.subject.clone(),
                aud: client.client_id.clone(),
                auth_time: g.auth_time,
                nonce: g.nonce.map(str::to_owned),
                amr: amr_list(g.amr),
                acr: token_acr(g.acr, g.amr),
                sid: g.sid.map(str::to_owned),
                extra: user_claims(
                    &profile,
                    &scope,
                    &requested_names(g.claims, Target::IdToken),
                ),
            },
        )
    });
    Ok(Ok((access, id)))
}

/// An access token (for userinfo, or for the API of `resource` with only that API's scopes);
/// a refresh token when the client may refresh (bound to the browser session unless
/// `offline_access` was granted); an ID token when `openid` was granted. Refused when the user
/// may no longer use the client (allowed groups). Records the refresh token and a
/// `token.issued` audit event in `c`'s transaction.
pub fn issue_to_user(
    c: &Tx<'_>,
    settings: &Settings,
    now: i64,
    client: &Client,
    user: &User,
    g: &UserGrant<'_>,
) -> Result<Result<Issued, OAuthError>, StoreError> {
    if let Err(e) = access::check_at_token(c, user, client, g.grant, now)? {
        return Ok(Err(e));
    }
    let scope = ScopeSet::parse(g.scope).unwrap_or_default();
    let acr = token_acr(g.acr, g.amr);
    // Tokens bound to a browser session are worthless once it has ended (a code redeemed, or a
    // device code polled, just after the user signed out): refuse rather than mint them.
    if !scope.contains("offline_access")
        && let Some(sid) = g.sid
        && !crate::oidc::login::session_is_live(c, sid, settings, now)?
    {
        return Ok(Err(OAuthError::invalid_grant(
            "the sign-in session this grant came from has ended",
        )));
    }
    let (access, id) = match token_claims(c, settings, now, client, user, g)? {
        Ok(x) => x,
        Err(e) => return Ok(Err(e)),
    };

    let refresh_token = if client.grant_types.iter().any(|t| t == "refresh_token") {
        let token = random::token();
        // offline_access tokens outlive the browser session; others are bound to it.
        let sid = if scope.contains("offline_access") {
            None
        } else {
            g.sid
        };
        refresh::insert_refresh_token(
            c,
            &refresh::NewRefreshToken {
                token_hash: &random::hash_token(&token),
                family_id: &random::token(),
                client_pk: client.id,
                user_id: user.id,
                sid,
                scope: g.scope,
                claims: g.claims,
                auth_time: g.auth_time,
                amr: g.amr,
                acr: Some(&acr),
                code_hash: g.code_hash,
                expires_at: now + settings.refresh_token_ttl_secs,
                access_jti: &access.jti,
                access_expires_at: access.exp,
                resource: g.resource,
            },
            now,
        )?;
        Some(token)
    } else {
        None
    };

    super::audit_issued(
        c,
        g.grant,
        &client.client_id,
        &user.subject,
        &access.jti,
        now,
    )?;
    Ok(Ok(Issued {
        access,
        id,
        refresh_token,
    }))
}
