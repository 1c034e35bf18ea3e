//! Registered clients (relying parties) and their redirect URIs.

use crate::store::Tx;
use crate::store::db::{OptionalExtension, Row, params};
use crate::store::{Result, StoreError, conflict_or};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Client {
    #[serde(skip)]
    pub id: i64,
    pub client_id: String,
    pub name: String,
    pub is_public: bool,
    #[serde(skip)]
    pub secret_hash: Option<String>,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    pub skip_consent: bool,
    pub require_pkce: bool,
    pub id_token_alg: String,
    pub backchannel_logout_uri: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Every web origin allowed to call the browser-facing endpoints (CORS): the origins of the
    /// redirect URIs, then `extra_web_origins`.
    pub web_origins: Vec<String>,
    /// The web origins registered with `--web-origin`.
    pub extra_web_origins: Vec<String>,
    /// `--require-mfa`: the app's users must sign in with two factors (or a passkey).
    pub require_mfa: bool,
    pub created_at: i64,
}

pub struct NewClient<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    pub secret_hash: Option<&'a str>,
    pub grant_types: &'a [String],
    pub scopes: &'a [String],
    pub skip_consent: bool,
    pub require_pkce: bool,
    pub id_token_alg: &'a str,
    pub backchannel_logout_uri: Option<&'a str>,
    pub redirect_uris: &'a [String],
    pub post_logout_redirect_uris: &'a [String],
    /// Validated origins (`domain::WebOrigin`), besides those of the redirect URIs.
    pub web_origins: &'a [String],
}

const COLUMNS: &str = "id, client_id, name, is_public, secret_hash, grant_types, scopes, skip_consent, \
                       require_pkce, id_token_alg, backchannel_logout_uri, created_at, require_mfa";

fn from_row(r: &Row<'_>) -> crate::store::Result<Client> {
    let split = |s: String| {
        s.split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()
    };
    Ok(Client {
        id: r.get(0)?,
        client_id: r.get(1)?,
        name: r.get(2)?,
        is_public: r.get(3)?,
        secret_hash: r.get(4)?,
        grant_types: split(r.get(5)?),
        scopes: split(r.get(6)?),
        skip_consent: r.get(7)?,
        require_pkce: r.get(8)?,
        id_token_alg: r.get(9)?,
        backchannel_logout_uri: r.get(10)?,
        created_at: r.get(11)?,
        require_mfa: r.get(12)?,
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        web_origins: Vec::new(),
        extra_web_origins: Vec::new(),
    })
}

fn with_uris(tx: &Tx<'_>, mut client: Client) -> Result<Client> {
    let c = tx.conn();
    // One statement for both tables: a client is looked up twice in every code flow.
    let mut st = c.prepare_cached(
        "SELECT kind, uri FROM client_redirect_uris WHERE client_pk = ?1 \
         UNION ALL SELECT 'web_origin', origin FROM client_web_origins WHERE client_pk = ?1 \
         ORDER BY 1, 2",
    )?;
    let rows = st.query_map([client.id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    for row in rows {
        let (kind, uri) = row?;
        match kind.as_str() {
            "login" => client.redirect_uris.push(uri),
            "web_origin" => client.extra_web_origins.push(uri),
            _ => client.post_logout_redirect_uris.push(uri),
        }
    }
    client.web_origins =
        crate::domain::allowed_web_origins(&client.redirect_uris, &client.extra_web_origins);
    Ok(client)
}

pub fn insert_client(tx: &Tx<'_>, n: &NewClient<'_>, now: i64) -> Result<Client> {
    let c = tx.conn();
    let new_id = c.insert("INSERT INTO clients (client_id, name, is_public, secret_hash, grant_types, scopes, skip_consent, \
         require_pkce, id_token_alg, backchannel_logout_uri, created_at, updated_at, secret_set_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)", params![
            n.client_id,
            n.name,
            n.secret_hash.is_none(),
            n.secret_hash,
            n.grant_types.join(" "),
            n.scopes.join(" "),
            n.skip_consent,
            n.require_pkce,
            n.id_token_alg,
            n.backchannel_logout_uri,
            now,
            // When the secret was set: bound, not a CASE on ?4 (PostgreSQL cannot type that).
            n.secret_hash.map(|_| now)
        ],
    )
    .map_err(|e| conflict_or(e, || format!("client {:?} already exists", n.client_id)))?;
    let pk = new_id;
    let mut st = c.prepare(
        "INSERT INTO client_redirect_uris (client_pk, kind, uri) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    )?;
    for uri in n.redirect_uris {
        st.execute(params![pk, "login", uri])?;
    }
    for uri in n.post_logout_redirect_uris {
        st.execute(params![pk, "post_logout", uri])?;
    }
    add_web_origins(tx, pk, n.web_origins)?;
    get_client_by_pk(tx, pk)
}

pub fn get_client_by_pk(tx: &Tx<'_>, pk: i64) -> Result<Client> {
    let c = tx.conn();
    let client = c
        .prepare_cached(&format!("SELECT {COLUMNS} FROM clients WHERE id = ?1"))?
        .query_row([pk], from_row)
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("no client with id {pk}")))?;
    with_uris(tx, client)
}

pub fn find_client(tx: &Tx<'_>, client_id: &str) -> Result<Option<Client>> {
    let c = tx.conn();
    let client = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM clients WHERE client_id = ?1"
        ))?
        .query_row([client_id], from_row)
        .optional()?;
    client.map(|cl| with_uris(tx, cl)).transpose()
}

