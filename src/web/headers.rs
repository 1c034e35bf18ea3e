//! Security headers. Every HTML page goes through `html`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};

/// `Cache-Control: no-store` (and the HTTP/1.0 `Pragma`), for tokens and pages with forms.
/// HSTS (RFC 6797), added to every response once the issuer is https: browsers then never try
/// plain http for this host again.
pub fn hsts() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new().add((
        "Strict-Transport-Security",
        "max-age=31536000; includeSubDomains",
    ))
}

pub fn no_store(res: &mut HttpResponseBuilder) {
    res.insert_header(("Cache-Control", "no-store"));
    res.insert_header(("Pragma", "no-cache"));
}

/// An HTML page with a strict CSP. `form_targets` are extra origins forms may post to
/// (browsers apply `form-action` to the redirects after a POST too).
pub fn html(status: StatusCode, body: String, form_targets: &[String]) -> HttpResponse {
    let mut form_action = String::from("'self'");
    for t in form_targets {
        if let Some(origin) = origin_of(t) {
            form_action.push(' ');
            form_action.push_str(&origin);
        }
    }
    // connect-src 'self': static/passkeys.js talks to the passkey endpoints.
    let csp = format!(
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; \
         frame-ancestors 'none'; base-uri 'none'; form-action {form_action}"
    );
    let mut res = HttpResponse::build(status);
    no_store(&mut res);
    res.content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", csp))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "no-referrer"))
        .body(body)
}

/// `scheme://host[:port]` of a URL, as CSP source expressions want it.
pub fn origin_of(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let safe = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:/[]".contains(&b))
    };
    match u.origin() {
        // Only what a CSP source expression may hold: never `;` or `,` into the header.
        url::Origin::Tuple(..) => Some(u.origin().ascii_serialization()).filter(|o| safe(o)),
        // Private-use schemes (native apps) have no origin: allow the scheme itself.
        url::Origin::Opaque(_) => Some(format!("{}:", u.scheme())),
    }
}
