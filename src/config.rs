//! Settings: built-in defaults < `latchkey.toml` < `LATCHKEY_*` environment < command-line flags.
//! Every setting is parsed and validated once, at start; an error names the setting and its source.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod docs;
mod file;
use file::{known_key, read_toml};
pub mod database;
mod paths;
pub use database::Database;
mod secret_file;
pub use secret_file::read as read_secret_file;
pub mod smtp;
pub use smtp::{Smtp, SmtpSecurity};
pub mod upstream;
pub use docs::{SETTINGS, SettingDoc, UPSTREAM_SETTINGS};
pub use upstream::{LinkRule, Upstream, UpstreamKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub issuer: String,
    pub bind: SocketAddr,
    pub data_dir: PathBuf,
    pub log_format: LogFormat,
    pub log_level: String,
    pub access_token_ttl_secs: i64,
    pub access_token_alg: crate::crypto::keys::Alg,
    pub id_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    pub session_idle_timeout_secs: i64,
    pub session_max_lifetime_secs: i64,
    pub key_retention_secs: i64,
    pub key_rotation_secs: i64,
    pub workers: usize,
    pub theme_dir: Option<PathBuf>,
    pub login_failures_per_account: u32,
    pub login_failures_per_ip: u32,
    pub login_max_wait_secs: i64,
    /// Proxies whose forwarding headers are believed (see `web::client_address`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub password_queue_limit: usize,
    pub pending_requests_per_address: i64,
    /// 0: keep forever.
    pub audit_retention_days: i64,
    pub device_code_ttl_secs: i64,
    pub device_poll_interval_secs: i64,
    pub durability: crate::store::Durability,
    /// `database_url`, `database_password_file`: SQLite in `data_dir`, or PostgreSQL.
    pub database: Database,
    /// The second listener, for `/metrics` only; None: no metrics listener.
    pub metrics_bind: Option<SocketAddr>,
    /// Built-in TLS: both files set, or neither (then plain HTTP, e.g. behind a proxy).
    pub tls: Option<TlsFiles>,
    /// How often the TLS files are checked for changes; 0: only on SIGHUP.
    pub tls_reload_poll_secs: u64,
    /// Who must sign in with two factors, whatever the app.
    pub mfa_required: MfaRequired,
    /// How recent a sign-in must be to change sign-in methods on the account page.
    pub reauth_secs: i64,
    /// How recent a sign-in must be to use `/admin`.
    pub admin_reauth_secs: i64,
    /// The 32-byte key that seals TOTP seeds, as configured (relative: inside `data_dir`; see
    /// [`Settings::secret_key_path`]).
    pub secret_key_file: PathBuf,
    /// How long an invite link works.
    pub invite_ttl_secs: i64,
    /// How long a password reset (or email verification) link works.
    pub reset_ttl_secs: i64,
    /// Outgoing mail; None: no mail is sent (links are only printed).
    pub smtp: Option<Smtp>,
    /// `[[upstream]]` tables: providers people may sign in with (config file only).
    pub upstreams: Vec<Upstream>,
}

/// `mfa_required`: whose sign-ins need a second factor (or a passkey) for every app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaRequired {
    Off,
    Admins,
    All,
}

impl MfaRequired {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "off" => Some(Self::Off),
            "admins" => Some(Self::Admins),
            "all" => Some(Self::All),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Admins => "admins",
            Self::All => "all",
        }
    }

    /// Whether the policy asks `is_admin`'s sign-ins for two factors.
    pub fn applies_to(self, is_admin: bool) -> bool {
        match self {
            Self::Off => false,
            Self::Admins => is_admin,
            Self::All => true,
        }
    }
}

/// `tls_cert` (the chain, leaf first) and `tls_key`, PEM files read at start and on reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// A raw value and where it came from (for error messages).
#[derive(Debug, Clone)]
struct Raw {
    value: String,
    source: String,
}

