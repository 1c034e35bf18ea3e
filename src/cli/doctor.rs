//! `latchkey doctor`: inspect the configuration, the data dir and the database, and report each
//! problem with a severity and a concrete fix.
//!
//! Doctor only reads: it never creates the data dir or the database, never migrates, never writes
//! a row and never creates keys (the database is opened read-only, see
//! [`store::open_read_only`]). Exit status: 0 when nothing is critical, [`EXIT_CRITICAL`] (2) when
//! something is, 1 when doctor itself cannot run (e.g. an invalid setting).

use super::{CliError, print, show_time};
use crate::config::Settings;
use crate::crypto::keys::{Alg, KeyRing};
use crate::crypto::password;
use crate::store::{self, StoreError, clients, groups, keys, migrate, rusqlite::Connection, users};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Exit status when at least one finding is critical.
pub const EXIT_CRITICAL: i32 = 2;

const DAY: i64 = 86_400;
/// A `key_rotation_secs` longer than this keeps signing keys in use for too long.
pub const KEY_ROTATION_MAX: i64 = 90 * DAY;
/// client_credentials secrets older than this are worth rotating.
pub const CLIENT_SECRET_MAX_AGE_DAYS: i64 = 365;
const ACCESS_TOKEN_TTL_MAX: i64 = 3600;
const ID_TOKEN_TTL_MAX: i64 = DAY;
const REFRESH_TOKEN_TTL_MAX: i64 = 90 * DAY;
const SESSION_IDLE_MAX: i64 = DAY;
const SESSION_LIFETIME_MAX: i64 = 30 * DAY;
/// OWASP's equivalent argon2id minimums (memory KiB, iterations), all with p=1: a hash at least as
/// strong as one of them is fine.
const OWASP_ARGON2ID: [(u32, u32); 5] = [
    (47_104, 1),
    (19_456, 2),
    (12_288, 3),
    (9_216, 4),
    (7_168, 5),
];
/// How many names a finding lists before "and N more".
const NAMES_SHOWN: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    fn heading(self) -> &'static str {
        match self {
            Severity::Critical => "CRITICAL",
            Severity::Warning => "WARNING",
            Severity::Info => "INFO",
        }
    }
}

/// One problem: how bad, which check found it, what is wrong, and what to do.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub check: &'static str,
    pub message: String,
    pub fix: String,
}

#[derive(Default)]
struct Report(Vec<Finding>);

impl Report {
    fn add(
        &mut self,
        severity: Severity,
        check: &'static str,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.0.push(Finding {
            severity,
            check,
            message: message.into(),
            fix: fix.into(),
        });
    }
    fn critical(&mut self, check: &'static str, m: impl Into<String>, f: impl Into<String>) {
        self.add(Severity::Critical, check, m, f);
    }
    fn warning(&mut self, check: &'static str, m: impl Into<String>, f: impl Into<String>) {
        self.add(Severity::Warning, check, m, f);
    }
    fn info(&mut self, check: &'static str, m: impl Into<String>, f: impl Into<String>) {
        self.add(Severity::Info, check, m, f);
    }
    /// Run a database check; a failed query becomes a finding instead of stopping doctor.
    fn guard(&mut self, what: &str, f: impl FnOnce(&mut Report) -> Result<(), StoreError>) {
        if let Err(e) = f(self) {
            self.warning(
                "check-failed",
                format!("could not check {what}: {e}"),
                "run `latchkey doctor` again; if it keeps failing, check the database with `sqlite3 latchkey.db 'PRAGMA integrity_check'` and restore a backup if it is damaged",
            );
        }
    }
}

/// `latchkey doctor`: print the findings; exit 2 when one of them is critical.
pub fn run(settings: &Settings, json: bool) -> Result<(), CliError> {
    let findings = diagnose(settings, super::now());
    print(json, &findings, || render(settings, &findings));
    if findings.iter().any(|f| f.severity == Severity::Critical) {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        std::process::exit(EXIT_CRITICAL);
    }
    Ok(())
}

/// Every finding for these settings and their data dir, most severe first.
pub fn diagnose(settings: &Settings, now: i64) -> Vec<Finding> {
    let mut r = Report::default();
    check_issuer_and_bind(settings, &mut r);
    check_trusted_proxies(settings, &mut r);
    check_settings(settings, &mut r);
    if let Some(conn) = check_data_dir(settings, &mut r) {
        check_database(&conn, settings, now, &mut r);
    }
    let mut findings = r.0;
    findings.sort_by_key(|f| f.severity);
    findings
}

