-- Where unfinished sign-in requests came from (an IPv4 address or an IPv6 /64), so that one
-- client address cannot fill the disk with them (`pending_requests_per_address`).
ALTER TABLE pending_authorizations ADD COLUMN source TEXT;
CREATE INDEX pending_authorizations_source ON pending_authorizations(source, expires_at);
ALTER TABLE device_authorizations ADD COLUMN source TEXT;
CREATE INDEX device_authorizations_source ON device_authorizations(source, expires_at);

-- Browsers that signed in to an account before (the long-lived `latchkey_browser` cookie,
-- stored hashed). Such a browser is not held by the account's sign-in throttle when someone
-- else guesses that account's password.
CREATE TABLE known_browsers (
    token_hash   TEXT NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    PRIMARY KEY (token_hash, user_id)
) WITHOUT ROWID;
CREATE INDEX known_browsers_user ON known_browsers(user_id);
CREATE INDEX known_browsers_last_used ON known_browsers(last_used_at);
