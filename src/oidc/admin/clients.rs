//! Clients (apps): register, show, change, rotate the secret, remove.

use super::{Actor, AdminError, record};
use crate::crypto::keys::Alg;
use crate::crypto::random;
use crate::domain::{ClientId, DEFAULT_CLIENT_SCOPES, GrantType, RedirectUri, ScopeSet, WebOrigin};
use crate::store::{StoreError, Tx, apis, audit, clients, clients::Client, groups};

/// A client to register, as typed (checked by [`add`]); also the admin API's JSON body, where
/// what is left out takes the defaults of `latchkey client add`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewClient {
    pub client_id: String,
    pub redirect_uris: Vec<String>,
    pub public: bool,
    pub post_logout_redirect_uris: Vec<String>,
    /// Default: the client id.
    pub name: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    /// Empty: authorization_code and refresh_token. Items may hold several, space-separated.
    pub grant_types: Vec<String>,
    /// Empty: [`DEFAULT_CLIENT_SCOPES`].
    pub scopes: Vec<String>,
    pub skip_consent: bool,
    pub no_pkce: bool,
    #[serde(default = "default_alg")]
    pub id_token_alg: String,
    pub allowed_groups: Vec<String>,
    pub web_origins: Vec<String>,
}

fn default_alg() -> String {
    "RS256".into()
}

/// A change to a client; what is empty or `None` stays as it is. Also the admin API's JSON
/// body (the client id comes from the path there).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientUpdate {
    #[serde(skip)]
    pub client_id: String,
    pub allowed_groups: Vec<String>,
    pub remove_allowed_groups: Vec<String>,
    /// Replaces the allowed scopes when not empty.
    pub scopes: Vec<String>,
    pub name: Option<String>,
    pub web_origins: Vec<String>,
    pub remove_web_origins: Vec<String>,
    pub require_mfa: Option<bool>,
}

/// A client with who may use it and the API scopes it holds, as `(API, scope)`.
#[derive(Debug)]
pub struct ClientDetail {
    pub client: Client,
    pub allowed_groups: Vec<String>,
    pub api_grants: Vec<(String, String)>,
}

impl ClientDetail {
    /// The client with who may use it and the API scopes it holds, as `client show --json` and
    /// the admin API show it.
    pub fn to_json(&self) -> serde_json::Value {
        let mut out = serde_json::to_value(&self.client).unwrap_or_default();
        if let Some(o) = out.as_object_mut() {
            o.insert("allowed_groups".into(), self.allowed_groups.clone().into());
            let g: Vec<serde_json::Value> = self
                .api_grants
                .iter()
                .map(|(api, scope)| serde_json::json!({ "api": api, "scope": scope }))
                .collect();
            o.insert("api_scopes".into(), g.into());
        }
        out
    }
}

/// A new client, checked.
struct Valid {
    client_id: ClientId,
    redirect_uris: Vec<String>,
    post_logout: Vec<String>,
    backchannel: Option<String>,
    grant_types: Vec<String>,
    scopes: Vec<String>,
    alg: Alg,
    name: String,
    web_origins: Vec<String>,
}

fn validate(a: &NewClient) -> Result<Valid, AdminError> {
    let client_id = ClientId::parse(&a.client_id)?;
    let redirect_uris = parse_redirect_uris(&a.redirect_uris)?;
    let post_logout = parse_redirect_uris(&a.post_logout_redirect_uris)?;
    let backchannel = a
        .backchannel_logout_uri
        .as_deref()
        .map(|u| RedirectUri::parse(u).map(|r| r.as_str().to_owned()))
        .transpose()?;
    let mut grant_types = Vec::new();
    let requested: Vec<String> = if a.grant_types.is_empty() {
        vec!["authorization_code".into(), "refresh_token".into()]
    } else {
        a.grant_types
            .iter()
            .flat_map(|g| g.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
            .collect()
    };
    for g in &requested {
        let g = GrantType::parse(g)?;
        if a.public && g == GrantType::ClientCredentials {
            return Err(AdminError::Invalid(
                "a public client cannot use client_credentials".into(),
            ));
        }
        if !grant_types.contains(&g.as_str().to_owned()) {
            grant_types.push(g.as_str().to_owned());
        }
    }
    if redirect_uris.is_empty() && grant_types.iter().any(|g| g == "authorization_code") {
        return Err(AdminError::Invalid(
            "a redirect URI is required for the authorization_code grant".into(),
        ));
    }
    let scopes = if a.scopes.is_empty() {
        parse_scopes(&[DEFAULT_CLIENT_SCOPES.to_owned()])?
    } else {
        parse_scopes(&a.scopes)?
    };
    let alg = Alg::parse(&a.id_token_alg).ok_or_else(|| {
        AdminError::Invalid(format!(
            "unknown ID token algorithm {:?}: use RS256, ES256 or EdDSA",
            a.id_token_alg
        ))
    })?;
    if a.public && a.no_pkce {
        return Err(AdminError::Invalid(
            "public clients always require PKCE".into(),
        ));
    }
    let name = parse_name(a.name.as_deref(), client_id.as_str())?;
    let web_origins = parse_web_origins(&a.web_origins)?;
    Ok(Valid {
        web_origins,
        client_id,
        redirect_uris,
        post_logout,
        backchannel,
        grant_types,
        scopes,
        alg,
        name,
    })
}

fn parse_redirect_uris(list: &[String]) -> Result<Vec<String>, AdminError> {
    Ok(list
        .iter()
        .map(|u| RedirectUri::parse(u).map(|r| r.as_str().to_owned()))
        .collect::<Result<Vec<_>, _>>()?)
}

fn parse_web_origins(list: &[String]) -> Result<Vec<String>, AdminError> {
    Ok(list
        .iter()
        .map(|o| WebOrigin::parse(o).map(|w| w.as_str().to_owned()))
        .collect::<Result<Vec<_>, _>>()?)
}

fn parse_scopes(list: &[String]) -> Result<Vec<String>, AdminError> {
    let scopes: Vec<String> = ScopeSet::parse(&list.join(" "))?
        .iter()
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return Err(AdminError::Invalid(
            "a client needs at least one scope".into(),
        ));
    }
    Ok(scopes)
}

