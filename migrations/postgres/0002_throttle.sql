-- Throttle counters in the database (issue 19): the PostgreSQL twin of 0016_throttle.sql.
--
-- Every node on one database counts sign-in failures, "forgot password" requests and wrong
-- device codes in the same rows, so N nodes never mean N times the limit. `key` is the SHA-256
-- of the counter's name (a throttle, then an address, an account name or a session): a fixed
-- length, and no names in plain text (the audit log is where sign-in failures are kept).
-- `failures` counts since `since` (reset after a quiet hour: `last_failure`); `blocked_until`
-- is the end of the current wait; `prior_block` what it was before the latest failure, so an
-- attempt counted in advance can be given back exactly.
CREATE TABLE throttle_counters (
    key           TEXT PRIMARY KEY,
    failures      BIGINT NOT NULL,
    since         BIGINT NOT NULL,
    last_failure  BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL,
    prior_block   BIGINT NOT NULL
);
CREATE INDEX throttle_counters_last_failure ON throttle_counters(last_failure);

-- The sources (hashed) an account's failures came from, for the "spread over many sources"
-- counter: only rows seen since their counter's `since` count.
CREATE TABLE throttle_sources (
    key     TEXT NOT NULL,
    source  TEXT NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (key, source)
);
