//! The browser session and its cookie.

mod attacks;
