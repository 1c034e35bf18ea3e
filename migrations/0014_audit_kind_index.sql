-- The admin dashboard counts sign-ins and failed sign-ins per hour over a week and lists the
-- latest throttle blocks: by kind, then time, without reading the rows (every token issued is an
-- audit event too, so the week holds far more rows than these kinds).
CREATE INDEX audit_events_kind_at ON audit_events(kind, at);