/// The client `client_id`, or a NotFound error that says so.
pub fn get_client(tx: &Tx<'_>, client_id: &str) -> Result<Client> {
    find_client(tx, client_id)?
        .ok_or_else(|| StoreError::NotFound(format!("no client {client_id:?}")))
}

pub fn count_clients(tx: &Tx<'_>) -> Result<i64> {
    let c = tx.conn();
    c.prepare_cached("SELECT COUNT(*) FROM clients")?
        .query_row([], |r| r.get(0))
}

pub fn list_clients(tx: &Tx<'_>) -> Result<Vec<Client>> {
    let c = tx.conn();
    let mut st = c.prepare(&format!("SELECT {COLUMNS} FROM clients ORDER BY client_id"))?;
    let clients = st.query_map([], from_row)?.collect::<Result<Vec<_>, _>>()?;
    clients.into_iter().map(|cl| with_uris(tx, cl)).collect()
}

pub fn update_client_secret(tx: &Tx<'_>, pk: i64, secret_hash: &str, now: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached(
        "UPDATE clients SET secret_hash = ?2, updated_at = ?3, secret_set_at = ?3 \
         WHERE id = ?1 AND is_public = 0",
    )?
    .execute(params![pk, secret_hash, now])?;
    Ok(())
}

/// MUST cascade: the client's redirect URIs, refresh tokens, codes, pending and device requests,
/// consents, allowed groups, API grants, session-client records and queued back-channel
/// notifications go with it; groups and API scopes themselves stay.
pub fn delete_client(tx: &Tx<'_>, pk: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("DELETE FROM clients WHERE id = ?1")?
        .execute([pk])?;
    Ok(())
}

/// When each confidential client's secret was last set, as `(client_id, unix time)`: MUST move
/// only at registration and `rotate-secret`, never with a rename or a scope change.
pub fn list_secret_set_at(tx: &Tx<'_>) -> Result<Vec<(String, i64)>> {
    let c = tx.conn();
    let mut st = c.prepare(
        "SELECT client_id, COALESCE(secret_set_at, updated_at) FROM clients \
         WHERE is_public = 0 ORDER BY client_id",
    )?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect::<Result<Vec<_>, _>>()
}

pub fn update_client_scopes(tx: &Tx<'_>, pk: i64, scopes: &[String], now: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("UPDATE clients SET scopes = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![pk, scopes.join(" "), now])?;
    Ok(())
}

/// Every setting of a client but its id, type and secret, as checked by `oidc::admin::clients`.
pub struct ClientSettingsRow<'a> {
    pub name: &'a str,
    pub grant_types: &'a [String],
    pub scopes: &'a [String],
    pub skip_consent: bool,
    pub require_pkce: bool,
    pub id_token_alg: &'a str,
    pub backchannel_logout_uri: Option<&'a str>,
    /// `--require-mfa`: the app's users must sign in with two factors (or a passkey).
    pub require_mfa: bool,
    pub redirect_uris: &'a [String],
    pub post_logout_redirect_uris: &'a [String],
    /// Validated origins besides those of the redirect URIs (`extra_web_origins`).
    pub web_origins: &'a [String],
}