/// Where settings come from, besides the built-in defaults.
#[derive(Debug, Default)]
pub struct Sources {
    /// `--config PATH`: must exist. Without it, `./latchkey.toml` is read if present.
    pub config_file: Option<PathBuf>,
    /// `LATCHKEY_*` variables (pass `std::env::vars()`).
    pub env: Vec<(String, String)>,
    /// Command-line flags, by setting key.
    pub flags: Vec<(&'static str, String)>,
}

impl Settings {
    pub fn load(src: &Sources) -> Result<Settings, ConfigError> {
        let mut raw: BTreeMap<&'static str, Raw> = SETTINGS
            .iter()
            .map(|s| {
                (
                    s.key,
                    Raw {
                        value: s.default.to_owned(),
                        source: "default".into(),
                    },
                )
            })
            .collect();

        let (path, required) = match &src.config_file {
            Some(p) => (p.clone(), true),
            None => (PathBuf::from("latchkey.toml"), false),
        };
        let mut upstreams = Vec::new();
        if required || path.exists() {
            let (flat, tables) = read_toml(&path)?;
            upstreams = tables;
            for (key, value) in flat {
                raw.insert(
                    key,
                    Raw {
                        value,
                        source: path.display().to_string(),
                    },
                );
            }
        }

        for (name, value) in &src.env {
            let Some(rest) = name.strip_prefix("LATCHKEY_") else {
                continue;
            };
            if rest == "CONFIG" {
                continue; // the config file path itself, handled by the CLI
            }
            let key = known_key(&rest.to_ascii_lowercase()).ok_or_else(|| {
                ConfigError(format!("unknown setting in environment variable {name}"))
            })?;
            raw.insert(
                key,
                Raw {
                    value: value.clone(),
                    source: name.clone(),
                },
            );
        }
        for (key, value) in &src.flags {
            let key =
                known_key(key).ok_or_else(|| ConfigError(format!("unknown setting {key}")))?;
            raw.insert(
                key,
                Raw {
                    value: value.clone(),
                    source: format!("--{}", key.replace('_', "-")),
                },
            );
        }
        let mut s = Self::from_raw(&raw)?;
        s.upstreams = upstreams;
        Ok(s)
    }