fn render(settings: &Settings, findings: &[Finding]) -> String {
    let mut s = format!(
        "latchkey doctor: issuer {}, bind {}, data dir {}\n",
        settings.issuer,
        settings.bind,
        absolute(&settings.data_dir).display()
    );
    if findings.is_empty() {
        s.push_str("\nno problems found\n");
    }
    for sev in [Severity::Critical, Severity::Warning, Severity::Info] {
        let group: Vec<_> = findings.iter().filter(|f| f.severity == sev).collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(s, "\n{}", sev.heading());
        for f in group {
            let _ = writeln!(s, "  [{}] {}\n      fix: {}", f.check, f.message, f.fix);
        }
    }
    let count = |sev| findings.iter().filter(|f| f.severity == sev).count();
    let warnings = count(Severity::Warning);
    let _ = write!(
        s,
        "\n{} critical, {} warning{}, {} info",
        count(Severity::Critical),
        warnings,
        if warnings == 1 { "" } else { "s" },
        count(Severity::Info)
    );
    s
}

// ---------------------------------------------------------------- configuration

fn host_is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A trusted proxy network wider than this (IPv4 /8, IPv6 /32) lets too many hosts claim to be
/// any client.
const PROXY_PREFIX_MIN_V4: u8 = 8;
const PROXY_PREFIX_MIN_V6: u8 = 32;

fn check_trusted_proxies(s: &Settings, r: &mut Report) {
    let broad: Vec<String> = s
        .trusted_proxies
        .iter()
        .filter(|n| match n {
            ipnet::IpNet::V4(v4) => v4.prefix_len() < PROXY_PREFIX_MIN_V4,
            ipnet::IpNet::V6(v6) => v6.prefix_len() < PROXY_PREFIX_MIN_V6,
        })
        .map(ToString::to_string)
        .collect();
    if !broad.is_empty() {
        r.warning(
            "trusted-proxies-broad",
            format!(
                "trusted_proxies includes {}: any host in it can claim to be any client with a Forwarded or X-Forwarded-For header, and so dodge the sign-in throttle and forge the addresses in the audit log",
                broad.join(", ")
            ),
            "list only the addresses of your reverse proxies, e.g. trusted_proxies = [\"127.0.0.1\", \"::1\"] when the proxy runs on this host",
        );
    }
    let https = s.is_https();
    if https && s.bind.ip().is_loopback() && s.trusted_proxies.is_empty() {
        r.info(
            "proxy-suspected",
            format!(
                "the issuer {} is https while latchkey listens on loopback ({}): a reverse proxy is surely in front, but trusted_proxies is empty, so every request seems to come from the proxy and a few failed sign-ins from anyone make everyone wait",
                s.issuer, s.bind
            ),
            "set trusted_proxies to your proxy's address, e.g. trusted_proxies = [\"127.0.0.1\", \"::1\"] (see \"Running behind a reverse proxy\" in the README)",
        );
    }
}

fn check_issuer_and_bind(s: &Settings, r: &mut Report) {
    // The issuer was validated when the settings were loaded.
    let Ok(url) = url::Url::parse(&s.issuer) else {
        return;
    };
    let bind_public = !s.bind.ip().is_loopback();
    if url.scheme() == "http" && !host_is_loopback(&url) {
        let fix = match url.host() {
            Some(url::Host::Domain(d)) => format!(
                "set issuer = \"https://{d}{}\" in latchkey.toml (or LATCHKEY_ISSUER)",
                url.path().trim_end_matches('/')
            ),
            _ => "set issuer to the public https URL people use, e.g. issuer = \"https://login.example.com\" in latchkey.toml (or LATCHKEY_ISSUER)".into(),
        };
        r.critical(
            "issuer-plain-http",
            format!(
                "issuer {} is plain http on a non-loopback host: passwords, session cookies, codes and tokens cross the network unencrypted, and cookies cannot be Secure",
                s.issuer
            ),
            format!("{fix}, and terminate TLS in a reverse proxy in front of latchkey"),
        );
    } else if url.scheme() == "http" && bind_public {
        r.warning(
            "bind-exposes-plain-http",
            format!(
                "bind {} accepts connections from other machines, but the issuer {} is a loopback http URL: the login page is reachable over plain http, and tokens name an issuer remote clients cannot use",
                s.bind, s.issuer
            ),
            format!(
                "set bind = \"127.0.0.1:{}\" for local use, or give latchkey its public https issuer behind a TLS-terminating proxy",
                s.bind.port()
            ),
        );
    } else if url.scheme() == "https" && bind_public {
        r.info(
            "tls-termination",
            format!(
                "latchkey speaks plain HTTP on {}, an address other machines can reach; the https issuer {} needs a TLS-terminating reverse proxy in front, and clients must not reach {} directly",
                s.bind, s.issuer, s.bind
            ),
            format!(
                "terminate TLS in the proxy and firewall port {}; when the proxy runs on this host, set bind = \"127.0.0.1:{}\"",
                s.bind.port(),
                s.bind.port()
            ),
        );
    }
}

/// `7200 (2 hours)`.
fn secs(n: i64) -> String {
    let human = if n % DAY == 0 {
        plural(n / DAY, "day")
    } else if n % 3600 == 0 {
        plural(n / 3600, "hour")
    } else if n % 60 == 0 {
        plural(n / 60, "minute")
    } else {
        plural(n, "second")
    };
    format!("{n} ({human})")
}

