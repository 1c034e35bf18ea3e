//! latchkey: an OpenID Connect provider in one binary with SQLite inside.
//!
//! Layers depend one way: `domain` <- `crypto` <- `store` <- `oidc` <- `web` <- `startup`.
//! `doctor` (read-only health checks) sits on `store`; `cli` and `web` show its report.
//! `metrics` (Prometheus counters, no actix) sits on `oidc`; `web` records into it and serves it.
//! `mailer` (the mail queue's sender, like `notify` for back-channel logout) runs beside `startup`.

pub mod audit_sealer;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod doctor;
pub mod domain;
pub mod mailer;
pub mod metrics;
pub mod notify;
pub mod oidc;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod web;
