//! Prometheus metrics (`metrics_bind`): one registry per server, in `AppState.metrics`.
//!
//! Every label value is one of a fixed set (route patterns, status codes, the enums below): no
//! label ever carries a user name, a client id or secret, a token or a raw path. Counters with a
//! fixed label set are resolved once here, so recording one is a single atomic add; request
//! metrics go through a [`RequestRecorder`] per HTTP worker, which takes the registry's lock only
//! the first time that worker sees an endpoint or a status.
//!
//! Plain Rust (no actix), above `oidc` (it names its outcomes) and below `web`: `web` records
//! requests and serves the text, the handlers and the back-channel sender count outcomes, and
//! the store reports its fsyncs through [`CommitObserver`] without knowing this module.

use crate::domain::GrantType;
use crate::oidc::login::PasswordCheck;
use crate::store::CommitObserver;
use prometheus::{
    Gauge, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts,
    Registry,
};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The Content-Type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = prometheus::TEXT_FORMAT;

/// The `endpoint` of a request no route matched (its path is never a label).
pub const UNMATCHED: &str = "unmatched";

/// Defines a label enum: its variants, their label values, and the list of all of them.
macro_rules! labels {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal,)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($(#[$vm])* $v,)+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$v,)+];
            pub fn label(self) -> &'static str {
                match self { $($name::$v => $s,)+ }
            }
        }
    };
}

labels!(
    /// `latchkey_logins_total{outcome}`: what became of a password sign-in. The audit log
    /// records the typed name of every failure, so telling an unknown name or a disabled account
    /// from a wrong password reveals nothing it does not; `disabled` is counted whatever the
    /// password was, so it never says that a disabled account's password was right.
    Login {
        Success => "success",
        BadPassword => "bad_password",
        UnknownUser => "unknown_user",
        Disabled => "disabled",
        /// Refused before the check: too many failures, or too many checks at once.
        Throttled => "throttled",
        /// The password hashing queue was full (503).
        Overloaded => "overloaded",
    }
);

impl Login {
    /// The outcome of a password check.
    pub fn of(check: &PasswordCheck) -> Login {
        match check {
            PasswordCheck::Valid(_) => Login::Success,
            PasswordCheck::WrongPassword => Login::BadPassword,
            PasswordCheck::UnknownUser => Login::UnknownUser,
            PasswordCheck::Disabled => Login::Disabled,
        }
    }
}

/// The `grant` label of `latchkey_tokens_issued_total` (the device grant without its URN).
pub fn grant_label(grant: GrantType) -> &'static str {
    match grant {
        GrantType::DeviceCode => "device_code",
        other => other.as_str(),
    }
}

labels!(
    /// `latchkey_throttle_blocks_total{kind}`: requests refused by a limit.
    Throttle {
        /// A sign-in (or the current password on the account page) must wait after failures.
        LoginWait => "login_wait",
        /// Too many password checks at once for one account or client address.
        LoginConcurrent => "login_concurrent",
        /// The password hashing queue was full.
        PasswordQueue => "password_queue",
        /// Too many wrong device-flow user codes.
        DeviceCode => "device_code",
        /// Too many unfinished authorization requests from one client address.
        PendingRequests => "pending_requests",
    }
);

labels!(
    /// `latchkey_backchannel_deliveries_total{outcome}`: one back-channel logout notice sent.
    Delivery {
        Delivered => "delivered",
        /// Failed; will be tried again later.
        Retry => "retry",
        /// Failed for the last time; audited as `backchannel_logout.failed`.
        GaveUp => "gave_up",
        /// The app no longer has a back-channel logout URI: dropped unsent.
        Dropped => "dropped",
    }
);

/// Request durations: from half a millisecond (discovery, JWKS) to seconds (password checks in
/// a queue).
const HTTP_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Commits one fsync made durable.
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];
/// fsync times: tmpfs and good SSDs answer in microseconds, disks and VMs in milliseconds.
const FSYNC_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// Every metric of one server.
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    logins: Vec<IntCounter>,
    tokens: Vec<IntCounter>,
    throttled: Vec<IntCounter>,
    deliveries: Vec<IntCounter>,
    sessions_active: Gauge,
    commit_batch: Histogram,
    commit_seconds: Histogram,
    write_batch: Histogram,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

