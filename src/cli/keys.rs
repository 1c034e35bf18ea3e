//! `latchkey keys ...`

use super::{CliError, now, print, show_time};
use crate::config::Settings;
use crate::crypto::keys::Alg;
use crate::oidc::signing_keys;
use crate::store::{Store, audit, keys};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List signing keys (active and recently retired)
    List,
    /// Create new signing keys and retire the current ones (they stay published for key_retention_secs)
    Rotate {
        /// Only rotate this algorithm (RS256, ES256 or EdDSA); default: all
        #[arg(long, value_name = "ALG")]
        alg: Option<String>,
    },
}

#[derive(serde::Serialize)]
struct KeyView {
    kid: String,
    alg: &'static str,
    status: &'static str,
    created_at: i64,
    retired_at: Option<i64>,
}

pub fn run(
    cmd: KeysCommand,
    store: &Store,
    settings: &Settings,
    json: bool,
) -> Result<(), CliError> {
    match cmd {
        KeysCommand::List => {
            let now = now();
            let list = store.write(|c| {
                signing_keys::ensure_keys(c, now).map_err(|e| CliError::Other(e.to_string()))?;
                Ok::<_, CliError>(keys::list_keys(c, now - settings.key_retention_secs)?)
            })?;
            let views: Vec<KeyView> = list
                .iter()
                .map(|k| KeyView {
                    kid: k.kid.clone(),
                    alg: k.alg.as_str(),
                    status: if k.retired_at.is_some() {
                        "retired"
                    } else {
                        "active"
                    },
                    created_at: k.created_at,
                    retired_at: k.retired_at,
                })
                .collect();
            print(json, &views, || {
                views
                    .iter()
                    .map(|k| {
                        format!(
                            "{}\t{}\t{}\tcreated {}",
                            k.kid,
                            k.alg,
                            k.status,
                            show_time(k.created_at)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        KeysCommand::Rotate { alg } => {
            let algs = match alg.as_deref() {
                None => Alg::ALL.to_vec(),
                Some(a) => vec![Alg::parse(a).ok_or_else(|| {
                    CliError::Invalid(format!(
                        "unknown algorithm {a:?}: use RS256, ES256 or EdDSA"
                    ))
                })?],
            };
            let now = now();
            let created = store.write(|c| {
                let created = signing_keys::rotate(c, &algs, now)
                    .map_err(|e| CliError::Other(e.to_string()))?;
                audit::insert_audit_event(
                    c,
                    &audit::AuditEvent {
                        at: now,
                        kind: "keys.rotated".into(),
                        actor: Some("cli".into()),
                        ..Default::default()
                    },
                )?;
                Ok::<_, CliError>(created)
            })?;
            let views: Vec<KeyView> = created
                .iter()
                .map(|k| KeyView {
                    kid: k.kid.clone(),
                    alg: k.alg.as_str(),
                    status: "active",
                    created_at: k.created_at,
                    retired_at: None,
                })
                .collect();
            print(json, &views, || {
                let mut s: Vec<String> = views
                    .iter()
                    .map(|k| format!("new {} key {}", k.alg, k.kid))
                    .collect();
                s.push("A running server picks the new keys up within 30 seconds.".into());
                s.join("\n")
            });
        }
    }
    Ok(())
}
