//! Settings to paste into common apps, filled in with this issuer, the app's client id, the
//! endpoints and the scopes the client may use. The secret is never in them (it is stored only
//! hashed): a placeholder stands where it goes.
//!
//! The setting names follow each app's own documentation and the configurations Authelia's
//! integration guides test (Grafana 12, Forgejo 13, Gitea 1.27, Nextcloud user_oidc 8,
//! Immich, Outline, Portainer 2.21); mod_auth_openidc's directives are its README's.

use crate::config::Settings;
use crate::doctor::sh_word;
use crate::oidc::authorize::pkce_required;
use crate::oidc::scopes::SUPPORTED;
use crate::store::clients::Client;
use serde::Serialize;
use std::fmt::Write as _;

/// Where the client secret goes: it is shown once, when the client is registered or its
/// secret rotated, and never again.
pub const SECRET_PLACEHOLDER: &str = "PASTE-THE-CLIENT-SECRET";

/// The syntax of a recipe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// An INI file section.
    Ini,
    /// A shell command.
    Shell,
    /// A TOML config file.
    Toml,
    /// Apache httpd directives.
    Apache,
    /// A JSON config file.
    Json,
    /// `NAME=value` environment variables.
    Env,
    /// Fields of a settings page, `Label: value`.
    Fields,
}

/// Settings for one app.
#[derive(Debug, Clone, Serialize)]
pub struct Recipe {
    pub app: &'static str,
    /// A short id (`grafana`), for anchors.
    pub id: &'static str,
    /// Where the text goes (`grafana.ini`, a shell, ...).
    pub place: &'static str,
    pub format: Format,
    pub text: String,
    /// The redirect URI the app sends, and whether this client has it registered.
    pub callback: String,
    pub callback_registered: bool,
    /// What to check or do besides pasting.
    pub notes: Vec<String>,
    /// The app's own documentation.
    pub docs: &'static str,
}

/// Whether an app sends a PKCE challenge as configured here.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AppPkce {
    Sends,
    Never,
}

/// What every recipe is made from.
struct Ctx<'a> {
    settings: &'a Settings,
    client: &'a Client,
    /// The scopes the client may use, space-separated (without offline_access: latchkey gives
    /// refresh tokens to clients with the refresh_token grant either way).
    scopes: String,
}

impl Ctx<'_> {
    fn id(&self) -> &str {
        &self.client.client_id
    }
    fn issuer(&self) -> &str {
        self.settings.issuer.trim_end_matches('/')
    }
    fn endpoint(&self, path: &str) -> String {
        self.settings.endpoint(path)
    }
    fn discovery(&self) -> String {
        self.endpoint("/.well-known/openid-configuration")
    }
    fn has_scope(&self, s: &str) -> bool {
        self.client.scopes.iter().any(|x| x == s)
    }
    /// The app's base URL: a registered redirect URI that ends with `suffix`, without it.
    fn base(&self, suffix: &str) -> Option<String> {
        self.client
            .redirect_uris
            .iter()
            .find_map(|u| u.strip_suffix(suffix).map(str::to_owned))
            .filter(|b| !b.is_empty())
    }
    /// The base (or `placeholder`), the callback, and whether the client registers it.
    fn callback(&self, suffix: &str, placeholder: &str) -> (String, String, bool) {
        match self.base(suffix) {
            Some(b) => (b.clone(), format!("{b}{suffix}"), true),
            None => (
                placeholder.to_owned(),
                format!("{placeholder}{suffix}"),
                false,
            ),
        }
    }
}

/// The scopes of `client` for an app, standard ones first.
fn app_scopes(client: &Client) -> String {
    let mut v: Vec<&str> = SUPPORTED
        .iter()
        .copied()
        .filter(|s| *s != "offline_access" && client.scopes.iter().any(|x| x == s))
        .collect();
    for s in &client.scopes {
        if !SUPPORTED.contains(&s.as_str()) {
            v.push(s);
        }
    }
    v.join(" ")
}

