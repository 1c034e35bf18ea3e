//! Open the store, migrate, load keys, bind, run.

use crate::clock::{Clock, SystemClock};
use crate::config::{ConfigError, Settings};
use crate::oidc::signing_keys;
use crate::state::AppState;
use crate::store::{Store, StoreError, users};
use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use std::future::Future;
use std::net::{SocketAddr, TcpListener};
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
    #[error(transparent)]
    Locked(#[from] crate::store::data_lock::LockError),
    #[error("cannot listen on {addr}: {err}")]
    Bind { addr: String, err: std::io::Error },
    #[error(transparent)]
    Tls(#[from] crate::web::tls::TlsError),
    #[error(transparent)]
    SecretKey(#[from] crate::crypto::secret_key::SecretKeyError),
    #[error("server failed: {0}")]
    Serve(std::io::Error),
    #[error("cannot set up metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("{0}")]
    Mail(String),
}

/// How often a node tries a round of upkeep (key rotation, the sweep; one node at a time), and
/// reloads its key ring even when the keys did not change (retired keys leave it by age).
const MAINTENANCE_EVERY: Duration = Duration::from_secs(30);
/// How often a node asks the database whether the signing keys changed (a rotation by another
/// node, the admin page, `latchkey keys rotate`, keys retired or forgotten) and reloads its key
/// ring when they did: within this (and one small query) every node serves and signs with the
/// new keys. The check is a few short rows, off the request path.
pub const KEYS_CHECK_EVERY: Duration = Duration::from_secs(2);
/// How long a stop waits for requests in flight (then their connections are closed).
const DRAIN_SECS: u64 = 10;
/// Between no longer accepting connections and stopping the workers (see `run_until`).
const SETTLE: Duration = Duration::from_millis(250);
/// How long a stop waits for back-channel notices being sent (one request timeout, and a little).
const NOTIFIER_GRACE: Duration = Duration::from_secs(6);
/// How long a stop waits for the mail being sent (the same: the SMTP conversation in hand).
const MAILER_GRACE: Duration = Duration::from_secs(6);

pub struct Application {
    port: u16,
    server: Server,
    /// The `metrics_bind` listener and its port, when set.
    metrics: Option<(Server, u16)>,
    state: AppState,
    tls: Option<crate::web::tls::Tls>,
    /// The data dir's lock, held until the server has stopped.
    _lock: crate::store::data_lock::DataDirLock,
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
        // First: a bad certificate or upstream client secret stops the start before anything
        // is created, and SIGHUP is caught (not fatal) from here on.
        let tls = crate::web::tls::Tls::load(&settings)?;
        let upstreams = crate::oidc::upstream::Registry::load(&settings)?;
        let mut location = settings.store_location()?;
        // Lets `latchkey migrate-store` see that a server uses the database.
        if let crate::store::Location::Postgres(target) = &mut location {
            target
                .config
                .application_name(crate::store::copy::SERVE_APPLICATION_NAME);
        }
        let lock = crate::store::data_lock::lock_data_dir(&settings.data_dir)?;
        let secret_key = crate::crypto::secret_key::load_or_create(&settings.secret_key_path())?;
        if let Some(dir) = &settings.theme_dir {
            crate::web::templates::install_theme(dir.clone());
        }
        // A mail password file that cannot be used stops the start (as the secret key does).
        crate::mailer::transport::build(&settings).map_err(StartupError::Mail)?;
        let store = Store::open_at(&location, settings.durability)?;
        if settings.database.is_postgres() {
            tracing::info!(database = %settings.database.shown(), "using PostgreSQL");
        }
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
        // Bound before anything starts: a taken metrics port is a plain start error.
        let metrics_listener = settings.metrics_bind.map(bind_metrics).transpose()?;
        let workers = if settings.workers == 0 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        } else {
            settings.workers
        };
        tracing::info!(issuer = %settings.issuer, address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), tls = tls.is_some(), "latchkey listening");

        crate::crypto::password_pool::map_large_buffers_directly();
        let state = AppState::new(store, settings, clock, ring, secret_key, upstreams)?;
        let app_state = state.clone();
        let https = app_state.settings.is_https();
        let metrics_on = app_state.settings.metrics_bind.is_some();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::Condition::new(
                    https,
                    crate::web::headers::hsts(),
                ))
                .wrap(actix_web::middleware::Condition::new(
                    metrics_on,
                    crate::web::request_metrics::RecordRequests(app_state.metrics.clone()),
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
        let metrics = match metrics_listener {
            Some(listener) => Some(metrics_server(listener, &state)?),
            None => None,
        };
        Ok(Self {
            port,
            server,
            metrics,
            state,
            tls,
            _lock: lock,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the `metrics_bind` listener, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
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
        let key_watch = tokio::spawn(watch_keys(self.state.clone()));
        let mut notifier = tokio::spawn(crate::notify::run(self.state.clone(), quitting.clone()));
        let mut mailer = tokio::spawn(crate::mailer::run(self.state.clone(), quitting));
        let sealer = tokio::spawn(crate::audit_sealer::run(self.state.clone()));
        // An upstream that cannot be reached at start is a warning (retried at sign-in).
        let upstreams = self.state.upstreams.clone();
        let warm_up = tokio::spawn(async move { upstreams.warm_up().await });
        let tls_reload = self.tls.map(|tls| tokio::spawn(tls.watch()));
        // The metrics listener keeps answering while the main one drains, and stops after it.
        let metrics = self.metrics.map(|(m, _)| (m.handle(), tokio::spawn(m)));
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
        if let Some((handle, task)) = metrics {
            handle.stop(false).await;
            let _ = task.await;
        }
        if let Some(t) = tls_reload {
            t.abort();
        }
        maintenance.abort();
        key_watch.abort();
        warm_up.abort();
        let _ = quit.send(true);
        // Back-channel notices and the mail in hand finish side by side; what is cut off here
        // is still queued and sent after the next start.
        let (notified, mailed) = tokio::join!(
            tokio::time::timeout(NOTIFIER_GRACE, &mut notifier),
            tokio::time::timeout(MAILER_GRACE, &mut mailer),
        );
        if notified.is_err() {
            notifier.abort();
        }
        if mailed.is_err() {
            mailer.abort();
        }
        // Rows written while draining are sealed now rather than at the next start.
        sealer.abort();
        let store = self.state.store.clone();
        match web::block(move || crate::oidc::audit_chain::seal_pending(&store)).await {
            Ok(Ok(n)) => tracing::debug!(rows = n, "audit rows sealed at stop"),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "audit rows not sealed at stop (they are at the next start)")
            }
            Err(e) => tracing::warn!(error = %e, "audit sealing at stop did not run"),
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

fn bind_metrics(addr: SocketAddr) -> Result<TcpListener, StartupError> {
    TcpListener::bind(addr).map_err(|err| StartupError::Bind {
        addr: format!("{addr} (metrics_bind)"),
        err,
    })
}

/// The `metrics_bind` listener: `/metrics` only, on one worker of its own.
fn metrics_server(listener: TcpListener, state: &AppState) -> Result<(Server, u16), StartupError> {
    let failed = |err| StartupError::Bind {
        addr: "metrics_bind".into(),
        err,
    };
    let addr = listener.local_addr().map_err(failed)?;
    let state = state.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .configure(crate::web::metrics_routes)
    })
    .workers(1)
    // Stopped by `run_until` after the main listener has drained.
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)
    .map_err(failed)?
    .run();
    tracing::info!(address = %addr, "metrics listening");
    Ok((server, addr.port()))
}

