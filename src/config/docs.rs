//! Every setting with its default and a one-line description: the source of the README's
//! configuration table (a test checks that they agree) and of the defaults `Settings::load`
//! starts from.

/// One documented setting. The README's configuration table lists exactly these.
pub struct SettingDoc {
    pub key: &'static str,
    pub default: &'static str,
    pub doc: &'static str,
}

pub const SETTINGS: &[SettingDoc] = &[
    SettingDoc {
        key: "issuer",
        default: "http://localhost:8080",
        doc: "Public base URL; the `iss` of every token. An https issuer turns on Secure cookies with the `__Host-` prefix.",
    },
    SettingDoc {
        key: "bind",
        default: "127.0.0.1:8080",
        doc: "Address and port to listen on.",
    },
    SettingDoc {
        key: "data_dir",
        default: "./latchkey-data",
        doc: "Directory holding `latchkey.db`; created if missing.",
    },
    SettingDoc {
        key: "log_format",
        default: "text",
        doc: "`text` for people, `json` for log collectors.",
    },
    SettingDoc {
        key: "log_level",
        default: "info",
        doc: "`error`, `warn`, `info`, `debug` or `trace` (or a tracing filter).",
    },
    SettingDoc {
        key: "access_token_ttl_secs",
        default: "600",
        doc: "Lifetime of access tokens.",
    },
    SettingDoc {
        key: "access_token_alg",
        default: "RS256",
        doc: "Signing algorithm of access tokens: `RS256`, `ES256` or `EdDSA`.",
    },
    SettingDoc {
        key: "id_token_ttl_secs",
        default: "3600",
        doc: "Lifetime of ID tokens.",
    },
    SettingDoc {
        key: "refresh_token_ttl_secs",
        default: "2592000",
        doc: "Absolute lifetime of a refresh token family (30 days).",
    },
    SettingDoc {
        key: "session_idle_timeout_secs",
        default: "28800",
        doc: "A browser session ends after this long without use (8 hours).",
    },
    SettingDoc {
        key: "session_max_lifetime_secs",
        default: "604800",
        doc: "A browser session ends this long after sign-in, used or not (7 days).",
    },
    SettingDoc {
        key: "key_retention_secs",
        default: "604800",
        doc: "How long a rotated-out signing key stays in the JWKS so tokens it signed still verify.",
    },
    SettingDoc {
        key: "key_rotation_secs",
        default: "7776000",
        doc: "Signing keys older than this are replaced automatically (90 days); the old key stays published for key_retention_secs.",
    },
    SettingDoc {
        key: "workers",
        default: "0",
        doc: "HTTP worker threads; 0 means one per CPU core.",
    },
    SettingDoc {
        key: "login_failures_per_account",
        default: "5",
        doc: "Failed sign-ins for one account from one client address before each further attempt from there must wait (1 s, 2 s, 4 s, ...); see Sign-in throttling.",
    },
    SettingDoc {
        key: "login_failures_per_ip",
        default: "30",
        doc: "Failed sign-ins from one client address (an IPv4 address or IPv6 /64), across all accounts, before waits start.",
    },
    SettingDoc {
        key: "trusted_proxies",
        default: "",
        doc: "Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers say who the client is: IPs or CIDRs, as a TOML array or a comma-separated string (`10.0.0.0/8,::1`). Empty: those headers are ignored. See Running behind a reverse proxy.",
    },
    SettingDoc {
        key: "password_queue_limit",
        default: "64",
        doc: "Password checks that may wait for the hashing threads at once; a sign-in beyond that gets 503 with `Retry-After` instead of waiting minutes (1 to 10000).",
    },
    SettingDoc {
        key: "pending_requests_per_address",
        default: "100",
        doc: "Unfinished sign-in requests (authorization requests waiting for sign-in or consent, and device authorizations) one client address may hold at once; more get 429 (1 to 100000).",
    },
    SettingDoc {
        key: "audit_retention_days",
        default: "400",
        doc: "Audit events older than this are deleted by the background sweep; 0 keeps them forever.",
    },
    SettingDoc {
        key: "login_max_wait_secs",
        default: "900",
        doc: "The longest wait a throttled sign-in (or device-flow code entry) gets; there is never a permanent lockout.",
    },
    SettingDoc {
        key: "device_code_ttl_secs",
        default: "600",
        doc: "Device flow (RFC 8628): how long a device code and its user code stay valid (60 to 86400).",
    },
    SettingDoc {
        key: "device_poll_interval_secs",
        default: "5",
        doc: "Device flow: the minimum seconds between token polls; polling faster earns `slow_down` and 5 s more (1 to 60).",
    },
    SettingDoc {
        key: "durability",
        default: "group",
        doc: "When a write is acknowledged: `group` (after an fsync shared by concurrent writes; nothing acknowledged is lost on a power cut), `each` (one fsync per write, slower, same guarantee) or `relaxed` (no wait for fsync; a power cut may lose the last moments of writes). See Durability.",
    },
    SettingDoc {
        key: "database_url",
        default: "",
        doc: "Empty: SQLite in `data_dir` (`latchkey.db`). `postgres://USER@HOST:PORT/DATABASE[?sslmode=require]`: PostgreSQL, which several latchkey nodes can share. See Running more than one node.",
    },
    SettingDoc {
        key: "database_password_file",
        default: "",
        doc: "A file holding the PostgreSQL password (inside `data_dir` when relative; refused when every user may read it). Keeps the password out of `database_url`.",
    },
    SettingDoc {
        key: "tls_cert",
        default: "",
        doc: "Built-in TLS: a PEM file with the certificate chain, the server's certificate first (e.g. certbot's `fullchain.pem`). With `tls_key`, latchkey serves HTTPS itself on `bind` (TLS 1.2 and 1.3, HTTP/2); the issuer must be https. Empty: plain HTTP (a proxy terminates TLS). See Built-in TLS.",
    },
    SettingDoc {
        key: "tls_key",
        default: "",
        doc: "Built-in TLS: a PEM file with the private key of `tls_cert` (PKCS#8, RSA or EC; not encrypted). Both or neither.",
    },
    SettingDoc {
        key: "tls_reload_poll_secs",
        default: "5",
        doc: "How often `tls_cert` and `tls_key` are checked for changes (a renewal); a changed pair is loaded for new connections. 0: only on SIGHUP (0 to 86400).",
    },
    SettingDoc {
        key: "metrics_bind",
        default: "",
        doc: "Address and port of a second listener serving only `/metrics` (Prometheus text format), e.g. `127.0.0.1:9464`; empty: none. Keep it on loopback or a private network. See Metrics.",
    },
    SettingDoc {
        key: "mfa_required",
        default: "off",
        doc: "Who must sign in with two factors (or a passkey) for every app: `off`, `admins` or `all`. Someone who must but has none set up is taken through setting up an authenticator app right after the password. Per app: `latchkey client update C --require-mfa`. See Two-factor sign-in and passkeys.",
    },
    SettingDoc {
        key: "reauth_secs",
        default: "600",
        doc: "How recent a sign-in must be (seconds) before the account page lets someone add or remove a sign-in method or make new recovery codes; older sign-ins are asked to sign in again (30 to 86400).",
    },
    SettingDoc {
        key: "admin_reauth_secs",
        default: "900",
        doc: "How recent a sign-in must be (seconds) to use the admin pages (`/admin`); an admin whose sign-in is older is asked to sign in again (30 to 86400).",
    },
    SettingDoc {
        key: "secret_key_file",
        default: "secret.key",
        doc: "32 random bytes that seal authenticator-app seeds (and key the recovery-code hashes); a relative path is inside `data_dir`. Created with mode 0600 at first start; a file others can read, or of another length, stops the start. Back it up apart from the database: without it no one can use their authenticator app.",
    },
    SettingDoc {
        key: "theme_dir",
        default: "",
        doc: "A folder whose `templates/*.html` and `static/*` files replace or add to the built-in pages and assets; empty for none.",
    },
    SettingDoc {
        key: "invite_ttl_secs",
        default: "604800",
        doc: "How long an invite link (`latchkey user invite`, the admin pages) works, in seconds (7 days; 60 to 7776000). See Inviting people and email.",
    },
    SettingDoc {
        key: "reset_ttl_secs",
        default: "3600",
        doc: "How long a password reset link (`latchkey user reset-link`, \"Forgot password?\") or an email verification link works, in seconds (1 hour; 60 to 604800).",
    },
    SettingDoc {
        key: "smtp_url",
        default: "",
        doc: "The mail server: `smtp://HOST[:PORT]` (STARTTLS required; port 587) or `smtps://HOST[:PORT]` (TLS; port 465). To a loopback address (the host's own relay) `smtp://` is plain SMTP (port 25). Empty: no mail; links are only printed.",
    },
    SettingDoc {
        key: "smtp_from",
        default: "",
        doc: "The sender of latchkey's mail, e.g. `latchkey <id@example.com>`; required with `smtp_url`.",
    },
    SettingDoc {
        key: "smtp_username",
        default: "",
        doc: "The user name to authenticate to the mail server as; with `smtp_password_file` (both or neither; empty: no authentication).",
    },
    SettingDoc {
        key: "smtp_password_file",
        default: "",
        doc: "A file holding the mail server password (one line; a relative path is inside `data_dir`), so it is in neither the config nor the environment. A file every user can read stops the start.",
    },
];

