-- Second factors (issue 15). Numbered 0010: 0009 belongs to another branch.
--
-- An authenticator app (TOTP, RFC 6238) per user. The seed is sealed (XChaCha20-Poly1305, key
-- from `secret_key_file`, the user id as associated data): a copy of the database alone
-- reveals no seed. `last_step` is the last accepted time step, so a code is accepted once.
-- Passkeys get a table of their own (credential id, public key, counters), not a `kind` here.
CREATE TABLE second_factors (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('totp')),
    secret       BLOB NOT NULL,
    last_step    INTEGER,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE UNIQUE INDEX second_factors_user_kind ON second_factors(user_id, kind);

-- One-time recovery codes, stored as keyed hashes; a used one keeps its row (used_at) so the
-- account page can say when.
CREATE TABLE recovery_codes (
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;

-- `latchkey client update C --require-mfa`: that app's users must use two factors.
ALTER TABLE clients ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;

-- The `acr` the ID tokens of a grant carry (it depends on the request's acr_values, not only on
-- the session's methods). NULL (rows from before): computed from `amr`.
ALTER TABLE auth_codes ADD COLUMN acr TEXT;
ALTER TABLE refresh_tokens ADD COLUMN acr TEXT;
ALTER TABLE device_authorizations ADD COLUMN acr TEXT;
