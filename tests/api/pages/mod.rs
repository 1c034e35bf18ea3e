//! The HTML pages: security headers, escaping, themes.

mod escaping;
mod headers;
mod theme;
