-- The audit rows waiting to be sealed, found without a scan: PostgreSQL's ids commit out of
-- order, so the sealer looks for `seq IS NULL` rather than above the chain's head id (SQLite's
-- way, which needs no index). Additive: an older node ignores it.
CREATE INDEX audit_events_unsealed ON audit_events(id) WHERE seq IS NULL;
