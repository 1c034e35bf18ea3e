//! Signing in with an upstream provider (`[[upstream]]`): "Sign in with Google / GitHub / any
//! OpenID provider".
//!
//! ```text
//! login page ──▶ /upstream/ID/start ──(park a flow: state, nonce, PKCE)──▶ the provider
//!   provider ──▶ /upstream/ID/callback ──(take the flow once, same browser)──▶ code exchange,
//!   ID token checks (client.rs / github.rs) ──▶ link::resolve:
//!       linked identity ─────────────▶ re-checks ─▶ signed in (amr fed) ─▶ /authorize/resume
//!       create_users ────────────────▶ new user ──▶ signed in
//!       link = verified-email, match ─▶ linked ───▶ signed in
//!       otherwise ──▶ "No account is linked" (/upstream/link): the local password links it
//! ```
//!
//! The HTTP to the provider is async (reqwest, never on a blocking thread); every store step is
//! a plain function over one transaction, as in `interaction`.

pub mod client;
pub mod flow;
pub mod github;
pub mod link;
pub mod unlink;

use crate::config::{ConfigError, Settings, Upstream, UpstreamKind};
use openidconnect::core::CoreProviderMetadata;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long one request to a provider may take (connect included) before the sign-in shows
/// "cannot be reached".
pub const TIMEOUT: Duration = Duration::from_secs(8);
/// How long a flow (start to callback) and a waiting link may take.
pub const FLOW_TTL_SECS: i64 = 600;
/// Discovery (and the JWKS) is read again after this long, and at once when a signature does
/// not verify (the provider rotated its keys).
const METADATA_TTL: Duration = Duration::from_secs(600);

/// What a provider said about the person, after every check (signature, `iss`, `aud`, `exp`,
/// nonce; for GitHub, its API over the token it gave).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Identity {
    pub upstream: String,
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    /// The provider says it verified `email`. False when it does not say.
    pub email_verified: bool,
    pub preferred_username: Option<String>,
    pub name: Option<String>,
    /// The `groups_claim`'s names; None when not configured or absent from the token.
    pub groups: Option<Vec<String>>,
    /// The provider's own `acr` and `amr`: recorded in the audit log, never trusted for ours.
    pub acr: Option<String>,
    pub amr: Vec<String>,
}

impl Identity {
    /// The email, only when the provider verified it.
    pub fn verified_email(&self) -> Option<&str> {
        self.email.as_deref().filter(|_| self.email_verified)
    }
}

/// Why a provider's answer was not taken. Each is a readable page and an audit row.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("cannot reach the provider: {0}")]
    Unreachable(String),
    #[error("the provider refused the sign-in: {0}")]
    Refused(String),
    #[error("the ID token is not valid: {0}")]
    InvalidIdToken(String),
    #[error("the ID token's nonce does not match this sign-in")]
    Nonce,
    #[error("the provider's answer is not understood: {0}")]
    Malformed(String),
}

impl UpstreamError {
    /// The audit row's `reason`.
    pub fn reason(&self) -> &'static str {
        match self {
            UpstreamError::Unreachable(_) => "unreachable",
            UpstreamError::Refused(_) => "token_refused",
            UpstreamError::InvalidIdToken(_) => "id_token_invalid",
            UpstreamError::Nonce => "nonce_mismatch",
            UpstreamError::Malformed(_) => "malformed_answer",
        }
    }
}

/// One configured provider with its secret and what discovery found.
pub struct Entry {
    pub config: Upstream,
    secret: String,
    metadata: Mutex<Option<(Arc<CoreProviderMetadata>, Instant)>>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Entry {
    pub fn is_github(&self) -> bool {
        matches!(self.config.kind, UpstreamKind::GitHub { .. })
    }
}

/// Every configured provider, the HTTP client that talks to them, and our callback base.
#[derive(Debug)]
pub struct Registry {
    entries: Vec<Entry>,
    http: reqwest::Client,
    /// The issuer (no trailing `/`): redirect URIs are `{base}/upstream/ID/callback`.
    base: String,
}

impl Registry {
    /// Read every client secret (refused with a one-line error when others may read it).
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        let entries = settings
            .upstreams
            .iter()
            .map(|u| {
                Ok(Entry {
                    secret: crate::config::upstream::read_client_secret(u, &settings.data_dir)?,
                    config: u.clone(),
                    metadata: Mutex::new(None),
                })
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;
        Ok(Self {
            entries,
            http: http_client()?,
            base: settings.issuer.trim_end_matches('/').to_owned(),
        })
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.config.id == id)
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The button label of upstream `id` (its id when it is no longer configured).
    pub fn name_of(&self, id: &str) -> String {
        self.get(id)
            .map_or_else(|| id.to_owned(), |e| e.config.name.clone())
    }

    /// The redirect URI registered at the provider for `entry`.
    pub fn redirect_uri(&self, entry: &Entry) -> String {
        format!("{}{}", self.base, entry.config.callback_path())
    }

    /// Where to send the browser: the provider's authorization endpoint with our `state`,
    /// `nonce` and the S256 challenge of `verifier`.
    pub async fn authorization_url(
        &self,
        entry: &Entry,
        state: &str,
        nonce: &str,
        verifier: &str,
    ) -> Result<String, UpstreamError> {
        let redirect = self.redirect_uri(entry);
        match &entry.config.kind {
            UpstreamKind::Oidc => {
                let meta = client::metadata(entry, &self.http, false).await?;
                client::authorization_url(entry, &meta, &redirect, state, nonce, verifier)
            }
            UpstreamKind::GitHub { .. } => Ok(github::authorization_url(
                &entry.config,
                &redirect,
                state,
                verifier,
            )),
        }
    }

    /// Redeem `code` at the provider and check what it says about the person.
    pub async fn identity(
        &self,
        entry: &Entry,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<Identity, UpstreamError> {
        let redirect = self.redirect_uri(entry);
        match &entry.config.kind {
            UpstreamKind::Oidc => {
                client::identity(entry, &self.http, &redirect, code, verifier, nonce).await
            }
            UpstreamKind::GitHub { api_url } => {
                github::identity(entry, api_url, &self.http, &redirect, code, verifier).await
            }
        }
    }

    /// Read each provider's discovery document once (at start): one that cannot be reached
    /// is a warning, retried at sign-in.
    pub async fn warm_up(&self) {
        for e in self.entries.iter().filter(|e| !e.is_github()) {
            match client::metadata(e, &self.http, true).await {
                Ok(_) => tracing::info!(upstream = %e.config.id, "upstream provider discovered"),
                Err(err) => tracing::warn!(
                    upstream = %e.config.id,
                    issuer = %e.config.issuer,
                    error = %err,
                    "upstream provider cannot be reached now; sign-ins through it retry"
                ),
            }
        }
    }
}

/// The client for providers: bounded time, no redirects followed (a provider's endpoints are
/// where discovery says), no idle connections kept across the workers' runtimes.
pub fn http_client() -> Result<reqwest::Client, ConfigError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .pool_max_idle_per_host(0)
        .user_agent(concat!("latchkey/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ConfigError(format!("cannot set up the upstream HTTP client: {e}")))
}
