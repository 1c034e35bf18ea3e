//! Clients (apps): register, show, change, rotate the secret, remove.

use super::{Actor, AdminError, record};
use crate::crypto::random;
use crate::domain::{ClientId, DEFAULT_CLIENT_SCOPES};
use crate::store::{StoreError, Tx, apis, audit, clients, clients::Client, groups};

mod settings;
pub use settings::{ClientSettings, ListEdit};

/// A client to register, as typed (checked by [`add`]).
/// Also the admin API's JSON body, where what is left out takes the defaults of
/// `latchkey client add`.
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
    /// Empty: RS256.
    pub id_token_alg: String,
    pub allowed_groups: Vec<String>,
    pub web_origins: Vec<String>,
}

/// A change to a client. What is `None` or an empty [`ListEdit`] stays as it is. Two ways to
/// fill it:
/// - CLI-style deltas: `Some` for what changes, [`ListEdit::delta`] to add and remove items;
/// - the full desired state, as an edit form sends it: [`ClientUpdate::to`] sets every field
///   (lists with [`ListEdit::set`]).
///
/// Either way [`update`] checks the client as it would be afterwards with the same rules as
/// [`add`] (a public client keeps PKCE and has no client_credentials; authorization_code needs
/// a redirect URI; ...), and a refused change writes nothing.
/// Also the admin API's JSON body (the client id comes from the path there).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientUpdate {
    #[serde(skip)]
    pub client_id: String,
    /// Empty: the client id.
    pub name: Option<String>,
    pub redirect_uris: ListEdit,
    pub post_logout_redirect_uris: ListEdit,
    /// `Some(None)` (or an empty string) removes it.
    pub backchannel_logout_uri: Option<Option<String>>,
    pub grant_types: ListEdit,
    pub scopes: ListEdit,
    /// Group names (any case); none left: everyone may use the client.
    pub allowed_groups: ListEdit,
    pub skip_consent: Option<bool>,
    pub require_pkce: Option<bool>,
    pub id_token_alg: Option<String>,
    /// Web origins besides those of the redirect URIs.
    pub web_origins: ListEdit,
    pub require_mfa: Option<bool>,
}

impl ClientUpdate {
    /// Make client `client_id` exactly `s` (every setting, every list replaced).
    pub fn to(client_id: &str, s: ClientSettings) -> Self {
        Self {
            client_id: client_id.to_owned(),
            name: Some(s.name),
            redirect_uris: ListEdit::set(s.redirect_uris),
            post_logout_redirect_uris: ListEdit::set(s.post_logout_redirect_uris),
            backchannel_logout_uri: Some(s.backchannel_logout_uri),
            grant_types: ListEdit::set(s.grant_types),
            scopes: ListEdit::set(s.scopes),
            allowed_groups: ListEdit::set(s.allowed_groups),
            skip_consent: Some(s.skip_consent),
            require_pkce: Some(s.require_pkce),
            id_token_alg: Some(s.id_token_alg),
            web_origins: ListEdit::set(s.web_origins),
            require_mfa: Some(s.require_mfa),
        }
    }
}