fn plural(n: i64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `set KEY = VALUE in latchkey.toml (or LATCHKEY_KEY=VALUE)`; strings get TOML quotes.
fn set_fix(key: &str, value: impl std::fmt::Display) -> String {
    let value = value.to_string();
    let toml = if value.parse::<i64>().is_ok() {
        value.clone()
    } else {
        format!("{value:?}")
    };
    format!(
        "set {key} = {toml} in latchkey.toml (or LATCHKEY_{}={value})",
        key.to_ascii_uppercase()
    )
}

fn check_settings(s: &Settings, r: &mut Report) {
    if s.access_token_ttl_secs > ACCESS_TOKEN_TTL_MAX {
        r.warning(
            "setting-access-token-ttl",
            format!(
                "access_token_ttl_secs = {}: access tokens are JWTs that APIs accept until they expire, even after logout or revocation; keep them short",
                secs(s.access_token_ttl_secs)
            ),
            set_fix("access_token_ttl_secs", 600),
        );
    }
    if s.id_token_ttl_secs > ID_TOKEN_TTL_MAX {
        r.info(
            "setting-id-token-ttl",
            format!(
                "id_token_ttl_secs = {}: an ID token only proves a recent sign-in; a long lifetime lets a leaked one be replayed (e.g. as id_token_hint) for longer",
                secs(s.id_token_ttl_secs)
            ),
            set_fix("id_token_ttl_secs", 3600),
        );
    }
    if s.refresh_token_ttl_secs > REFRESH_TOKEN_TTL_MAX {
        r.info(
            "setting-refresh-token-ttl",
            format!(
                "refresh_token_ttl_secs = {}: a refresh token family keeps working that long without the user signing in again",
                secs(s.refresh_token_ttl_secs)
            ),
            set_fix("refresh_token_ttl_secs", 2_592_000),
        );
    }
    if s.session_idle_timeout_secs > SESSION_IDLE_MAX {
        r.info(
            "setting-session-lifetime",
            format!(
                "session_idle_timeout_secs = {}: a browser left signed in stays signed in after that long unused",
                secs(s.session_idle_timeout_secs)
            ),
            set_fix("session_idle_timeout_secs", 28_800),
        );
    }
    if s.session_max_lifetime_secs > SESSION_LIFETIME_MAX {
        r.info(
            "setting-session-lifetime",
            format!(
                "session_max_lifetime_secs = {}: users are asked for their password again only after that long",
                secs(s.session_max_lifetime_secs)
            ),
            set_fix("session_max_lifetime_secs", 604_800),
        );
    }
    if s.key_rotation_secs > KEY_ROTATION_MAX {
        r.info(
            "setting-key-rotation",
            format!(
                "key_rotation_secs = {}: signing keys are replaced only that rarely; the longer a key signs, the more a leak of it exposes",
                secs(s.key_rotation_secs)
            ),
            set_fix("key_rotation_secs", KEY_ROTATION_MAX),
        );
    }
    if s.durability == store::Durability::Relaxed {
        r.warning(
            "setting-durability",
            "durability = \"relaxed\": writes are answered before they reach the disk, so a power cut can lose sign-ins, codes and refresh-token rotations that were already handed out",
            set_fix("durability", "group"),
        );
    }
    let level = s.log_level.to_ascii_lowercase();
    if level.contains("debug") || level.contains("trace") {
        r.info(
            "setting-log-level",
            format!(
                "log_level = {:?} is meant for debugging: in production the logs grow fast and carry request details",
                s.log_level
            ),
            set_fix("log_level", "info"),
        );
    }
}

// ---------------------------------------------------------------- data dir and files

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_owned())
}

/// A path as a shell word, ready to paste.
fn sh(p: &Path) -> String {
    sh_word(&p.display().to_string())
}

/// A word for the shell, quoted only when needed.
fn sh_word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:@%,=".contains(&b))
    {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

const DATA_DIR_FIX: &str = "check data_dir (--data-dir, LATCHKEY_DATA_DIR or latchkey.toml): it must name the directory the server uses; `latchkey serve` creates it on first start";

/// Existence, permissions, and a read-only connection when there is a database to look at.
fn check_data_dir(s: &Settings, r: &mut Report) -> Option<Connection> {
    let dir = absolute(&s.data_dir);
    let db = dir.join("latchkey.db");
    match std::fs::metadata(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            r.critical(
                "data-dir-missing",
                format!(
                    "data dir {} does not exist: latchkey has not run with this data_dir, or data_dir points to the wrong place",
                    dir.display()
                ),
                DATA_DIR_FIX,
            );
            return None;
        }
        Err(e) => {
            r.critical(
                "data-dir-unreadable",
                format!("cannot inspect data dir {}: {e}", dir.display()),
                "run `latchkey doctor` as the user latchkey runs as",
            );
            return None;
        }
        Ok(m) if !m.is_dir() => {
            r.critical(
                "data-dir-missing",
                format!("data dir {} is not a directory", dir.display()),
                DATA_DIR_FIX,
            );
            return None;
        }
        Ok(_) => {}
    }
    #[cfg(unix)]
    check_permissions(&dir, &db, r);
    match std::fs::metadata(&db) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            r.critical(
                "database-missing",
                format!(
                    "there is no database at {}: latchkey has not run with this data_dir, or data_dir points to the wrong place",
                    db.display()
                ),
                DATA_DIR_FIX,
            );
            return None;
        }
        Err(e) => {
            r.critical(
                "database-unreadable",
                format!("cannot inspect {}: {e}", db.display()),
                "run `latchkey doctor` as the user latchkey runs as",
            );
            return None;
        }
        Ok(_) => {}
    }
    match store::open_read_only(&db) {
        Ok(c) => Some(c),
        Err(e) => {
            r.critical(
                "database-unreadable",
                format!("cannot open {} read-only: {e}", db.display()),
                "run `latchkey doctor` as the user latchkey runs as; if the file is damaged, restore a backup",
            );
            None
        }
    }
}

