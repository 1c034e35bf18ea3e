//! The store: the backend conformance suite, migrations, secrets at rest.

mod errors;
mod migrations;
mod secrets;
mod suite;
