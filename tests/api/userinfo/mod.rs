//! The userinfo endpoint.

mod endpoint;
