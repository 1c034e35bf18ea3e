-- When a confidential client's secret was last set (registration or `rotate-secret`), for
-- doctor's client-secret-age check. It used `updated_at`, which renames and scope changes also
-- move, so `client update` silenced the warning. Existing rows start from `updated_at`, the
-- best value there is.
ALTER TABLE clients ADD COLUMN secret_set_at INTEGER;
UPDATE clients SET secret_set_at = updated_at WHERE secret_hash IS NOT NULL;