/// A client after [`update`], and what changed (empty: nothing, and nothing was written).
#[derive(Debug)]
pub struct Updated {
    pub client: ClientDetail,
    pub changes: Vec<String>,
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

impl NewClient {
    /// The settings this registration asks for, with the defaults filled in.
    fn settings(&self) -> ClientSettings {
        ClientSettings {
            name: self.name.clone().unwrap_or_default(),
            redirect_uris: self.redirect_uris.clone(),
            post_logout_redirect_uris: self.post_logout_redirect_uris.clone(),
            backchannel_logout_uri: self.backchannel_logout_uri.clone(),
            grant_types: if self.grant_types.is_empty() {
                vec!["authorization_code".into(), "refresh_token".into()]
            } else {
                self.grant_types.clone()
            },
            scopes: if self.scopes.is_empty() {
                vec![DEFAULT_CLIENT_SCOPES.to_owned()]
            } else {
                self.scopes.clone()
            },
            allowed_groups: self.allowed_groups.clone(),
            skip_consent: self.skip_consent,
            require_pkce: !self.no_pkce,
            id_token_alg: match self.id_token_alg.trim() {
                "" => "RS256".into(),
                alg => alg.to_owned(),
            },
            web_origins: self.web_origins.clone(),
            require_mfa: false,
        }
    }
}

impl ClientSettings {
    /// A client's settings as they are now.
    pub fn of(d: &ClientDetail) -> Self {
        let c = &d.client;
        Self {
            name: c.name.clone(),
            redirect_uris: c.redirect_uris.clone(),
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            backchannel_logout_uri: c.backchannel_logout_uri.clone(),
            grant_types: c.grant_types.clone(),
            scopes: c.scopes.clone(),
            allowed_groups: d.allowed_groups.clone(),
            skip_consent: c.skip_consent,
            require_pkce: c.require_pkce,
            id_token_alg: c.id_token_alg.clone(),
            web_origins: c.extra_web_origins.clone(),
            require_mfa: c.require_mfa,
        }
    }
}

/// The groups' names as stored; an unknown group is an error that names it.
fn group_names(c: &Tx<'_>, names: &[String]) -> Result<Vec<String>, AdminError> {
    Ok(names
        .iter()
        .map(|n| groups::get_group(c, n.trim()).map(|g| g.name))
        .collect::<Result<_, _>>()?)
}

/// Make the client's allowed groups exactly `names` (known, as stored).
fn set_allowed_groups(
    c: &Tx<'_>,
    client_pk: i64,
    current: &[String],
    names: &[String],
) -> Result<(), AdminError> {
    for n in current.iter().filter(|n| !names.contains(n)) {
        groups::delete_client_allowed_group(c, client_pk, groups::get_group(c, n)?.id)?;
    }
    for n in names.iter().filter(|n| !current.contains(n)) {
        groups::insert_client_allowed_group(c, client_pk, groups::get_group(c, n)?.id)?;
    }
    Ok(())
}

fn audit_client(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    kind: &str,
    client_id: &str,
    detail: Option<String>,
) -> Result<(), StoreError> {
    record(
        c,
        actor,
        now,
        audit::AuditEvent {
            kind: kind.into(),
            client_id: Some(client_id.into()),
            detail,
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
    let client_id = ClientId::parse(&new.client_id)?;
    let s = settings::check(&new.settings(), client_id.as_str(), new.public)?;
    let allowed = group_names(c, &s.allowed_groups)?;
    let secret = (!new.public).then(random::token);
    let secret_hash = secret.as_deref().map(random::hash_token);
    let cl = clients::insert_client(
        c,
        &clients::NewClient {
            client_id: client_id.as_str(),
            name: &s.name,
            secret_hash: secret_hash.as_deref(),
            grant_types: &s.grant_types,
            scopes: &s.scopes,
            skip_consent: s.skip_consent,
            require_pkce: s.require_pkce,
            id_token_alg: &s.id_token_alg,
            backchannel_logout_uri: s.backchannel_logout_uri.as_deref(),
            redirect_uris: &s.redirect_uris,
            post_logout_redirect_uris: &s.post_logout_redirect_uris,
            web_origins: &s.web_origins,
        },
        now,
    )?;
    set_allowed_groups(c, cl.id, &[], &allowed)?;
    audit_client(c, actor, now, "client.created", &cl.client_id, None)?;
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

/// Change a client (see [`ClientUpdate`]): the client as it would be afterwards passes the
/// checks of a new one, or nothing is written. One `client.updated` audit row lists what
/// changed; a change that changes nothing writes nothing.
pub fn update(
    c: &Tx<'_>,
    actor: &Actor,
    now: i64,
    u: &ClientUpdate,
) -> Result<Updated, AdminError> {
    let before_detail = show(c, &u.client_id)?;
    let cl = &before_detail.client;
    let before = ClientSettings::of(&before_detail);
    let exact = |a: &str, b: &str| a == b;
    let any_case = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let wanted = ClientSettings {
        name: u.name.clone().unwrap_or_else(|| before.name.clone()),
        redirect_uris: u
            .redirect_uris
            .apply(&before.redirect_uris, "redirect_uris", exact)?,
        post_logout_redirect_uris: u.post_logout_redirect_uris.apply(
            &before.post_logout_redirect_uris,
            "post_logout_redirect_uris",
            exact,
        )?,
        backchannel_logout_uri: match &u.backchannel_logout_uri {
            Some(new) => new.clone(),
            None => before.backchannel_logout_uri.clone(),
        },
        grant_types: u
            .grant_types
            .words()
            .apply(&before.grant_types, "grant_types", exact)?,
        scopes: u.scopes.words().apply(&before.scopes, "scopes", exact)?,
        allowed_groups: group_names(
            c,
            &u.allowed_groups
                .apply(&before.allowed_groups, "allowed_groups", any_case)?,
        )?,
        skip_consent: u.skip_consent.unwrap_or(before.skip_consent),
        require_pkce: u.require_pkce.unwrap_or(before.require_pkce),
        id_token_alg: u
            .id_token_alg
            .clone()
            .unwrap_or_else(|| before.id_token_alg.clone()),
        web_origins: u
            .web_origins
            .apply(&before.web_origins, "web_origins", any_case)?,
        require_mfa: u.require_mfa.unwrap_or(before.require_mfa),
    };
    let after = settings::check(&wanted, &cl.client_id, cl.is_public)?;
    let changes = settings::changes(&before, &after);
    if changes.is_empty() {
        return Ok(Updated {
            client: before_detail,
            changes,
        });
    }
    clients::update_client_settings(
        c,
        cl.id,
        &clients::ClientSettingsRow {
            name: &after.name,
            grant_types: &after.grant_types,
            scopes: &after.scopes,
            skip_consent: after.skip_consent,
            require_pkce: after.require_pkce,
            id_token_alg: &after.id_token_alg,
            backchannel_logout_uri: after.backchannel_logout_uri.as_deref(),
            require_mfa: after.require_mfa,
            redirect_uris: &after.redirect_uris,
            post_logout_redirect_uris: &after.post_logout_redirect_uris,
            web_origins: &after.web_origins,
        },
        now,
    )?;
    set_allowed_groups(c, cl.id, &before.allowed_groups, &after.allowed_groups)?;
    audit_client(
        c,
        actor,
        now,
        "client.updated",
        &cl.client_id,
        Some(changes.join("; ")),
    )?;
    Ok(Updated {
        client: show(c, &cl.client_id)?,
        changes,
    })
}

/// Delete a client and everything issued to it.
pub fn remove(c: &Tx<'_>, actor: &Actor, now: i64, client_id: &str) -> Result<(), AdminError> {
    let cl = clients::get_client(c, client_id)?;
    clients::delete_client(c, cl.id)?;
    audit_client(c, actor, now, "client.removed", &cl.client_id, None)?;
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
    audit_client(c, actor, now, "client.secret_rotated", &cl.client_id, None)?;
    Ok(secret)
}
