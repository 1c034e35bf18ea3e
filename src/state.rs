//! What every request handler can reach.

use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::keys::KeyRing;
use crate::oidc::maintenance::KeyWatch;
use crate::store::Store;
use std::sync::{Arc, Mutex, RwLock};

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    /// Discovery documents, serialised once at start.
    pub discovery_json: Arc<str>,
    pub oauth_metadata_json: Arc<str>,
    /// Wakes the back-channel logout sender after a logout.
    pub outbox_nudge: Arc<tokio::sync::Notify>,
    /// Wakes the mail sender after mail was queued.
    pub mail_nudge: Arc<tokio::sync::Notify>,
    /// "Forgot password?" requests (per client address, and per account name typed).
    pub forgot_throttle: Arc<crate::oidc::throttle::Throttle>,
    /// Password sign-in throttle (per source, per account and source, known browsers).
    pub throttle: Arc<crate::oidc::login_throttle::LoginThrottle>,
    /// Where argon2id work runs: one low-priority thread per core (see `crypto::password_pool`).
    pub passwords: Arc<crate::crypto::password_pool::PasswordPool>,
    /// Wrong device-flow user codes (per browser session and per IP).
    pub device_throttle: Arc<crate::oidc::throttle::Throttle>,
    /// `secret_key_file`: seals TOTP seeds, keys recovery-code hashes.
    pub secret_key: Arc<crate::crypto::secret_key::SecretKey>,
    /// Set once a stop was requested: `/healthz` answers 503 so load balancers move away.
    pub stopping: Arc<std::sync::atomic::AtomicBool>,
    /// Prometheus metrics; counted whether or not `metrics_bind` serves them.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// `[[upstream]]` providers with their secrets, and the client that talks to them.
    pub upstreams: Arc<crate::oidc::upstream::Registry>,
    keys: Arc<RwLock<Arc<KeyRing>>>,
    /// Held while a ring is read from the store and swapped in, so a slow reload can never
    /// put back keys older than the ones a rotation just installed.
    key_watch: Arc<Mutex<KeyWatch>>,
}

impl AppState {
    pub fn new(
        store: Store,
        settings: Settings,
        clock: Arc<dyn Clock>,
        keys: KeyRing,
        secret_key: crate::crypto::secret_key::SecretKey,
        upstreams: crate::oidc::upstream::Registry,
    ) -> Result<Self, prometheus::Error> {
        let metrics = Arc::new(crate::metrics::Metrics::new()?);
        // The store reports its fsyncs to the metrics, without knowing them.
        store.observe_commits(metrics.clone());
        let discovery_json = crate::oidc::discovery::metadata(&settings)
            .to_string()
            .into();
        let oauth_metadata_json = crate::oidc::discovery::oauth_metadata(&settings)
            .to_string()
            .into();
        Ok(Self {
            store,
            metrics,
            upstreams: Arc::new(upstreams),
            discovery_json,
            oauth_metadata_json,
            outbox_nudge: Arc::new(tokio::sync::Notify::new()),
            mail_nudge: Arc::new(tokio::sync::Notify::new()),
            forgot_throttle: Arc::new(crate::oidc::throttle::Throttle::new(
                "forgot",
                settings.login_max_wait_secs,
            )),
            throttle: Arc::new(crate::oidc::login_throttle::LoginThrottle::new(
                crate::oidc::login_throttle::Limits {
                    per_account: settings.login_failures_per_account,
                    per_source: settings.login_failures_per_ip,
                    max_wait_secs: settings.login_max_wait_secs,
                },
            )),
            passwords: Arc::new(crate::crypto::password_pool::PasswordPool::per_core(
                settings.password_queue_limit,
            )),
            device_throttle: Arc::new(crate::oidc::throttle::Throttle::new(
                "device",
                settings.login_max_wait_secs,
            )),
            settings: Arc::new(settings),
            secret_key: Arc::new(secret_key),
            clock,
            stopping: Arc::default(),
            keys: Arc::new(RwLock::new(Arc::new(keys))),
            key_watch: Arc::default(),
        })
    }
    /// The current key ring (cheap: an Arc clone).
    pub fn keys(&self) -> Arc<KeyRing> {
        match self.keys.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
    /// Read the signing keys again and serve them when they changed since the last reload
    /// (or always, with `force`); `true` when the ring was swapped. Blocking: it reads the
    /// store. Reloads take turns, and each reads the store after the previous one, so the
    /// ring served only ever moves forward.
    pub fn reload_keys(&self, force: bool) -> Result<bool, crate::oidc::signing_keys::KeyError> {
        let mut watch = match self.key_watch.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let now = self.clock.now();
        let ring = watch.check(&self.store, self.settings.key_retention_secs, now, force)?;
        Ok(ring.map(|r| self.set_keys(r)).is_some())
    }
    /// After a rotation on this node: serve the new keys at once, not at the next check. A
    /// failure is logged; the key watch tries again within `KEYS_CHECK_EVERY`.
    pub async fn reload_keys_now(&self) {
        let st = self.clone();
        let out = match actix_web::web::block(move || st.reload_keys(true)).await {
            Ok(out) => out.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = out {
            tracing::warn!(error = %e, "reloading the signing keys after a rotation failed");
        }
    }
    fn set_keys(&self, ring: KeyRing) {
        let mut g = match self.keys.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        *g = Arc::new(ring);
    }
}
