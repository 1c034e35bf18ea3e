use super::ParseError;

/// A registered redirect URI. Kept as the exact string registered: matching is string equality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Absolute, no fragment, no user info; https anywhere, http only on loopback hosts,
    /// and private-use schemes with a dot (`com.example.app:/cb`, RFC 8252) for native apps.
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let bad = |why: &str| ParseError::new(format!("invalid redirect URI {s:?}: {why}"));
        if s.len() > 2048 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("too long or contains whitespace"));
        }
        let url = url::Url::parse(s).map_err(|_| bad("not an absolute URI"))?;
        if url.fragment().is_some() || s.contains('#') {
            return Err(bad("must not contain a fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("must not contain user info"));
        }
        // A host of letters, digits, '-' and '.', or an IP address: anything else (the url crate
        // allows `;`, `,`, `'`... in hosts) could break the CSP header the origin is copied into.
        if let Some(url::Host::Domain(d)) = url.host() {
            let label_ok = |l: &str| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            };
            if !d.split('.').all(label_ok) {
                return Err(bad(
                    "the host must be a DNS name (letters, digits, '-', dot-separated) or an IP address",
                ));
            }
        }
        match url.scheme() {
            "https" => {
                if url.host_str().is_none_or(str::is_empty) {
                    return Err(bad("has no host"));
                }
            }
            "http" => {
                let loopback = matches!(url.host(), Some(url::Host::Domain("localhost")))
                    || matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
                    || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback());
                if !loopback {
                    return Err(bad(
                        "plain http is only allowed for loopback hosts; use https",
                    ));
                }
            }
            scheme if scheme.contains('.') => {}
            _ => return Err(bad("scheme must be https (http only for loopback)")),
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn redirect_uri_accepts_https_loopback_http_and_native_schemes() {
        for ok in [
            "https://app.example/cb",
            "https://app.example/cb?x=1",
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:8080/cb",
            "com.example.app:/oauth",
        ] {
            assert!(RedirectUri::parse(ok).is_ok(), "{ok}");
        }
    }
    #[test]
    fn redirect_uri_rejects_relative_fragment_userinfo_and_remote_http() {
        for bad in [
            "/cb",
            "app.example/cb",
            "https://app.example/cb#frag",
            "https://user:pw@app.example/cb",
            "http://app.example/cb",
            "javascript:alert(1)",
            "https://app.example/c b",
            "https://=/cb",
            "https://app.example;sandbox/cb",
            "https://a,b/cb",
            "https:.//app.example/cb",
            "https://a..b/cb",
        ] {
            assert!(RedirectUri::parse(bad).is_err(), "{bad}");
        }
    }
}
