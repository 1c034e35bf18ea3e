//! PostgreSQL connections for the blocking store API.
//!
//! `tokio-postgres` clients are runtime-agnostic: a query is a message to the connection task
//! and a reply back. The connection tasks (the sockets) run on one dedicated thread with its own
//! current-thread runtime; a store call, on whatever thread it runs (the blocking pool, the CLI,
//! a test), waits for its reply with `futures_executor::block_on`, which — unlike the `postgres`
//! crate's `block_on` — works on a tokio worker as well.

use crate::store::db::{ValueRef, to_postgres_placeholders};
use crate::store::{Result, StoreError};
use bytes::BytesMut;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use tokio_postgres::{Client, Statement};

/// The thread that drives every PostgreSQL socket of this process.
fn runtime() -> Result<&'static tokio::runtime::Handle> {
    static HANDLE: OnceLock<std::result::Result<tokio::runtime::Handle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let handle = rt.handle().clone();
            std::thread::Builder::new()
                .name("latchkey-postgres".into())
                .spawn(move || rt.block_on(std::future::pending::<()>()))
                .map_err(|e| e.to_string())?;
            Ok(handle)
        })
        .as_ref()
        .map_err(|e| StoreError::Unavailable(format!("cannot start the database thread: {e}")))
}

/// Wait for `fut`, run on the database thread.
fn on_runtime<T: Send + 'static>(
    fut: impl std::future::Future<Output = T> + Send + 'static,
) -> Result<T> {
    let join = runtime()?.spawn(fut);
    futures_executor::block_on(join)
        .map_err(|e| StoreError::Unavailable(format!("the database thread failed: {e}")))
}

/// How to reach the database: the parsed URL plus the TLS setting it asked for.
#[derive(Clone)]
pub struct Target {
    pub config: tokio_postgres::Config,
}

impl Target {
    /// Open one connection; its socket task runs on the database thread.
    pub fn connect(&self) -> Result<PgConn> {
        let config = self.config.clone();
        let client = if config.get_ssl_mode() == tokio_postgres::config::SslMode::Disable {
            on_runtime(async move {
                let (client, conn) = config.connect(tokio_postgres::NoTls).await?;
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::warn!(error = %e, "PostgreSQL connection closed");
                    }
                });
                Ok::<_, tokio_postgres::Error>(client)
            })??
        } else {
            let tls = native_tls::TlsConnector::new()
                .map_err(|e| StoreError::Unavailable(format!("TLS for PostgreSQL: {e}")))?;
            let tls = postgres_native_tls::MakeTlsConnector::new(tls);
            on_runtime(async move {
                let (client, conn) = config.connect(tls).await?;
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::warn!(error = %e, "PostgreSQL connection closed");
                    }
                });
                Ok::<_, tokio_postgres::Error>(client)
            })??
        };
        Ok(PgConn {
            client,
            statements: RefCell::new(HashMap::new()),
        })
    }
}

/// One PostgreSQL connection with its prepared statements.
pub struct PgConn {
    client: Client,
    statements: RefCell<HashMap<String, Statement>>,
}

impl PgConn {
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// A statement for `sql` (SQLite placeholders), prepared once per connection.
    pub fn prepare(&self, sql: &str) -> Result<Statement> {
        if let Some(st) = self.statements.borrow().get(sql) {
            return Ok(st.clone());
        }
        let st = futures_executor::block_on(self.client.prepare(&to_postgres_placeholders(sql)))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_owned(), st.clone());
        Ok(st)
    }

    pub fn execute(&self, st: &Statement, values: &[ValueRef<'_>]) -> Result<usize> {
        let params: Vec<&(dyn ToSql + Sync)> =
            values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        let n = futures_executor::block_on(self.client.execute(st, &params))?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    pub fn query(
        &self,
        st: &Statement,
        values: &[ValueRef<'_>],
    ) -> Result<Vec<tokio_postgres::Row>> {
        let params: Vec<&(dyn ToSql + Sync)> =
            values.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        Ok(futures_executor::block_on(self.client.query(st, &params))?)
    }

    /// Statements without parameters, in one round trip.
    pub fn batch(&self, sql: &str) -> Result<()> {
        Ok(futures_executor::block_on(self.client.batch_execute(sql))?)
    }
}

/// Column `idx` of a PostgreSQL row as one of the five SQL values.
pub fn value_at(row: &tokio_postgres::Row, idx: usize) -> Result<ValueRef<'_>> {
    row.try_get::<_, Any<'_>>(idx)
        .map(|a| a.0)
        .map_err(|e| StoreError::Corrupt(format!("column {idx}: {e}")))
}

/// Any column, read as the value it holds.
struct Any<'a>(ValueRef<'a>);

