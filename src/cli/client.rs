//! `latchkey client ...`

use super::{CliError, now, print, show_time};
use crate::crypto::keys::Alg;
use crate::crypto::random;
use crate::domain::{ClientId, GrantType, RedirectUri, ScopeSet};
use crate::store::{Store, StoreError, audit, clients};
use clap::{Args, Subcommand};

/// Scopes a client may ask for unless told otherwise.
pub const DEFAULT_SCOPES: &str = "openid profile email offline_access";

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; a confidential client's secret is generated and printed once
    Add(AddArgs),
    /// List clients
    List,
    /// Show one client
    Show { client_id: String },
    /// Delete a client and everything issued to it
    Remove { client_id: String },
    /// Replace a confidential client's secret; the old one stops working at once
    RotateSecret { client_id: String },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    pub client_id: String,
    /// Allowed redirect URI (repeatable; matched exactly). Required for the authorization_code
    /// grant; a client with only other grants (device_code, client_credentials) may have none
    #[arg(long = "redirect-uri", value_name = "URI", num_args = 1..)]
    pub redirect_uris: Vec<String>,
    /// A public client (no secret; PKCE required): SPAs, mobile and desktop apps
    #[arg(long)]
    pub public: bool,
    /// Allowed post-logout redirect URI (repeatable)
    #[arg(long = "post-logout-redirect-uri", value_name = "URI", num_args = 1..)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Display name shown on the login and consent pages (default: the client id)
    #[arg(long)]
    pub name: Option<String>,
    /// Back-channel logout endpoint of the client
    #[arg(long, value_name = "URI")]
    pub backchannel_logout_uri: Option<String>,
    /// Allowed grant types [default: authorization_code refresh_token]
    #[arg(long, value_name = "GRANT", num_args = 1.., value_delimiter = ',')]
    pub grant_types: Vec<String>,
    /// Allowed scopes [default: openid profile email offline_access]
    #[arg(long, value_name = "SCOPE", num_args = 1.., value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// First-party app: users are never asked for consent
    #[arg(long)]
    pub skip_consent: bool,
    /// Legacy confidential apps only: do not require PKCE
    #[arg(long)]
    pub no_pkce: bool,
    /// ID token signing algorithm: RS256, ES256 or EdDSA
    #[arg(long, default_value = "RS256", value_name = "ALG")]
    pub id_token_alg: String,
}

