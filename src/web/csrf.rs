//! CSRF protection for our own forms: a double-submit token (cookie + hidden field, compared
//! in constant time), and POSTs from another site refused by `Origin` / `Sec-Fetch-Site`.

use super::cookies;
use crate::config::Settings;
use crate::crypto::random;
use actix_web::HttpRequest;
use actix_web::cookie::Cookie;

/// The token for a form on this page, and the cookie to set when the browser has none yet.
pub fn token_for_form(req: &HttpRequest, settings: &Settings) -> (String, Option<Cookie<'static>>) {
    match cookies::read(req, settings, cookies::CSRF).filter(|t| t.len() == 43) {
        Some(t) => (t, None),
        None => {
            let t = random::token();
            (t.clone(), Some(cookies::csrf(settings, t)))
        }
    }
}

/// True when a POST of one of our forms is genuine.
pub fn verify(req: &HttpRequest, settings: &Settings, submitted: Option<&str>) -> bool {
    if !same_origin(req, settings) {
        return false;
    }
    match (cookies::read(req, settings, cookies::CSRF), submitted) {
        (Some(cookie), Some(field)) if cookie.len() == 43 => {
            random::constant_time_eq(&cookie, field)
        }
        _ => false,
    }
}

/// A browser tells us where a POST came from; anything cross-site is refused.
/// Our pages use `Referrer-Policy: no-referrer`, under which browsers send `Origin: null` even
/// for same-origin POSTs; that is accepted unless Sec-Fetch-Site says otherwise (the token, in a
/// SameSite=Strict cookie, still has to match).
fn same_origin(req: &HttpRequest, settings: &Settings) -> bool {
    let h = req.headers();
    let fetch_site = h.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site.is_some_and(|v| v == "cross-site" || v == "same-site") {
        return false;
    }
    match h.get("origin").and_then(|v| v.to_str().ok()) {
        None | Some("null") => true,
        Some(origin) => {
            super::headers::origin_of(&settings.issuer).is_some_and(|ours| ours == origin)
        }
    }
}