fn parse_name(name: Option<&str>, default: &str) -> Result<String, AdminError> {
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(default)
        .to_owned();
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AdminError::Invalid(
            "the name must be at most 100 printable characters".into(),
        ));
    }
    Ok(name)
}

/// Restrict a client to more groups (`add`) or fewer; unknown groups are errors.
fn change_allowed_groups(
    c: &Tx<'_>,
    client_pk: i64,
    names: &[String],
    add: bool,
) -> Result<(), AdminError> {
    for n in names {
        let g = groups::get_group(c, n.trim())?;
        if add {
            groups::insert_client_allowed_group(c, client_pk, g.id)?;
        } else if !groups::delete_client_allowed_group(c, client_pk, g.id)? {
            return Err(AdminError::Invalid(format!(
                "the client is not restricted to group {:?}",
                g.name
            )));
        }
    }
    Ok(())
}

fn audit_client(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    kind: &str,
    client_id: &str,
) -> Result<(), StoreError> {
    record(
        c,
        actor,
        now,
        audit::AuditEvent {
            kind: kind.into(),
            client_id: Some(client_id.into()),
            ..Default::default()
        },
    )
}

/// Register a client; returns it with its secret (confidential clients), which is shown once
/// and stored only hashed.
pub fn add(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    new: &NewClient,
) -> Result<(Client, Option<String>), AdminError> {
    let p = validate(new)?;
    let secret = (!new.public).then(random::token);
    let secret_hash = secret.as_deref().map(random::hash_token);
    let cl = clients::insert_client(
        c,
        &clients::NewClient {
            client_id: p.client_id.as_str(),
            name: &p.name,
            secret_hash: secret_hash.as_deref(),
            grant_types: &p.grant_types,
            scopes: &p.scopes,
            skip_consent: new.skip_consent,
            require_pkce: new.public || !new.no_pkce,
            id_token_alg: p.alg.as_str(),
            backchannel_logout_uri: p.backchannel.as_deref(),
            redirect_uris: &p.redirect_uris,
            post_logout_redirect_uris: &p.post_logout,
            web_origins: &p.web_origins,
        },
        now,
    )?;
    change_allowed_groups(c, cl.id, &new.allowed_groups, true)?;
    audit_client(c, actor, now, "client.created", &cl.client_id)?;
    Ok((cl, secret))
}

pub fn list(c: &Tx<'_>) -> Result<Vec<Client>, StoreError> {
    clients::list_clients(c)
}

pub fn show(c: &Tx<'_>, client_id: &str) -> Result<ClientDetail, StoreError> {
    detail(c, clients::get_client(c, client_id)?)
}

fn detail(c: &Tx<'_>, client: Client) -> Result<ClientDetail, StoreError> {
    Ok(ClientDetail {
        allowed_groups: groups::list_client_allowed_groups(c, client.id)?,
        api_grants: apis::list_client_grants(c, client.id)?,
        client,
    })
}

/// Change a client; returns it as it is afterwards.
pub fn update(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    u: &ClientUpdate,
) -> Result<ClientDetail, AdminError> {
    let scopes = (!u.scopes.is_empty())
        .then(|| parse_scopes(&u.scopes))
        .transpose()?;
    let add_origins = parse_web_origins(&u.web_origins)?;
    let remove_origins = parse_web_origins(&u.remove_web_origins)?;
    let cl = clients::get_client(c, &u.client_id)?;
    change_allowed_groups(c, cl.id, &u.allowed_groups, true)?;
    change_allowed_groups(c, cl.id, &u.remove_allowed_groups, false)?;
    if let Some(s) = &scopes {
        clients::update_client_scopes(c, cl.id, s, now)?;
    }
    if let Some(on) = u.require_mfa {
        clients::update_client_require_mfa(c, cl.id, on, now)?;
    }
    clients::delete_web_origins(c, cl.id, &remove_origins)?;
    clients::add_web_origins(c, cl.id, &add_origins)?;
    if let Some(n) = &u.name {
        clients::update_client_name(c, cl.id, &parse_name(Some(n), &cl.client_id)?, now)?;
    }
    audit_client(c, actor, now, "client.updated", &cl.client_id)?;
    Ok(detail(c, clients::get_client(c, &u.client_id)?)?)
}

/// Delete a client and everything issued to it.
pub fn remove(c: &Tx<'_>, actor: &Actor, now: i64, client_id: &str) -> Result<(), AdminError> {
    let cl = clients::get_client(c, client_id)?;
    clients::delete_client(c, cl.id)?;
    audit_client(c, actor, now, "client.removed", &cl.client_id)?;
    Ok(())
}

/// Replace a confidential client's secret (the old one stops working at once); returns the new
/// one, shown once.
pub fn rotate_secret(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    client_id: &str,
) -> Result<String, AdminError> {
    let cl = clients::get_client(c, client_id)?;
    if cl.is_public {
        return Err(AdminError::Invalid(format!(
            "client {client_id:?} is public and has no secret"
        )));
    }
    let secret = random::token();
    clients::update_client_secret(c, cl.id, &random::hash_token(&secret), now)?;
    audit_client(c, actor, now, "client.secret_rotated", &cl.client_id)?;
    Ok(secret)
}