    fn from_raw(raw: &BTreeMap<&'static str, Raw>) -> Result<Settings, ConfigError> {
        let get = |k: &str| &raw[k];
        let bad = |k: &str, why: &str| {
            let r = get(k);
            // A URL may carry a password (database_url, smtp_url): never repeat it.
            let shown = if k.ends_with("_url") {
                crate::store::postgres::conn::redact(&r.value)
            } else {
                r.value.clone()
            };
            ConfigError(format!(
                "invalid setting `{k}` = {shown:?} (from {}): {why}",
                r.source
            ))
        };
        let secs = |k: &str| -> Result<i64, ConfigError> {
            match get(k).value.trim().parse::<i64>() {
                Ok(n) if n > 0 && n <= 10 * 365 * 86_400 => Ok(n),
                _ => Err(bad(k, "must be a whole number of seconds, greater than 0")),
            }
        };

        let issuer = get("issuer").value.trim().to_owned();
        validate_issuer(&issuer).map_err(|why| bad("issuer", why))?;
        let bind = get("bind")
            .value
            .trim()
            .parse::<SocketAddr>()
            .map_err(|_| {
                bad(
                    "bind",
                    "must be an IP address and port, like 127.0.0.1:8080",
                )
            })?;
        let metrics_bind = match get("metrics_bind").value.trim() {
            "" => None,
            v => Some(v.parse::<SocketAddr>().ok().filter(|a| *a != bind || a.port() == 0).ok_or_else(|| {
                bad(
                    "metrics_bind",
                    "must be empty (no metrics) or an IP address and port other than bind's, like 127.0.0.1:9464",
                )
            })?),
        };
        let data_dir = PathBuf::from(get("data_dir").value.trim());
        if data_dir.as_os_str().is_empty() {
            return Err(bad("data_dir", "must not be empty"));
        }
        let log_format = match get("log_format").value.trim() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            _ => return Err(bad("log_format", "must be `text` or `json`")),
        };
        let log_level = get("log_level").value.trim().to_owned();
        if tracing_subscriber::EnvFilter::try_new(&log_level).is_err() || log_level.is_empty() {
            return Err(bad(
                "log_level",
                "must be error, warn, info, debug, trace or a tracing filter",
            ));
        }
        let workers = get("workers")
            .value
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= 1024)
            .ok_or_else(|| bad("workers", "must be a number from 0 to 1024"))?;
        let access_token_alg =
            crate::crypto::keys::Alg::parse(get("access_token_alg").value.trim())
                .ok_or_else(|| bad("access_token_alg", "must be RS256, ES256 or EdDSA"))?;
        let theme_dir = match get("theme_dir").value.trim() {
            "" => None,
            d if Path::new(d).is_dir() => Some(PathBuf::from(d)),
            _ => return Err(bad("theme_dir", "must be an existing directory (or empty)")),
        };
        let durability = crate::store::Durability::parse(get("durability").value.trim())
            .ok_or_else(|| {
                bad(
                    "durability",
                    &format!("must be {}", crate::store::Durability::VALUES),
                )
            })?;
        let count = |k: &str| -> Result<u32, ConfigError> {
            get(k)
                .value
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .ok_or_else(|| bad(k, "must be a number from 1 to 10000"))
        };
        let ranged = |k: &str, lo: i64, hi: i64| -> Result<i64, ConfigError> {
            get(k)
                .value
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| (lo..=hi).contains(n))
                .ok_or_else(|| bad(k, &format!("must be a whole number from {lo} to {hi}")))
        };
        let trusted_proxies = parse_proxies(&get("trusted_proxies").value)
            .map_err(|why: String| bad("trusted_proxies", why.as_str()))?;
        let path = |k: &str| {
            Some(PathBuf::from(get(k).value.trim())).filter(|p| !p.as_os_str().is_empty())
        };
        let tls = match (path("tls_cert"), path("tls_key")) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(bad(
                    "tls_key",
                    "must be set when tls_cert is set (both or neither)",
                ));
            }
            (None, Some(_)) => {
                return Err(bad(
                    "tls_cert",
                    "must be set when tls_key is set (both or neither)",
                ));
            }
        };
        if tls.is_some() && !is_https_url(&issuer) {
            return Err(bad(
                "issuer",
                "must be an https URL when tls_cert and tls_key are set (latchkey then serves HTTPS itself)",
            ));
        }
        let mfa_required = MfaRequired::parse(get("mfa_required").value.trim())
            .ok_or_else(|| bad("mfa_required", "must be `off`, `admins` or `all`"))?;
        let secret_key_file = PathBuf::from(get("secret_key_file").value.trim());
        if secret_key_file.as_os_str().is_empty() {
            return Err(bad(
                "secret_key_file",
                "must not be empty (a path; a relative one is inside data_dir)",
            ));
        }
        let smtp = smtp::parse(
            &get("smtp_url").value,
            &get("smtp_from").value,
            &get("smtp_username").value,
            &get("smtp_password_file").value,
        )
        .map_err(|(k, why)| bad(k, &why))?;
        let database = database::parse(
            &get("database_url").value,
            &get("database_password_file").value,
        )
        .map_err(|(k, why)| bad(k, &why))?;
        let s = Settings {
            database,
            invite_ttl_secs: ranged("invite_ttl_secs", 60, 90 * 86_400)?,
            reset_ttl_secs: ranged("reset_ttl_secs", 60, 7 * 86_400)?,
            smtp,
            mfa_required,
            reauth_secs: ranged("reauth_secs", 30, 86_400)?,
            admin_reauth_secs: ranged("admin_reauth_secs", 30, 86_400)?,
            secret_key_file,
            trusted_proxies,
            password_queue_limit: ranged("password_queue_limit", 1, 10_000)? as usize,
            pending_requests_per_address: ranged("pending_requests_per_address", 1, 100_000)?,
            audit_retention_days: ranged("audit_retention_days", 0, 36_500)?,
            device_code_ttl_secs: ranged("device_code_ttl_secs", 60, 86_400)?,
            device_poll_interval_secs: ranged("device_poll_interval_secs", 1, 60)?,
            login_failures_per_account: count("login_failures_per_account")?,
            login_failures_per_ip: count("login_failures_per_ip")?,
            login_max_wait_secs: secs("login_max_wait_secs")?,
            access_token_alg,
            issuer,
            bind,
            data_dir,
            log_format,
            log_level,
            access_token_ttl_secs: secs("access_token_ttl_secs")?,
            id_token_ttl_secs: secs("id_token_ttl_secs")?,
            refresh_token_ttl_secs: secs("refresh_token_ttl_secs")?,
            session_idle_timeout_secs: secs("session_idle_timeout_secs")?,
            session_max_lifetime_secs: secs("session_max_lifetime_secs")?,
            key_retention_secs: secs("key_retention_secs")?,
            key_rotation_secs: secs("key_rotation_secs")?,
            workers,
            theme_dir,
            durability,
            tls,
            tls_reload_poll_secs: ranged("tls_reload_poll_secs", 0, 86_400)? as u64,
            metrics_bind,
            upstreams: Vec::new(),
        };
        if s.key_retention_secs < s.access_token_ttl_secs.max(s.id_token_ttl_secs) {
            return Err(bad(
                "key_retention_secs",
                "must be at least the longest token lifetime, or tokens would stop verifying after a key rotation",
            ));
        }
        if s.session_idle_timeout_secs > s.session_max_lifetime_secs {
            return Err(bad(
                "session_idle_timeout_secs",
                "must not exceed session_max_lifetime_secs",
            ));
        }
        Ok(s)
    }

    /// True when cookies must be Secure and `__Host-` prefixed.
    pub fn is_https(&self) -> bool {
        is_https_url(&self.issuer)
    }

    /// An absolute endpoint URL under the issuer, e.g. `endpoint("/token")`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.issuer.trim_end_matches('/'), path)
    }
}