/// Settings for every app we know, for `client`.
pub fn recipes(settings: &Settings, client: &Client) -> Vec<Recipe> {
    let cx = Ctx {
        settings,
        client,
        scopes: app_scopes(client),
    };
    vec![
        grafana(&cx),
        forgejo(&cx, "Forgejo", "forgejo", AppPkce::Sends),
        forgejo(&cx, "Gitea", "gitea", AppPkce::Never),
        nextcloud(&cx),
        oauth2_proxy(&cx),
        apache(&cx),
        immich(&cx),
        outline(&cx),
        portainer(&cx),
    ]
}

/// A recipe with the notes every app shares: the callback, the secret, PKCE, openid.
#[allow(clippy::too_many_arguments)]
fn recipe(
    cx: &Ctx<'_>,
    app: &'static str,
    id: &'static str,
    place: &'static str,
    format: Format,
    text: String,
    (callback, registered): (String, bool),
    pkce: AppPkce,
    docs: &'static str,
) -> Recipe {
    let mut notes = Vec::new();
    if !registered {
        notes.push(format!(
            "{app} sends {callback} as its redirect URI (with its real address), and this client does not register it: add it to the client's redirect URIs"
        ));
    }
    if cx.client.is_public {
        notes.push(format!(
            "this client is public (it has no secret), but {app} signs in with one: register a confidential client for it"
        ));
    } else {
        notes.push(format!(
            "put the client secret where {SECRET_PLACEHOLDER} stands: it was shown once, when the client was registered (latchkey client rotate-secret {} makes a new one)",
            sh_word(cx.id())
        ));
    }
    if pkce == AppPkce::Never && pkce_required(cx.client) {
        notes.push(format!(
            "{app} does not send PKCE, and this client requires it, so every sign-in fails with \"PKCE is required\": exempt the client from PKCE (register it with --no-pkce; doctor will point that out), or put {app} behind oauth2-proxy"
        ));
    }
    if !cx.has_scope("openid") {
        notes.push(
            "this client may not use the scope openid, so it gets no ID token and no userinfo: add openid to its scopes".to_owned(),
        );
    }
    Recipe {
        app,
        id,
        place,
        format,
        text,
        callback,
        callback_registered: registered,
        notes,
        docs,
    }
}

fn grafana(cx: &Ctx<'_>) -> Recipe {
    let (base, callback, registered) =
        cx.callback("/login/generic_oauth", "https://grafana.example.com");
    let mut t = format!(
        "[server]\nroot_url = {base}\n\n[auth.generic_oauth]\nenabled = true\nname = latchkey\nclient_id = {}\nclient_secret = {SECRET_PLACEHOLDER}\nscopes = {}\nempty_scopes = false\nauth_url = {}\ntoken_url = {}\napi_url = {}\nlogin_attribute_path = preferred_username\nname_attribute_path = name\n",
        cx.id(),
        cx.scopes,
        cx.endpoint("/authorize"),
        cx.endpoint("/token"),
        cx.endpoint("/userinfo"),
    );
    if cx.has_scope("groups") {
        t.push_str("groups_attribute_path = groups\n");
    }
    t.push_str("use_pkce = true\nauth_style = InHeader\n");
    recipe(
        cx,
        "Grafana",
        "grafana",
        "grafana.ini",
        Format::Ini,
        t,
        (callback, registered),
        AppPkce::Sends,
        "https://grafana.com/docs/grafana/latest/setup-grafana/configure-security/configure-authentication/generic-oauth/",
    )
}

/// Forgejo and Gitea share `admin auth add-oauth`; the source's name is part of the callback.
fn forgejo(cx: &Ctx<'_>, app: &'static str, bin: &'static str, pkce: AppPkce) -> Recipe {
    let found = cx.client.redirect_uris.iter().find_map(|u| {
        let rest = u.strip_suffix("/callback")?;
        let (base, name) = rest.rsplit_once("/user/oauth2/")?;
        (!base.is_empty() && !name.is_empty() && !name.contains('/'))
            .then(|| (base.to_owned(), name.to_owned(), u.clone()))
    });
    let (name, callback, registered) = match found {
        Some((_, name, u)) => (name, u, true),
        None => {
            let base = format!("https://{bin}.example.com");
            (
                "latchkey".to_owned(),
                format!("{base}/user/oauth2/latchkey/callback"),
                false,
            )
        }
    };
    let mut t = format!(
        "{bin} admin auth add-oauth --provider=openidConnect --name={} --key={} --secret={SECRET_PLACEHOLDER} --auto-discover-url={} --scopes={}",
        sh_word(&name),
        sh_word(cx.id()),
        sh_word(&cx.discovery()),
        sh_word(&cx.scopes),
    );
    if cx.has_scope("groups") {
        t.push_str(" --group-claim-name=groups");
    }
    t.push('\n');
    let mut r = recipe(
        cx,
        app,
        bin,
        "a shell on the server, as the user the service runs as",
        Format::Shell,
        t,
        (callback, registered),
        pkce,
        if bin == "forgejo" {
            "https://forgejo.org/docs/latest/admin/command-line/"
        } else {
            "https://docs.gitea.com/administration/command-line"
        },
    );
    r.notes.push(format!(
        "the source's name ({name}) is part of the redirect URI: /user/oauth2/{name}/callback"
    ));
    r
}

