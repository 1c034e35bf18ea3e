//! TLS certificate files: load a PEM chain and key into what rustls serves (checked the same way
//! at start, on reload and by doctor), and read what people need to know about the leaf
//! certificate (when it expires, which names it covers) through OpenSSL, which josekit already
//! links, so there is no second ASN.1 parser in the binary.

use crate::clock::Timestamp;
use crate::config::TlsFiles;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

/// Why a certificate or key file cannot be served. Every message is one line naming the setting.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("invalid setting `{setting}` = {path:?}: cannot read it: {err}")]
    Unreadable {
        setting: &'static str,
        path: String,
        err: std::io::Error,
    },
    #[error("invalid setting `{setting}` = {path:?}: {why}")]
    Invalid {
        setting: &'static str,
        path: String,
        why: String,
    },
    #[error(
        "invalid setting `tls_key` = {key:?}: the private key does not match the certificate in tls_cert = {cert:?}"
    )]
    KeyMismatch { cert: String, key: String },
}

impl CertError {
    /// The setting whose file is at fault (`tls_key` when the two do not belong together).
    pub fn setting(&self) -> &'static str {
        match self {
            CertError::Unreadable { setting, .. } | CertError::Invalid { setting, .. } => setting,
            CertError::KeyMismatch { .. } => "tls_key",
        }
    }
}

/// The crypto behind built-in TLS: rustls on *ring* (no cmake or clang needed to build it).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A certificate chain with its key, ready to serve, and what its leaf says.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub key: Arc<CertifiedKey>,
    pub leaf: CertInfo,
}

/// Read both files and check that they belong together.
pub fn load(files: &TlsFiles) -> Result<Loaded, CertError> {
    let (chain, leaf) = read_chain(&files.cert)?;
    let key_pem = read("tls_key", &files.key)?;
    let invalid = |setting: &'static str, path: &Path, why: String| CertError::Invalid {
        setting,
        path: shown(path),
        why,
    };
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| {
        invalid(
            "tls_key",
            &files.key,
            "holds no unencrypted PEM private key (PKCS#8, RSA or EC)".into(),
        )
    })?;
    let signer = provider()
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| invalid("tls_key", &files.key, format!("unusable private key: {e}")))?;
    let certified = CertifiedKey::new(chain, signer);
    match certified.keys_match() {
        // Unknown: the key type cannot say its public key; rustls itself accepts that.
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {}
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            return Err(CertError::KeyMismatch {
                cert: shown(&files.cert),
                key: shown(&files.key),
            });
        }
        Err(e) => {
            return Err(invalid(
                "tls_cert",
                &files.cert,
                format!("not a usable certificate: {e}"),
            ));
        }
    }
    Ok(Loaded {
        key: Arc::new(certified),
        leaf,
    })
}

/// What the first certificate in a `tls_cert` file says (doctor reads it even when the key is
/// out of its reach).
pub fn read_leaf(cert: &Path) -> Result<CertInfo, CertError> {
    read_chain(cert).map(|(_, leaf)| leaf)
}

fn read_chain(path: &Path) -> Result<(Vec<CertificateDer<'static>>, CertInfo), CertError> {
    let pem = read("tls_cert", path)?;
    let invalid = |why: String| CertError::Invalid {
        setting: "tls_cert",
        path: shown(path),
        why,
    };
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("not a PEM file: {e}")))?;
    let Some(leaf_der) = chain.first() else {
        return Err(invalid(
            "holds no certificate (expected -----BEGIN CERTIFICATE-----)".into(),
        ));
    };
    let leaf = describe(leaf_der).map_err(invalid)?;
    Ok((chain, leaf))
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

fn read(setting: &'static str, path: &Path) -> Result<Vec<u8>, CertError> {
    std::fs::read(path).map_err(|err| CertError::Unreadable {
        setting,
        path: shown(path),
        err,
    })
}

/// What the leaf certificate says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub not_after: Timestamp,
    /// DNS names from subjectAltName, as written (wildcards included).
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
}

impl CertInfo {
    /// Every name, for messages: `login.example.com, *.example.org, 192.0.2.7`.
    pub fn names(&self) -> String {
        let mut all: Vec<String> = self.dns_names.clone();
        all.extend(self.ip_addresses.iter().map(IpAddr::to_string));
        if all.is_empty() {
            "no subjectAltName".into()
        } else {
            all.join(", ")
        }
    }

