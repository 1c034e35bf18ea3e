//! The password sign-in throttle: who may try a password now, and what a failure costs.
//!
//! The policy (README, "Sign-in throttling"):
//! - Every attempt is counted *before* the password is checked and given back when it was
//!   right, so a burst sent at once cannot slip past the limit while argon2 is busy.
//! - At most [`IN_FLIGHT_MAX`] checks run at once per account-and-source and per source; more
//!   get 429 at once.
//! - A source (an IPv4 address or an IPv6 /64) gets `login_failures_per_ip` failures across all
//!   accounts before waits start.
//! - An account gets `login_failures_per_account` failures *per source* before that source waits
//!   for that account: an attacker's guesses block the attacker, not the real user elsewhere.
//! - A browser that signed in to the account before (the long-lived "known browser" cookie)
//!   has a counter of its own for the account instead, and is never held by the other two
//!   account counters: whatever an attacker does, the user's own browser gets in.
//! - Guessing spread over many sources (a botnet) is held by one more counter per account, for
//!   browsers not known to it: `login_failures_per_account` x [`SPREAD_FACTOR`] failures, and
//!   only once they came from at least [`SPREAD_MIN_SOURCES`] sources — one source alone can
//!   never trigger it.
//!
//! Waits grow 1 s, 2 s, 4 s, ... up to `login_max_wait_secs`; nothing is permanent.
//! The counters live in the database (`oidc::throttle`): every node on it counts in the same
//! rows, so several nodes never mean several times the limit.

use super::throttle::{Key, Mark, Throttle, source};
use crate::crypto::random::hash_token;
use crate::store::{StoreError, Tx, throttle as counters};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Password checks one source, or one account from one source, may have running at once.
pub const IN_FLIGHT_MAX: u32 = 2;
/// The spread counter allows this many times the per-account failures...
pub const SPREAD_FACTOR: u32 = 10;
/// ...and holds only once the failures came from this many sources.
pub const SPREAD_MIN_SOURCES: usize = 5;
/// Distinct sources remembered per account (enough to know the threshold is met).
const SPREAD_MEMORY: i64 = 16;
/// Usernames longer than this are counted by their first this-many characters.
const NAME_CHARS: usize = 128;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub per_account: u32,
    pub per_source: u32,
    pub max_wait_secs: i64,
}

/// One sign-in attempt: the typed username, the client address, and the id of this browser's
/// known-browser record for that account (if it has one).
#[derive(Debug, Clone)]
pub struct Attempt {
    pub username: String,
    pub ip: Option<String>,
    pub known_browser: Option<String>,
}

/// Why an attempt may not check a password now.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// Too many failures: wait this many seconds.
    Wait(i64),
    /// Too many checks running at once for this account or source: retry in a second.
    Busy,
}

/// The failure counters are in the database, shared by every node. The checks in flight stay
/// in this process on purpose: they bound the argon2 work queued on *this* node's threads (a
/// burst held for a second), not guessing, which the shared counters bound.
#[derive(Debug)]
pub struct LoginThrottle {
    limits: Limits,
    counters: Throttle,
    in_flight: Mutex<HashMap<String, u32>>,
}

/// The keys an attempt is judged and counted under.
struct Plan {
    /// Counted for every attempt (given back on success).
    counted: Vec<Key>,
    /// Checked before the attempt (the spread key only once enough sources failed).
    enforced: Vec<Key>,
    in_flight: Vec<String>,
    /// Cleared by a correct password.
    account: String,
    spread_key: Option<String>,
    source: String,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

impl LoginThrottle {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            counters: Throttle::new("login", limits.max_wait_secs),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    fn plan(&self, tx: &Tx<'_>, a: &Attempt, now: i64) -> Result<Plan, StoreError> {
        let user: String = a
            .username
            .chars()
            .take(NAME_CHARS)
            .collect::<String>()
            .to_lowercase();
        let source = source(a.ip.as_deref());
        let by_source = Key::new(format!("src:{source}"), self.limits.per_source);
        let per_account = self.limits.per_account;
        let account = match &a.known_browser {
            Some(b) => format!("acct:{user}|browser:{b}"),
            None => format!("acct:{user}|src:{source}"),
        };
        let account_key = Key::new(account.clone(), per_account);
        let mut counted = vec![by_source.clone(), account_key.clone()];
        let mut enforced = vec![by_source, account_key];
        let mut spread_key = None;
        if a.known_browser.is_none() {
            let k = Key::new(
                format!("acct:{user}|spread"),
                per_account.saturating_mul(SPREAD_FACTOR),
            );
            let seen = counters::sources(tx, &self.counters.row(&k.name), now)?;
            if seen >= SPREAD_MIN_SOURCES as i64 {
                enforced.push(k.clone());
            }
            spread_key = Some(k.name.clone());
            counted.push(k);
        }
        Ok(Plan {
            in_flight: vec![format!("src:{source}"), account.clone()],
            counted,
            enforced,
            account,
            spread_key,
            source,
        })
    }

