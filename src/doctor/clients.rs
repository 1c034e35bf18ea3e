//! Checks on the registered clients: plain-http URIs, PKCE, grants, old machine secrets, and
//! access restricted to empty groups. Fixes are `client update` commands that change a client in
//! place.

use super::settings::host_is_loopback;
use super::text::{DAY, sh_word};
use super::{Report, Severity};
use crate::clock::{Timestamp, show_time};
use crate::store::{StoreError, Tx, clients, groups};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// client_credentials secrets older than this are worth rotating.
const CLIENT_SECRET_MAX_AGE_DAYS: i64 = 365;

/// Per client: plain-http URIs, PKCE exemption, client_credentials on a public client; then
/// machine clients whose secret is old.
pub(super) fn check_clients(c: &Tx<'_>, now: Timestamp, r: &mut Report) -> Result<(), StoreError> {
    let list = clients::list_clients(c)?;
    for cl in &list {
        // Every problem of this client, and one `client update` that fixes them all: the
        // client as changed must pass every rule at once (a lone placeholder URI, say).
        let mut found: Vec<(Severity, &'static str, String)> = Vec::new();
        let mut fixed = cl.clone();
        // For a public client whose only remark is a loopback URI: the registration a website
        // would need instead.
        let mut as_website = cl.clone();
        let mut changes: Vec<String> = Vec::new();
        let uris = cl
            .redirect_uris
            .iter()
            .map(|u| ("redirect URI", u))
            .chain(
                cl.post_logout_redirect_uris
                    .iter()
                    .map(|u| ("post-logout redirect URI", u)),
            )
            .chain(
                cl.backchannel_logout_uri
                    .iter()
                    .map(|u| ("back-channel logout URI", u)),
            );
        for (kind, uri) in uris {
            let Ok(url) = url::Url::parse(uri) else {
                continue;
            };
            if url.scheme() != "http" {
                continue;
            }
            if !host_is_loopback(&url) {
                let https = format!("https{}", &uri[4..]);
                replace_uri(&mut fixed, uri, Some(&https));
                changes.push(format!("{uri} becomes {https}"));
                found.push((
                    Severity::Critical,
                    "client-plain-http-uri",
                    format!(
                        "client {} has the plain-http {kind} {uri} on a non-loopback host: codes, tokens or logout tokens travel unencrypted (registration refuses such URIs; this one was written by hand or by an older latchkey)",
                        cl.client_id
                    ),
                ));
                continue;
            }
            // A localhost URI: drop it, or put a placeholder in its place when it was the only
            // redirect URI.
            let drop_or_placeholder = |c: &mut clients::Client| {
                let placeholder = (kind == "redirect URI" && c.redirect_uris.len() == 1)
                    .then_some(HTTPS_PLACEHOLDER);
                replace_uri(c, uri, placeholder);
                match placeholder {
                    Some(p) => format!("{uri} becomes {p} (put the app's real callback there)"),
                    None => format!("{uri} is dropped"),
                }
            };
            if cl.is_public {
                // Right for native apps (RFC 8252): nothing to change unless the app is a website.
                drop_or_placeholder(&mut as_website);
                found.push((
                    Severity::Info,
                    "client-plain-http-uri",
                    format!(
                        "public client {} has the loopback http {kind} {uri}: right for a native app (RFC 8252), a leftover if the app is a website",
                        cl.client_id
                    ),
                ));
                continue;
            }
            changes.push(drop_or_placeholder(&mut fixed));
            found.push((
                Severity::Warning,
                "client-plain-http-uri",
                format!(
                    "confidential client {} has the plain-http {kind} {uri}: a server-side app with a localhost URI is usually a development registration left in production",
                    cl.client_id
                ),
            ));
        }
        if !cl.is_public && !cl.require_pkce {
            fixed.require_pkce = true;
            changes.push(
                "PKCE is required (check that the app sends code_challenge with S256 first)".into(),
            );
            found.push((
                Severity::Warning,
                "client-pkce-disabled",
                format!(
                    "confidential client {} is exempt from PKCE (registered with --no-pkce): RFC 9700 asks for PKCE from every client, as it stops authorization code injection",
                    cl.client_id
                ),
            ));
        }
        if cl.is_public && cl.grant_types.iter().any(|g| g == "client_credentials") {
            fixed.grant_types.retain(|g| g != "client_credentials");
            changes.push("client_credentials is dropped".into());
            found.push((
                Severity::Critical,
                "client-public-client-credentials",
                format!(
                    "public client {} is allowed client_credentials, but it has no secret to prove who it is: this registration must not exist (the token endpoint refuses the grant; the row was written by hand or by a bug)",
                    cl.client_id
                ),
            ));
        }
        let fix = if changes.is_empty() {
            format!(
                "nothing to do for a native app; for a website, swap its loopback URIs for https ones: {}",
                update_command(cl, &as_website)
            )
        } else if fixed.grant_types.is_empty() {
            format!(
                "it has no usable grant left ({}): latchkey client remove {}",
                changes.join("; "),
                sh_word(&cl.client_id)
            )
        } else {
            format!(
                "change it in place ({}): {}",
                changes.join("; "),
                update_command(cl, &fixed)
            )
        };
        for (severity, check, message) in found {
            r.add_for(&cl.client_id, severity, check, message, fix.clone());
        }
        if !cl.is_public && !cl.extra_web_origins.is_empty() {
            let id = sh_word(&cl.client_id);
            let mut fix = format!("latchkey client update {id}");
            for o in &cl.extra_web_origins {
                let _ = write!(fix, " --remove-web-origin {}", sh_word(o));
            }
            fix.push_str(
                ", or, for a browser app, register it with --public (a single-page app is a public client with PKCE)",
            );
            r.add_for(
                &cl.client_id,
                Severity::Info,
                "client-web-origin-confidential",
                format!(
                    "confidential client {} allows the web origin(s) {} to call the token endpoint from browser code: code in a browser cannot keep a client secret",
                    cl.client_id,
                    cl.extra_web_origins.join(", ")
                ),
                fix,
            );
        }
    }
    let machine: BTreeSet<&str> = list
        .iter()
        .filter(|cl| !cl.is_public && cl.grant_types.iter().any(|g| g == "client_credentials"))
        .map(|cl| cl.client_id.as_str())
        .collect();
    for (client_id, set_at) in clients::list_secret_set_at(c)? {
        let age_days = (now - set_at) / DAY;
        if machine.contains(client_id.as_str()) && age_days > CLIENT_SECRET_MAX_AGE_DAYS {
            r.add_for(
                &client_id,
                Severity::Info,
                "client-secret-age",
                format!(
                    "client {client_id} uses client_credentials with a secret set {} ({age_days} days ago): machine secrets live in config files and CI, and leak over time",
                    show_time(set_at)
                ),
                format!(
                    "latchkey client rotate-secret {client_id}, then update the app's configuration (the old secret stops working at once)"
                ),
            );
        }
    }
    Ok(())
}

/// A client restricted to groups nobody is in locks everyone out; say so before users do.
pub(super) fn check_access(c: &Tx<'_>, r: &mut Report) -> Result<(), StoreError> {
    for cl in clients::list_clients(c)? {
        let allowed = groups::list_client_allowed_groups(c, cl.id)?;
        if allowed.is_empty() {
            continue;
        }
        let mut members = 0;
        for g in &allowed {
            let g = groups::get_group(c, g)?;
            members += groups::list_member_usernames(c, g.id)?.len();
        }
        if members == 0 {
            r.add_for(
                &cl.client_id,
                Severity::Warning,
                "client-no-allowed-members",
                format!(
                    "client {} may only be used by members of {}, and those groups have no members: nobody can sign in to it",
                    cl.client_id,
                    allowed.join(", ")
                ),
                format!(
                    "latchkey group add-member {} USERNAME, or lift the restriction: latchkey client update {} --remove-allowed-group {}",
                    allowed[0],
                    cl.client_id,
                    allowed.join(",")
                ),
            );
        }
    }
    Ok(())
}

/// The `client update` command that makes `cl` what `to` is (doctor changes URIs, PKCE and
/// grant types); tokens, consents and the secret stay.
fn update_command(cl: &clients::Client, to: &clients::Client) -> String {
    let mut cmd = format!("latchkey client update {}", sh_word(&cl.client_id));
    let mut lists = |what: &str, from: &[String], to: &[String]| {
        for u in from.iter().filter(|u| !to.contains(u)) {
            let _ = write!(cmd, " --remove-{what} {}", sh_word(u));
        }
        for u in to.iter().filter(|u| !from.contains(u)) {
            let _ = write!(cmd, " --add-{what} {}", sh_word(u));
        }
    };
    lists("redirect-uri", &cl.redirect_uris, &to.redirect_uris);
    lists(
        "post-logout-redirect-uri",
        &cl.post_logout_redirect_uris,
        &to.post_logout_redirect_uris,
    );
    if cl.backchannel_logout_uri != to.backchannel_logout_uri {
        match &to.backchannel_logout_uri {
            Some(u) => {
                let _ = write!(cmd, " --backchannel-logout-uri {}", sh_word(u));
            }
            None => cmd.push_str(" --no-backchannel-logout"),
        }
    }
    if to.require_pkce && !cl.require_pkce {
        cmd.push_str(" --pkce");
    }
    if set(&cl.grant_types) != set(&to.grant_types) {
        let _ = write!(cmd, " --grant-types {}", sh_word(&to.grant_types.join(",")));
    }
    cmd
}

/// Where an app's https callback would go when doctor cannot guess it.
const HTTPS_PLACEHOLDER: &str = "https://APP.EXAMPLE/callback";

/// A list as a set, to compare regardless of order.
fn set(v: &[String]) -> BTreeSet<&str> {
    v.iter().map(String::as_str).collect()
}

/// Replace (or, with `None`, drop) `old` wherever `cl` registers it.
fn replace_uri(cl: &mut clients::Client, old: &str, new: Option<&str>) {
    for list in [&mut cl.redirect_uris, &mut cl.post_logout_redirect_uris] {
        if let Some(i) = list.iter().position(|u| u == old) {
            match new {
                Some(n) => list[i] = n.to_owned(),
                None => {
                    list.remove(i);
                }
            }
        }
    }
    if cl.backchannel_logout_uri.as_deref() == Some(old) {
        cl.backchannel_logout_uri = new.map(str::to_owned);
    }
}
