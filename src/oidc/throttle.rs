//! Failure counters with growing waits: each key allows some failures for free, then every
//! further failure earns a wait (1 s, 2 s, 4 s, ... up to a cap). Counters forget after a quiet
//! hour. They live in the database (`store::throttle`), so every node on it counts in the same
//! rows: N nodes never mean N times the limit.
//! What is counted under which key is the caller's policy (`login_throttle`, the device page).

use crate::crypto::random::hash_token;
use crate::store::{Result, Tx, throttle as counters};
use std::net::IpAddr;

pub use counters::FORGET_AFTER_SECS;

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
    count: i64,
    prior_block: i64,
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

/// One family of counters (sign-in, "forgot password", device codes): its own key space in
/// the shared table, and its longest wait.
#[derive(Debug)]
pub struct Throttle {
    scope: &'static str,
    max_wait_secs: i64,
}

/// The wait the `failures`-th failure earns on a key that allows `free`, if any.
fn wait_for(failures: i64, free: u32, max_wait_secs: i64) -> Option<i64> {
    let over = failures - i64::from(free);
    (over > 0).then(|| (1i64 << (over - 1).min(30)).min(max_wait_secs))
}

impl Throttle {
    pub fn new(scope: &'static str, max_wait_secs: i64) -> Self {
        Self {
            scope,
            max_wait_secs,
        }
    }

    /// The row key for `name`: hashed (fixed length, no addresses or names in plain text).
    pub(super) fn row(&self, name: &str) -> String {
        hash_token(&format!("{}|{name}", self.scope))
    }

    /// Seconds to wait before another attempt is allowed, if any.
    pub fn retry_after(&self, tx: &Tx<'_>, keys: &[Key], now: i64) -> Result<Option<i64>> {
        let rows: Vec<String> = keys.iter().map(|k| self.row(&k.name)).collect();
        let refs: Vec<&str> = rows.iter().map(String::as_str).collect();
        let wait = counters::blocked_until(tx, &refs)? - now;
        Ok((wait > 0).then_some(wait))
    }

    /// Count a failure; returns the wait it imposes (Some when a limit is now exceeded).
    pub fn record_failure(&self, tx: &Tx<'_>, keys: &[Key], now: i64) -> Result<Option<i64>> {
        let counted = self.reserve(tx, keys, &[], now)?;
        Ok(counted.and_then(|(wait, _)| wait))
    }

