//! Signing in with an upstream provider (`[[upstream]]`): a second latchkey as a real OpenID
//! provider, a stand-in for GitHub, linking rules, attacks on the callback, configuration.

mod attacks;
mod config;
mod github;
mod rules;
mod sign_in;