type BoxError = Box<dyn std::error::Error + Sync + Send>;

impl<'a> FromSql<'a> for Any<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        Ok(Any(match *ty {
            Type::INT8 => ValueRef::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => ValueRef::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => ValueRef::Int(i16::from_sql(ty, raw)?.into()),
            Type::OID => ValueRef::Int(u32::from_sql(ty, raw)?.into()),
            Type::BOOL => ValueRef::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => ValueRef::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => ValueRef::Real(f32::from_sql(ty, raw)?.into()),
            Type::BYTEA => ValueRef::Blob(<&[u8]>::from_sql(ty, raw)?),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                ValueRef::Text(<&str>::from_sql(ty, raw)?)
            }
            _ => return Err(format!("the column type {ty} is not one latchkey stores").into()),
        }))
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, BoxError> {
        Ok(Any(ValueRef::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

impl ToSql for ValueRef<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        match *self {
            ValueRef::Null => Ok(IsNull::Yes),
            ValueRef::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
                Type::BOOL => (i != 0).to_sql(ty, out),
                Type::FLOAT8 => (i as f64).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR | Type::UNKNOWN => i.to_string().to_sql(ty, out),
                _ => Err(format!("an integer cannot be sent as {ty}").into()),
            },
            ValueRef::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (f as f32).to_sql(ty, out),
                _ => Err(format!("a real cannot be sent as {ty}").into()),
            },
            ValueRef::Text(s) => match *ty {
                Type::INT8 => s.parse::<i64>()?.to_sql(ty, out),
                _ => s.to_sql(ty, out),
            },
            ValueRef::Blob(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// Check a `database_url` and turn it into a connection target. Only `postgres://` and
/// `postgresql://` URLs; `sslmode` is `disable`, `prefer` (the default) or `require`, and
/// `verify-ca`/`verify-full` are taken as `require` (the server's certificate is always checked
/// against the system's roots when TLS is used). The error never repeats the URL (it may hold a
/// password).
pub fn parse_url(url: &str) -> std::result::Result<Target, String> {
    let parsed = url::Url::parse(url)
        .map_err(|e| format!("is not a URL ({e}); expected postgres://USER@HOST:PORT/DATABASE"))?;
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return Err(format!(
            "has the scheme `{}`; expected postgres://USER@HOST:PORT/DATABASE (or empty for SQLite)",
            parsed.scheme()
        ));
    }
    let mut fixed = parsed.clone();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "sslmode" && (v == "verify-ca" || v == "verify-full") {
                "require".to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    for (k, v) in &pairs {
        if k == "sslmode" && !matches!(v.as_str(), "disable" | "prefer" | "require") {
            return Err(format!(
                "has sslmode={v}; use disable, prefer, require or verify-full"
            ));
        }
    }
    if pairs.is_empty() {
        fixed.set_query(None);
    } else {
        fixed.query_pairs_mut().clear().extend_pairs(pairs.iter());
    }
    let config: tokio_postgres::Config = fixed
        .as_str()
        .parse()
        .map_err(|e: tokio_postgres::Error| format!("cannot be used: {e}"))?;
    if config.get_dbname().is_none() {
        return Err("names no database (postgres://USER@HOST:PORT/DATABASE)".into());
    }
    Ok(Target { config })
}

/// The URL with its password replaced by `***` (text that is no URL is shown as it is, unless
/// it has an `@`, which might follow a password).
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) if url.contains('@') => "(an unreadable URL)".into(),
        Err(_) => url.to_owned(),
    }
}

impl Target {
    /// `postgres://HOST/DATABASE`, for messages (no user, no password).
    pub fn describe(&self) -> String {
        use tokio_postgres::config::Host;
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            #[cfg(unix)]
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        format!(
            "postgres://{host}/{}",
            self.config.get_dbname().unwrap_or("")
        )
    }
}

impl Target {
    /// Hosts that are not this machine's loopback or a Unix socket: there, TLS matters.
    pub fn is_remote(&self) -> bool {
        use tokio_postgres::config::Host;
        self.config.get_hosts().iter().any(|h| match h {
            Host::Tcp(name) => !is_loopback(name),
            #[cfg(unix)]
            Host::Unix(_) => false,
        })
    }

    /// `sslmode` as configured: "disable", "prefer" or "require".
    pub fn ssl_mode(&self) -> &'static str {
        match self.config.get_ssl_mode() {
            tokio_postgres::config::SslMode::Disable => "disable",
            tokio_postgres::config::SslMode::Require => "require",
            _ => "prefer",
        }
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
