//! Web origins a browser app may call the token, userinfo, revocation and device endpoints from
//! (CORS). An origin is `scheme://host[:port]`, validated like a redirect URI.

use super::{ParseError, RedirectUri};

/// `scheme://host[:port]` as browsers send it in `Origin` (lowercase, no default port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebOrigin(String);

impl WebOrigin {
    /// https, or http on loopback; no path, query, fragment, user info or wildcard.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let bad = |why: &str| ParseError::new(format!("invalid web origin {s:?}: {why}"));
        if s.contains('*') {
            return Err(bad("wildcards are not allowed; list each origin"));
        }
        let uri = RedirectUri::parse(s)
            .map_err(|e| bad(e.0.split_once(": ").map_or("not an origin", |(_, why)| why)))?;
        let url = url::Url::parse(uri.as_str()).map_err(|_| bad("not an absolute URI"))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(bad("scheme must be https (http only for loopback)"));
        }
        let serialized = url.origin().ascii_serialization();
        if s.to_ascii_lowercase() != serialized {
            return Err(bad(&format!(
                "an origin is scheme://host[:port] only (no path, no query, no default port): {serialized}"
            )));
        }
        Ok(Self(serialized))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The origin of a registered redirect URI, when it has one (https and loopback http do;
/// private-use schemes of native apps do not).
pub fn origin_of_redirect_uri(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    if !matches!(url.scheme(), "https" | "http") {
        return None;
    }
    match url.origin() {
        o @ url::Origin::Tuple(..) => Some(o.ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

/// A client's allowed web origins: those of its redirect URIs, then the ones registered with
/// `--web-origin`, each once, in that order.
pub fn allowed_web_origins(redirect_uris: &[String], explicit: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let defaults = redirect_uris
        .iter()
        .filter_map(|u| origin_of_redirect_uri(u));
    for o in defaults.chain(explicit.iter().cloned()) {
        if !out.contains(&o) {
            out.push(o);
        }
    }
    out
}

/// The CORS decision for one response: the `Origin` to echo in `Access-Control-Allow-Origin`,
/// or none (then the response carries no CORS header at all). Exact, case-sensitive match:
/// browsers send origins serialized, and `null` is never allowed.
pub fn cors_origin<'a>(request_origin: Option<&'a str>, allowed: &[String]) -> Option<&'a str> {
    let o = request_origin?;
    (o != "null" && allowed.iter().any(|a| a == o)).then_some(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_origin_accepts_https_and_loopback_http_origins() {
        for ok in [
            "https://app.example",
            "https://app.example:8443",
            "http://localhost:3000",
            "http://127.0.0.1:5173",
            "http://[::1]:8080",
        ] {
            assert_eq!(WebOrigin::parse(ok).map(|o| o.0), Ok(ok.to_owned()), "{ok}");
        }
    }

    #[test]
    fn web_origin_rejects_paths_queries_wildcards_and_remote_http() {
        for bad in [
            "https://app.example/",
            "https://app.example/cb",
            "https://app.example?x=1",
            "https://*.example",
            "*",
            "null",
            "http://app.example",
            "https://app.example:443",
            "com.example.app:/cb",
            "https://user@app.example",
            "app.example",
            "",
        ] {
            assert!(WebOrigin::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn allowed_web_origins_are_the_redirect_origins_then_the_explicit_ones() {
        let uris = vec![
            "https://app.example/cb".to_owned(),
            "https://app.example:443/other".to_owned(),
            "com.example.app:/cb".to_owned(),
            "http://localhost:3000/cb?x=1".to_owned(),
        ];
        let extra = vec![
            "https://cdn.example".to_owned(),
            "https://app.example".to_owned(),
        ];
        assert_eq!(
            allowed_web_origins(&uris, &extra),
            vec![
                "https://app.example",
                "http://localhost:3000",
                "https://cdn.example"
            ]
        );
    }

    #[test]
    fn cors_origin_echoes_only_an_exactly_allowed_origin() {
        let allowed = vec!["https://app.example".to_owned()];
        assert_eq!(
            cors_origin(Some("https://app.example"), &allowed),
            Some("https://app.example")
        );
        assert_eq!(cors_origin(Some("https://evil.example"), &allowed), None);
        assert_eq!(
            cors_origin(Some("https://app.example.evil"), &allowed),
            None
        );
        assert_eq!(cors_origin(Some("https://APP.example"), &allowed), None);
        assert_eq!(cors_origin(Some("null"), &["null".to_owned()]), None);
        assert_eq!(cors_origin(None, &allowed), None);
        assert_eq!(cors_origin(Some("https://app.example"), &[]), None);
    }
}
