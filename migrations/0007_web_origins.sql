-- Web origins a client's browser code may call /token, /userinfo, /revoke and
-- /device_authorization from (CORS), registered with `--web-origin`. The origins of the
-- client's redirect URIs are allowed too, without a row here.
CREATE TABLE client_web_origins (
    client_pk INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    origin    TEXT NOT NULL,
    PRIMARY KEY (client_pk, origin)
) WITHOUT ROWID;
CREATE INDEX client_web_origins_origin ON client_web_origins(origin);
