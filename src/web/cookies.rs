//! Cookie names and attributes. On an https issuer every cookie is Secure with the `__Host-` prefix.

use crate::config::Settings;
use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite, time::Duration};

pub const SESSION: &str = "latchkey_session";
pub const CSRF: &str = "latchkey_csrf";
/// "This browser signed in here before": exempts it from the account throttle others trip.
pub const BROWSER: &str = "latchkey_browser";
/// Binds a sign-in at an upstream provider to the browser that began it (`oidc::upstream::flow`).
pub const UPSTREAM: &str = "latchkey_upstream";

pub fn name(settings: &Settings, base: &str) -> String {
    if settings.is_https() {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

/// The value of one of our cookies on this request.
pub fn read(req: &HttpRequest, settings: &Settings, base: &str) -> Option<String> {
    req.cookie(&name(settings, base))
        .map(|c| c.value().to_owned())
}

fn build(
    settings: &Settings,
    base: &str,
    value: String,
    same_site: SameSite,
    max_age: Option<i64>,
) -> Cookie<'static> {
    let mut c = Cookie::build(name(settings, base), value)
        .path("/")
        .http_only(true)
        .secure(settings.is_https())
        .same_site(same_site)
        .finish();
    if let Some(secs) = max_age {
        c.set_max_age(Duration::seconds(secs));
    }
    c
}

/// The SSO session cookie: Lax, so the top-level redirect from an app still carries it.
pub fn session(settings: &Settings, value: String) -> Cookie<'static> {
    build(
        settings,
        SESSION,
        value,
        SameSite::Lax,
        Some(settings.session_max_lifetime_secs),
    )
}

/// The known-browser cookie: 400 days (the most browsers keep a cookie).
pub fn browser(settings: &Settings, value: String) -> Cookie<'static> {
    build(
        settings,
        BROWSER,
        value,
        SameSite::Lax,
        Some(crate::store::known_browsers::KNOWN_BROWSER_TTL_SECS),
    )
}

/// The upstream binding cookie: Lax, so the provider's redirect back (a cross-site top-level
/// navigation) carries it; it lives as long as a flow may.
pub fn upstream(settings: &Settings, value: String) -> Cookie<'static> {
    build(
        settings,
        UPSTREAM,
        value,
        SameSite::Lax,
        Some(crate::oidc::upstream::FLOW_TTL_SECS),
    )
}

pub fn csrf(settings: &Settings, value: String) -> Cookie<'static> {
    build(settings, CSRF, value, SameSite::Strict, None)
}

/// A cookie that tells the browser to forget `base`.
pub fn removal(settings: &Settings, base: &str) -> Cookie<'static> {
    let mut c = build(settings, base, String::new(), SameSite::Lax, None);
    c.make_removal();
    c
}
