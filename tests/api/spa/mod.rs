//! Single-page apps: CORS on the endpoints a browser app calls, per client.

mod cli;
mod cors;