/// The keys of one `[[upstream]]` table, each with its default and meaning (README table).
pub const UPSTREAM_SETTINGS: &[SettingDoc] = &[
    doc(
        "upstream.id",
        "",
        "Required. Names the provider in URLs (`/upstream/ID/callback`) and in `latchkey user unlink`: lowercase letters, digits and `-`, at most 32.",
    ),
    doc(
        "upstream.name",
        "",
        "Required. The button label: \"Sign in with NAME\".",
    ),
    doc(
        "upstream.kind",
        "oidc",
        "`oidc` (any OpenID Connect provider, found by discovery) or `github` (GitHub's OAuth apps and its user API).",
    ),
    doc(
        "upstream.issuer",
        "",
        "`oidc`: the provider's issuer URL; `/.well-known/openid-configuration` under it is read at sign-in. https (http only for localhost). Not for `github`.",
    ),
    doc(
        "upstream.api_url",
        "https://api.github.com",
        "`github` only: the API base of GitHub Enterprise Server (`https://HOST/api/v3`); its sign-in pages are at the same host. Identities are recorded under that host.",
    ),
    doc(
        "upstream.client_id",
        "",
        "Required. The client id latchkey was registered with at the provider.",
    ),
    doc(
        "upstream.client_secret_file",
        "",
        "Required. A file holding the client secret (one line), not readable by other users (0600, 0400 or 0640); a relative path is inside `data_dir`.",
    ),
    doc(
        "upstream.scopes",
        "[\"openid\", \"email\", \"profile\"]",
        "The scopes asked for (a TOML array); `oidc` must include `openid`. For `github` the default is `[\"read:user\", \"user:email\"]`.",
    ),
    doc(
        "upstream.link",
        "manual",
        "What happens at the first sign-in of an unknown identity (without `create_users`): `manual` (the person links it with their local password) or `verified-email` (linked when the provider says the email is verified and exactly one local user holds it, verified too).",
    ),
    doc(
        "upstream.create_users",
        "false",
        "`true`: an unknown identity becomes a new local user (username from `preferred_username` or the email's local part, made unique).",
    ),
    doc(
        "upstream.allowed_email_domains",
        "",
        "Only people whose verified email is in one of these domains (a TOML array) may sign in this way; checked at every sign-in. Empty: any.",
    ),
    doc(
        "upstream.groups_claim",
        "",
        "`oidc` only: an ID token claim (a list of names) that sets the user's membership of the local groups of those names at every sign-in.",
    ),
];

const fn doc(key: &'static str, default: &'static str, doc: &'static str) -> SettingDoc {
    SettingDoc { key, default, doc }
}
