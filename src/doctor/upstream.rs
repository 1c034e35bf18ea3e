//! `[[upstream]]` providers: the redirect URI to register at each, its client secret file
//! (there, one line, not readable by others: `serve` refuses to start otherwise), and whether
//! its discovery document (GitHub: its API) answers from here.

use super::Report;
use super::text::sh;
use crate::config::{Settings, Upstream, UpstreamKind};
use std::time::Duration;

/// How long doctor waits for each provider.
const REACH_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) fn check_upstreams(s: &Settings, r: &mut Report) {
    for up in &s.upstreams {
        r.info(
            "upstream-callback",
            format!(
                "upstream {}: register the redirect URI {} at {} (client id {})",
                up.id,
                s.endpoint(&up.callback_path()),
                up.name,
                up.client_id
            ),
            "nothing to fix: this is the callback URL the provider must allow",
        );
        let path = std::path::absolute(up.secret_path(&s.data_dir))
            .unwrap_or_else(|_| up.secret_path(&s.data_dir));
        if let Err(e) = crate::config::upstream::read_client_secret(up, &s.data_dir) {
            let loose = e.0.contains("mode ");
            r.critical(
                if loose {
                    "upstream-secret-permissions"
                } else {
                    "upstream-secret-unreadable"
                },
                format!("{e}; latchkey refuses to start"),
                if loose {
                    format!("chmod 600 {}", sh(&path))
                } else {
                    format!(
                        "put the client secret from {} on one line in {} (chmod 600)",
                        up.name,
                        sh(&path)
                    )
                },
            );
        }
        if let Some(problem) = reach(up) {
            r.warning(
                "upstream-unreachable",
                format!("upstream {}: {problem}; sign-ins with {} fail until it answers", up.id, up.name),
                "check the issuer / api_url, DNS, the firewall and any outbound proxy of this machine",
            );
        }
    }
}

/// Why the provider does not answer as it should from here, if it does not.
fn reach(up: &Upstream) -> Option<String> {
    let (url, want_issuer) = match &up.kind {
        UpstreamKind::Oidc => (
            format!(
                "{}/.well-known/openid-configuration",
                up.issuer.trim_end_matches('/')
            ),
            Some(up.issuer.clone()),
        ),
        UpstreamKind::GitHub { api_url } => (api_url.clone(), None),
    };
    // Its own thread and runtime: doctor is synchronous, and may be called from async code.
    let fetched = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(async {
            let http = reqwest::Client::builder()
                .timeout(REACH_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| e.to_string())?;
            let res = http
                .get(&url)
                .send()
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            let status = res.status();
            let body = res.bytes().await.map_err(|e| format!("{url}: {e}"))?;
            Ok::<_, String>((url, status.as_u16(), body.to_vec()))
        })
    })
    .join()
    .unwrap_or_else(|_| Err("the check failed".into()));
    let (url, status, body) = match fetched {
        Ok(x) => x,
        Err(e) => return Some(format!("cannot be reached ({e})")),
    };
    if status >= 500 {
        return Some(format!("{url} answers HTTP {status}"));
    }
    let want = want_issuer?;
    if status != 200 {
        return Some(format!(
            "{url} answers HTTP {status}, not a discovery document"
        ));
    }
    let issuer = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("issuer")?.as_str().map(str::to_owned));
    match issuer {
        Some(i) if i == want => None,
        Some(i) => Some(format!(
            "{url} names the issuer {i:?}, not {want:?} (the issuer setting must match it exactly)"
        )),
        None => Some(format!("{url} is not a discovery document")),
    }
}