#[cfg(unix)]
fn check_permissions(dir: &Path, db: &Path, r: &mut Report) {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mode_of = |p: &Path| {
        std::fs::metadata(p)
            .ok()
            .map(|m| (m.permissions().mode() & 0o777, m.gid()))
    };
    let Some((dir_mode, dir_gid)) = mode_of(dir) else {
        return;
    };
    // The first directory on the way (the data dir or one of its parents) that other users cannot
    // enter: while there is one, a world-readable file inside is out of their reach.
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
    let blocker = canonical
        .ancestors()
        .find(|a| mode_of(a).is_some_and(|(m, _)| m & 0o001 == 0))
        .map(Path::to_owned);
    let reach = |what: &str| match &blocker {
        None => format!("every local user can {what}"),
        Some(b) => format!(
            "only the mode of {} ({:04o}) keeps other local users from being able to {what}; a looser directory, or a copy of the file, exposes it",
            b.display(),
            mode_of(b).map_or(0, |(m, _)| m)
        ),
    };
    let others = if blocker.is_none() {
        Severity::Critical
    } else {
        Severity::Warning
    };

    if dir_mode & 0o002 != 0 {
        r.add(
            others,
            "permissions",
            format!(
                "data dir {} is writable by every user (mode {dir_mode:04o}): {}",
                dir.display(),
                reach("replace latchkey.db, and with it the users, clients and signing keys")
            ),
            format!("chmod 700 {}", sh(dir)),
        );
    } else if dir_mode & 0o005 != 0 {
        r.warning(
            "permissions",
            format!(
                "data dir {} is open to every user (mode {dir_mode:04o}): other users can list it and open any file inside whose own mode allows (a backup or copy made there, for instance)",
                dir.display()
            ),
            format!("chmod 700 {}", sh(dir)),
        );
    } else if dir_mode & 0o070 != 0 {
        r.warning(
            "permissions",
            format!(
                "data dir {} is open to its group (gid {dir_gid}, mode {dir_mode:04o}): members can reach the database",
                dir.display()
            ),
            format!("chmod 700 {}", sh(dir)),
        );
    }

    for suffix in ["", "-wal", "-shm"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let path = PathBuf::from(name);
        let Some((mode, gid)) = mode_of(&path) else {
            continue;
        };
        let shown = path.display();
        let contents = if suffix.is_empty() {
            "it holds the private signing keys, password hashes and client secret hashes"
        } else {
            "it holds recent changes to the database, private keys included"
        };
        if mode & 0o006 != 0 {
            let verb = if mode & 0o002 != 0 {
                "read and rewrite it"
            } else {
                "read it"
            };
            r.add(
                others,
                "permissions",
                format!(
                    "{shown} is {} by every user (mode {mode:04o}) and {contents}: {}",
                    if mode & 0o002 != 0 {
                        "writable"
                    } else {
                        "readable"
                    },
                    reach(verb)
                ),
                format!("chmod 600 {}", sh(&path)),
            );
        } else if mode & 0o060 != 0 {
            let group_can_enter = dir_mode & 0o010 != 0;
            r.warning(
                "permissions",
                format!(
                    "{shown} is {} by its group (gid {gid}, mode {mode:04o}) and {contents}{}",
                    if mode & 0o020 != 0 {
                        "writable"
                    } else {
                        "readable"
                    },
                    if group_can_enter {
                        ""
                    } else {
                        " (the data dir keeps the group out for now)"
                    }
                ),
                format!("chmod 600 {}", sh(&path)),
            );
        }
    }
}

// ---------------------------------------------------------------- database

