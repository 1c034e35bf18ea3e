-- Sign-in with an upstream provider (issue 18). Numbered 0013: 0012 and 0014 belong to other
-- branches.
--
-- A person's identity at an upstream provider, linked to one local user. Linked by the pair
-- (issuer, subject) only, never by email: the email is kept to show on the account page.
-- `upstream_id` is the `[[upstream]]` table's id (the CLI and the account page name it).
CREATE TABLE upstream_identities (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    upstream_id  TEXT NOT NULL,
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    email        TEXT,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    UNIQUE (issuer, subject)
);
CREATE INDEX upstream_identities_user ON upstream_identities(user_id);

-- A sign-in sent to an upstream, between /upstream/ID/start and its callback: found by the
-- hash of `state`, bound to the browser that began it (`binding_hash`, the hash of a cookie),
-- consumed once. `purpose` 'link' comes from the account page of session `session_id`.
CREATE TABLE upstream_flows (
    state_hash    TEXT PRIMARY KEY,
    upstream_id   TEXT NOT NULL,
    purpose       TEXT NOT NULL CHECK (purpose IN ('sign_in', 'link')),
    binding_hash  TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    pending       TEXT,
    next          TEXT,
    session_id    INTEGER,
    source        TEXT NOT NULL,
    expires_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX upstream_flows_expiry ON upstream_flows(expires_at);
CREATE INDEX upstream_flows_source ON upstream_flows(source, expires_at);

-- An identity nobody is linked to yet, waiting on the "No account is linked" page for its
-- owner's local password. Bound to the same browser; consumed once.
CREATE TABLE upstream_links (
    handle_hash  TEXT PRIMARY KEY,
    upstream_id  TEXT NOT NULL,
    binding_hash TEXT NOT NULL,
    identity     TEXT NOT NULL,
    pending      TEXT,
    next         TEXT,
    expires_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX upstream_links_expiry ON upstream_links(expires_at);
