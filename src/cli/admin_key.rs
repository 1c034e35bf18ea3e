//! `latchkey admin-key ...`: keys for the JSON admin API (`/admin/api/v1/`).

use super::{CliError, now, print, show_time};
use crate::domain::parse_duration_secs;
use crate::oidc::admin::{self, Actor};
use crate::store::Store;
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum AdminKeyCommand {
    /// Make a key for the admin API and print it once (only its hash is stored)
    ///
    /// Send it as `Authorization: Bearer KEY` to /admin/api/v1/. It can do everything an admin
    /// can; the audit log names its changes `admin-key:NAME`. Store it like a password.
    Create(CreateArgs),
    /// List admin keys: name, status (active, expired, revoked), created, expires, last used.
    /// Never the keys themselves
    List,
    /// Revoke a key: requests with it are refused at once. The name stays taken, so the audit
    /// log's `admin-key:NAME` keeps meaning one key
    Revoke { name: String },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// 1-64 letters, digits, '_', '-' or '.', e.g. `ci` or `terraform`
    pub name: String,
    /// Expire the key after this long: 90d, 12h, 30m (default: never)
    #[arg(long, value_name = "DURATION")]
    pub expires: Option<String>,
}

pub fn run(cmd: AdminKeyCommand, store: &Store, json: bool) -> Result<(), CliError> {
    let actor = &Actor::Cli;
    match cmd {
        AdminKeyCommand::Create(a) => {
            let lifetime = a
                .expires
                .as_deref()
                .map(|e| {
                    parse_duration_secs(e).map_err(|e| CliError::Invalid(format!("--expires: {e}")))
                })
                .transpose()?;
            let (k, key) =
                store.write(|c| admin::api_keys::create(c, actor, now(), &a.name, lifetime))?;
            let out = serde_json::json!({
                "name": k.name,
                "key": key,
                "created_at": k.created_at,
                "expires_at": k.expires_at,
            });
            print(json, &out, || {
                let until = k
                    .expires_at
                    .map(|t| format!("expires {}", show_time(t)))
                    .unwrap_or_else(|| "never expires".into());
                format!(
                    "created admin key {} ({until})\nkey: {key}\nThis key is shown only once. Send it as `Authorization: Bearer KEY`.",
                    k.name
                )
            });
        }
        AdminKeyCommand::List => {
            let list = store.read(|c| admin::api_keys::list(c, now()))?;
            print(json, &list, || {
                if list.is_empty() {
                    return "no admin keys".into();
                }
                list.iter()
                    .map(|i| {
                        let k = &i.key;
                        let when = |t: Option<i64>| t.map(show_time).unwrap_or_else(|| "-".into());
                        format!(
                            "{}\t{}\tcreated {} by {}\texpires {}\tlast used {}",
                            k.name,
                            i.status,
                            show_time(k.created_at),
                            k.created_by,
                            when(k.expires_at),
                            when(k.last_used_at)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        AdminKeyCommand::Revoke { name } => {
            let k = store.write(|c| admin::api_keys::revoke(c, actor, now(), &name))?;
            print(
                json,
                &serde_json::json!({ "name": k.name, "revoked_at": k.revoked_at }),
                || format!("revoked admin key {}", k.name),
            );
        }
    }
    Ok(())
}
