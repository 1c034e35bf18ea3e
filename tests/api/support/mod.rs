//! Shared test plumbing, every helper once. Test modules import what they need from
//! `crate::support` (everything below is re-exported here).

pub mod admin;
pub mod app;
pub mod backchannel;
pub mod browser;
pub mod child;
pub mod csrf;
pub mod fixtures;
pub mod github;
pub mod jwt;
pub mod mfa;
pub mod net;
pub mod oauth;
pub mod pg;
pub mod pkce;
pub mod prometheus;
pub mod proxy;
pub mod smtp;
pub mod soft_passkey;
pub mod tls;
pub mod upstream;

pub use admin::*;
pub use app::*;
pub use backchannel::*;
pub use browser::*;
pub use child::*;
pub use csrf::*;
pub use fixtures::*;
pub use github::*;
pub use jwt::*;
pub use mfa::*;
pub use net::*;
pub use oauth::*;
pub use pkce::*;
pub use prometheus::*;
pub use proxy::*;
pub use smtp::*;
pub use soft_passkey::*;
pub use tls::*;
pub use upstream::*;
