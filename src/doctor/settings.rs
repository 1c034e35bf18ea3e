//! Checks on the settings alone: issuer and bind, trusted proxies, lifetimes and other
//! `setting-*` values.

use super::Report;
use super::text::{DAY, secs};
use crate::config::Settings;
use crate::store;

/// A `key_rotation_secs` longer than this keeps signing keys in use for too long.
const KEY_ROTATION_MAX: i64 = 90 * DAY;
const ACCESS_TOKEN_TTL_MAX: i64 = 3600;
const ID_TOKEN_TTL_MAX: i64 = DAY;
const REFRESH_TOKEN_TTL_MAX: i64 = 90 * DAY;
const SESSION_IDLE_MAX: i64 = DAY;
const SESSION_LIFETIME_MAX: i64 = 30 * DAY;

/// `localhost`, a `.localhost` name or a loopback address: plain http is fine there.
pub(super) fn host_is_loopback(url: &url::Url) -> bool {
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

pub(super) fn check_trusted_proxies(s: &Settings, r: &mut Report) {
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
    // With built-in TLS no proxy is needed, so none is suspected.
    if https && s.tls.is_none() && s.bind.ip().is_loopback() && s.trusted_proxies.is_empty() {
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

pub(super) fn check_issuer_and_bind(s: &Settings, r: &mut Report) {
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
    } else if url.scheme() == "https" && bind_public && s.tls.is_none() {
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

pub(super) fn check_settings(s: &Settings, r: &mut Report) {
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
    if let Some(addr) = s.metrics_bind.filter(|a| !a.ip().is_loopback()) {
        r.warning(
            "metrics-public",
            format!(
                "metrics_bind {addr} accepts connections from other machines: /metrics has no authentication, and its counts of sign-ins, failures, throttles and tokens tell anyone who can reach it how the server is used and attacked"
            ),
            format!(
                "set metrics_bind = \"127.0.0.1:{}\" and scrape from this host (or through an SSH tunnel or a proxy with authentication), or firewall port {} to your Prometheus server only",
                addr.port(),
                addr.port()
            ),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_fix_quotes_strings_for_toml_but_not_numbers() {
        assert_eq!(
            set_fix("access_token_ttl_secs", 600),
            "set access_token_ttl_secs = 600 in latchkey.toml (or LATCHKEY_ACCESS_TOKEN_TTL_SECS=600)"
        );
        assert_eq!(
            set_fix("durability", "group"),
            "set durability = \"group\" in latchkey.toml (or LATCHKEY_DURABILITY=group)"
        );
    }

    #[test]
    fn loopback_hosts_are_localhost_names_and_loopback_addresses() {
        for yes in [
            "http://localhost:8080",
            "http://app.localhost",
            "http://127.0.0.2",
            "http://[::1]/",
        ] {
            assert!(host_is_loopback(&url::Url::parse(yes).unwrap()), "{yes}");
        }
        for no in [
            "http://example.com",
            "http://10.0.0.1",
            "http://localhost.example",
        ] {
            assert!(!host_is_loopback(&url::Url::parse(no).unwrap()), "{no}");
        }
    }
}
