//! Open the store, migrate, load keys, bind, run.

use crate::clock::{Clock, SystemClock};
use crate::config::{ConfigError, Settings};
use crate::oidc::signing_keys;
use crate::state::AppState;
use crate::store::{Store, StoreError, users};
use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::Arc;
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
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

/// How often the server reloads keys (to pick up `latchkey keys rotate`) and sweeps expired rows.
const MAINTENANCE_EVERY: Duration = Duration::from_secs(30);

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
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
        let db_path = settings.prepare_data_dir()?;
        let lock = crate::store::data_lock::lock_data_dir(&settings.data_dir)?;
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
        tracing::info!(issuer = %settings.issuer, address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "latchkey listening");

        crate::crypto::password_pool::map_large_buffers_directly();
        let state = AppState::new(store, settings, clock, ring);
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
        .shutdown_timeout(10)
        .listen(listener)
        .map_err(|err| StartupError::Bind {
            addr: "listener".into(),
            err,
        })?
        .run();
        Ok(Self {
            port,
            server,
            state,
            _lock: lock,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve until SIGINT/SIGTERM; in-flight requests finish first.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let maintenance = tokio::spawn(maintain(self.state.clone()));
        let notifier = tokio::spawn(crate::notify::run(self.state.clone()));
        let sealer = tokio::spawn(crate::audit_sealer::run(self.state.clone()));
        let out = self.server.await;
        maintenance.abort();
        notifier.abort();
        sealer.abort();
        out
    }
}

/// `latchkey serve`: logging, then the server on its own actix runtime until SIGINT/SIGTERM.
pub fn serve(settings: Settings) -> Result<(), StartupError> {
    crate::telemetry::init(&settings);
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings)?;
        app.run_until_stopped().await.map_err(StartupError::Serve)
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