fn check_database(c: &Connection, s: &Settings, now: i64, r: &mut Report) {
    const RESTORE: &str = "stop latchkey and restore the last backup (README: \"Where data lives, and backups\"); `sqlite3 latchkey.db .recover` may save what a backup lacks";
    match store::quick_check(c) {
        Ok(rows) if rows.len() == 1 && rows[0] == "ok" => {}
        Ok(rows) => r.critical(
            "database-integrity",
            format!("PRAGMA quick_check reports damage: {}", rows.join("; ")),
            RESTORE,
        ),
        Err(e) => {
            r.critical(
                "database-integrity",
                format!("the database cannot be checked: {e}"),
                RESTORE,
            );
            return;
        }
    }
    let latest = migrate::latest_version();
    match migrate::current_version(c) {
        Ok(0) => {
            r.warning(
                "schema-version",
                "the database has no schema yet: latchkey has never opened it",
                "start latchkey once (or run any admin command, e.g. `latchkey keys list`): it creates the tables and signing keys",
            );
            return;
        }
        Ok(v) if v > latest => {
            r.critical(
                "schema-version",
                format!(
                    "the database has schema version {v}, newer than this latchkey supports ({latest}): this binary refuses to start on it"
                ),
                "run the newer latchkey that wrote it (or restore a backup made by this version)",
            );
            return;
        }
        Ok(v) if v < latest => r.info(
            "schema-version",
            format!(
                "the database has schema version {v}; this latchkey's is {latest}: it migrates the database when it next starts"
            ),
            "nothing to do: `latchkey serve` (or any admin command) applies the migrations; take a backup first if you like",
        ),
        Ok(_) => {}
        Err(e) => r.warning(
            "check-failed",
            format!("could not read the schema version: {e}"),
            RESTORE,
        ),
    }
    r.guard("signing keys", |r| check_keys(c, s, now, r));
    r.guard("clients", |r| check_clients(c, now, r));
    r.guard("access", |r| check_access(c, r));
    r.guard("users", |r| check_users(c, now, r));
}

fn check_keys(c: &Connection, s: &Settings, now: i64, r: &mut Report) -> Result<(), StoreError> {
    if keys::list_keys(c, i64::MIN)?.is_empty() {
        r.info(
            "signing-key-missing",
            "there are no signing keys yet: latchkey creates them when it first starts",
            "nothing to do before the first start; to create them now (or if latchkey is already running): latchkey keys rotate",
        );
        return Ok(());
    }
    // Everything the JWKS publishes: active keys and those retired within the retention period.
    let published = keys::list_keys(c, now - s.key_retention_secs)?;
    for k in &published {
        if let Err(e) = KeyRing::load(std::slice::from_ref(k)) {
            r.critical(
                "signing-key-broken",
                format!(
                    "signing key {} ({}) cannot be loaded: {e}; latchkey will not start while it is published",
                    k.kid,
                    k.alg.as_str()
                ),
                format!(
                    "latchkey keys rotate --alg {} (then, if it is still published, restore a backup)",
                    k.alg.as_str()
                ),
            );
        }
    }
    // Algorithms something signs with: ID tokens by default, access tokens, and each client's
    // chosen ID token algorithm.
    let mut in_use = BTreeSet::from([Alg::RS256, s.access_token_alg]);
    for cl in clients::list_clients(c)? {
        if let Some(a) = Alg::parse(&cl.id_token_alg) {
            in_use.insert(a);
        }
    }
    for alg in Alg::ALL {
        let newest = published
            .iter()
            .filter(|k| k.alg == alg && k.retired_at.is_none())
            .max_by_key(|k| k.created_at);
        let Some(k) = newest else {
            r.add(
                if in_use.contains(&alg) {
                    Severity::Critical
                } else {
                    Severity::Warning
                },
                "signing-key-missing",
                format!(
                    "there is no active {} signing key: {}; a running server only creates missing keys when it starts",
                    alg.as_str(),
                    if in_use.contains(&alg) {
                        "tokens that need it cannot be signed"
                    } else {
                        "nothing uses it now, but a client registered with it would get no tokens"
                    }
                ),
                format!(
                    "latchkey keys rotate --alg {} (a running server picks the new key up within 30 seconds)",
                    alg.as_str()
                ),
            );
            continue;
        };
        // A running server replaces keys older than key_rotation_secs within a minute, so an
        // older one means it is not running or its upkeep fails.
        let age = now - k.created_at;
        if age > s.key_rotation_secs {
            r.warning(
                "signing-key-old",
                format!(
                    "the active {} signing key {} was created {} ({} days ago), past key_rotation_secs ({}): automatic rotation has not happened, so latchkey is not running or its upkeep fails (see its log)",
                    alg.as_str(),
                    k.kid,
                    show_time(k.created_at),
                    age / DAY,
                    plural(s.key_rotation_secs / DAY, "day")
                ),
                format!(
                    "latchkey keys rotate --alg {} (or `latchkey keys rotate` for every algorithm); the old key stays published for key_retention_secs",
                    alg.as_str()
                ),
            );
        }
    }
    Ok(())
}

