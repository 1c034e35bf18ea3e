-- As SQLite's 0017: rotated refresh tokens (code_hash NULL) leave the code index, and the
-- tokens bound to a session are found by it when the session ends. Additive: an older node's
-- queries use these indexes as well.
DROP INDEX refresh_tokens_code;
CREATE INDEX refresh_tokens_code ON refresh_tokens(code_hash) WHERE code_hash IS NOT NULL;
CREATE INDEX refresh_tokens_sid ON refresh_tokens(sid) WHERE sid IS NOT NULL;