    /// Count a failure in advance; the marks let [`Throttle::give_back`] undo exactly it.
    /// Keys in `enforced` are counted only while not blocked: None (and nothing counted) when
    /// one was blocked since the caller's [`Throttle::retry_after`] — by another node, say.
    pub fn reserve(
        &self,
        tx: &Tx<'_>,
        keys: &[Key],
        enforced: &[Key],
        now: i64,
    ) -> Result<Option<(Option<i64>, Vec<Mark>)>> {
        let mut wait = None;
        let mut marks = Vec::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            let row = self.row(&k.name);
            let guard = if enforced.contains(k) { now } else { i64::MAX };
            let Some(c) = counters::count_failure(tx, &row, now, guard)? else {
                self.give_back(tx, &keys[..i], &marks)?;
                return Ok(None);
            };
            if let Some(secs) = wait_for(c.failures, k.free, self.max_wait_secs) {
                counters::set_block(tx, &row, now + secs)?;
                wait = Some(wait.map_or(secs, |w: i64| w.max(secs)));
            }
            marks.push(Mark {
                count: c.failures,
                prior_block: c.prior_block,
            });
        }
        Ok(Some((wait, marks)))
    }

    /// Undo failures counted in advance by [`Throttle::reserve`] (the attempt did not fail).
    /// The block a reservation set goes with it, unless other failures were counted since.
    pub fn give_back(&self, tx: &Tx<'_>, keys: &[Key], marks: &[Mark]) -> Result<()> {
        for (k, m) in keys.iter().zip(marks) {
            counters::give_back(tx, &self.row(&k.name), m.count, m.prior_block)?;
        }
        Ok(())
    }

    /// Forget a key altogether (a correct password for the account).
    pub fn clear(&self, tx: &Tx<'_>, name: &str) -> Result<()> {
        counters::clear(tx, &self.row(name))
    }

    /// How many failures a key holds now.
    pub fn failures(&self, tx: &Tx<'_>, name: &str, now: i64) -> Result<i64> {
        counters::failures(tx, &self.row(name), now)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::{Durability, Store};

    /// A throwaway database (no fsyncs: nothing here is about durability).
    pub fn db() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with(&dir.path().join("t.db"), Durability::Relaxed).unwrap();
        (dir, store)
    }

    fn keys(user: &str, ip: &str) -> Vec<Key> {
        vec![
            Key::new(format!("user:{user}"), 3),
            Key::new(format!("ip:{ip}"), 10),
        ]
    }

    struct T {
        th: Throttle,
        store: Store,
        _dir: tempfile::TempDir,
    }

    impl T {
        fn new(max_wait: i64) -> Self {
            let (_dir, store) = db();
            Self {
                th: Throttle::new("test", max_wait),
                store,
                _dir,
            }
        }
        fn fail(&self, k: &[Key], now: i64) -> Option<i64> {
            self.store
                .write(|c| self.th.record_failure(c, k, now))
                .unwrap()
        }
        fn wait(&self, k: &[Key], now: i64) -> Option<i64> {
            self.store.read(|c| self.th.retry_after(c, k, now)).unwrap()
        }
        fn reserve(&self, k: &[Key], now: i64) -> (Option<i64>, Vec<Mark>) {
            self.store
                .write(|c| self.th.reserve(c, k, &[], now))
                .unwrap()
                .unwrap()
        }
        fn give_back(&self, k: &[Key], marks: &[Mark]) {
            self.store
                .write(|c| self.th.give_back(c, k, marks))
                .unwrap();
        }
        fn failures(&self, name: &str, now: i64) -> i64 {
            self.store.read(|c| self.th.failures(c, name, now)).unwrap()
        }
    }

    #[test]
    fn waits_start_after_the_free_failures_and_grow_to_the_cap() {
        let t = T::new(60);
        let k = keys("alice", "10.0.0.1");
        for _ in 0..3 {
            assert_eq!(t.fail(&k, 100), None);
        }
        assert_eq!(t.wait(&k, 100), None);
        assert_eq!(t.fail(&k, 100), Some(1));
        assert_eq!(t.fail(&k, 101), Some(2));
        assert_eq!(t.fail(&k, 103), Some(4));
        assert_eq!(t.wait(&k, 104), Some(3));
        for i in 0..20 {
            t.fail(&k, 200 + i);
        }
        assert_eq!(t.wait(&k, 220), Some(59), "capped at max_wait_secs");
    }

    #[test]
    fn there_is_no_permanent_lockout() {
        let t = T::new(60);
        let k = keys("alice", "ip");
        for _ in 0..10 {
            t.fail(&k, 0);
        }
        assert!(t.wait(&k, 30).is_some());
        assert_eq!(t.wait(&k, 61), None, "the wait ends");
        assert_eq!(
            t.fail(&k, 4000),
            None,
            "an hour later the count starts over"
        );
    }

    #[test]
    fn giving_back_an_attempt_restores_the_block_as_it_was() {
        let t = T::new(60);
        let k = vec![Key::new("user:alice".into(), 1)];
        t.fail(&k, 0);
        let (wait, marks) = t.reserve(&k, 0);
        assert_eq!(wait, Some(1));
        t.give_back(&k, &marks);
        assert_eq!(t.wait(&k, 0), None, "the block it set is gone");
        assert_eq!(t.failures("user:alice", 0), 1);
        // Over the allowance with its wait long over: giving back does not bring a block back.
        for _ in 0..3 {
            t.fail(&k, 10);
        }
        let (_, marks) = t.reserve(&k, 100);
        t.give_back(&k, &marks);
        assert_eq!(t.wait(&k, 100), None);
        // Another failure counted meanwhile keeps its block.
        let (_, marks) = t.reserve(&k, 200);
        assert!(t.fail(&k, 200).is_some());
        t.give_back(&k, &marks);
        assert!(t.wait(&k, 200).is_some());
        t.store.write(|c| t.th.clear(c, "user:alice")).unwrap();
        assert_eq!(t.failures("user:alice", 0), 0);
    }

    #[test]
    fn a_key_blocked_since_it_was_checked_is_not_counted_again() {
        let t = T::new(60);
        let k = vec![Key::new("a".into(), 5), Key::new("b".into(), 0)];
        t.fail(&k[1..], 0);
        let refused = t.store.write(|c| t.th.reserve(c, &k, &k, 0)).unwrap();
        assert!(refused.is_none());
        assert_eq!(t.failures("a", 0), 0, "what it counted first is given back");
        assert_eq!(t.failures("b", 0), 1);
    }

    #[test]
    fn throttles_do_not_share_counters_and_the_sweep_drops_quiet_ones() {
        let t = T::new(60);
        let other = Throttle::new("other", 60);
        let k = vec![Key::new("same".into(), 0)];
        t.fail(&k, 0);
        let theirs = t.store.read(|c| other.retry_after(c, &k, 0)).unwrap();
        assert_eq!(theirs, None);
        let swept = t
            .store
            .write(|c| counters::delete_expired(c, FORGET_AFTER_SECS - 1))
            .unwrap();
        assert_eq!(swept, 0, "not quiet for an hour yet");
        let swept = t
            .store
            .write(|c| counters::delete_expired(c, FORGET_AFTER_SECS))
            .unwrap();
        assert_eq!(swept, 1);
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
