//! `latchkey client ...`

use super::{CliError, now, print, show_time};
use crate::oidc::admin::{self, Actor};
use crate::store::{Store, clients};
use clap::{Args, Subcommand};

/// Scopes a client may ask for unless told otherwise.
pub const DEFAULT_SCOPES: &str = crate::domain::DEFAULT_CLIENT_SCOPES;

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; a confidential client's secret is generated and printed once
    Add(Box<AddArgs>),
    /// List clients
    List,
    /// Show one client
    Show { client_id: String },
    /// Delete a client and everything issued to it
    Remove { client_id: String },
    /// Replace a confidential client's secret; the old one stops working at once
    RotateSecret { client_id: String },
    /// Change any setting of a client in place: redirect URIs, logout URIs, grant types, scopes,
    /// who may use it, consent, PKCE, ID token algorithm, web origins, two-factor sign-in
    ///
    /// Tokens, consents and the secret stay. The client as it would be afterwards is checked as
    /// `client add` checks a new one (a public client keeps PKCE and cannot use
    /// client_credentials; authorization_code needs a redirect URI); a refused change writes
    /// nothing. Prints the client (with --json, as `client show --json` does).
    Update(Box<UpdateArgs>),
}

/// Every flag changes one setting; what no flag names stays as it is. The client as it would be
/// afterwards is checked as `client add` checks a new one, and a refused change writes nothing.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    pub client_id: String,
    /// New display name (shown on the login and consent pages); "" resets it to the client id
    #[arg(long)]
    pub name: Option<String>,
    /// Allow this redirect URI too (repeatable; matched exactly)
    #[arg(
        long = "add-redirect-uri",
        visible_alias = "redirect-uri",
        value_name = "URI"
    )]
    pub add_redirect_uris: Vec<String>,
    /// No longer allow this redirect URI (repeatable); pending sign-ins for it are dropped.
    /// authorization_code needs at least one left
    #[arg(long = "remove-redirect-uri", value_name = "URI")]
    pub remove_redirect_uris: Vec<String>,
    /// Allow this post-logout redirect URI too (repeatable)
    #[arg(
        long = "add-post-logout-redirect-uri",
        visible_alias = "post-logout-redirect-uri",
        value_name = "URI"
    )]
    pub add_post_logout_redirect_uris: Vec<String>,
    /// No longer allow this post-logout redirect URI (repeatable)
    #[arg(long = "remove-post-logout-redirect-uri", value_name = "URI")]
    pub remove_post_logout_redirect_uris: Vec<String>,
    /// Send back-channel logout tokens to this URI (replaces the one registered)
    #[arg(long, value_name = "URI", conflicts_with = "no_backchannel_logout")]
    pub backchannel_logout_uri: Option<String>,
    /// Stop sending back-channel logout tokens to the client
    #[arg(long)]
    pub no_backchannel_logout: bool,
    /// Replace the allowed grant types (authorization_code, refresh_token, client_credentials,
    /// urn:ietf:params:oauth:grant-type:device_code); a public client cannot have client_credentials
    #[arg(
        long,
        visible_alias = "grant-type",
        value_name = "GRANT",
        num_args = 1..,
        value_delimiter = ','
    )]
    pub grant_types: Vec<String>,
    /// Replace the allowed scopes (OIDC scopes and custom scopes; API scopes are granted with `api grant`)
    #[arg(long, visible_alias = "scope", value_name = "SCOPE", num_args = 1.., value_delimiter = ',')]
    pub scopes: Vec<String>,
    /// Allow this scope too (repeatable)
    #[arg(long = "add-scope", value_name = "SCOPE", value_delimiter = ',')]
    pub add_scopes: Vec<String>,
    /// No longer allow this scope (repeatable); tokens already issued keep theirs until they expire
    #[arg(long = "remove-scope", value_name = "SCOPE", value_delimiter = ',')]
    pub remove_scopes: Vec<String>,
    /// Only members of this group may use the client (repeatable; any one group suffices)
    #[arg(
        long = "allowed-group",
        visible_alias = "add-allowed-group",
        value_name = "GROUP",
        value_delimiter = ','
    )]
    pub allowed_groups: Vec<String>,
    /// No longer let this group's members in (when none are left, everyone may use the client)
    #[arg(
        long = "remove-allowed-group",
        value_name = "GROUP",
        value_delimiter = ','
    )]
    pub remove_allowed_groups: Vec<String>,
    /// First-party app: users are no longer asked for consent
    #[arg(long, conflicts_with = "no_skip_consent")]
    pub skip_consent: bool,
    /// Ask users for consent again (those who never consented to this app see the consent page)
    #[arg(long)]
    pub no_skip_consent: bool,
    /// Require PKCE (S256) on every authorization request: check that the app sends
    /// code_challenge first
    #[arg(long, conflicts_with = "no_pkce")]
    pub pkce: bool,
    /// Legacy confidential apps only: stop requiring PKCE (public clients always require it)
    #[arg(long)]
    pub no_pkce: bool,
    /// ID token signing algorithm: RS256, ES256 or EdDSA (for ID tokens issued from now on)
    #[arg(long, value_name = "ALG")]
    pub id_token_alg: Option<String>,
    /// Also allow browser code on this origin (scheme://host[:port]) to call /token, /userinfo,
    /// /revoke and /device_authorization (repeatable)
    #[arg(
        long = "web-origin",
        visible_alias = "add-web-origin",
        value_name = "ORIGIN"
    )]
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