fn nextcloud(cx: &Ctx<'_>) -> Recipe {
    // Also matches /index.php/apps/user_oidc/code (Nextcloud without pretty URLs).
    let (_, callback, registered) =
        cx.callback("/apps/user_oidc/code", "https://cloud.example.com");
    let t = format!(
        "php occ user_oidc:provider latchkey --clientid={} --clientsecret={SECRET_PLACEHOLDER} --discoveryuri={} --scope={}\n",
        sh_word(cx.id()),
        sh_word(&cx.discovery()),
        sh_word(&cx.scopes),
    );
    let mut r = recipe(
        cx,
        "Nextcloud",
        "nextcloud",
        "the Nextcloud directory, as the web server's user (the user_oidc app installed)",
        Format::Shell,
        t,
        (callback, registered),
        AppPkce::Sends,
        "https://github.com/nextcloud/user_oidc",
    );
    if cx.has_scope("groups") {
        r.notes.push(
            "to bring groups along, add --mapping-groups=groups --group-provisioning=1".to_owned(),
        );
    }
    r
}

/// A TOML string.
fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn oauth2_proxy(cx: &Ctx<'_>) -> Recipe {
    let (_, callback, registered) = cx.callback("/oauth2/callback", "https://app.example.com");
    let mut t = format!(
        "provider = \"oidc\"\noidc_issuer_url = {}\nclient_id = {}\nclient_secret = {}\nredirect_url = {}\nscope = {}\ncode_challenge_method = \"S256\"\nemail_domains = [\"*\"]\ncookie_secret = \"GENERATE-32-RANDOM-BYTES\"\n",
        toml_str(cx.issuer()),
        toml_str(cx.id()),
        toml_str(SECRET_PLACEHOLDER),
        toml_str(&callback),
        toml_str(&cx.scopes),
    );
    if cx.has_scope("groups") {
        t.push_str("oidc_groups_claim = \"groups\"\n# allowed_groups = [\"GROUP\"]\n");
    }
    let mut r = recipe(
        cx,
        "oauth2-proxy",
        "oauth2-proxy",
        "oauth2-proxy.cfg (--config)",
        Format::Toml,
        t,
        (callback, registered),
        AppPkce::Sends,
        "https://oauth2-proxy.github.io/oauth2-proxy/configuration/overview",
    );
    r.notes.push(
        "cookie_secret: 32 random bytes, e.g. `openssl rand -base64 32 | tr -- '+/' '-_'`".into(),
    );
    r
}

fn apache(cx: &Ctx<'_>) -> Recipe {
    // Any URL the module protects serves as its redirect URI, so a registered one will do.
    let (callback, registered) = match cx.client.redirect_uris.first() {
        Some(u) => (u.clone(), true),
        None => ("https://app.example.com/redirect_uri".to_owned(), false),
    };
    let t = format!(
        "OIDCProviderMetadataURL {}\nOIDCClientID {}\nOIDCClientSecret {SECRET_PLACEHOLDER}\nOIDCRedirectURI {callback}\nOIDCCryptoPassphrase GENERATE-A-RANDOM-PASSPHRASE\nOIDCScope \"{}\"\nOIDCPKCEMethod S256\nOIDCRemoteUserClaim preferred_username\n\n<Location />\n    AuthType openid-connect\n    Require valid-user\n</Location>\n",
        cx.discovery(),
        cx.id(),
        cx.scopes,
    );
    let mut r = recipe(
        cx,
        "Apache mod_auth_openidc",
        "apache",
        "the virtual host's configuration",
        Format::Apache,
        t,
        (callback, registered),
        AppPkce::Sends,
        "https://github.com/OpenIDC/mod_auth_openidc",
    );
    r.notes.push(
        "OIDCRedirectURI must be a URL under the protected location that serves no content".into(),
    );
    r
}

