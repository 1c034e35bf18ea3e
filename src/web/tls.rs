//! Built-in TLS: rustls behind actix-web, serving the certificate in `tls_cert` / `tls_key`.
//!
//! The certificate is not baked into the rustls config: a resolver hands each new handshake the
//! current one, so a reload (SIGHUP, or the files changing on disk when an ACME client renews
//! them) takes effect for new connections while open ones carry on untouched. A file that does
//! not load is logged and the previous certificate stays in use.

use crate::clock::{Clock, SystemClock, show_time};
use crate::config::{Settings, TlsFiles};
use crate::crypto::certificate::{self, CertError, Loaded};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::signal::unix::{Signal, SignalKind, signal};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error(transparent)]
    Cert(#[from] CertError),
    #[error("cannot set up TLS: {0}")]
    Config(#[from] rustls::Error),
    #[error("cannot listen for SIGHUP (TLS certificate reloads): {0}")]
    Signal(std::io::Error),
}

/// Built-in TLS, loaded and ready: the rustls config to listen with and the reload task.
pub struct Tls {
    certs: Arc<Certificates>,
    /// Registered at start, before the listener opens: SIGHUP's default action is to exit.
    hangup: Signal,
    poll: Option<Duration>,
    /// The files as they were just before the load: a change after that is a reload.
    seen: Stamps,
}

impl Tls {
    /// `None` without `tls_cert` / `tls_key`. Must run inside the tokio runtime (SIGHUP).
    pub fn load(settings: &Settings) -> Result<Option<Tls>, TlsError> {
        let Some(files) = &settings.tls else {
            return Ok(None);
        };
        let seen = Stamps::of(files);
        let loaded = certificate::load(files)?;
        let certs = Arc::new(Certificates {
            files: files.clone(),
            issuer: url::Url::parse(&settings.issuer).ok(),
            current: RwLock::new(loaded.key.clone()),
        });
        certs.log_loaded(&loaded, "TLS certificate loaded");
        let hangup = signal(SignalKind::hangup()).map_err(TlsError::Signal)?;
        let poll = (settings.tls_reload_poll_secs > 0)
            .then(|| Duration::from_secs(settings.tls_reload_poll_secs));
        Ok(Some(Tls {
            certs,
            hangup,
            poll,
            seen,
        }))
    }

    /// TLS 1.3 and 1.2 with rustls' default suites (AEAD only, forward secret). actix-web adds
    /// the ALPN protocols itself (`h2`, `http/1.1`).
    pub fn server_config(&self) -> Result<rustls::ServerConfig, TlsError> {
        Ok(
            rustls::ServerConfig::builder_with_provider(certificate::provider())
                .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
                .with_no_client_auth()
                .with_cert_resolver(self.certs.clone()),
        )
    }

    /// Reload on SIGHUP and whenever either file changes; runs until aborted.
    pub async fn watch(mut self) {
        let mut tick = self.poll.map(|every| {
            let mut t = tokio::time::interval(every);
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            t
        });
        loop {
            let why = tokio::select! {
                hup = self.hangup.recv() => match hup {
                    Some(()) => "SIGHUP",
                    None => return, // the runtime is shutting down
                },
                _ = next_tick(&mut tick) => "the files changed",
            };
            let now = Stamps::of(&self.certs.files);
            if why != "SIGHUP" && now == self.seen {
                continue;
            }
            // Remember this state even if it does not load: the next change gets its own try.
            self.seen = now;
            let files = self.certs.files.clone();
            match tokio::task::spawn_blocking(move || certificate::load(&files)).await {
                Ok(Ok(loaded)) => {
                    self.certs.replace(loaded.key.clone());
                    self.certs
                        .log_loaded(&loaded, &format!("TLS certificate reloaded ({why})"));
                }
                Ok(Err(e)) => tracing::warn!(
                    error = %e,
                    "TLS certificate not reloaded ({why}); still serving the previous one"
                ),
                Err(e) => tracing::warn!(error = %e, "TLS certificate reload failed"),
            }
        }
    }
}

async fn next_tick(tick: &mut Option<tokio::time::Interval>) {
    match tick {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// The certificate new handshakes get.
#[derive(Debug)]
struct Certificates {
    files: TlsFiles,
    issuer: Option<url::Url>,
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificates {
    fn current(&self) -> Arc<CertifiedKey> {
        // A panic elsewhere while holding the lock cannot leave a half-written Arc behind.
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn replace(&self, key: Arc<CertifiedKey>) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = key;
    }

    fn log_loaded(&self, loaded: &Loaded, what: &str) {
        let leaf = &loaded.leaf;
        tracing::info!(names = %leaf.names(), expires = %show_time(leaf.not_after), "{what}");
        if leaf.not_after < SystemClock.now() {
            tracing::warn!(expired = %show_time(leaf.not_after), "the TLS certificate has expired; clients will refuse it");
        }
        if let Some(host) = self.issuer.as_ref().and_then(url::Url::host)
            && !leaf.covers(&host)
        {
            tracing::warn!(issuer_host = %host, names = %leaf.names(), "the TLS certificate does not cover the issuer's host; clients will refuse it");
        }
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// What identifies a file's content without reading it: a renewal changes at least one (a
/// rewritten file its mtime or size; certbot's symlink swap the inode behind the path).
#[derive(Debug, PartialEq, Eq)]
struct Stamps([Option<(std::time::SystemTime, u64, u64, u64)>; 2]);

impl Stamps {
    fn of(files: &TlsFiles) -> Stamps {
        use std::os::unix::fs::MetadataExt;
        let stamp = |p: &std::path::Path| {
            let m = std::fs::metadata(p).ok()?;
            Some((m.modified().ok()?, m.len(), m.ino(), m.dev()))
        };
        Stamps([stamp(&files.cert), stamp(&files.key)])
    }
}
