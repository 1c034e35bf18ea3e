-- Refresh-token indexes for the rows each one needs (additive).
--
-- Rotated refresh tokens have no code_hash (only a family's first token comes from a code), yet
-- the plain index stored each of their NULLs: one more b-tree page written by every refresh,
-- inside the writer turn (bench/README.md, "What bounds refresh now"). The lookup by code
-- (`WHERE code_hash = ?`, on a replayed code) implies NOT NULL, so it uses the partial index.
DROP INDEX refresh_tokens_code;
CREATE INDEX refresh_tokens_code ON refresh_tokens(code_hash) WHERE code_hash IS NOT NULL;
-- Signing out revokes the refresh tokens bound to the session (`WHERE sid = ?`): without an
-- index that scanned every refresh token ever kept, inside the writer turn. Offline tokens have
-- no sid and stay out of it.
CREATE INDEX refresh_tokens_sid ON refresh_tokens(sid) WHERE sid IS NOT NULL;
