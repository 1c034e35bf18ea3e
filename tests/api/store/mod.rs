//! The store: the backend conformance suite, migrations, secrets at rest.

mod migrations;
mod secrets;
mod suite;
