//! Reading `latchkey.toml`: its flat settings (each a known key; lists as TOML arrays) and its
//! `[[upstream]]` tables.

use super::{ConfigError, SETTINGS, Upstream, upstream};
use std::path::Path;

/// Settings that take a list (a TOML array in the file).
const LIST_SETTINGS: &[&str] = &["trusted_proxies"];

pub(super) fn known_key(k: &str) -> Option<&'static str> {
    SETTINGS.iter().map(|s| s.key).find(|key| *key == k)
}

/// The flat settings of a config file, and its `[[upstream]]` tables.
pub(super) type FileSettings = (Vec<(&'static str, String)>, Vec<Upstream>);

pub(super) fn read_toml(path: &Path) -> Result<FileSettings, ConfigError> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError(format!("cannot read config file {shown}: {e}")))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        ConfigError(format!(
            "config file {shown} is not valid TOML: {}",
            e.message().trim()
        ))
    })?;
    let mut out = Vec::new();
    let mut upstreams = Vec::new();
    for (key, value) in table {
        if key == "upstream" {
            upstreams = upstream::parse_tables(value, &shown.to_string())?;
            continue;
        }
        let known = known_key(&key).ok_or_else(|| {
            ConfigError(format!("unknown setting `{key}` in config file {shown}"))
        })?;
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            // Lists travel as the comma-separated form the environment uses.
            toml::Value::Array(items) if LIST_SETTINGS.contains(&known) => items
                .into_iter()
                .map(|i| match i {
                    toml::Value::String(s) if !s.contains(',') => Ok(s),
                    _ => Err(ConfigError(format!(
                        "setting `{key}` in config file {shown} must be a list of strings"
                    ))),
                })
                .collect::<Result<Vec<_>, _>>()?
                .join(","),
            _ => {
                return Err(ConfigError(format!(
                    "setting `{key}` in config file {shown} must be a string or a whole number"
                )));
            }
        };
        out.push((known, value));
    }
    Ok((out, upstreams))
}
