//! `latchkey client ...`

use super::{CliError, now, print, show_time};
use crate::crypto::keys::Alg;
use crate::crypto::random;
use crate::domain::{ClientId, GrantType, RedirectUri, ScopeSet, WebOrigin};
use crate::store::{Store, StoreError, apis, audit, clients, groups};
use clap::{Args, Subcommand};

/// Scopes a client may ask for unless told otherwise.
pub const DEFAULT_SCOPES: &str = crate::domain::DEFAULT_CLIENT_SCOPES;

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
    /// Change a client: who may use it (allowed groups), its scopes, its name
    Update(UpdateArgs),
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    pub client_id: String,
    /// Only members of this group may use the client (repeatable; any one group suffices)
    #[arg(long = "allowed-group", value_name = "GROUP", value_delimiter = ',')]
    pub allowed_groups: Vec<String>,
    /// No longer let this group's members in (when none are left, everyone may use the client)
    #[arg(
        long = "remove-allowed-group",
        value_name = "GROUP",
        value_delimiter = ','
    )]
    pub remove_allowed_groups: Vec<String>,
    /// Replace the allowed scopes (OIDC scopes and custom scopes; API scopes are granted with `api grant`)
    #[arg(long, value_name = "SCOPE", num_args = 1.., value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// New display name
    #[arg(long)]
    pub name: Option<String>,
    /// Also allow browser code on this origin (scheme://host[:port]) to call /token, /userinfo,
    /// /revoke and /device_authorization (repeatable)
    #[arg(long = "web-origin", value_name = "ORIGIN")]
    pub web_origins: Vec<String>,
    /// No longer allow this origin added with --web-origin (repeatable)
    #[arg(long = "remove-web-origin", value_name = "ORIGIN")]
    pub remove_web_origins: Vec<String>,
    /// The app's users must sign in with two factors (an authenticator app or a passkey); one
    /// who has none set up is taken through setting up an authenticator app at sign-in
    #[arg(long, conflicts_with = "no_require_mfa")]
    pub require_mfa: bool,
    /// A password alone is enough again for this app (unless the user's own policy asks more)
    #[arg(long)]
    pub no_require_mfa: bool,
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
    /// Only members of this group may use the client (repeatable; default: everyone)
    #[arg(long = "allowed-group", value_name = "GROUP", value_delimiter = ',')]
    pub allowed_groups: Vec<String>,
    /// Allow browser code on this origin (scheme://host[:port]) to call /token, /userinfo,
    /// /revoke and /device_authorization, besides the origins of the redirect URIs (repeatable)
    #[arg(long = "web-origin", value_name = "ORIGIN")]
    pub web_origins: Vec<String>,
}

