//! Checks on the signing keys: missing, unloadable or overdue for rotation.

use super::text::{DAY, plural};
use super::{Report, Severity};
use crate::clock::{Timestamp, show_time};
use crate::config::Settings;
use crate::crypto::keys::{Alg, KeyRing};
use crate::store::{StoreError, Tx, clients, keys};
use std::collections::BTreeSet;

/// Published keys that cannot be loaded, algorithms without an active key, and active keys
/// older than `key_rotation_secs`.
pub(super) fn check_keys(
    c: &Tx<'_>,
    s: &Settings,
    now: Timestamp,
    r: &mut Report,
) -> Result<(), StoreError> {
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
