-- The Device Authorization Grant (RFC 8628): one row per /device_authorization request.
-- Both codes are stored only as hashes. A row goes pending -> approved | denied, and approved ->
-- issued when the device redeems it (once). Expired rows are swept.

CREATE TABLE device_authorizations (
    id               INTEGER PRIMARY KEY,
    device_code_hash TEXT NOT NULL UNIQUE,
    user_code_hash   TEXT NOT NULL UNIQUE,                 -- of the canonical form (no dash)
    client_pk        INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    scope            TEXT NOT NULL,
    resource         TEXT,                                 -- the API the tokens are for (RFC 8707)
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'approved', 'denied', 'issued')),
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    interval_secs    INTEGER NOT NULL,                     -- grows by 5 on every slow_down
    last_polled_at   INTEGER,
    -- set when the user decides
    user_id          INTEGER REFERENCES users(id) ON DELETE CASCADE,
    sid              TEXT,                                 -- the browser session that approved
    auth_time        INTEGER,
    amr              TEXT,
    decided_at       INTEGER,
    issued_at        INTEGER
);
CREATE INDEX device_authorizations_expires ON device_authorizations(expires_at);
