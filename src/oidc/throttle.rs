//! Brute-force throttling for password sign-in: per account and per client IP, failures beyond
//! a free allowance earn a growing wait (1 s, 2 s, 4 s, ... up to a cap). There is no permanent
//! lockout, so an attacker cannot lock a user out for long; the counters forget after a quiet
//! period. Kept in memory: cheap on the hot path, and a restart merely forgives.

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Failures allowed per account before waits start.
    pub per_account: u32,
    /// Failures allowed per client IP before waits start.
    pub per_ip: u32,
    /// The longest wait, in seconds.
    pub max_wait_secs: i64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Entry {
    failures: u32,
    last_failure: i64,
    blocked_until: i64,
}

/// Counters older than this (since the last failure) are forgotten.
const FORGET_AFTER_SECS: i64 = 3600;
/// A bound on memory: beyond this many keys, the oldest quiet entries go first.
const MAX_KEYS: usize = 100_000;

#[derive(Debug)]
pub struct Throttle {
    limits: Limits,
    entries: Mutex<HashMap<String, Entry>>,
}

/// The keys one sign-in attempt is counted under.
pub fn keys(username: &str, ip: Option<&str>) -> Vec<String> {
    let mut k = vec![format!("user:{}", username.to_ascii_lowercase())];
    if let Some(ip) = ip {
        k.push(format!("ip:{ip}"));
    }
    k
}

impl Throttle {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
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
    pub fn retry_after(&self, keys: &[String], now: i64) -> Option<i64> {
        let map = self.lock();
        keys.iter()
            .filter_map(|k| map.get(k))
            .map(|e| e.blocked_until - now)
            .filter(|w| *w > 0)
            .max()
    }

    /// Count a failure; returns the wait it imposes (Some when a limit is now exceeded).
    pub fn record_failure(&self, keys: &[String], now: i64) -> Option<i64> {
        let mut map = self.lock();
        if map.len() >= MAX_KEYS {
            map.retain(|_, e| {
                now - e.last_failure < FORGET_AFTER_SECS && e.blocked_until > now - 60
            });
        }
        let mut wait = None;
        for k in keys {
            let free = if k.starts_with("ip:") {
                self.limits.per_ip
            } else {
                self.limits.per_account
            };
            let e = map.entry(k.clone()).or_default();
            if now - e.last_failure >= FORGET_AFTER_SECS {
                *e = Entry::default();
            }
            e.failures += 1;
            e.last_failure = now;
            if e.failures > free {
                let over = (e.failures - free - 1).min(30);
                let secs = (1i64 << over).min(self.limits.max_wait_secs);
                e.blocked_until = now + secs;
                wait = Some(wait.map_or(secs, |w: i64| w.max(secs)));
            }
        }
        wait
    }

    /// A correct password clears the account's counter (the IP's stays: one good account must
    /// not launder guesses against others).
    pub fn record_success(&self, username: &str) {
        self.lock()
            .remove(&format!("user:{}", username.to_ascii_lowercase()));
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

    fn t() -> Throttle {
        Throttle::new(Limits {
            per_account: 3,
            per_ip: 10,
            max_wait_secs: 60,
        })
    }

    #[test]
    fn waits_start_after_the_free_failures_and_grow_to_the_cap() {
        let th = t();
        let k = keys("Alice", Some("10.0.0.1"));
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
        // Case does not matter for the account key.
        assert!(th.retry_after(&keys("ALICE", None), 220).is_some());
    }

    #[test]
    fn there_is_no_permanent_lockout() {
        let th = t();
        let k = keys("alice", None);
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
    fn success_clears_the_account_but_not_the_ip() {
        let th = Throttle::new(Limits {
            per_account: 1,
            per_ip: 1,
            max_wait_secs: 60,
        });
        let k = keys("alice", Some("ip1"));
        th.record_failure(&k, 0);
        th.record_failure(&k, 0);
        th.record_success("alice");
        assert!(th.retry_after(&keys("alice", None), 0).is_none());
        assert!(th.retry_after(&keys("bob", Some("ip1")), 0).is_some());
    }
}
