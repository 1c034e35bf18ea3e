//! Open the store, migrate, load keys, bind, run.

use crate::clock::{Clock, SystemClock};
use crate::config::{ConfigError, Settings};
use crate::oidc::signing_keys;
use crate::state::AppState;
use crate::store::{Store, StoreError, users};
use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keys(#[from] signing_keys::KeyError),
    #[error("cannot listen on {addr}: {err}")]
    Bind { addr: String, err: std::io::Error },
    #[error(transparent)]
    Tls(#[from] crate::web::tls::TlsError),
    #[error(transparent)]
    SecretKey(#[from] crate::crypto::secret_key::SecretKeyError),
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

/// How often the server reloads keys (to pick up `latchkey keys rotate`) and sweeps expired rows.
const MAINTENANCE_EVERY: Duration = Duration::from_secs(30);
/// How long a stop waits for requests in flight (then their connections are closed).
const DRAIN_SECS: u64 = 10;
/// Between no longer accepting connections and stopping the workers (see `run_until`).
const SETTLE: Duration = Duration::from_millis(250);
/// How long a stop waits for back-channel notices being sent (one request timeout, and a little).
const NOTIFIER_GRACE: Duration = Duration::from_secs(6);

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    tls: Option<crate::web::tls::Tls>,
}

impl Application {
    /// Everything up to a bound socket; `bind` may use port 0 (tests).
    pub fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Arc::new(SystemClock))
    }

    pub fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartupError> {
        // First: a bad certificate stops the start before anything is created, and SIGHUP is
        // caught (not fatal) from here on.
        let tls = crate::web::tls::Tls::load(&settings)?;
        let db_path = settings.prepare_data_dir()?;
        let secret_key = crate::crypto::secret_key::load_or_create(&settings.secret_key_path())?;
        if let Some(dir) = &settings.theme_dir {
            crate::web::templates::install_theme(dir.clone());
        }
        let store = Store::open_with(&db_path, settings.durability)?;
        let now = clock.now();
        let ring = store.write(|c| {
            for k in signing_keys::ensure_keys(c, now)? {
                tracing::info!(kid = %k.kid, alg = k.alg.as_str(), "created signing key");
            }
            signing_keys::load_ring(c, now, settings.key_retention_secs)
        })?;
        // Not a count: with many users that read a whole index into memory at every start.
        if !store.read(users::has_users)? {
            tracing::warn!(
                "no users yet; create the first one with: latchkey user add <username> --email <email> --admin --data-dir {}",
                settings.data_dir.display()
            );
        }

        let listener = TcpListener::bind(settings.bind).map_err(|err| StartupError::Bind {
            addr: settings.bind.to_string(),
            err,
        })?;
        let port = listener
            .local_addr()
            .map_err(|err| StartupError::Bind {
                addr: settings.bind.to_string(),
                err,
            })?
            .port();
        let workers = if settings.workers == 0 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        } else {
            settings.workers
        };
        tracing::info!(issuer = %settings.issuer, address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), tls = tls.is_some(), "latchkey listening");

        crate::crypto::password_pool::map_large_buffers_directly();
        let state = AppState::new(store, settings, clock, ring, secret_key);
        let app_state = state.clone();
        let https = app_state.settings.is_https();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::Condition::new(
                    https,
                    crate::web::headers::hsts(),
                ))
                .app_data(web::Data::new(app_state.clone()))
                .configure(crate::web::routes)
        })
        .workers(workers)
        // Stopping is ours (see `run_until`): signals are caught before the socket is bound.
        .disable_signals()
        .shutdown_timeout(DRAIN_SECS);
        let server = match &tls {
            Some(tls) => server.listen_rustls_0_23(listener, tls.server_config()?),
            None => server.listen(listener),
        }
        .map_err(|err| StartupError::Bind {
            addr: "listener".into(),
            err,
        })?
        .run();
        Ok(Self {
            port,
            server,
            state,
            tls,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve until the server fails; tests stop it by dropping the runtime.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(std::future::pending()).await
    }

    /// Serve until `stop` resolves, then stop gracefully: `/healthz` answers 503 at once, the
    /// listener closes, requests in flight finish (at most [`DRAIN_SECS`]), back-channel notices
    /// being sent finish or stay queued, and the database is checkpointed.
    pub async fn run_until(self, stop: impl Future<Output = ()>) -> std::io::Result<()> {
        let (quit, quitting) = tokio::sync::watch::channel(false);
        let maintenance = tokio::spawn(maintain(self.state.clone()));
        let mut notifier = tokio::spawn(crate::notify::run(self.state.clone(), quitting));
        let tls_reload = self.tls.map(|tls| tokio::spawn(tls.watch()));
        let handle = self.server.handle();
        let mut server = self.server;
        notify_systemd(&[sd_notify::NotifyState::Ready]);
        let out = tokio::select! {
            out = &mut server => out,
            () = stop => {
                self.state.stopping.store(true, Ordering::SeqCst);
                notify_systemd(&[sd_notify::NotifyState::Stopping]);
                tracing::info!(drain_secs = DRAIN_SECS, "stopping: no new connections; finishing requests in flight");
                // Stop taking connections first, and let those already taken reach their worker
                // and send their request: actix drops connections still queued for a worker at
                // the stop, and closes a connection that has not sent its request yet. (Pause and
                // stop are carried out by the server future, so it is polled alongside.)
                let settle = async {
                    handle.pause().await;
                    tokio::time::sleep(SETTLE).await;
                    handle.stop(true).await;
                };
                let (_, out) = tokio::join!(settle, server);
                out
            }
        };
        if let Some(t) = tls_reload {
            t.abort();
        }
        maintenance.abort();
        let _ = quit.send(true);
        if tokio::time::timeout(NOTIFIER_GRACE, &mut notifier)
            .await
            .is_err()
        {
            // A notice cut off here is still in the outbox and is sent after the next start.
            notifier.abort();
        }
        let store = self.state.store.clone();
        match web::block(move || store.checkpoint()).await {
            Ok(Ok(())) => tracing::info!("stopped; database checkpointed"),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "stopped; the final checkpoint failed (SQLite recovers the WAL at next start)")
            }
            Err(e) => tracing::warn!(error = %e, "stopped; the final checkpoint did not run"),
        }
        out
    }
}