    /// Take a place among the checks in flight, or None when one of `keys` is full.
    fn enter(self: &Arc<Self>, keys: Vec<String>) -> Option<InFlight> {
        let mut running = lock(&self.in_flight);
        if keys
            .iter()
            .any(|k| running.get(k).copied().unwrap_or(0) >= IN_FLIGHT_MAX)
        {
            return None;
        }
        for k in &keys {
            *running.entry(k.clone()).or_default() += 1;
        }
        Some(InFlight {
            owner: self.clone(),
            keys,
        })
    }

    /// Reserve a password check for `a`, or say why not, in `tx` (a write). The reservation
    /// counts as a failure until it is settled with [`Reservation::succeeded`] or
    /// [`Reservation::cancelled`].
    pub fn begin(
        self: &Arc<Self>,
        tx: &Tx<'_>,
        a: &Attempt,
        now: i64,
    ) -> Result<Result<Reservation, Refused>, StoreError> {
        let plan = self.plan(tx, a, now)?;
        if let Some(wait) = self.counters.retry_after(tx, &plan.enforced, now)? {
            return Ok(Err(Refused::Wait(wait)));
        }
        let Some(in_flight) = self.enter(plan.in_flight) else {
            return Ok(Err(Refused::Busy));
        };
        let Some((wait_if_wrong, marks)) =
            self.counters
                .reserve(tx, &plan.counted, &plan.enforced, now)?
        else {
            // Another node's failure blocked a key since the check above.
            let wait = self.counters.retry_after(tx, &plan.enforced, now)?;
            return Ok(Err(Refused::Wait(wait.unwrap_or(1))));
        };
        if let Some(key) = &plan.spread_key {
            let row = self.counters.row(key);
            counters::note_source(tx, &row, &hash_token(&plan.source), now, SPREAD_MEMORY)?;
        }
        Ok(Ok(Reservation {
            owner: self.clone(),
            counted: plan.counted,
            marks,
            _in_flight: in_flight,
            account: plan.account,
            wait_if_wrong,
        }))
    }
}

/// A place among this node's password checks in flight, freed when dropped.
#[derive(Debug)]
struct InFlight {
    owner: Arc<LoginThrottle>,
    keys: Vec<String>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut running = lock(&self.owner.in_flight);
        for k in &self.keys {
            if let Some(n) = running.get_mut(k) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    running.remove(k);
                }
            }
        }
    }
}

/// A password check that is allowed and counted. Dropping it unsettled keeps the failure
/// counted (the safe side) and frees its place among the checks in flight.
#[derive(Debug)]
pub struct Reservation {
    owner: Arc<LoginThrottle>,
    counted: Vec<Key>,
    marks: Vec<Mark>,
    _in_flight: InFlight,
    account: String,
    wait_if_wrong: Option<i64>,
}

impl Reservation {
    /// The password was right (settled in `tx`, a write): the attempt is given back and the
    /// account's counter for this source (or browser) starts over. The source's count keeps
    /// its other failures: one good account must not launder guesses against others.
    pub fn succeeded(self, tx: &Tx<'_>) -> Result<(), StoreError> {
        let counters = &self.owner.counters;
        counters.give_back(tx, &self.counted, &self.marks)?;
        counters.clear(tx, &self.account)
    }

    /// The password was wrong: the failure stays. Returns the wait it imposed, if any.
    pub fn failed(self) -> Option<i64> {
        self.wait_if_wrong
    }

