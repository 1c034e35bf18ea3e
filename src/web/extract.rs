//! Reading requests: parameters, credentials, and where the request came from.

use crate::config::Settings;
use crate::oidc::login::ClientInfo;
use crate::oidc::params::Params;
use actix_web::HttpRequest;
use actix_web::web::Bytes;

/// Form-encoded parameters from a request body (non-UTF-8 bodies have none).
pub fn form(body: &Bytes) -> Params {
    Params::parse(std::str::from_utf8(body).unwrap_or(""))
}

pub fn query(req: &HttpRequest) -> Params {
    Params::parse(req.query_string())
}

/// The raw Authorization header, if it is valid text.
pub fn authorization(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Where the request came from: the client address (behind `trusted_proxies`, the one they
/// forwarded for) and the browser's user agent.
pub fn client_info(req: &HttpRequest, settings: &Settings) -> ClientInfo {
    let peer = req.peer_addr().map(|a| a.ip());
    ClientInfo {
        ip: super::client_address::resolve(peer, req.headers(), &settings.trusted_proxies)
            .map(|ip| ip.to_string()),
        user_agent: req
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(256).collect()),
    }
}