fn immich(cx: &Ctx<'_>) -> Recipe {
    let (base, callback, registered) = cx.callback("/auth/login", "https://photos.example.com");
    let oauth = serde_json::json!({
        "oauth": {
            "enabled": true,
            "issuerUrl": cx.discovery(),
            "clientId": cx.id(),
            "clientSecret": SECRET_PLACEHOLDER,
            "scope": cx.scopes,
            "signingAlgorithm": cx.client.id_token_alg,
            "profileSigningAlgorithm": "none",
            "tokenEndpointAuthMethod": "client_secret_post",
            "storageLabelClaim": "preferred_username",
            "buttonText": "Sign in with latchkey",
            "autoRegister": true,
        }
    });
    let mut text = serde_json::to_string_pretty(&oauth).unwrap_or_default();
    text.push('\n');
    let mut r = recipe(
        cx,
        "Immich",
        "immich",
        "the config file's oauth section (or Administration > Settings > OAuth)",
        Format::Json,
        text,
        (callback, registered),
        AppPkce::Sends,
        "https://immich.app/docs/administration/oauth",
    );
    r.notes.push(format!(
        "Immich also uses {base}/user-settings (linking accounts) and, for the mobile app, app.immich:///oauth-callback or {base}/api/oauth/mobile-redirect with the mobile redirect URI override: register those too"
    ));
    r
}

fn outline(cx: &Ctx<'_>) -> Recipe {
    let (base, callback, registered) =
        cx.callback("/auth/oidc.callback", "https://wiki.example.com");
    let mut t = String::new();
    let _ = write!(
        t,
        "URL={base}\nOIDC_CLIENT_ID={}\nOIDC_CLIENT_SECRET={SECRET_PLACEHOLDER}\nOIDC_AUTH_URI={}\nOIDC_TOKEN_URI={}\nOIDC_USERINFO_URI={}\nOIDC_LOGOUT_URI={}\nOIDC_USERNAME_CLAIM=preferred_username\nOIDC_DISPLAY_NAME=latchkey\nOIDC_SCOPES={}\n",
        cx.id(),
        cx.endpoint("/authorize"),
        cx.endpoint("/token"),
        cx.endpoint("/userinfo"),
        cx.endpoint("/logout"),
        cx.scopes,
    );
    let mut r = recipe(
        cx,
        "Outline",
        "outline",
        "Outline's environment (.env)",
        Format::Env,
        t,
        (callback, registered),
        AppPkce::Never,
        "https://docs.getoutline.com/s/hosting/doc/oidc-8CPBm6uC0I",
    );
    if !cx.has_scope("email") {
        r.notes.push(
            "Outline refuses a sign-in without an email address: allow this client the scope email"
                .into(),
        );
    }
    r
}

fn portainer(cx: &Ctx<'_>) -> Recipe {
    // Portainer's redirect URL is its own address.
    let (callback, registered) = match cx.client.redirect_uris.first() {
        Some(u) => (u.clone(), true),
        None => ("https://portainer.example.com".to_owned(), false),
    };
    let t = format!(
        "Authentication method: OAuth\nProvider: Custom\nClient ID: {}\nClient secret: {SECRET_PLACEHOLDER}\nAuthorization URL: {}\nAccess token URL: {}\nResource URL: {}\nRedirect URL: {callback}\nLogout URL: {}\nUser identifier: preferred_username\nScopes: {}\nAuth Style: In Params\n",
        cx.id(),
        cx.endpoint("/authorize"),
        cx.endpoint("/token"),
        cx.endpoint("/userinfo"),
        cx.endpoint("/logout"),
        cx.scopes,
    );
    recipe(
        cx,
        "Portainer",
        "portainer",
        "Settings > Authentication",
        Format::Fields,
        t,
        (callback, registered),
        AppPkce::Never,
        "https://docs.portainer.io/admin/settings/authentication/oauth",
    )
}

#[cfg(test)]
mod tests;