/// Replace a client's settings and URI lists in place; the secret and when it was set stay.
pub fn update_client_settings(
    tx: &Tx<'_>,
    pk: i64,
    s: &ClientSettingsRow<'_>,
    now: i64,
) -> Result<()> {
    let c = tx.conn();
    let n = c
        .prepare_cached(
            "UPDATE clients SET name = ?2, grant_types = ?3, scopes = ?4, skip_consent = ?5, \
             require_pkce = ?6, id_token_alg = ?7, backchannel_logout_uri = ?8, require_mfa = ?9, \
             updated_at = ?10 WHERE id = ?1",
        )?
        .execute(params![
            pk,
            s.name,
            s.grant_types.join(" "),
            s.scopes.join(" "),
            s.skip_consent,
            s.require_pkce,
            s.id_token_alg,
            s.backchannel_logout_uri,
            s.require_mfa,
            now
        ])?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("no client with id {pk}")));
    }
    c.prepare_cached("DELETE FROM client_redirect_uris WHERE client_pk = ?1")?
        .execute([pk])?;
    let mut st = c.prepare_cached(
        "INSERT INTO client_redirect_uris (client_pk, kind, uri) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
    )?;
    for uri in s.redirect_uris {
        st.execute(params![pk, "login", uri])?;
    }
    for uri in s.post_logout_redirect_uris {
        st.execute(params![pk, "post_logout", uri])?;
    }
    c.prepare_cached("DELETE FROM client_web_origins WHERE client_pk = ?1")?
        .execute([pk])?;
    add_web_origins(tx, pk, s.web_origins)
}

pub fn update_client_name(tx: &Tx<'_>, pk: i64, name: &str, now: i64) -> Result<()> {
    let c = tx.conn();
    c.prepare_cached("UPDATE clients SET name = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![pk, name, now])?;
    Ok(())
}

/// Allow more web origins for the client (validated `domain::WebOrigin`s); known ones are kept.
pub fn add_web_origins(tx: &Tx<'_>, pk: i64, origins: &[String]) -> Result<()> {
    let c = tx.conn();
    let mut st = c.prepare_cached(
        "INSERT INTO client_web_origins (client_pk, origin) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?;
    for o in origins {
        st.execute(params![pk, o])?;
    }
    Ok(())
}

/// Stop allowing web origins registered with `--web-origin` (the origins of the redirect URIs
/// stay allowed while those URIs are registered).
pub fn delete_web_origins(tx: &Tx<'_>, pk: i64, origins: &[String]) -> Result<()> {
    let c = tx.conn();
    let mut st =
        c.prepare_cached("DELETE FROM client_web_origins WHERE client_pk = ?1 AND origin = ?2")?;
    for o in origins {
        st.execute(params![pk, o])?;
    }
    Ok(())
}

/// The web origins client `client_id` allows (empty for an unknown client).
pub fn find_web_origins(tx: &Tx<'_>, client_id: &str) -> Result<Vec<String>> {
    Ok(find_client(tx, client_id)?
        .map(|cl| cl.web_origins)
        .unwrap_or_default())
}

/// Whether some client allows the web origin `origin` (`scheme://host[:port]`): registered with
/// `--web-origin`, or the origin of one of its redirect URIs.
pub fn any_client_allows_web_origin(tx: &Tx<'_>, origin: &str) -> Result<bool> {
    let c = tx.conn();
    let explicit: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM client_web_origins WHERE origin = ?1)")?
        .query_row([origin], |r| r.get(0))?;
    if explicit {
        return Ok(true);
    }
    // Redirect URIs that start with scheme://host (the port may be written out or not): the
    // exact origin is then compared on the parsed URI.
    let Some(prefix) = url::Url::parse(origin)
        .ok()
        .and_then(|u| u.host_str().map(|h| format!("{}://{}", u.scheme(), h)))
    else {
        return Ok(false);
    };
    let mut st = c.prepare_cached(
        "SELECT uri FROM client_redirect_uris WHERE kind = 'login' AND lower(substr(uri, 1, length(CAST(?1 AS TEXT)))) = ?1",
    )?;
    // The prefix is ASCII (a scheme and a parsed host): its length in bytes is in characters.
    let uris = st
        .query_map([&prefix], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(uris
        .iter()
        .any(|u| crate::domain::origin_of_redirect_uri(u).as_deref() == Some(origin)))
}
