//! Protocol errors (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6; RFC 6750 §3.1).

/// One variant per error code we ever send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    /// RFC 8707 §2: the `resource` is unknown, malformed, or not for this client.
    InvalidTarget,
    AccessDenied,
    ServerError,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    AccountSelectionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    InvalidToken,
    UnsupportedTokenType,
    TemporarilyUnavailable,
    /// RFC 8628 §3.5: the device polls before the user decided, too fast, or too late.
    AuthorizationPending,
    SlowDown,
    ExpiredToken,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidRequest => "invalid_request",
            InvalidClient => "invalid_client",
            InvalidGrant => "invalid_grant",
            UnauthorizedClient => "unauthorized_client",
            UnsupportedGrantType => "unsupported_grant_type",
            UnsupportedResponseType => "unsupported_response_type",
            InvalidScope => "invalid_scope",
            InvalidTarget => "invalid_target",
            AccessDenied => "access_denied",
            ServerError => "server_error",
            LoginRequired => "login_required",
            ConsentRequired => "consent_required",
            InteractionRequired => "interaction_required",
            AccountSelectionRequired => "account_selection_required",
            RequestNotSupported => "request_not_supported",
            RequestUriNotSupported => "request_uri_not_supported",
            InvalidToken => "invalid_token",
            UnsupportedTokenType => "unsupported_token_type",
            TemporarilyUnavailable => "temporarily_unavailable",
            AuthorizationPending => "authorization_pending",
            SlowDown => "slow_down",
            ExpiredToken => "expired_token",
        }
    }
}

/// An error for the client: a code, a public description, and a private detail for the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub code: ErrorCode,
    description: String,
    pub detail: Option<String>,
    /// Seconds after which a retry may succeed (`Retry-After`), for temporary refusals.
    pub retry_after: Option<i64>,
    /// Too many requests from this client (HTTP 429) rather than a server that cannot serve.
    pub too_many: bool,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: sanitize(&description.into()),
            detail: None,
            retry_after: None,
            too_many: false,
        }
    }
    /// `temporarily_unavailable` for this client only (HTTP 429), retry after `secs`.
    pub fn too_many_requests(description: impl Into<String>, secs: i64) -> Self {
        let mut e = Self::new(ErrorCode::TemporarilyUnavailable, description);
        e.retry_after = Some(secs);
        e.too_many = true;
        e
    }
    /// `temporarily_unavailable` (HTTP 503), retry after `secs`.
    pub fn unavailable(detail: impl std::fmt::Display, secs: i64) -> Self {
        let mut e = Self::new(
            ErrorCode::TemporarilyUnavailable,
            "the service is temporarily unavailable; try again shortly",
        )
        .with_detail(detail.to_string());
        e.retry_after = Some(secs);
        e
    }
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
    pub fn description(&self) -> &str {
        &self.description
    }
    pub fn server_error(detail: impl std::fmt::Display) -> Self {
        Self::new(
            ErrorCode::ServerError,
            "the server could not complete the request",
        )
        .with_detail(detail.to_string())
    }
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }
    pub fn invalid_client(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidClient, d)
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.description)?;
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

impl std::error::Error for OAuthError {}

/// How long a client should wait after a transient store failure.
pub const STORE_RETRY_AFTER_SECS: i64 = 5;

/// The one mapping of store failures for OAuth clients: transient ones are
/// `temporarily_unavailable` with `Retry-After`, anything else `server_error`.
impl From<crate::store::StoreError> for OAuthError {
    fn from(e: crate::store::StoreError) -> Self {
        if e.is_transient() {
            OAuthError::unavailable(e, STORE_RETRY_AFTER_SECS)
        } else {
            OAuthError::server_error(e)
        }
    }
}

/// RFC 6749 allows only %x20-21 / %x23-5B / %x5D-7E in error_description: no `"` and no `\`.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            c if (' '..='~').contains(&c) => c,
            _ => '?',
        })
        .take(300)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn error_description_never_contains_quote_or_backslash() {
        let e = OAuthError::invalid_request("bad \"x\" \\ y\n");
        assert!(!e.description().contains('"'));
        assert!(!e.description().contains('\\'));
        assert!(!e.description().contains('\n'));
    }
}
