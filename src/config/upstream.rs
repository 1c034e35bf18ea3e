//! `[[upstream]]` tables: providers people may sign in with ("Sign in with Google"). Each table
//! is checked at start like any setting (one-line errors naming `upstream.ID.KEY`); the client
//! secret file is read (and its permissions checked) by [`read_client_secret`], at server start
//! and by doctor, so a CLI command never needs it.

use super::ConfigError;
use std::path::{Path, PathBuf};

/// What kind of provider an upstream is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamKind {
    /// OpenID Connect: discovery, ID tokens.
    Oidc,
    /// GitHub: OAuth 2 and its REST API (`api_url`).
    GitHub { api_url: String },
}

/// Who an unknown identity is linked to at its first sign-in (without `create_users`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkRule {
    Manual,
    VerifiedEmail,
}

/// One `[[upstream]]` table, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub id: String,
    pub name: String,
    pub kind: UpstreamKind,
    /// `oidc`: the configured issuer. `github`: `https://github.com`, or the origin of
    /// `api_url`. Identities are recorded under it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret_file: PathBuf,
    pub scopes: Vec<String>,
    pub link: LinkRule,
    pub create_users: bool,
    /// Lowercase; empty: any domain.
    pub allowed_email_domains: Vec<String>,
    pub groups_claim: Option<String>,
}

impl Upstream {
    /// `/upstream/ID/callback`, the redirect URI to register at the provider (under the issuer).
    pub fn callback_path(&self) -> String {
        format!("/upstream/{}/callback", self.id)
    }

    /// Whether `email` is in an allowed domain (any, when none are listed).
    pub fn allows_email(&self, email: &str) -> bool {
        if self.allowed_email_domains.is_empty() {
            return true;
        }
        let domain = email
            .rsplit_once('@')
            .map(|(_, d)| d.to_ascii_lowercase())
            .unwrap_or_default();
        self.allowed_email_domains.contains(&domain)
    }

    /// Where the secret is: `client_secret_file`, inside `data_dir` when relative.
    pub fn secret_path(&self, data_dir: &Path) -> PathBuf {
        data_dir.join(&self.client_secret_file)
    }
}

/// Why a client secret file cannot be used: one line, naming the setting.
pub fn read_client_secret(up: &Upstream, data_dir: &Path) -> Result<String, ConfigError> {
    let path = up.secret_path(data_dir);
    let bad = |why: String| {
        ConfigError(format!(
            "invalid setting `upstream.{}.client_secret_file` = {:?}: {why}",
            up.id,
            path.display().to_string()
        ))
    };
    let meta = std::fs::metadata(&path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        // Others may do nothing; the group may read (0640: a group the service runs in).
        if mode & 0o037 != 0 {
            return Err(bad(format!(
                "mode {mode:04o} lets other users read or change it; run `chmod 600 {}`",
                path.display()
            )));
        }
    }
    let text = std::fs::read_to_string(&path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    let secret = text.trim();
    if secret.is_empty() || secret.contains(['\n', '\r']) {
        return Err(bad("must hold the client secret on one line".into()));
    }
    Ok(secret.to_owned())
}

/// The `[[upstream]]` tables of a config file, checked. `shown`: the file, for messages.
pub fn parse_tables(value: toml::Value, shown: &str) -> Result<Vec<Upstream>, ConfigError> {
    let toml::Value::Array(items) = value else {
        return Err(ConfigError(format!(
            "setting `upstream` in config file {shown} must be written as [[upstream]] tables"
        )));
    };
    let mut out: Vec<Upstream> = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let toml::Value::Table(t) = item else {
            return Err(ConfigError(format!(
                "setting `upstream` in config file {shown} must be written as [[upstream]] tables"
            )));
        };
        let up = parse_one(t, i, shown)?;
        if out.iter().any(|o| o.id == up.id) {
            return Err(ConfigError(format!(
                "invalid setting `upstream.{}.id` (from {shown}): two [[upstream]] tables have this id",
                up.id
            )));
        }
        out.push(up);
    }
    Ok(out)
}

const KEYS: &[&str] = &[
    "id",
    "name",
    "kind",
    "issuer",
    "api_url",
    "client_id",
    "client_secret_file",
    "scopes",
    "link",
    "create_users",
    "allowed_email_domains",
    "groups_claim",
];