fn parse_web_origins(list: &[String]) -> Result<Vec<String>, CliError> {
    Ok(list
        .iter()
        .map(|o| WebOrigin::parse(o).map(|w| w.as_str().to_owned()))
        .collect::<Result<Vec<_>, _>>()?)
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
    let scopes = if a.scopes.is_empty() {
        parse_scopes(&[DEFAULT_SCOPES.to_owned()])?
    } else {
        parse_scopes(&a.scopes)?
    };
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
    let name = parse_name(a.name.as_deref(), client_id.as_str())?;
    let web_origins = parse_web_origins(&a.web_origins)?;
    Ok(Parsed {
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

fn parse_scopes(list: &[String]) -> Result<Vec<String>, CliError> {
    let scopes: Vec<String> = ScopeSet::parse(&list.join(" "))?
        .iter()
        .map(str::to_owned)
        .collect();
    if scopes.is_empty() {
        return Err(CliError::Invalid(
            "a client needs at least one scope".into(),
        ));
    }
    Ok(scopes)
}

fn parse_name(name: Option<&str>, default: &str) -> Result<String, CliError> {
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(default)
        .to_owned();
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(CliError::Invalid(
            "--name must be at most 100 printable characters".into(),
        ));
    }
    Ok(name)
}

/// Restrict a client to more groups (`add`) or fewer; unknown groups are errors.
fn change_allowed_groups(
    c: &crate::store::Tx<'_>,
    client_pk: i64,
    names: &[String],
    add: bool,
) -> Result<(), CliError> {
    for n in names {
        let g = groups::get_group(c, n.trim())?;
        if add {
            groups::insert_client_allowed_group(c, client_pk, g.id)?;
        } else if !groups::delete_client_allowed_group(c, client_pk, g.id)? {
            return Err(CliError::Invalid(format!(
                "the client is not restricted to group {:?}",
                g.name
            )));
        }
    }
    Ok(())
}

/// A client as JSON, its allowed groups, and its API grants as `(API, scope)`.
type Detailed = (serde_json::Value, Vec<String>, Vec<(String, String)>);

/// A client with who may use it and the API scopes it holds, for `show` and `update`.
fn detailed(c: &crate::store::Tx<'_>, cl: &clients::Client) -> Result<Detailed, CliError> {
    let allowed = groups::list_client_allowed_groups(c, cl.id)?;
    let grants = apis::list_client_grants(c, cl.id)?;
    let mut out = serde_json::to_value(cl).map_err(|e| CliError::Other(e.to_string()))?;
    if let Some(o) = out.as_object_mut() {
        o.insert("allowed_groups".into(), allowed.clone().into());
        let g: Vec<serde_json::Value> = grants
            .iter()
            .map(|(api, scope)| serde_json::json!({ "api": api, "scope": scope }))
            .collect();
        o.insert("api_scopes".into(), g.into());
    }
    Ok((out, allowed, grants))
}

fn describe_detailed(
    cl: &clients::Client,
    allowed: &[String],
    grants: &[(String, String)],
) -> String {
    let mut s = describe(cl);
    s.push_str(&format!(
        "\nallowed groups:   {}",
        if allowed.is_empty() {
            "everyone".to_owned()
        } else {
            allowed.join(" ")
        }
    ));
    if !grants.is_empty() {
        let g: Vec<String> = grants.iter().map(|(a, s)| format!("{a} {s}")).collect();
        s.push_str(&format!("\nAPI scopes:       {}", g.join(", ")));
    }
    s
}

struct Parsed {
    web_origins: Vec<String>,
    client_id: ClientId,
    redirect_uris: Vec<String>,
    post_logout: Vec<String>,
    backchannel: Option<String>,
    grant_types: Vec<String>,
    scopes: Vec<String>,
    alg: Alg,
    name: String,
}

fn audit_admin(c: &crate::store::Tx<'_>, kind: &str, client_id: &str) -> Result<(), StoreError> {
    super::audit_cli(
        c,
        audit::AuditEvent {
            kind: kind.into(),
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
    if !c.web_origins.is_empty() {
        s.push_str(&format!("web origins:      {}\n", c.web_origins.join(" ")));
    }
    s.push_str(&format!(
        "skip consent:     {}\nrequire PKCE:     {}\nrequire MFA:      {}\nID token alg:     {}\ncreated:          {}",
        c.skip_consent,
        c.require_pkce,
        c.require_mfa,
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
                        web_origins: &p.web_origins,
                    },
                    now(),
                )?;
                change_allowed_groups(c, cl.id, &a.allowed_groups, true)?;
                audit_admin(c, "client.created", &cl.client_id)?;
                Ok::<_, CliError>(cl)
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
            let (cl, (out, allowed, grants)) = store.read(|c| {
                let cl = clients::get_client(c, &client_id)?;
                let d = detailed(c, &cl).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok((cl, d))
            })?;
            print(json, &out, || describe_detailed(&cl, &allowed, &grants));
        }
        ClientCommand::Update(u) => {
            let scopes = (!u.scopes.is_empty())
                .then(|| parse_scopes(&u.scopes))
                .transpose()?;
            let add_origins = parse_web_origins(&u.web_origins)?;
            let remove_origins = parse_web_origins(&u.remove_web_origins)?;
            let (cl, (out, allowed, grants)) = store.write(|c| {
                let cl = clients::get_client(c, &u.client_id)?;
                change_allowed_groups(c, cl.id, &u.allowed_groups, true)?;
                change_allowed_groups(c, cl.id, &u.remove_allowed_groups, false)?;
                if let Some(s) = &scopes {
                    clients::update_client_scopes(c, cl.id, s, now())?;
                }
                if u.require_mfa || u.no_require_mfa {
                    clients::update_client_require_mfa(c, cl.id, u.require_mfa, now())?;
                }
                clients::delete_web_origins(c, cl.id, &remove_origins)?;
                clients::add_web_origins(c, cl.id, &add_origins)?;
                if let Some(n) = &u.name {
                    clients::update_client_name(
                        c,
                        cl.id,
                        &parse_name(Some(n), &cl.client_id)?,
                        now(),
                    )?;
                }
                audit_admin(c, "client.updated", &cl.client_id)?;
                let cl = clients::get_client(c, &u.client_id)?;
                let d = detailed(c, &cl)?;
                Ok::<_, CliError>((cl, d))
            })?;
            print(json, &out, || {
                format!(
                    "updated client {}\n{}",
                    cl.client_id,
                    describe_detailed(&cl, &allowed, &grants)
                )
            });
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
