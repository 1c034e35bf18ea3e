//! Access tokens this process signed a moment ago, kept by their SHA-256.
//!
//! An RP usually presents a new access token at once (userinfo right after the code exchange),
//! and verifying an ECDSA signature costs more than making it. A token whose exact bytes this
//! process produced needs no signature check: finding its hash here proves as much as the
//! signature would. The memory is per key ring, so a reload (a rotation, a key removed) starts
//! it empty and no token outlives the keys it was signed with; a miss verifies as usual.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Enough for the tokens of the last fraction of a second at full load (~1 KB each).
pub const CAPACITY: usize = 1024;

#[derive(Default)]
pub struct RecentlySigned {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    by_hash: HashMap<[u8; 32], (String, Map<String, Value>)>,
    order: VecDeque<[u8; 32]>,
}

impl RecentlySigned {
    /// Keep `token` (signed with `typ` over `claims`), forgetting the oldest when full.
    pub fn remember(&self, token: &str, typ: &str, claims: Map<String, Value>) {
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut inner = self.lock();
        if inner.order.len() >= CAPACITY
            && let Some(old) = inner.order.pop_front()
        {
            inner.by_hash.remove(&old);
        }
        if inner
            .by_hash
            .insert(hash, (typ.to_owned(), claims))
            .is_none()
        {
            inner.order.push_back(hash);
        }
    }

    /// The claims of `token` when this process signed it with one of `expected_typ`.
    pub fn claims(&self, token: &str, expected_typ: &[&str]) -> Option<Map<String, Value>> {
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let inner = self.lock();
        let (typ, claims) = inner.by_hash.get(&hash)?;
        expected_typ
            .iter()
            .any(|t| t.eq_ignore_ascii_case(typ))
            .then(|| claims.clone())
    }

    #[cfg(test)]
    pub fn remembered(&self) -> usize {
        self.lock().order.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding it cannot leave a half-made entry worse than a miss.
        match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}