/// The commands that register `cl` again as given (there is no in-place edit).
fn reregister(cl: &clients::Client) -> String {
    let id = sh_word(&cl.client_id);
    let mut cmd = format!(
        "latchkey client remove {id} && latchkey client add {id} --name {}",
        sh_word(&cl.name)
    );
    if cl.is_public {
        cmd.push_str(" --public");
    }
    for u in &cl.redirect_uris {
        let _ = write!(cmd, " --redirect-uri {}", sh_word(u));
    }
    for u in &cl.post_logout_redirect_uris {
        let _ = write!(cmd, " --post-logout-redirect-uri {}", sh_word(u));
    }
    if let Some(u) = &cl.backchannel_logout_uri {
        let _ = write!(cmd, " --backchannel-logout-uri {}", sh_word(u));
    }
    if set(&cl.grant_types) != BTreeSet::from(["authorization_code", "refresh_token"]) {
        let _ = write!(cmd, " --grant-types {}", sh_word(&cl.grant_types.join(",")));
    }
    if set(&cl.scopes) != super::client::DEFAULT_SCOPES.split(' ').collect() {
        let _ = write!(cmd, " --scopes {}", sh_word(&cl.scopes.join(",")));
    }
    if cl.skip_consent {
        cmd.push_str(" --skip-consent");
    }
    if !cl.require_pkce && !cl.is_public {
        cmd.push_str(" --no-pkce");
    }
    if cl.id_token_alg != "RS256" {
        let _ = write!(cmd, " --id-token-alg {}", sh_word(&cl.id_token_alg));
    }
    let _ = write!(
        cmd,
        " (removing revokes its tokens and consents{})",
        if cl.is_public {
            ""
        } else {
            "; give the app the new client secret"
        }
    );
    cmd
}

/// Where an app's https callback would go when doctor cannot guess it.
const HTTPS_PLACEHOLDER: &str = "https://APP.EXAMPLE/callback";

/// A client restricted to groups nobody is in locks everyone out; say so before users do.
fn check_access(c: &Connection, r: &mut Report) -> Result<(), StoreError> {
    for cl in clients::list_clients(c)? {
        let allowed = groups::list_client_allowed_groups(c, cl.id)?;
        if allowed.is_empty() {
            continue;
        }
        let mut members = 0;
        for g in &allowed {
            let g = groups::get_group(c, g)?;
            members += groups::list_member_usernames(c, g.id)?.len();
        }
        if members == 0 {
            r.warning(
                "client-no-allowed-members",
                format!(
                    "client {} may only be used by members of {}, and those groups have no members: nobody can sign in to it",
                    cl.client_id,
                    allowed.join(", ")
                ),
                format!(
                    "latchkey group add-member {} USERNAME, or lift the restriction: latchkey client update {} --remove-allowed-group {}",
                    allowed[0],
                    cl.client_id,
                    allowed.join(",")
                ),
            );
        }
    }
    Ok(())
}

