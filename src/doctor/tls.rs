//! Built-in TLS: the files in `tls_cert` / `tls_key` load as `serve` would load them, the
//! certificate is not expired or about to, and it names the issuer's host.

use super::Report;
use super::text::{DAY, plural, sh};
use crate::clock::{Timestamp, show_time};
use crate::config::Settings;
use crate::crypto::certificate::{self, CertError, CertInfo};
use std::path::Path;

/// A certificate closer than this to its end is a warning: renewal should have happened already
/// (certbot renews 30 days ahead), so something in the renewal is broken.
const EXPIRY_WARNING: i64 = 14 * DAY;

const RUN_AS: &str = "run `latchkey doctor` as the user latchkey runs as";

pub(super) fn check_tls(s: &Settings, now: Timestamp, r: &mut Report) {
    let Some(files) = &s.tls else {
        return;
    };
    let leaf = match certificate::read_leaf(&files.cert) {
        Ok(leaf) => Some(leaf),
        Err(e) => {
            unreadable(&e, &files.cert, r);
            None
        }
    };
    match certificate::load(files) {
        Ok(_) => {}
        Err(e @ CertError::KeyMismatch { .. }) => r.critical(
            "tls-key-mismatch",
            format!("{e}: `latchkey serve` refuses to start, and a reload keeps the previous pair"),
            format!(
                "point tls_key at the key the certificate was issued for (certbot: privkey.pem next to fullchain.pem), or issue a new certificate for {}",
                sh(&files.key)
            ),
        ),
        // A cert problem was reported above already.
        Err(e) if e.setting() == "tls_key" || leaf.is_some() => {
            let path = if e.setting() == "tls_key" { &files.key } else { &files.cert };
            unreadable(&e, path, r);
        }
        Err(_) => {}
    }
    #[cfg(unix)]
    check_key_mode(&files.key, r);
    if let Some(leaf) = leaf {
        check_expiry(&leaf, now, &files.cert, r);
        check_host(&leaf, s, r);
    }
}

fn unreadable(e: &CertError, path: &Path, r: &mut Report) {
    let fix = match e {
        CertError::Unreadable { .. } => format!(
            "check the path, and make the file readable by the user latchkey runs as (e.g. chgrp latchkey {p}; chmod 640 {p}, and let that group into the directories on the way); or {RUN_AS}",
            p = sh(path)
        ),
        _ => format!(
            "{} must be PEM: the certificate chain (server certificate first) in tls_cert, an unencrypted private key in tls_key",
            sh(path)
        ),
    };
    r.critical(
        "tls-cert-unreadable",
        format!("{e}: `latchkey serve` refuses to start with it"),
        fix,
    );
}

fn check_expiry(leaf: &CertInfo, now: Timestamp, cert: &Path, r: &mut Report) {
    let left = leaf.not_after - now;
    let renew = format!(
        "renew the certificate (certbot: `certbot renew`, then check its timer or cron job) and write it to {}; latchkey picks the new files up by itself within tls_reload_poll_secs, or at once on SIGHUP",
        sh(cert)
    );
    if left <= 0 {
        r.critical(
            "tls-cert-expired",
            format!(
                "the TLS certificate in {} ({}) expired at {}: browsers and client libraries refuse to connect",
                cert.display(),
                leaf.names(),
                show_time(leaf.not_after)
            ),
            renew,
        );
    } else if left < EXPIRY_WARNING {
        r.warning(
            "tls-cert-expiring",
            format!(
                "the TLS certificate in {} ({}) expires at {}, in {}: automatic renewal seems not to work",
                cert.display(),
                leaf.names(),
                show_time(leaf.not_after),
                if left >= DAY {
                    plural(left / DAY, "day")
                } else {
                    plural(left / 3600, "hour")
                }
            ),
            renew,
        );
    }
}

fn check_host(leaf: &CertInfo, s: &Settings, r: &mut Report) {
    let Ok(url) = url::Url::parse(&s.issuer) else {
        return;
    };
    let Some(host) = url.host() else {
        return;
    };
    if !leaf.covers(&host) {
        r.critical(
            "tls-cert-host-mismatch",
            format!(
                "the TLS certificate names {} but not {host}, the issuer's host: clients refuse the connection (only subjectAltName counts; a wildcard covers exactly one label)",
                leaf.names()
            ),
            format!(
                "get a certificate for {host} (certbot: -d {host}), or set issuer to a name the certificate covers"
            ),
        );
    }
}

#[cfg(unix)]
fn check_key_mode(key: &Path, r: &mut Report) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(key) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o004 != 0 {
        r.warning(
            "tls-key-permissions",
            format!(
                "the TLS private key {} is readable by every user (mode {mode:04o}): anyone on this machine who reaches it can impersonate the server",
                key.display()
            ),
            format!(
                "chmod 600 {p} (or 640 with chgrp to latchkey's group)",
                p = sh(key)
            ),
        );
    }
}
