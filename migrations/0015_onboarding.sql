-- Onboarding (issue 17). Numbered 0015: 0012 to 0014 belong to other branches.
--
-- One-time links: an invite (choose a password or a passkey), a password reset, the
-- verification of a new email address. The token (256 random bits) is in the link only; the
-- row keeps its SHA-256. `used_at` marks a used link (kept until the sweep, so a second use is
-- told "already used", not "unknown"). `client_id`: the app an invite is for (where to go
-- after); `email`: the address a verification link is for.
CREATE TABLE user_links (
    token_hash TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('invite', 'reset', 'verify_email')),
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id  TEXT,
    email      TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) WITHOUT ROWID;
CREATE INDEX user_links_user ON user_links(user_id, kind);
CREATE INDEX user_links_expiry ON user_links(expires_at);

-- Mail waiting to be sent (or retried) by the background sender; a row goes once it is
-- delivered or given up. `params` is what the template needs (JSON, no secret); `link` the
-- one-time link of an invite, reset or verification, sealed with `secret_key_file` (so a copy
-- of the database alone holds no usable link).
CREATE TABLE mail_queue (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    params          TEXT NOT NULL,
    link            TEXT,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT
);
CREATE INDEX mail_queue_due ON mail_queue(next_attempt_at);

-- Notice mails after sensitive changes (password, second factors, a new browser): on unless
-- the user turned them off on the account page.
ALTER TABLE users ADD COLUMN security_notices INTEGER NOT NULL DEFAULT 1;