fn parse_args(a: &AddArgs) -> Result<Parsed, CliError> {
    let client_id = ClientId::parse(&a.client_id)?;
    let redirect_uris = a
        .redirect_uris
        .iter()
        .map(|u| RedirectUri::parse(u).map(|r| r.as_str().to_owned()))
        .collect::<Result<Vec<_>, _>>()?;
    let post_logout = a
        .post_logout_redirect_uris
        .iter()
        .map(|u| RedirectUri::parse(u).map(|r| r.as_str().to_owned()))
        .collect::<Result<Vec<_>, _>>()?;
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
            return Err(CliError::Invalid(
                "a public client cannot use client_credentials".into(),
            ));
        }
        if !grant_types.contains(&g.as_str().to_owned()) {
            grant_types.push(g.as_str().to_owned());
        }
    }
    if redirect_uris.is_empty() && grant_types.iter().any(|g| g == "authorization_code") {
        return Err(CliError::Invalid(
            "--redirect-uri is required for the authorization_code grant".into(),
        ));
    }
    let scope_text = if a.scopes.is_empty() {
        DEFAULT_SCOPES.to_owned()
    } else {
        a.scopes.join(" ")
    };
    let scopes: Vec<String> = ScopeSet::parse(&scope_text)?
        .iter()
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return Err(CliError::Invalid(
            "a client needs at least one scope".into(),
        ));
    }
    let alg = Alg::parse(&a.id_token_alg).ok_or_else(|| {
        CliError::Invalid(format!(
            "unknown --id-token-alg {:?}: use RS256, ES256 or EdDSA",
            a.id_token_alg
        ))
    })?;
    if a.public && a.no_pkce {
        return Err(CliError::Invalid(
            "public clients always require PKCE; drop --no-pkce".into(),
        ));
    }
    let name = a
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(client_id.as_str())
        .to_owned();
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(CliError::Invalid(
            "--name must be at most 100 printable characters".into(),
        ));
    }
    Ok(Parsed {
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

struct Parsed {
    client_id: ClientId,
    redirect_uris: Vec<String>,
    post_logout: Vec<String>,
    backchannel: Option<String>,
    grant_types: Vec<String>,
    scopes: Vec<String>,
    alg: Alg,
    name: String,
}

fn audit_admin(
    c: &crate::store::rusqlite::Connection,
    kind: &str,
    client_id: &str,
) -> Result<(), StoreError> {
    audit::insert_audit_event(
        c,
        &audit::AuditEvent {
            at: now(),
            kind: kind.into(),
            actor: Some("cli".into()),
            client_id: Some(client_id.into()),
            ..Default::default()
        },
    )
}

fn describe(c: &clients::Client) -> String {
    let mut s = format!(
        "client_id:        {}\nname:             {}\ntype:             {}\ngrant types:      {}\nscopes:           {}\nredirect URIs:    {}\n",
        c.client_id,
        c.name,
        if c.is_public {
            "public"
        } else {
            "confidential"
        },
        c.grant_types.join(" "),
        c.scopes.join(" "),
        c.redirect_uris.join(" "),
    );
    if !c.post_logout_redirect_uris.is_empty() {
        s.push_str(&format!(
            "post-logout URIs: {}\n",
            c.post_logout_redirect_uris.join(" ")
        ));
    }
    if let Some(b) = &c.backchannel_logout_uri {
        s.push_str(&format!("back-channel URI: {b}\n"));
    }
    s.push_str(&format!(
        "skip consent:     {}\nrequire PKCE:     {}\nID token alg:     {}\ncreated:          {}",
        c.skip_consent,
        c.require_pkce,
        c.id_token_alg,
        show_time(c.created_at)
    ));
    s
}

pub fn run(cmd: ClientCommand, store: &Store, json: bool) -> Result<(), CliError> {
    match cmd {
        ClientCommand::Add(a) => {
            let p = parse_args(&a)?;
            let secret = (!a.public).then(random::token);
            let secret_hash = secret.as_deref().map(random::hash_token);
            let client = store.write(|c| {
                let cl = clients::insert_client(
                    c,
                    &clients::NewClient {
                        client_id: p.client_id.as_str(),
                        name: &p.name,
                        secret_hash: secret_hash.as_deref(),
                        grant_types: &p.grant_types,
                        scopes: &p.scopes,
                        skip_consent: a.skip_consent,
                        require_pkce: a.public || !a.no_pkce,
                        id_token_alg: p.alg.as_str(),
                        backchannel_logout_uri: p.backchannel.as_deref(),
                        redirect_uris: &p.redirect_uris,
                        post_logout_redirect_uris: &p.post_logout,
                    },
                    now(),
                )?;
                audit_admin(c, "client.created", &cl.client_id)?;
                Ok::<_, StoreError>(cl)
            })?;
            let mut out =
                serde_json::to_value(&client).map_err(|e| CliError::Other(e.to_string()))?;
            if let (Some(s), Some(obj)) = (&secret, out.as_object_mut()) {
                obj.insert("client_secret".into(), s.clone().into());
            }
            print(json, &out, || {
                let mut s = format!("created client {}", client.client_id);
                if let Some(sec) = &secret {
                    s.push_str(&format!(
                        "\nclient_secret: {sec}\nThis secret is shown only once."
                    ));
                }
                s
            });
        }
        ClientCommand::List => {
            let list = store.read(clients::list_clients)?;
            print(json, &list, || {
                if list.is_empty() {
                    return "no clients".into();
                }
                list.iter()
                    .map(|c| {
                        format!(
                            "{}\t{}\t{}",
                            c.client_id,
                            if c.is_public {
                                "public"
                            } else {
                                "confidential"
                            },
                            c.name
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        ClientCommand::Show { client_id } => {
            let c = store.read(|c| clients::get_client(c, &client_id))?;
            print(json, &c, || describe(&c));
        }
        ClientCommand::Remove { client_id } => {
            store.write(|c| {
                let cl = clients::get_client(c, &client_id)?;
                clients::delete_client(c, cl.id)?;
                audit_admin(c, "client.removed", &cl.client_id)
            })?;
            print(json, &serde_json::json!({ "removed": client_id }), || {
                format!("removed client {client_id}")
            });
        }
        ClientCommand::RotateSecret { client_id } => {
            let secret = random::token();
            let hash = random::hash_token(&secret);
            store.write(|c| {
                let cl = clients::get_client(c, &client_id)?;
                if cl.is_public {
                    return Err(CliError::Invalid(format!(
                        "client {client_id:?} is public and has no secret"
                    )));
                }
                clients::update_client_secret(c, cl.id, &hash, now())?;
                audit_admin(c, "client.secret_rotated", &cl.client_id)?;
                Ok(())
            })?;
            print(
                json,
                &serde_json::json!({ "client_id": client_id, "client_secret": secret }),
                || {
                    format!(
                        "new client_secret for {client_id}: {secret}\nThis secret is shown only once; the old one no longer works."
                    )
                },
            );
        }
    }
    Ok(())
}