/// One counter per label value, in the order of `values` (created now, so each shows as 0).
fn counters<L: Copy>(
    registry: &Registry,
    name: &str,
    help: &str,
    label: &str,
    values: &[L],
    text: impl Fn(L) -> &'static str,
) -> prometheus::Result<Vec<IntCounter>> {
    let vec = IntCounterVec::new(Opts::new(name, help), &[label])?;
    registry.register(Box::new(vec.clone()))?;
    values
        .iter()
        .map(|v| vec.get_metric_with_label_values(&[text(*v)]))
        .collect()
}

fn histogram(
    registry: &Registry,
    name: &str,
    help: &str,
    buckets: &[f64],
) -> prometheus::Result<Histogram> {
    let h = Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec()))?;
    registry.register(Box::new(h.clone()))?;
    Ok(h)
}

impl Metrics {
    /// A fresh registry with every metric at zero. Fails only on a bad metric definition here.
    pub fn new() -> prometheus::Result<Self> {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new(
                "latchkey_http_requests_total",
                "HTTP requests answered, by route pattern and status.",
            ),
            &["endpoint", "status"],
        )?;
        registry.register(Box::new(http_requests.clone()))?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "latchkey_http_request_duration_seconds",
                "Time from a request's arrival to its response, by route pattern.",
            )
            .buckets(HTTP_BUCKETS.to_vec()),
            &["endpoint"],
        )?;
        registry.register(Box::new(http_duration.clone()))?;
        let sessions_active = Gauge::new(
            "latchkey_sessions_active",
            "Browser sessions neither ended nor expired, counted in the database at each scrape (NaN when it cannot be read).",
        )?;
        registry.register(Box::new(sessions_active.clone()))?;
        let build_info = IntGaugeVec::new(
            Opts::new(
                "latchkey_build_info",
                "Always 1; the version of latchkey running.",
            ),
            &["version"],
        )?;
        registry.register(Box::new(build_info.clone()))?;
        build_info
            .get_metric_with_label_values(&[env!("CARGO_PKG_VERSION")])?
            .set(1);
        Ok(Self {
            logins: counters(
                &registry,
                "latchkey_logins_total",
                "Password sign-ins, by outcome.",
                "outcome",
                Login::ALL,
                Login::label,
            )?,
            tokens: counters(
                &registry,
                "latchkey_tokens_issued_total",
                "Successful token endpoint responses, by grant type.",
                "grant",
                &GrantType::ALL,
                grant_label,
            )?,
            throttled: counters(
                &registry,
                "latchkey_throttle_blocks_total",
                "Requests refused by a sign-in, device-code or pending-request limit, by kind.",
                "kind",
                Throttle::ALL,
                Throttle::label,
            )?,
            deliveries: counters(
                &registry,
                "latchkey_backchannel_deliveries_total",
                "Back-channel logout notices sent to apps, by outcome.",
                "outcome",
                Delivery::ALL,
                Delivery::label,
            )?,
            commit_batch: histogram(
                &registry,
                "latchkey_db_commit_batch_size",
                "Write units (one request's writes each) made durable by one fsync of the WAL (group commit shares one fsync among concurrent writes).",
                BATCH_BUCKETS,
            )?,
            commit_seconds: histogram(
                &registry,
                "latchkey_db_commit_seconds",
                "Time of one fsync that acknowledged writes.",
                FSYNC_BUCKETS,
            )?,
            write_batch: histogram(
                &registry,
                "latchkey_db_write_batch_size",
                "Write units committed by one SQLite transaction (units queued for the writer turn share one COMMIT).",
                BATCH_BUCKETS,
            )?,
            registry,
            http_requests,
            http_duration,
            sessions_active,
        })
    }

    pub fn login(&self, outcome: Login) {
        self.logins[outcome as usize].inc();
    }

    pub fn token_issued(&self, grant: GrantType) {
        if let Some(i) = GrantType::ALL.iter().position(|g| *g == grant) {
            self.tokens[i].inc();
        }
    }

    pub fn throttled(&self, kind: Throttle) {
        self.throttled[kind as usize].inc();
    }

    pub fn delivery(&self, outcome: Delivery) {
        self.deliveries[outcome as usize].inc();
    }

    /// The exposition text, with `latchkey_sessions_active` set to `sessions` (None: unknown).
    pub fn render(&self, sessions: Option<i64>) -> prometheus::Result<String> {
        self.sessions_active
            .set(sessions.map_or(f64::NAN, |n| n as f64));
        let mut out = String::with_capacity(16 * 1024);
        prometheus::TextEncoder::new().encode_utf8(&self.registry.gather(), &mut out)?;
        Ok(out)
    }
}