/// Periodic upkeep, off the request path; skipped while another node does it.
async fn maintain(state: AppState) {
    let mut tick = tokio::time::interval(MAINTENANCE_EVERY);
    tick.tick().await;
    loop {
        tick.tick().await;
        let st = state.clone();
        let res = web::block(move || {
            let now = st.clock.now();
            crate::oidc::maintenance::upkeep(&st.store, &st.settings, now)
        })
        .await;
        match res {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => tracing::debug!("upkeep skipped: another node is doing it"),
            Ok(Err(e)) => tracing::warn!(error = %e, "maintenance failed"),
            Err(e) => tracing::warn!(error = %e, "maintenance task failed"),
        }
    }
}

/// Reload the key ring when the signing keys change in the database (every
/// [`KEYS_CHECK_EVERY`]), and every [`MAINTENANCE_EVERY`] regardless.
async fn watch_keys(state: AppState) {
    let mut tick = tokio::time::interval(KEYS_CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut loaded = std::time::Instant::now();
    // Say a failure once, not every tick, until the check works again.
    let mut failing = false;
    loop {
        tick.tick().await;
        let force = loaded.elapsed() >= MAINTENANCE_EVERY;
        let st = state.clone();
        let out = match web::block(move || st.reload_keys(force)).await {
            Ok(out) => out.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match out {
            Ok(reloaded) => {
                if reloaded {
                    tracing::debug!("key ring reloaded");
                    loaded = std::time::Instant::now();
                }
                failing = false;
            }
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "checking the signing keys failed; retrying");
            }
            Err(_) => {}
        }
    }
}
