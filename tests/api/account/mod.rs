//! The /account pages a signed-in user manages their sessions and password on.

mod csrf;
mod pages;
