//! The refresh_token grant and attacks with refresh tokens.

mod attacks;
mod grant;
