//! Authorization request parsing and validation: `Params::parse` + `oidc::authorize::validate`
//! against a store with registered clients, then the redirect it would send, and the logout
//! request check (`oidc::rp_logout::check`) over the same parameters.
#![no_main]

use latchkey::domain::{CodeChallenge, ScopeSet};
use latchkey::oidc::authorize::{self, AuthRequest, Rejection, Reply};
use latchkey::oidc::rp_logout;
use latchkey::oidc::params::Params;
use latchkey_fuzz::{KEYS, NOW, check_description, check_domain, check_params, fixture};
use libfuzzer_sys::fuzz_target;

/// Prefixes that get a request past the client and redirect_uri checks, so the fuzzer spends
/// its time on the rest of the validation.
const PREFIXES: &[&str] = &[
    "",
    "client_id=fuzz-public&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code&scope=openid&",
    "client_id=fuzz-conf&redirect_uri=https://app.example/cb&response_type=code&",
    "client_id=fuzz-public&redirect_uri=https://app.example/cb?x=1&response_type=code&code_challenge_method=S256&",
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(tail) = std::str::from_utf8(rest) else {
        return;
    };
    let query = format!("{}{tail}", PREFIXES[which as usize % PREFIXES.len()]);
    let f = fixture();
    let p = Params::parse(&query);
    check_params(&p, KEYS);
    for k in KEYS {
        if let Some(v) = p.get(k) {
            check_domain(v);
        }
    }

    let outcome = f
        .store
        .read(|c| Ok(authorize::validate(c, &p, &f.ring, &f.settings, NOW)))
        .expect("store read");
    match outcome {
        Ok((req, client)) => {
            assert_eq!(Some(req.client_id.as_str()), p.get("client_id"));
            assert!(
                client.redirect_uris.contains(&req.redirect_uri),
                "accepted an unregistered redirect_uri {:?}",
                req.redirect_uri
            );
            let scope = ScopeSet::parse(&req.scope).expect("validated scope parses");
            assert!(scope.contains("openid"));
            assert!(scope.iter().all(|s| client.scopes.iter().any(|a| a == s)));
            match &req.code_challenge {
                Some(ch) => assert!(CodeChallenge::parse(ch).is_ok()),
                None => assert!(!client.is_public && !client.require_pkce, "PKCE skipped"),
            }
            assert!(req.max_age.is_none_or(|m| m >= 0));
            // A parked request must come back as it was stored.
            let json = serde_json::to_string(&req).expect("serialise request");
            let back: AuthRequest = serde_json::from_str(&json).expect("parked request reloads");
            assert_eq!(back.redirect_uri, req.redirect_uri);
            assert_eq!(back.state, req.state);
            let reply = Reply::of(&req);
            let url = authorize::redirect_url(
                &reply.redirect_uri,
                &authorize::success_params("c0de", &reply, &f.settings.issuer),
            );
            assert!(url.starts_with(&req.redirect_uri));
        }
        Err(Rejection::Redirect(rejected)) => {
            let (reply, err) = *rejected;
            // Errors only ever go to a redirect URI registered for the named client.
            let client = f
                .store
                .read(|c| {
                    latchkey::store::clients::find_client(c, p.get("client_id").unwrap_or(""))
                })
                .expect("store read")
                .expect("a redirected error names a registered client");
            assert!(
                client.redirect_uris.contains(&reply.redirect_uri),
                "error redirected to an unregistered URI {:?}",
                reply.redirect_uri
            );
            check_description(err.code, err.description());
            let url = authorize::redirect_url(
                &reply.redirect_uri,
                &authorize::error_params(&err, &reply, &f.settings.issuer),
            );
            assert!(url.starts_with(&reply.redirect_uri));
        }
        Err(Rejection::Page { .. }) => {}
        Err(Rejection::Store(e)) => panic!("a request caused a store error: {e}"),
    }

    let logout = f
        .store
        .read(|c| rp_logout::check(c, &f.ring, &f.settings, &p))
        .expect("store read");
    if let Ok(req) = logout
        && let Some(uri) = &req.redirect
    {
        let client = req
            .client
            .as_ref()
            .expect("a logout redirect needs a client");
        assert!(client.post_logout_redirect_uris.contains(uri));
        let url = rp_logout::redirect_url(uri, req.state.as_deref());
        assert!(url.starts_with(uri.as_str()));
    }
});