fn check_clients(c: &Connection, now: i64, r: &mut Report) -> Result<(), StoreError> {
    let list = clients::list_clients(c)?;
    for cl in &list {
        // Every problem of this client, and one registration that fixes them all: separate
        // remove-and-add commands would each undo the others' fixes.
        let mut found: Vec<(Severity, &'static str, String)> = Vec::new();
        let mut fixed = cl.clone();
        // For a public client whose only remark is a loopback URI: the registration a website
        // would need instead.
        let mut as_website = cl.clone();
        let mut changes: Vec<String> = Vec::new();
        let uris = cl
            .redirect_uris
            .iter()
            .map(|u| ("redirect URI", u))
            .chain(
                cl.post_logout_redirect_uris
                    .iter()
                    .map(|u| ("post-logout redirect URI", u)),
            )
            .chain(
                cl.backchannel_logout_uri
                    .iter()
                    .map(|u| ("back-channel logout URI", u)),
            );
        for (kind, uri) in uris {
            let Ok(url) = url::Url::parse(uri) else {
                continue;
            };
            if url.scheme() != "http" {
                continue;
            }
            if !host_is_loopback(&url) {
                let https = format!("https{}", &uri[4..]);
                replace_uri(&mut fixed, uri, Some(&https));
                changes.push(format!("{uri} becomes {https}"));
                found.push((
                    Severity::Critical,
                    "client-plain-http-uri",
                    format!(
                        "client {} has the plain-http {kind} {uri} on a non-loopback host: codes, tokens or logout tokens travel unencrypted (registration refuses such URIs; this one was written by hand or by an older latchkey)",
                        cl.client_id
                    ),
                ));
                continue;
            }
            // A localhost URI: drop it, or put a placeholder in its place when it was the only
            // redirect URI.
            let drop_or_placeholder = |c: &mut clients::Client| {
                let placeholder = (kind == "redirect URI" && c.redirect_uris.len() == 1)
                    .then_some(HTTPS_PLACEHOLDER);
                replace_uri(c, uri, placeholder);
                match placeholder {
                    Some(p) => format!("{uri} becomes {p} (put the app's real callback there)"),
                    None => format!("{uri} is dropped"),
                }
            };
            if cl.is_public {
                // Right for native apps (RFC 8252): nothing to change unless the app is a website.
                drop_or_placeholder(&mut as_website);
                found.push((
                    Severity::Info,
                    "client-plain-http-uri",
                    format!(
                        "public client {} has the loopback http {kind} {uri}: right for a native app (RFC 8252), a leftover if the app is a website",
                        cl.client_id
                    ),
                ));
                continue;
            }
            changes.push(drop_or_placeholder(&mut fixed));
            found.push((
                Severity::Warning,
                "client-plain-http-uri",
                format!(
                    "confidential client {} has the plain-http {kind} {uri}: a server-side app with a localhost URI is usually a development registration left in production",
                    cl.client_id
                ),
            ));
        }
        if !cl.is_public && !cl.require_pkce {
            fixed.require_pkce = true;
            changes.push(
                "PKCE is required (check that the app sends code_challenge with S256 first)".into(),
            );
            found.push((
                Severity::Warning,
                "client-pkce-disabled",
                format!(
                    "confidential client {} is exempt from PKCE (registered with --no-pkce): RFC 9700 asks for PKCE from every client, as it stops authorization code injection",
                    cl.client_id
                ),
            ));
        }
        if cl.is_public && cl.grant_types.iter().any(|g| g == "client_credentials") {
            fixed.grant_types.retain(|g| g != "client_credentials");
            changes.push("client_credentials is dropped".into());
            found.push((
                Severity::Critical,
                "client-public-client-credentials",
                format!(
                    "public client {} is allowed client_credentials, but it has no secret to prove who it is: this registration must not exist (the token endpoint refuses the grant; the row was written by hand or by a bug)",
                    cl.client_id
                ),
            ));
        }
        let fix = if changes.is_empty() {
            format!(
                "nothing to do for a native app; for a website, register it again with its https URIs: {}",
                reregister(&as_website)
            )
        } else {
            format!(
                "register it again ({}): {}",
                changes.join("; "),
                reregister(&fixed)
            )
        };
        for (severity, check, message) in found {
            r.add(severity, check, message, fix.clone());
        }
    }
    let machine: BTreeSet<&str> = list
        .iter()
        .filter(|cl| !cl.is_public && cl.grant_types.iter().any(|g| g == "client_credentials"))
        .map(|cl| cl.client_id.as_str())
        .collect();
    for (client_id, set_at) in clients::list_secret_set_at(c)? {
        let age_days = (now - set_at) / DAY;
        if machine.contains(client_id.as_str()) && age_days > CLIENT_SECRET_MAX_AGE_DAYS {
            r.info(
                "client-secret-age",
                format!(
                    "client {client_id} uses client_credentials with a secret set {} ({age_days} days ago): machine secrets live in config files and CI, and leak over time",
                    show_time(set_at)
                ),
                format!(
                    "latchkey client rotate-secret {client_id}, then update the app's configuration (the old secret stops working at once)"
                ),
            );
        }
    }
    Ok(())
}

/// A list as a set, to compare regardless of order.
fn set(v: &[String]) -> BTreeSet<&str> {
    v.iter().map(String::as_str).collect()
}

/// Replace (or, with `None`, drop) `old` wherever `cl` registers it.
fn replace_uri(cl: &mut clients::Client, old: &str, new: Option<&str>) {
    for list in [&mut cl.redirect_uris, &mut cl.post_logout_redirect_uris] {
        if let Some(i) = list.iter().position(|u| u == old) {
            match new {
                Some(n) => list[i] = n.to_owned(),
                None => {
                    list.remove(i);
                }
            }
        }
    }
    if cl.backchannel_logout_uri.as_deref() == Some(old) {
        cl.backchannel_logout_uri = new.map(str::to_owned);
    }
}

/// The parameters of a PHC string `$argon2id$v=19$m=19456,t=2,p=1$salt$hash`.
#[derive(Debug, PartialEq, Eq)]
struct Phc {
    alg: String,
    version: u32,
    m: u32,
    t: u32,
    p: u32,
}

fn parse_phc(s: &str) -> Option<Phc> {
    let mut parts = s.split('$');
    if !parts.next()?.is_empty() {
        return None;
    }
    let alg = parts.next()?.to_owned();
    let mut params = parts.next()?;
    // Hashes from before argon2 1.3 have no version field.
    let version = match params.strip_prefix("v=") {
        Some(v) => {
            let v = v.parse().ok()?;
            params = parts.next()?;
            v
        }
        None => 0x10,
    };
    let (mut m, mut t, mut p) = (None, None, None);
    for kv in params.split(',') {
        let (k, v) = kv.split_once('=')?;
        match k {
            "m" => m = v.parse().ok(),
            "t" => t = v.parse().ok(),
            "p" => p = v.parse().ok(),
            _ => {}
        }
    }
    let salt = parts.next()?;
    let hash = parts.next()?;
    if salt.is_empty() || hash.is_empty() || parts.next().is_some() {
        return None;
    }
    Some(Phc {
        alg,
        version,
        m: m?,
        t: t?,
        p: p?,
    })
}

/// Below OWASP's argon2id recommendation (any of its equivalent settings), or not argon2id v1.3.
fn is_weak(h: &Phc) -> bool {
    h.alg != "argon2id"
        || h.version < 0x13
        || h.p == 0
        || !OWASP_ARGON2ID.iter().any(|&(m, t)| h.m >= m && h.t >= t)
}

fn names(list: &[String]) -> String {
    let mut s = list
        .iter()
        .take(NAMES_SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if list.len() > NAMES_SHOWN {
        let _ = write!(s, " and {} more", list.len() - NAMES_SHOWN);
    }
    s
}

fn users_phrase(n: usize) -> String {
    if n == 1 {
        "1 user has".into()
    } else {
        format!("{n} users have")
    }
}

fn check_users(c: &Connection, now: i64, r: &mut Report) -> Result<(), StoreError> {
    let list = users::list_users(c)?;
    if list.is_empty() {
        r.info(
            "no-users",
            "there are no users yet: nobody can sign in",
            "latchkey user add USERNAME --email EMAIL --admin",
        );
    } else if !list.iter().any(|u| u.is_admin && !u.disabled) {
        r.info(
            "no-admin",
            "no enabled user is an administrator",
            "latchkey user add USERNAME --email EMAIL --admin (or `latchkey user enable USERNAME` for a disabled administrator)",
        );
    }

    let (mut weak, mut unreadable) = (Vec::new(), Vec::new());
    for u in &list {
        match parse_phc(&u.password_hash) {
            None => unreadable.push(u.username.clone()),
            Some(h) if !h.alg.starts_with("argon2") => unreadable.push(u.username.clone()),
            Some(h) if is_weak(&h) => weak.push(u.username.clone()),
            Some(_) => {}
        }
    }
    if !weak.is_empty() {
        r.warning(
            "password-hash-weak",
            format!(
                "{} password hashes weaker than OWASP's argon2id minimum (m={} KiB, t={}, p={} or an equivalent): {}; latchkey re-hashes each with the current parameters at that user's next sign-in",
                users_phrase(weak.len()),
                password::MEMORY_KIB,
                password::ITERATIONS,
                password::PARALLELISM,
                names(&weak)
            ),
            "nothing to do for users who sign in; for accounts nobody uses, `latchkey user set-password USERNAME` or `latchkey user disable USERNAME`",
        );
    }
    if !unreadable.is_empty() {
        r.warning(
            "password-hash-unreadable",
            format!(
                "{} a password hash latchkey cannot read (not an argon2 PHC string), so they cannot sign in: {}",
                users_phrase(unreadable.len()),
                names(&unreadable)
            ),
            "latchkey user set-password USERNAME",
        );
    }

    for (username, sessions, refresh) in users::list_disabled_users_with_grants(c, now)? {
        let mut held = Vec::new();
        if sessions > 0 {
            held.push(plural(sessions, "session"));
        }
        if refresh > 0 {
            held.push(plural(refresh, "live refresh token"));
        }
        r.warning(
            "disabled-user-grants",
            format!(
                "disabled user {username} still holds {} (disabling normally ends them; the user was disabled by hand or by an older latchkey)",
                held.join(" and ")
            ),
            format!(
                "latchkey user disable {username} (ends the sessions and revokes the refresh tokens again)"
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phc_strings_parse_with_and_without_version() {
        assert_eq!(
            parse_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA"),
            Some(Phc {
                alg: "argon2id".into(),
                version: 19,
                m: 19456,
                t: 2,
                p: 1
            })
        );
        assert_eq!(
            parse_phc("$argon2i$m=4096,t=3,p=1$c2FsdA$aGFzaA").map(|h| h.version),
            Some(0x10)
        );
        for bad in [
            "",
            "plain",
            "$2b$12$abcdefghijklmnopqrstuv",
            "$argon2id$v=19$m=19456,t=2$s$h",
            "$argon2id$v=19$m=19456,t=2,p=1$s",
        ] {
            assert_eq!(parse_phc(bad), None, "{bad}");
        }
    }

    #[test]
    fn owasp_equivalents_are_not_weak_and_less_is() {
        let h = |alg: &str, m, t| Phc {
            alg: alg.into(),
            version: 19,
            m,
            t,
            p: 1,
        };
        assert!(!is_weak(&h(
            "argon2id",
            password::MEMORY_KIB,
            password::ITERATIONS
        )));
        assert!(!is_weak(&h("argon2id", 47_104, 1)));
        assert!(!is_weak(&h("argon2id", 65_536, 3)));
        assert!(is_weak(&h("argon2id", 19_455, 2)));
        assert!(is_weak(&h("argon2id", 4096, 1)));
        assert!(is_weak(&h("argon2i", 65_536, 3)));
    }

    #[test]
    fn paths_are_quoted_for_the_shell_only_when_needed() {
        assert_eq!(sh(Path::new("/var/lib/latchkey")), "/var/lib/latchkey");
        assert_eq!(sh(Path::new("/tmp/my data")), "'/tmp/my data'");
        assert_eq!(sh(Path::new("/tmp/it's")), r"'/tmp/it'\''s'");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(secs(7200), "7200 (2 hours)");
        assert_eq!(secs(86_400), "86400 (1 day)");
        assert_eq!(secs(90), "90 (90 seconds)");
    }
}
