//! Signing in: login and consent pages, throttling, the client address behind proxies,
//! re-authentication, and attacks on sign-in (enumeration, CSRF, return paths).

mod client_address;
mod csrf;
mod enumeration;
mod login_consent;
mod reauthentication;
mod return_path;
mod throttle;