/// Tell systemd (`Type=notify`) about readiness and stopping; nothing without `NOTIFY_SOCKET`.
fn notify_systemd(state: &[sd_notify::NotifyState<'_>]) {
    if std::env::var_os("NOTIFY_SOCKET").is_some()
        && let Err(e) = sd_notify::notify(false, state)
    {
        tracing::warn!(error = %e, "cannot notify systemd");
    }
}

/// SIGTERM or SIGINT. The handlers are installed when this is called, so a signal that comes
/// while the server is still starting is not lost (and does not kill the process half-started).
fn stop_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::info!(signal = name, "stop requested");
        // A second signal while draining means "now" (SQLite's WAL makes that safe, only slower
        // to start next time).
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            tracing::warn!("second stop signal: exiting without waiting");
            std::process::exit(1);
        });
    })
}

/// SIGHUP re-reads the TLS files (`web::tls`); without built-in TLS there is nothing to re-read,
/// and `systemctl reload` must not end the process (SIGHUP's default action).
fn ignore_hangup() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        while hangup.recv().await.is_some() {
            tracing::info!(
                "SIGHUP: nothing to reload (no tls_cert; other settings need a restart)"
            );
        }
    });
    Ok(())
}

/// `latchkey serve`: logging, then the server on its own actix runtime until SIGINT/SIGTERM.
pub fn serve(settings: Settings) -> Result<(), StartupError> {
    crate::telemetry::init(&settings);
    actix_web::rt::System::new().block_on(async move {
        let stop = stop_signal().map_err(StartupError::Serve)?;
        if settings.tls.is_none() {
            ignore_hangup().map_err(StartupError::Serve)?;
        }
        let app = Application::build(settings)?;
        app.run_until(stop).await.map_err(StartupError::Serve)
    })
}

/// Periodic upkeep, off the request path.
async fn maintain(state: AppState) {
    let mut tick = tokio::time::interval(MAINTENANCE_EVERY);
    tick.tick().await;
    loop {
        tick.tick().await;
        let st = state.clone();
        let res = web::block(move || {
            let now = st.clock.now();
            let ring = crate::oidc::maintenance::run_once(&st.store, &st.settings, now)?;
            st.set_keys(ring);
            st.throttle.sweep(now);
            st.device_throttle.sweep(now);
            Ok::<_, signing_keys::KeyError>(())
        })
        .await;
        match res {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "maintenance failed"),
            Err(e) => tracing::warn!(error = %e, "maintenance task failed"),
        }
    }
}
