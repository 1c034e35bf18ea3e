-- Admin API keys and the admin user search (issue 16).
--
-- An admin key authenticates requests to /admin/api/v1/. The key itself is shown once, when it
-- is created; only its SHA-256 is kept (it carries 256 random bits, so a fast hash is enough, as
-- for client secrets). A revoked key keeps its row and its name, so `admin-key:NAME` in the
-- audit log always names one key.
CREATE TABLE admin_keys (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    key_hash     TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    created_by   TEXT NOT NULL,          -- the audit actor who made it (`cli`, an admin)
    expires_at   INTEGER,                -- NULL: never
    revoked_at   INTEGER,
    last_used_at INTEGER                 -- moved at most once a minute
);

-- Substring search over usernames, emails and names that stays fast at 100,000 users: a
-- trigram index (FTS5, external content: the text stays in `users` only), kept in step by
-- the triggers below. Queries shorter than three characters, and very common ones, are
-- answered by a scan in username order instead (store::users::search_users), over an index
-- that holds the three columns: the scan reads it alone, in order, never the table (ten times
-- faster than looking each user up at 100,000 users; bench/admin-users).
CREATE INDEX users_search_scan ON users (username, email, name);

CREATE VIRTUAL TABLE users_search USING fts5(
    username, email, name,
    content = 'users', content_rowid = 'id', tokenize = 'trigram'
);

CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, username, email, name)
    VALUES (new.id, new.username, new.email, new.name);
END;

CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, username, email, name)
    VALUES ('delete', old.id, old.username, old.email, old.name);
END;

CREATE TRIGGER users_search_update AFTER UPDATE OF username, email, name ON users BEGIN
    INSERT INTO users_search (users_search, rowid, username, email, name)
    VALUES ('delete', old.id, old.username, old.email, old.name);
    INSERT INTO users_search (rowid, username, email, name)
    VALUES (new.id, new.username, new.email, new.name);
END;

INSERT INTO users_search (users_search) VALUES ('rebuild');