    /// No password was checked (the hashing queue was full): the attempt is given back.
    pub fn cancelled(self, tx: &Tx<'_>) -> Result<(), StoreError> {
        self.owner
            .counters
            .give_back(tx, &self.counted, &self.marks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    struct T {
        th: Arc<LoginThrottle>,
        store: Store,
        _dir: tempfile::TempDir,
    }

    impl T {
        fn begin(&self, a: &Attempt, now: i64) -> Result<Reservation, Refused> {
            self.store.write(|c| self.th.begin(c, a, now)).unwrap()
        }
        fn succeeded(&self, r: Reservation) {
            self.store.write(|c| r.succeeded(c)).unwrap();
        }
        fn cancelled(&self, r: Reservation) {
            self.store.write(|c| r.cancelled(c)).unwrap();
        }
    }

    fn throttle() -> T {
        let (_dir, store) = super::super::throttle::tests::db();
        T {
            th: Arc::new(LoginThrottle::new(Limits {
                per_account: 3,
                per_source: 100,
                max_wait_secs: 900,
            })),
            store,
            _dir,
        }
    }
    fn from(user: &str, ip: &str) -> Attempt {
        Attempt {
            username: user.into(),
            ip: Some(ip.into()),
            known_browser: None,
        }
    }

    fn fail(t: &T, a: &Attempt, now: i64) -> Result<Option<i64>, Refused> {
        t.begin(a, now).map(Reservation::failed)
    }

    #[test]
    fn checks_in_flight_are_capped_per_account_and_source() {
        let t = throttle();
        let a = from("alice", "198.51.100.1");
        let r1 = t.begin(&a, 0).unwrap();
        let r2 = t.begin(&a, 0).unwrap();
        assert_eq!(t.begin(&a, 0).unwrap_err(), Refused::Busy);
        // Another account from the same source: the source's cap holds too.
        assert_eq!(
            t.begin(&from("bob", "198.51.100.1"), 0).unwrap_err(),
            Refused::Busy
        );
        drop(r1);
        t.succeeded(r2);
        assert!(t.begin(&a, 0).is_ok());
    }

    #[test]
    fn an_attempt_is_counted_before_the_check_and_given_back_on_success() {
        let t = throttle();
        let a = from("alice", "198.51.100.1");
        for _ in 0..3 {
            assert_eq!(fail(&t, &a, 0), Ok(None));
        }
        // The fourth is counted on arrival (it would earn a wait if wrong)...
        let r = t.begin(&a, 0).unwrap();
        // ...so while it runs, a fifth is already refused.
        assert_eq!(t.begin(&a, 0).unwrap_err(), Refused::Wait(1));
        t.succeeded(r);
        assert!(t.begin(&a, 0).is_ok(), "a right password lifts the wait");
    }

    #[test]
    fn an_attacker_elsewhere_cannot_lock_the_user_out() {
        let t = throttle();
        let attacker = from("alice", "203.0.113.66");
        // Every time the wait ends, one more guess: the attacker stays blocked...
        let mut now = 0;
        for _ in 0..200 {
            if let Err(Refused::Wait(w)) = t.begin(&attacker, now) {
                now += w;
            }
            let _ = fail(&t, &attacker, now);
        }
        assert!(matches!(t.begin(&attacker, now), Err(Refused::Wait(_))));
        // ...and the real user from elsewhere is not.
        assert!(t.begin(&from("alice", "198.51.100.1"), now).is_ok());
    }

    #[test]
    fn guesses_spread_over_many_sources_hold_unknown_browsers_but_not_known_ones() {
        let t = throttle();
        // 30 failures (3 x SPREAD_FACTOR) from 10 sources, each within its own allowance.
        for i in 0..10 {
            for _ in 0..3 {
                assert_eq!(
                    fail(&t, &from("alice", &format!("203.0.113.{i}")), 0),
                    Ok(None)
                );
            }
        }
        assert!(fail(&t, &from("alice", "203.0.113.50"), 0).is_ok());
        assert!(matches!(
            t.begin(&from("alice", "198.51.100.1"), 0),
            Err(Refused::Wait(_))
        ));
        let known = Attempt {
            known_browser: Some("b1".into()),
            ..from("alice", "198.51.100.1")
        };
        assert!(t.begin(&known, 0).is_ok());
    }

    #[test]
    fn one_source_alone_never_trips_the_spread_counter() {
        let t = throttle();
        let attacker = from("alice", "203.0.113.66");
        for i in 0..500 {
            let _ = fail(&t, &attacker, i * 901);
        }
        assert!(t.begin(&from("alice", "198.51.100.1"), 500 * 901).is_ok());
    }

    #[test]
    fn a_known_browser_has_its_own_allowance() {
        let t = throttle();
        let known = Attempt {
            known_browser: Some("b1".into()),
            ..from("alice", "198.51.100.1")
        };
        for _ in 0..3 {
            assert_eq!(fail(&t, &known, 0), Ok(None));
        }
        assert_eq!(fail(&t, &known, 0), Ok(Some(1)));
        assert_eq!(t.begin(&known, 0).unwrap_err(), Refused::Wait(1));
    }

    #[test]
    fn a_cancelled_attempt_is_not_counted() {
        let t = throttle();
        let a = from("alice", "198.51.100.1");
        for _ in 0..10 {
            t.cancelled(t.begin(&a, 0).unwrap());
        }
        assert!(t.begin(&a, 0).is_ok());
    }
}
