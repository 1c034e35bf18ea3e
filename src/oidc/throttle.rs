//! Failure counters with growing waits: each key allows some failures for free, then every
//! further failure earns a wait (1 s, 2 s, 4 s, ... up to a cap). Counters forget after a quiet
//! hour. Kept in memory: cheap on the hot path, and a restart merely forgives.
//! What is counted under which key is the caller's policy (`login_throttle`, the device page).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// A counter and the failures it allows before waits start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub free: u32,
}

impl Key {
    pub fn new(name: String, free: u32) -> Self {
        Self { name, free }
    }
}

/// What one advance count changed, so that it can be undone.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    count: u32,
    prior_block: i64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    failures: u32,
    last_failure: i64,
    blocked_until: i64,
}

/// Counters older than this (since the last failure) are forgotten.
pub const FORGET_AFTER_SECS: i64 = 3600;
/// A bound on memory: beyond this many keys, the oldest quiet entries go first.
const MAX_KEYS: usize = 100_000;

#[derive(Debug)]
pub struct Throttle {
    max_wait_secs: i64,
    entries: Mutex<HashMap<String, Entry>>,
}

/// Where a request comes from, as throttles count it: an IPv4 address, or the /64 of an IPv6
/// address (one subscriber usually holds a whole /64, so counting single addresses would let
/// one attacker rotate through billions of them).
pub fn source(ip: Option<&str>) -> String {
    match ip.and_then(|s| s.parse::<IpAddr>().ok()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "unknown".to_owned(),
    }
}

