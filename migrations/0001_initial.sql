-- latchkey schema, version 1. Times are Unix seconds (UTC). Secrets are stored hashed.

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    subject             TEXT NOT NULL UNIQUE,              -- opaque, stable `sub`
    username            TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email               TEXT NOT NULL,
    email_verified      INTEGER NOT NULL DEFAULT 0,
    name                TEXT,
    password_hash       TEXT NOT NULL,                     -- argon2id PHC string
    is_admin            INTEGER NOT NULL DEFAULT 0,
    disabled            INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL
);

CREATE TABLE clients (
    id                     INTEGER PRIMARY KEY,
    client_id              TEXT NOT NULL UNIQUE,
    name                   TEXT NOT NULL,
    is_public              INTEGER NOT NULL,
    secret_hash            TEXT,                           -- NULL for public clients
    grant_types            TEXT NOT NULL,                  -- space separated
    scopes                 TEXT NOT NULL,                  -- space separated, allowed scopes
    skip_consent           INTEGER NOT NULL DEFAULT 0,
    require_pkce           INTEGER NOT NULL DEFAULT 1,
    id_token_alg           TEXT NOT NULL DEFAULT 'RS256',
    backchannel_logout_uri TEXT,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    CHECK (is_public IN (0, 1)),
    CHECK ((is_public = 1) = (secret_hash IS NULL))
);

CREATE TABLE client_redirect_uris (
    client_pk INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL CHECK (kind IN ('login', 'post_logout')),
    uri       TEXT NOT NULL,
    PRIMARY KEY (client_pk, kind, uri)
) WITHOUT ROWID;

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL CHECK (alg IN ('RS256', 'ES256', 'EdDSA')),
    private_pem TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    secret_hash  TEXT NOT NULL UNIQUE,                     -- hash of the cookie value
    sid          TEXT NOT NULL UNIQUE,                     -- public id for the `sid` claim
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_time    INTEGER NOT NULL,
    amr          TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,                         -- absolute lifetime
    user_agent   TEXT,
    ip           TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

-- An authorization request waiting for login or consent.
CREATE TABLE pending_authorizations (
    id_hash    TEXT PRIMARY KEY,
    client_pk  INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    request    TEXT NOT NULL,                               -- validated request, JSON
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE auth_codes (
    code_hash      TEXT PRIMARY KEY,
    client_pk      INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sid            TEXT,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    nonce          TEXT,
    code_challenge TEXT,
    claims         TEXT,                                    -- requested claims, JSON
    auth_time      INTEGER NOT NULL,
    amr            TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    consumed_at    INTEGER,
    access_jti     TEXT,                                    -- token issued from it (replay revokes)
    access_expires_at INTEGER
) WITHOUT ROWID;

CREATE TABLE refresh_tokens (
    id                INTEGER PRIMARY KEY,
    token_hash        TEXT NOT NULL UNIQUE,
    family_id         TEXT NOT NULL,
    client_pk         INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id           INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sid               TEXT,
    scope             TEXT NOT NULL,
    claims            TEXT,
    auth_time         INTEGER NOT NULL,
    amr               TEXT NOT NULL,
    code_hash         TEXT,                                 -- the code the family came from
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,                     -- absolute lifetime of the family
    used_at           INTEGER,
    revoked_at        INTEGER,
    access_jti        TEXT,
    access_expires_at INTEGER
);
CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);
CREATE INDEX refresh_tokens_code ON refresh_tokens(code_hash);

-- Access tokens are JWTs; revoking one means remembering its jti until it expires.
CREATE TABLE revoked_access_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE consents (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_pk  INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    scope      TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_pk)
) WITHOUT ROWID;

CREATE TABLE audit_events (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    actor     TEXT,
    subject   TEXT,
    client_id TEXT,
    ip        TEXT,
    detail    TEXT
);
CREATE INDEX audit_events_at ON audit_events(at);
