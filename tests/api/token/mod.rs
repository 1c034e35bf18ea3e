//! The token endpoint: client authentication, the code grant, client credentials, code attacks.

mod code_attacks;
mod endpoint;