impl Throttle {
    pub fn new(max_wait_secs: i64) -> Self {
        Self {
            max_wait_secs,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        match self.entries.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Seconds to wait before another attempt is allowed, if any.
    pub fn retry_after(&self, keys: &[Key], now: i64) -> Option<i64> {
        let map = self.lock();
        keys.iter()
            .filter_map(|k| map.get(&k.name))
            .map(|e| e.blocked_until - now)
            .filter(|w| *w > 0)
            .max()
    }

    /// Count a failure; returns the wait it imposes (Some when a limit is now exceeded).
    pub fn record_failure(&self, keys: &[Key], now: i64) -> Option<i64> {
        self.reserve(keys, now).0
    }

    /// Count a failure in advance; the marks let [`Throttle::give_back`] undo exactly it.
    pub fn reserve(&self, keys: &[Key], now: i64) -> (Option<i64>, Vec<Mark>) {
        let mut map = self.lock();
        if map.len() >= MAX_KEYS {
            map.retain(|_, e| {
                now - e.last_failure < FORGET_AFTER_SECS && e.blocked_until > now - 60
            });
        }
        let mut wait = None;
        let mut marks = Vec::with_capacity(keys.len());
        for k in keys {
            let e = map.entry(k.name.clone()).or_default();
            if now - e.last_failure >= FORGET_AFTER_SECS {
                *e = Entry::default();
            }
            let prior_block = e.blocked_until;
            e.failures += 1;
            e.last_failure = now;
            if e.failures > k.free {
                let over = (e.failures - k.free - 1).min(30);
                let secs = (1i64 << over).min(self.max_wait_secs);
                e.blocked_until = now + secs;
                wait = Some(wait.map_or(secs, |w: i64| w.max(secs)));
            }
            marks.push(Mark {
                count: e.failures,
                prior_block,
            });
        }
        (wait, marks)
    }

    /// Undo failures counted in advance by [`Throttle::reserve`] (the attempt did not fail).
    /// The block a reservation set goes with it, unless other failures were counted since.
    pub fn give_back(&self, keys: &[Key], marks: &[Mark]) {
        let mut map = self.lock();
        for (k, m) in keys.iter().zip(marks) {
            if let Some(e) = map.get_mut(&k.name) {
                if e.failures == m.count {
                    e.blocked_until = m.prior_block;
                }
                e.failures = e.failures.saturating_sub(1);
            }
        }
    }

    /// Forget a key altogether (a correct password for the account).
    pub fn clear(&self, name: &str) {
        self.lock().remove(name);
    }

    /// How many failures a key holds now.
    pub fn failures(&self, name: &str, now: i64) -> u32 {
        self.lock()
            .get(name)
            .filter(|e| now - e.last_failure < FORGET_AFTER_SECS)
            .map_or(0, |e| e.failures)
    }

    /// Drop entries that no longer matter.
    pub fn sweep(&self, now: i64) {
        self.lock()
            .retain(|_, e| now - e.last_failure < FORGET_AFTER_SECS || e.blocked_until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(user: &str, ip: &str) -> Vec<Key> {
        vec![
            Key::new(format!("user:{user}"), 3),
            Key::new(format!("ip:{ip}"), 10),
        ]
    }

    #[test]
    fn waits_start_after_the_free_failures_and_grow_to_the_cap() {
        let th = Throttle::new(60);
        let k = keys("alice", "10.0.0.1");
        for _ in 0..3 {
            assert_eq!(th.record_failure(&k, 100), None);
        }
        assert_eq!(th.retry_after(&k, 100), None);
        assert_eq!(th.record_failure(&k, 100), Some(1));
        assert_eq!(th.record_failure(&k, 101), Some(2));
        assert_eq!(th.record_failure(&k, 103), Some(4));
        assert_eq!(th.retry_after(&k, 104), Some(3));
        for i in 0..20 {
            th.record_failure(&k, 200 + i);
        }
        assert_eq!(th.retry_after(&k, 220), Some(59), "capped at max_wait_secs");
    }

    #[test]
    fn there_is_no_permanent_lockout() {
        let th = Throttle::new(60);
        let k = keys("alice", "ip");
        for _ in 0..10 {
            th.record_failure(&k, 0);
        }
        assert!(th.retry_after(&k, 30).is_some());
        assert_eq!(th.retry_after(&k, 61), None, "the wait ends");
        assert_eq!(
            th.record_failure(&k, 4000),
            None,
            "an hour later the count starts over"
        );
    }

    #[test]
    fn giving_back_an_attempt_restores_the_block_as_it_was() {
        let th = Throttle::new(60);
        let k = vec![Key::new("user:alice".into(), 1)];
        th.record_failure(&k, 0);
        let (wait, marks) = th.reserve(&k, 0);
        assert_eq!(wait, Some(1));
        th.give_back(&k, &marks);
        assert_eq!(th.retry_after(&k, 0), None, "the block it set is gone");
        assert_eq!(th.failures("user:alice", 0), 1);
        // Over the allowance with its wait long over: giving back does not bring a block back.
        for _ in 0..3 {
            th.record_failure(&k, 10);
        }
        let (_, marks) = th.reserve(&k, 100);
        th.give_back(&k, &marks);
        assert_eq!(th.retry_after(&k, 100), None);
        // Another failure counted meanwhile keeps its block.
        let (_, marks) = th.reserve(&k, 200);
        assert!(th.record_failure(&k, 200).is_some());
        th.give_back(&k, &marks);
        assert!(th.retry_after(&k, 200).is_some());
        th.clear("user:alice");
        assert_eq!(th.failures("user:alice", 0), 0);
    }

    #[test]
    fn ipv6_sources_are_their_64_and_ipv4_their_address() {
        assert_eq!(source(Some("192.0.2.7")), "192.0.2.7");
        assert_eq!(
            source(Some("2001:db8:1:2:aaaa::1")),
            source(Some("2001:db8:1:2:ffff:ffff:ffff:ffff"))
        );
        assert_eq!(source(Some("2001:db8:1:2::9")), "2001:db8:1:2::/64");
        assert_ne!(
            source(Some("2001:db8:1:3::1")),
            source(Some("2001:db8:1:2::1"))
        );
        assert_eq!(source(None), "unknown");
    }
}
