-- The audit log's hash chain (src/oidc/audit_chain.rs documents the encoding). Requests write
-- rows unsealed (both columns NULL); one background task seals them a moment later, giving each
-- the next position in the chain and hash = SHA-256(previous hash || the row's encoding).
-- `seq`, not `id`, orders the chain: ids from a sequence (PostgreSQL) can commit out of order,
-- so rows are sealed in the order the sealer finds them committed.
ALTER TABLE audit_events ADD COLUMN seq INTEGER;
ALTER TABLE audit_events ADD COLUMN hash BLOB;
CREATE UNIQUE INDEX audit_events_seq ON audit_events(seq) WHERE seq IS NOT NULL;
-- No index on unsealed rows (it cost every request's insert a page write): in SQLite, ids are
-- handed out in commit order, so the rows to seal are those above `audit_chain.head_id`.

-- One row: where the kept chain starts (the last pruned row's position and hash, which the
-- oldest kept row builds on; 0 and 32 zero bytes before any pruning) and where it ends (the
-- newest sealed row's position, hash and id, which the sealer continues from).
CREATE TABLE audit_chain (
    only_row    INTEGER PRIMARY KEY CHECK (only_row = 1),
    pruned_seq  INTEGER NOT NULL,
    pruned_hash BLOB NOT NULL,
    pruned_id   INTEGER,
    pruned_at   INTEGER,
    head_seq    INTEGER NOT NULL,
    head_hash   BLOB NOT NULL,
    head_id     INTEGER NOT NULL
);
INSERT INTO audit_chain (only_row, pruned_seq, pruned_hash, head_seq, head_hash, head_id)
VALUES (1, 0, zeroblob(32), 0, zeroblob(32), 0);
