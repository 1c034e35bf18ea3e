//! What every request handler can reach.

use crate::clock::Clock;
use crate::config::Settings;
use crate::crypto::keys::KeyRing;
use crate::store::Store;
use std::sync::{Arc, RwLock};

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    keys: Arc<RwLock<Arc<KeyRing>>>,
}

impl AppState {
    pub fn new(store: Store, settings: Settings, clock: Arc<dyn Clock>, keys: KeyRing) -> Self {
        Self {
            store,
            settings: Arc::new(settings),
            clock,
            keys: Arc::new(RwLock::new(Arc::new(keys))),
        }
    }
    /// The current key ring (cheap: an Arc clone).
    pub fn keys(&self) -> Arc<KeyRing> {
        match self.keys.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
    /// Swap in a reloaded key ring (after `latchkey keys rotate`, say).
    pub fn set_keys(&self, ring: KeyRing) {
        let mut g = match self.keys.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        *g = Arc::new(ring);
    }
}
