-- Passkeys (WebAuthn, issue 15).
--
-- One row per credential. `credential` is webauthn-rs's own serialised `Passkey` (public key,
-- algorithm, counter, backup flags): latchkey never reads COSE or CBOR itself. The credential id
-- (base64url) is unique across all users: an authenticator's credential belongs to one account.
CREATE TABLE passkeys (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential_id   TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    credential      TEXT NOT NULL,
    -- The authenticator said the key may be synced (backed up): `swk` rather than `hwk` in amr.
    backup_eligible INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER
);
CREATE INDEX passkeys_user ON passkeys(user_id);

-- The WebAuthn user handle of each account (a random UUID, never the username or subject):
-- the same for all of a user's passkeys, so a new passkey on the same authenticator replaces
-- the old one there instead of piling up beside it.
CREATE TABLE passkey_handles (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    handle  TEXT NOT NULL UNIQUE
);

-- A ceremony between its two requests (begin, finish): webauthn-rs's state, found by a hashed
-- handle, consumed once, and swept after `expires_at`. `user_id`/`session_id` bind it to the
-- account and the session that began it (NULL for a sign-in: the passkey names its user).
CREATE TABLE webauthn_challenges (
    handle_hash TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('register', 'sign_in', 'second_factor')),
    user_id     INTEGER REFERENCES users(id) ON DELETE CASCADE,
    session_id  INTEGER,
    name        TEXT,
    state       TEXT NOT NULL,
    source      TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges(expires_at);
CREATE INDEX webauthn_challenges_source ON webauthn_challenges(source, expires_at);
