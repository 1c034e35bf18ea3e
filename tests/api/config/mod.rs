//! Settings: defaults, latchkey.toml, LATCHKEY_* environment, flags.

mod settings;