fn parse_one(mut t: toml::Table, index: usize, shown: &str) -> Result<Upstream, ConfigError> {
    // Until the id is known, the table is named by its place in the file.
    let mut label = format!("upstream[{index}]");
    let err = |label: &str, key: &str, why: &str| {
        ConfigError(format!(
            "invalid setting `{label}.{key}` (from {shown}): {why}"
        ))
    };
    let id = text(&mut t, "id").map_err(|w| err(&label, "id", w))?;
    let id = id.ok_or_else(|| err(&label, "id", "is required"))?;
    let url_safe = !id.is_empty()
        && id.len() <= 32
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !url_safe {
        return Err(err(
            &label,
            "id",
            &format!("{id:?} must be 1 to 32 lowercase letters, digits or `-`"),
        ));
    }
    label = format!("upstream.{id}");
    let bad = |key: &str, why: &str| err(&label, key, why);
    if let Some(k) = t.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(ConfigError(format!(
            "unknown setting `{label}.{k}` in config file {shown}"
        )));
    }
    let field = |t: &mut toml::Table, key: &str| text(t, key).map_err(|w| bad(key, w));
    let name = field(&mut t, "name")?
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| bad("name", "is required (the button label)"))?;
    if name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(bad("name", "must be at most 64 printable characters"));
    }
    let client_id = field(&mut t, "client_id")?
        .filter(|c| !c.trim().is_empty())
        .ok_or_else(|| bad("client_id", "is required"))?;
    let client_secret_file = field(&mut t, "client_secret_file")?
        .filter(|c| !c.trim().is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| {
            bad(
                "client_secret_file",
                "is required (a file holding the secret)",
            )
        })?;
    let issuer = field(&mut t, "issuer")?;
    let api_url = field(&mut t, "api_url")?;
    let groups_claim = field(&mut t, "groups_claim")?;
    let (kind, issuer) = match field(&mut t, "kind")?.as_deref().unwrap_or("oidc") {
        "oidc" => {
            if api_url.is_some() {
                return Err(bad("api_url", "is only for kind = \"github\""));
            }
            let issuer = issuer.ok_or_else(|| bad("issuer", "is required for kind = \"oidc\""))?;
            check_url(&issuer).map_err(|w| bad("issuer", w))?;
            // Kept exactly as written: discovery compares it with the provider's own.
            (UpstreamKind::Oidc, issuer)
        }
        "github" => {
            if issuer.is_some() {
                return Err(bad(
                    "issuer",
                    "is not for kind = \"github\" (GitHub Enterprise: set api_url)",
                ));
            }
            if groups_claim.is_some() {
                return Err(bad("groups_claim", "is only for kind = \"oidc\""));
            }
            let api = api_url.unwrap_or_else(|| "https://api.github.com".to_owned());
            check_url(&api).map_err(|w| bad("api_url", w))?;
            let api = api.trim_end_matches('/').to_owned();
            let issuer = if api == "https://api.github.com" {
                "https://github.com".to_owned()
            } else {
                url::Url::parse(&api)
                    .map(|u| u.origin().ascii_serialization())
                    .map_err(|_| bad("api_url", "must be an absolute URL"))?
            };
            (UpstreamKind::GitHub { api_url: api }, issuer)
        }
        other => {
            return Err(bad(
                "kind",
                &format!("{other:?} must be \"oidc\" or \"github\""),
            ));
        }
    };
    let default_scopes: &[&str] = match kind {
        UpstreamKind::Oidc => &["openid", "email", "profile"],
        UpstreamKind::GitHub { .. } => &["read:user", "user:email"],
    };
    let scopes = match list(&mut t, "scopes").map_err(|w| bad("scopes", w))? {
        Some(s) => s,
        None => default_scopes.iter().map(|s| s.to_string()).collect(),
    };
    if scopes
        .iter()
        .any(|s| s.is_empty() || s.bytes().any(|b| b <= b' ' || b == b'"' || b == b'\\'))
    {
        return Err(bad("scopes", "must be scope names without spaces"));
    }
    if kind == UpstreamKind::Oidc && !scopes.iter().any(|s| s == "openid") {
        return Err(bad("scopes", "must include \"openid\""));
    }
    let link = match field(&mut t, "link")?.as_deref().unwrap_or("manual") {
        "manual" => LinkRule::Manual,
        "verified-email" => LinkRule::VerifiedEmail,
        other => {
            return Err(bad(
                "link",
                &format!("{other:?} must be \"manual\" or \"verified-email\""),
            ));
        }
    };
    let create_users = match t.remove("create_users") {
        None => false,
        Some(toml::Value::Boolean(b)) => b,
        Some(_) => return Err(bad("create_users", "must be true or false")),
    };
    let allowed_email_domains = list(&mut t, "allowed_email_domains")
        .map_err(|w| bad("allowed_email_domains", w))?
        .unwrap_or_default()
        .into_iter()
        .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
        .collect::<Vec<_>>();
    if allowed_email_domains.iter().any(|d| {
        d.is_empty()
            || !d.contains('.')
            || !d
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    }) {
        return Err(bad(
            "allowed_email_domains",
            "must be domain names like \"example.com\"",
        ));
    }
    if let Some(g) = &groups_claim
        && (g.is_empty() || g.len() > 64 || g.bytes().any(|b| b <= b' '))
    {
        return Err(bad("groups_claim", "must be a claim name, like \"groups\""));
    }
    Ok(Upstream {
        id,
        name,
        kind,
        issuer,
        client_id,
        client_secret_file,
        scopes,
        link,
        create_users,
        allowed_email_domains,
        groups_claim,
    })
}

/// A string key, taken out of the table.
fn text(t: &mut toml::Table, key: &str) -> Result<Option<String>, &'static str> {
    match t.remove(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s)),
        Some(_) => Err("must be a string"),
    }
}

