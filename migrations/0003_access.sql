-- Access control and APIs: groups and their members, which groups may use a client,
-- resource servers (APIs) with their scopes and which clients were granted them,
-- user attributes and the custom scopes that release them.

CREATE TABLE groups (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    description TEXT,
    created_at  INTEGER NOT NULL
);

CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members(user_id);

-- A client with rows here may only be used by members of one of these groups. RESTRICT: removing
-- a group must never silently open a restricted client to everyone.
CREATE TABLE client_allowed_groups (
    client_pk INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    group_id  INTEGER NOT NULL REFERENCES groups(id) ON DELETE RESTRICT,
    PRIMARY KEY (client_pk, group_id)
) WITHOUT ROWID;

-- Resource servers (RFC 8707 `resource`): the identifier is the access token's `aud`.
CREATE TABLE apis (
    id         INTEGER PRIMARY KEY,
    identifier TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Scope names are unique across APIs, so a scope in a consent or a token names one API.
CREATE TABLE api_scopes (
    scope       TEXT PRIMARY KEY,
    api_id      INTEGER NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    description TEXT
) WITHOUT ROWID;
CREATE INDEX api_scopes_api ON api_scopes(api_id);

CREATE TABLE client_api_scopes (
    client_pk INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    scope     TEXT NOT NULL REFERENCES api_scopes(scope) ON DELETE CASCADE,
    PRIMARY KEY (client_pk, scope)
) WITHOUT ROWID;

CREATE TABLE user_attributes (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;

-- A custom scope releases the named user attributes as claims.
CREATE TABLE custom_scopes (
    name        TEXT PRIMARY KEY,
    description TEXT,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE custom_scope_claims (
    scope TEXT NOT NULL REFERENCES custom_scopes(name) ON DELETE CASCADE,
    claim TEXT NOT NULL,
    PRIMARY KEY (scope, claim)
) WITHOUT ROWID;

-- The API a code or refresh token was issued for (NULL: the userinfo endpoint).
ALTER TABLE auth_codes ADD COLUMN resource TEXT;
ALTER TABLE refresh_tokens ADD COLUMN resource TEXT;