fn is_https_url(url: &str) -> bool {
    // URL schemes are case-insensitive: HTTPS://... is https too.
    url.get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
}

/// `10.0.0.0/8, ::1, 192.0.2.7`: CIDRs or single addresses (a host route), comma-separated.
pub fn parse_proxies(text: &str) -> Result<Vec<ipnet::IpNet>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<ipnet::IpNet>()
                .map(|n| n.trunc())
                .or_else(|_| t.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("{t:?} is not an IP address or CIDR (like 10.0.0.0/8 or ::1)"))
        })
        .collect()
}

fn validate_issuer(s: &str) -> Result<(), &'static str> {
    const WHY: &str = "must be an absolute http(s) URL without query or fragment";
    let url = url::Url::parse(s).map_err(|_| WHY)?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none_or(str::is_empty)
        || url.query().is_some()
        || url.fragment().is_some()
        || s.contains(['?', '#'])
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(WHY);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)], flags: &[(&'static str, &str)]) -> Result<Settings, ConfigError> {
        Settings::load(&Sources {
            config_file: None,
            env: env
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            flags: flags.iter().map(|(a, b)| (*a, b.to_string())).collect(),
        })
    }

    #[test]
    fn defaults_are_documented_values() {
        let s = load(&[], &[]).unwrap();
        assert_eq!(s.issuer, "http://localhost:8080");
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.data_dir, PathBuf::from("./latchkey-data"));
        assert_eq!(s.access_token_ttl_secs, 600);
        assert!(!s.is_https());
    }

    #[test]
    fn issuer_must_be_absolute_http_url_without_query_or_fragment() {
        for bad in [
            "localhost:8080",
            "ftp://x",
            "https://x/?a=b",
            "https://x/#f",
            "/path",
            "",
        ] {
            let e = load(&[("LATCHKEY_ISSUER", bad)], &[]).unwrap_err();
            assert!(
                e.0.contains("`issuer`") && e.0.contains("LATCHKEY_ISSUER"),
                "{e}"
            );
        }
        assert!(
            load(&[("LATCHKEY_ISSUER", "https://id.example.com/sso")], &[])
                .unwrap()
                .is_https()
        );
    }

    #[test]
    fn flags_beat_environment() {
        let s = load(
            &[("LATCHKEY_BIND", "127.0.0.1:1")],
            &[("bind", "127.0.0.1:2")],
        )
        .unwrap();
        assert_eq!(s.bind.port(), 2);
    }

    #[test]
    fn unknown_environment_setting_is_an_error() {
        let e = load(&[("LATCHKEY_ISUER", "x")], &[]).unwrap_err();
        assert!(e.0.contains("LATCHKEY_ISUER"), "{e}");
    }

    #[test]
    fn device_flow_settings_have_defaults_and_ranges() {
        let s = load(&[], &[]).unwrap();
        assert_eq!(s.device_code_ttl_secs, 600);
        assert_eq!(s.device_poll_interval_secs, 5);
        let e = load(&[("LATCHKEY_DEVICE_POLL_INTERVAL_SECS", "0")], &[]).unwrap_err();
        assert!(e.0.contains("device_poll_interval_secs"), "{e}");
        let e = load(&[("LATCHKEY_DEVICE_CODE_TTL_SECS", "10")], &[]).unwrap_err();
        assert!(e.0.contains("device_code_ttl_secs"), "{e}");
        let s = load(&[("LATCHKEY_DEVICE_CODE_TTL_SECS", "1800")], &[]).unwrap();
        assert_eq!(s.device_code_ttl_secs, 1800);
    }

    #[test]
    fn durability_defaults_to_group_and_accepts_each_and_relaxed() {
        use crate::store::Durability;
        assert_eq!(load(&[], &[]).unwrap().durability, Durability::Group);
        for (v, d) in [("each", Durability::Each), ("relaxed", Durability::Relaxed)] {
            let s = load(&[("LATCHKEY_DURABILITY", v)], &[]).unwrap();
            assert_eq!(s.durability, d);
        }
        let e = load(&[("LATCHKEY_DURABILITY", "fast")], &[]).unwrap_err();
        assert!(
            e.0.contains("`durability`") && e.0.contains("LATCHKEY_DURABILITY"),
            "{e}"
        );
    }

    #[test]
    fn bad_numbers_and_bind_name_their_key() {
        let e = load(&[("LATCHKEY_ACCESS_TOKEN_TTL_SECS", "ten")], &[]).unwrap_err();
        assert!(e.0.contains("access_token_ttl_secs"), "{e}");
        let e = load(&[("LATCHKEY_BIND", "nowhere")], &[]).unwrap_err();
        assert!(e.0.contains("`bind`"), "{e}");
    }

    #[test]
    fn trusted_proxies_come_as_a_comma_separated_string_or_a_toml_array() {
        let s = load(
            &[("LATCHKEY_TRUSTED_PROXIES", "10.0.0.0/8, ::1,192.0.2.7")],
            &[],
        )
        .unwrap();
        let shown: Vec<String> = s.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(shown, ["10.0.0.0/8", "::1/128", "192.0.2.7/32"]);
        assert!(load(&[], &[]).unwrap().trusted_proxies.is_empty());
        let e = load(
            &[("LATCHKEY_TRUSTED_PROXIES", "10.0.0.0/8,proxy.local")],
            &[],
        )
        .unwrap_err();
        assert!(
            e.0.contains("`trusted_proxies`") && e.0.contains("proxy.local"),
            "{e}"
        );

        let dir = std::env::temp_dir().join(format!("latchkey-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("latchkey.toml");
        std::fs::write(&file, "trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n").unwrap();
        let from_file = |path: &Path| {
            Settings::load(&Sources {
                config_file: Some(path.to_owned()),
                ..Default::default()
            })
        };
        let s = from_file(&file).unwrap();
        assert_eq!(s.trusted_proxies.len(), 2);
        std::fs::write(&file, "trusted_proxies = [\"10.0.0.0/8\", 7]\n").unwrap();
        let e = from_file(&file).unwrap_err();
        assert!(e.0.contains("list of strings"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn review_settings_have_defaults_and_ranges() {
        let s = load(&[], &[]).unwrap();
        assert_eq!(s.password_queue_limit, 64);
        assert_eq!(s.pending_requests_per_address, 100);
        assert_eq!(s.audit_retention_days, 400);
        assert_eq!(
            load(&[("LATCHKEY_AUDIT_RETENTION_DAYS", "0")], &[])
                .unwrap()
                .audit_retention_days,
            0
        );
        for (k, v) in [
            ("LATCHKEY_PASSWORD_QUEUE_LIMIT", "0"),
            ("LATCHKEY_PENDING_REQUESTS_PER_ADDRESS", "0"),
            ("LATCHKEY_AUDIT_RETENTION_DAYS", "-1"),
        ] {
            let e = load(&[(k, v)], &[]).unwrap_err();
            assert!(e.0.contains(k), "{e}");
        }
    }

    #[test]
    fn mfa_settings_have_defaults_and_name_themselves_when_wrong() {
        let s = load(&[], &[]).unwrap();
        assert_eq!(s.mfa_required, MfaRequired::Off);
        assert_eq!(s.reauth_secs, 600);
        assert_eq!(s.admin_reauth_secs, 900);
        assert_eq!(
            s.secret_key_path(),
            PathBuf::from("./latchkey-data/secret.key")
        );
        let s = load(
            &[
                ("LATCHKEY_MFA_REQUIRED", "admins"),
                ("LATCHKEY_SECRET_KEY_FILE", "/etc/latchkey/secret.key"),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(s.mfa_required, MfaRequired::Admins);
        assert_eq!(
            s.secret_key_path(),
            PathBuf::from("/etc/latchkey/secret.key")
        );
        for (k, v, name) in [
            ("LATCHKEY_MFA_REQUIRED", "yes", "`mfa_required`"),
            ("LATCHKEY_REAUTH_SECS", "5", "`reauth_secs`"),
            ("LATCHKEY_ADMIN_REAUTH_SECS", "0", "`admin_reauth_secs`"),
            ("LATCHKEY_SECRET_KEY_FILE", " ", "`secret_key_file`"),
        ] {
            let e = load(&[(k, v)], &[]).unwrap_err();
            assert!(e.0.contains(name) && !e.0.contains('\n'), "{e}");
        }
    }

    #[test]
    fn tls_cert_and_tls_key_come_as_a_pair_with_an_https_issuer() {
        let https = ("LATCHKEY_ISSUER", "https://login.example.com");
        let s = load(
            &[
                https,
                ("LATCHKEY_TLS_CERT", "/etc/ssl/fullchain.pem"),
                ("LATCHKEY_TLS_KEY", "/etc/ssl/privkey.pem"),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(
            s.tls,
            Some(TlsFiles {
                cert: "/etc/ssl/fullchain.pem".into(),
                key: "/etc/ssl/privkey.pem".into(),
            })
        );
        assert_eq!(s.tls_reload_poll_secs, 5);

        let e = load(&[https, ("LATCHKEY_TLS_CERT", "/c.pem")], &[]).unwrap_err();
        assert!(e.0.contains("`tls_key`"), "{e}");
        let e = load(&[https, ("LATCHKEY_TLS_KEY", "/k.pem")], &[]).unwrap_err();
        assert!(e.0.contains("`tls_cert`"), "{e}");
        let e = load(
            &[
                ("LATCHKEY_ISSUER", "http://login.example.com"),
                ("LATCHKEY_TLS_CERT", "/c.pem"),
                ("LATCHKEY_TLS_KEY", "/k.pem"),
            ],
            &[],
        )
        .unwrap_err();
        assert!(e.0.contains("`issuer`") && e.0.contains("https"), "{e}");
        let e = load(&[("LATCHKEY_TLS_RELOAD_POLL_SECS", "-1")], &[]).unwrap_err();
        assert!(e.0.contains("`tls_reload_poll_secs`"), "{e}");
    }

    #[test]
    fn an_https_issuer_on_a_public_bind_without_tls_files_still_means_a_proxy_in_front() {
        let s = load(
            &[
                ("LATCHKEY_ISSUER", "https://login.example.com"),
                ("LATCHKEY_BIND", "0.0.0.0:8080"),
            ],
            &[],
        )
        .unwrap();
        assert!(s.tls.is_none() && s.is_https());
    }
}
