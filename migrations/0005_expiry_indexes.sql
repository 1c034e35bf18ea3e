-- Expiry indexes: the maintenance sweep (every 30 s) finds what has expired through these
-- instead of reading every row of tables that grow with every sign-in and token.
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE INDEX sessions_last_seen ON sessions(last_seen_at);
CREATE INDEX auth_codes_expires ON auth_codes(expires_at);
CREATE INDEX pending_authorizations_expires ON pending_authorizations(expires_at);
CREATE INDEX refresh_tokens_expires ON refresh_tokens(expires_at);
CREATE INDEX revoked_access_tokens_expires ON revoked_access_tokens(expires_at);