impl From<AddArgs> for admin::clients::NewClient {
    fn from(a: AddArgs) -> Self {
        Self {
            client_id: a.client_id,
            redirect_uris: a.redirect_uris,
            public: a.public,
            post_logout_redirect_uris: a.post_logout_redirect_uris,
            name: a.name,
            backchannel_logout_uri: a.backchannel_logout_uri,
            grant_types: a.grant_types,
            scopes: a.scopes,
            skip_consent: a.skip_consent,
            no_pkce: a.no_pkce,
            id_token_alg: a.id_token_alg,
            allowed_groups: a.allowed_groups,
            web_origins: a.web_origins,
        }
    }
}

impl From<UpdateArgs> for admin::clients::ClientUpdate {
    fn from(u: UpdateArgs) -> Self {
        use admin::clients::ListEdit;
        // A `--yes` / `--no-yes` pair: Some(true), Some(false) or None (clap refuses both).
        let switch = |on: bool, off: bool| (on || off).then_some(on);
        Self {
            client_id: u.client_id,
            name: u.name,
            redirect_uris: ListEdit::delta(u.add_redirect_uris, u.remove_redirect_uris),
            post_logout_redirect_uris: ListEdit::delta(
                u.add_post_logout_redirect_uris,
                u.remove_post_logout_redirect_uris,
            ),
            backchannel_logout_uri: if u.no_backchannel_logout {
                Some(None)
            } else {
                u.backchannel_logout_uri.map(Some)
            },
            grant_types: ListEdit {
                replace: (!u.grant_types.is_empty()).then_some(u.grant_types),
                ..ListEdit::default()
            },
            scopes: ListEdit {
                replace: (!u.scopes.is_empty()).then_some(u.scopes),
                remove: u.remove_scopes,
                add: u.add_scopes,
            },
            allowed_groups: ListEdit::delta(u.allowed_groups, u.remove_allowed_groups),
            skip_consent: switch(u.skip_consent, u.no_skip_consent),
            require_pkce: switch(u.pkce, u.no_pkce),
            id_token_alg: u.id_token_alg,
            web_origins: ListEdit::delta(u.web_origins, u.remove_web_origins),
            require_mfa: switch(u.require_mfa, u.no_require_mfa),
        }
    }
}

fn describe_detailed(d: &admin::clients::ClientDetail) -> String {
    let (allowed, grants) = (&d.allowed_groups, &d.api_grants);
    let mut s = describe(&d.client);
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
    let actor = &Actor::Cli;
    match cmd {
        ClientCommand::Add(a) => {
            let new = (*a).into();
            let (client, secret) = store.write(|c| admin::clients::add(c, actor, now(), &new))?;
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
            let list = store.read(admin::clients::list)?;
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
            let d = store.read(|c| admin::clients::show(c, &client_id))?;
            let out = d.to_json();
            print(json, &out, || describe_detailed(&d));
        }
        ClientCommand::Update(u) => {
            let change = (*u).into();
            let up = store.write(|c| admin::clients::update(c, actor, now(), &change))?;
            let d = &up.client;
            let out = d.to_json();
            print(json, &out, || {
                let head = if up.changes.is_empty() {
                    format!("client {} unchanged", d.client.client_id)
                } else {
                    format!(
                        "updated client {}: {}",
                        d.client.client_id,
                        up.changes.join("; ")
                    )
                };
                format!("{head}\n{}", describe_detailed(d))
            });
        }
        ClientCommand::Remove { client_id } => {
            store.write(|c| admin::clients::remove(c, actor, now(), &client_id))?;
            print(json, &serde_json::json!({ "removed": client_id }), || {
                format!("removed client {client_id}")
            });
        }
        ClientCommand::RotateSecret { client_id } => {
            let secret =
                store.write(|c| admin::clients::rotate_secret(c, actor, now(), &client_id))?;
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
