-- The admin dashboard counts sign-ins and failed sign-ins per hour over a week and lists the
-- latest throttle blocks: by kind, then time, from the index alone (most of a week's rows are
-- other kinds, tokens issued above all). Not partial: SQLite evaluates a partial index's
-- WHERE on every insert, which costs more than keeping this index (bench/RESULTS.md, "Admin
-- dashboard").
CREATE INDEX audit_events_kind_at ON audit_events(kind, at);
