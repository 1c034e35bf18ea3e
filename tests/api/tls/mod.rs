//! Built-in TLS (`tls_cert`, `tls_key`): handshakes with real clients that verify the chain,
//! start errors, reloads without dropped connections, and doctor's certificate checks.

mod doctor;
mod handshake;
mod reload;
mod startup;