/// A list-of-strings key, taken out of the table.
fn list(t: &mut toml::Table, key: &str) -> Result<Option<Vec<String>>, &'static str> {
    const WHY: &str = "must be a list of strings, like [\"a\", \"b\"]";
    match t.remove(key) {
        None => Ok(None),
        Some(toml::Value::Array(items)) => items
            .into_iter()
            .map(|i| match i {
                toml::Value::String(s) => Ok(s),
                _ => Err(WHY),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(WHY),
    }
}

/// An issuer or API URL: absolute, https (http only for a loopback host), no query or fragment.
fn check_url(s: &str) -> Result<(), &'static str> {
    const WHY: &str =
        "must be an absolute https URL without query or fragment (http only for localhost)";
    let u = url::Url::parse(s).map_err(|_| WHY)?;
    let loopback = matches!(
        u.host(),
        Some(url::Host::Domain("localhost"))
            | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
            | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
    );
    let scheme_ok = u.scheme() == "https" || (u.scheme() == "http" && loopback);
    if !scheme_ok
        || u.host_str().is_none_or(str::is_empty)
        || s.contains(['?', '#'])
        || !u.username().is_empty()
        || u.password().is_some()
    {
        return Err(WHY);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Upstream>, ConfigError> {
        let mut t: toml::Table = text.parse().unwrap();
        parse_tables(t.remove("upstream").unwrap(), "latchkey.toml")
    }

    const GOOGLE: &str = r#"
[[upstream]]
id = "google"
name = "Google"
issuer = "https://accounts.google.com"
client_id = "abc.apps.googleusercontent.com"
client_secret_file = "/etc/latchkey/google.secret"
"#;

    #[test]
    fn an_oidc_upstream_gets_the_documented_defaults() {
        let up = &parse(GOOGLE).unwrap()[0];
        assert_eq!(up.kind, UpstreamKind::Oidc);
        assert_eq!(up.scopes, ["openid", "email", "profile"]);
        assert_eq!(up.link, LinkRule::Manual);
        assert!(!up.create_users && up.allowed_email_domains.is_empty());
        assert_eq!(up.callback_path(), "/upstream/google/callback");
        assert!(up.allows_email("x@anything.org"));
    }

    #[test]
    fn the_github_preset_takes_its_issuer_from_api_url() {
        let gh = parse(
            "[[upstream]]\nid = \"gh\"\nname = \"GitHub\"\nkind = \"github\"\nclient_id = \"x\"\nclient_secret_file = \"s\"\n",
        )
        .unwrap();
        assert_eq!(gh[0].issuer, "https://github.com");
        assert_eq!(gh[0].scopes, ["read:user", "user:email"]);
        let ghe = parse(
            "[[upstream]]\nid = \"ghe\"\nname = \"GHE\"\nkind = \"github\"\napi_url = \"https://git.example.com/api/v3\"\nclient_id = \"x\"\nclient_secret_file = \"s\"\n",
        )
        .unwrap();
        assert_eq!(ghe[0].issuer, "https://git.example.com");
        assert_eq!(
            ghe[0].kind,
            UpstreamKind::GitHub {
                api_url: "https://git.example.com/api/v3".into()
            }
        );
    }

    #[test]
    fn every_mistake_is_one_line_naming_the_upstream_and_the_key() {
        for (extra, key) in [
            ("link = \"email\"\n", "upstream.google.link"),
            ("create_users = \"yes\"\n", "upstream.google.create_users"),
            ("scopes = [\"email\"]\n", "upstream.google.scopes"),
            (
                "allowed_email_domains = [\"@\"]\n",
                "upstream.google.allowed_email_domains",
            ),
            ("api_url = \"https://x\"\n", "upstream.google.api_url"),
            ("kind = \"saml\"\n", "upstream.google.kind"),
            ("colour = \"red\"\n", "upstream.google.colour"),
        ] {
            let e = parse(&format!("{GOOGLE}{extra}")).unwrap_err();
            assert!(e.0.contains(key) && !e.0.contains('\n'), "{extra}: {e}");
        }
        let e = parse(&GOOGLE.replace("https://accounts", "http://accounts")).unwrap_err();
        assert!(e.0.contains("upstream.google.issuer"), "{e}");
        let e = parse(&GOOGLE.replace("id = \"google\"", "id = \"Goo gle\"")).unwrap_err();
        assert!(e.0.contains("upstream[0].id"), "{e}");
        let e = parse(&format!("{GOOGLE}{GOOGLE}")).unwrap_err();
        assert!(e.0.contains("two [[upstream]] tables"), "{e}");
        let e = parse(&GOOGLE.replace("client_id = \"abc.apps.googleusercontent.com\"\n", ""))
            .unwrap_err();
        assert!(e.0.contains("upstream.google.client_id"), "{e}");
    }

    #[test]
    fn email_domains_match_the_whole_domain_case_insensitively() {
        let up = &parse(&format!(
            "{GOOGLE}allowed_email_domains = [\"Example.com\"]\n"
        ))
        .unwrap()[0];
        assert!(up.allows_email("a@EXAMPLE.com"));
        assert!(!up.allows_email("a@sub.example.com"));
        assert!(!up.allows_email("a@example.com.evil.org"));
        assert!(!up.allows_email("no-at-sign"));
    }
}
