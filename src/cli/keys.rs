//! `latchkey keys ...`

use super::{CliError, now, print, show_time};
use crate::config::Settings;
use crate::oidc::admin::keys::KeyView;
use crate::oidc::admin::{self, Actor};
use crate::store::Store;
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

pub fn run(
    cmd: KeysCommand,
    store: &Store,
    settings: &Settings,
    json: bool,
) -> Result<(), CliError> {
    match cmd {
        KeysCommand::List => {
            let now = now();
            let list = store.write(|c| admin::keys::list(c, now, settings.key_retention_secs))?;
            let views: Vec<KeyView> = list.iter().map(KeyView::from).collect();
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
            let created =
                store.write(|c| admin::keys::rotate(c, &Actor::Cli, now(), alg.as_deref()))?;
            let views: Vec<KeyView> = created.iter().map(KeyView::from).collect();
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