impl CommitObserver for Metrics {
    fn synced(&self, commits: u64, took: Duration) {
        self.commit_batch.observe(commits as f64);
        self.commit_seconds.observe(took.as_secs_f64());
    }

    fn batched(&self, units: u64) {
        self.write_batch.observe(units as f64);
    }
}

/// The request metrics of one endpoint, as one worker holds them.
struct Endpoint {
    duration: Histogram,
    by_status: Vec<(u16, IntCounter)>,
}

/// Records requests for one HTTP worker (not shared between threads): the registry is asked
/// once per endpoint and status, later requests only add to atomics.
pub struct RequestRecorder {
    metrics: Arc<Metrics>,
    seen: RefCell<HashMap<String, Endpoint>>,
}

impl RequestRecorder {
    pub fn new(metrics: Arc<Metrics>) -> Self {
        Self {
            metrics,
            seen: RefCell::new(HashMap::new()),
        }
    }

    /// One answered request: `endpoint` is the route pattern that matched (None: no route).
    pub fn record(&self, endpoint: Option<&str>, status: u16, took: Duration) {
        let endpoint = endpoint.unwrap_or(UNMATCHED);
        let mut seen = self.seen.borrow_mut();
        if let Some(e) = seen.get_mut(endpoint) {
            e.record(&self.metrics, endpoint, status, took);
            return;
        }
        let Ok(duration) = self
            .metrics
            .http_duration
            .get_metric_with_label_values(&[endpoint])
        else {
            return;
        };
        let mut e = Endpoint {
            duration,
            by_status: Vec::new(),
        };
        e.record(&self.metrics, endpoint, status, took);
        seen.insert(endpoint.to_owned(), e);
    }
}

impl Endpoint {
    fn record(&mut self, metrics: &Metrics, endpoint: &str, status: u16, took: Duration) {
        self.duration.observe(took.as_secs_f64());
        if let Some((_, c)) = self.by_status.iter().find(|(s, _)| *s == status) {
            c.inc();
            return;
        }
        let status_text = status.to_string();
        if let Ok(c) = metrics
            .http_requests
            .get_metric_with_label_values(&[endpoint, status_text.as_str()])
        {
            c.inc();
            self.by_status.push((status, c));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_defined_and_rendered_with_its_fixed_labels_at_zero() {
        let m = Metrics::new().unwrap();
        let text = m.render(Some(3)).unwrap();
        for line in [
            "latchkey_logins_total{outcome=\"bad_password\"} 0",
            "latchkey_tokens_issued_total{grant=\"device_code\"} 0",
            "latchkey_throttle_blocks_total{kind=\"login_wait\"} 0",
            "latchkey_backchannel_deliveries_total{outcome=\"gave_up\"} 0",
            "latchkey_db_commit_batch_size_count 0",
            "latchkey_db_commit_seconds_count 0",
            "latchkey_db_write_batch_size_count 0",
            "latchkey_sessions_active 3",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        let version = format!(
            "latchkey_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        assert!(text.contains(&version), "{text}");
        assert!(
            m.render(None)
                .unwrap()
                .contains("latchkey_sessions_active NaN")
        );
    }

    #[test]
    fn a_recorder_counts_by_endpoint_and_status_and_never_uses_a_path() {
        let m = Arc::new(Metrics::new().unwrap());
        let r = RequestRecorder::new(m.clone());
        r.record(Some("/token"), 200, Duration::from_millis(2));
        r.record(Some("/token"), 200, Duration::from_millis(3));
        r.record(Some("/token"), 400, Duration::from_millis(1));
        r.record(None, 404, Duration::from_micros(100));
        // A second worker adds to the same series.
        RequestRecorder::new(m.clone()).record(Some("/token"), 200, Duration::ZERO);
        let text = m.render(Some(0)).unwrap();
        for line in [
            "latchkey_http_requests_total{endpoint=\"/token\",status=\"200\"} 3",
            "latchkey_http_requests_total{endpoint=\"/token\",status=\"400\"} 1",
            "latchkey_http_requests_total{endpoint=\"unmatched\",status=\"404\"} 1",
            "latchkey_http_request_duration_seconds_count{endpoint=\"/token\"} 4",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }

    #[test]
    fn grant_labels_are_the_grant_types_with_the_device_grant_shortened() {
        let labels: Vec<&str> = GrantType::ALL.into_iter().map(grant_label).collect();
        assert_eq!(
            labels,
            [
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "device_code"
            ]
        );
    }
}
