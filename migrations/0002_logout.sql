-- Which clients each browser session signed into (for back-channel logout and the account page),
-- and an outbox of back-channel logout notifications still to deliver.

CREATE TABLE session_clients (
    sid       TEXT NOT NULL,
    client_pk INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    first_at  INTEGER NOT NULL,
    last_at   INTEGER NOT NULL,
    PRIMARY KEY (sid, client_pk)
) WITHOUT ROWID;
CREATE INDEX session_clients_user ON session_clients(user_id);

-- Written in the same transaction that ends a session, so no notification is lost;
-- the server delivers and retries them in the background.
CREATE TABLE backchannel_outbox (
    id              INTEGER PRIMARY KEY,
    client_pk       INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    subject         TEXT NOT NULL,
    sid             TEXT NOT NULL,
    reason          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL
);
CREATE INDEX backchannel_outbox_due ON backchannel_outbox(next_attempt_at);