    /// True when a client checking `host` (a URL's host) would accept this certificate.
    /// Only subjectAltName counts, as in RFC 6125 and every browser: the subject's CN is ignored.
    pub fn covers(&self, host: &url::Host<&str>) -> bool {
        match host {
            url::Host::Domain(d) => self.dns_names.iter().any(|p| dns_name_matches(p, d)),
            url::Host::Ipv4(ip) => self.ip_addresses.contains(&IpAddr::V4(*ip)),
            url::Host::Ipv6(ip) => self.ip_addresses.contains(&IpAddr::V6(*ip)),
        }
    }
}

/// Expiry and names of a DER certificate.
pub fn describe(der: &[u8]) -> Result<CertInfo, String> {
    use openssl::x509::X509;
    let cert = X509::from_der(der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let epoch = openssl::asn1::Asn1Time::from_unix(0).map_err(|e| e.to_string())?;
    let age = epoch
        .diff(cert.not_after())
        .map_err(|e| format!("unreadable notAfter: {e}"))?;
    let not_after = i64::from(age.days) * 86_400 + i64::from(age.secs);
    let mut dns_names = Vec::new();
    let mut ip_addresses = Vec::new();
    for name in cert.subject_alt_names().into_iter().flatten() {
        if let Some(d) = name.dnsname() {
            dns_names.push(d.to_owned());
        } else if let Some(ip) = name.ipaddress() {
            match <[u8; 4]>::try_from(ip) {
                Ok(v4) => ip_addresses.push(IpAddr::from(v4)),
                Err(_) => {
                    if let Ok(v6) = <[u8; 16]>::try_from(ip) {
                        ip_addresses.push(IpAddr::from(v6));
                    }
                }
            }
        }
    }
    Ok(CertInfo {
        not_after,
        dns_names,
        ip_addresses,
    })
}

/// RFC 6125 §6.4: case-insensitive; a wildcard only as the whole left-most label, standing for
/// exactly one label, and never for a label of a public-looking suffix (`*.com`).
pub fn dns_name_matches(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() || host.contains('*') {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(rest) => {
            !rest.contains('*')
                && rest.split('.').count() >= 2
                && host
                    .split_once('.')
                    .is_some_and(|(first, tail)| !first.is_empty() && tail == rest)
        }
        None => !pattern.contains('*') && pattern == host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_names_match_case_insensitively_and_ignore_a_trailing_dot() {
        assert!(dns_name_matches("Login.Example.com", "login.example.COM"));
        assert!(dns_name_matches("login.example.com.", "login.example.com"));
        assert!(!dns_name_matches("login.example.com", "example.com"));
        assert!(!dns_name_matches("example.com", "login.example.com"));
    }

    #[test]
    fn a_wildcard_stands_for_exactly_one_left_most_label() {
        assert!(dns_name_matches("*.example.com", "login.example.com"));
        assert!(!dns_name_matches("*.example.com", "example.com"));
        assert!(!dns_name_matches("*.example.com", "a.login.example.com"));
        assert!(!dns_name_matches("*.example.com", ".example.com"));
    }

    #[test]
    fn partial_nested_and_suffix_wildcards_match_nothing() {
        assert!(!dns_name_matches("log*.example.com", "login.example.com"));
        assert!(!dns_name_matches("login.*.com", "login.example.com"));
        assert!(!dns_name_matches("*.*.com", "login.example.com"));
        assert!(!dns_name_matches("*.com", "example.com"));
        assert!(!dns_name_matches("*", "localhost"));
        assert!(!dns_name_matches("*.example.com", "*.example.com"));
    }

    #[test]
    fn ip_hosts_match_only_ip_address_names() {
        let info = CertInfo {
            not_after: 0,
            dns_names: vec!["127.0.0.1".into()],
            ip_addresses: vec!["::1".parse().unwrap()],
        };
        assert!(!info.covers(&url::Host::Ipv4("127.0.0.1".parse().unwrap())));
        assert!(info.covers(&url::Host::Ipv6("::1".parse().unwrap())));
        assert_eq!(info.names(), "127.0.0.1, ::1");
    }
}
