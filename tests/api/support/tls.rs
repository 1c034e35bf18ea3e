//! TLS in tests: a throw-away CA, leaf certificates it signs, clients that trust only that CA,
//! and a `latchkey serve` child process serving HTTPS (for SIGHUP and file-change reloads).

use crate::support::*;
use latchkey::config::TlsFiles;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use std::path::Path;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// A certificate authority that exists only for one test.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate, for clients to trust.
    pub pem: String,
}

/// A leaf certificate and its key, as PEM.
pub struct Leaf {
    pub cert_pem: String,
    pub key_pem: String,
    /// The leaf certificate as a client sees it in the handshake.
    pub der: Vec<u8>,
}

impl TestCa {
    pub fn new() -> Self {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(
            DnType::CommonName,
            format!("latchkey test CA {}", uuid::Uuid::new_v4()),
        );
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).expect("self-sign the CA");
        TestCa {
            issuer: Issuer::new(params, key),
            pem: cert.pem(),
        }
    }

    /// A leaf for `names` (DNS names or IP addresses), valid from a day ago for `days` days.
    pub fn leaf_for(&self, names: &[&str], days: i64) -> Leaf {
        let now = OffsetDateTime::now_utc();
        self.leaf_valid(
            names,
            now - time::Duration::days(1),
            now + time::Duration::days(days),
        )
    }

    /// A leaf for `names` valid from `not_before` until `not_after`.
    pub fn leaf_valid(
        &self,
        names: &[&str],
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Leaf {
        let key = KeyPair::generate().expect("leaf key");
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("leaf params");
        params.not_before = not_before;
        params.not_after = not_after;
        let cert = params.signed_by(&key, &self.issuer).expect("sign the leaf");
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().to_vec(),
        }
    }

    /// The usual leaf: `localhost` and 127.0.0.1, valid for 90 days.
    pub fn localhost(&self) -> Leaf {
        self.leaf_for(&["localhost", "127.0.0.1"], 90)
    }
}

impl Leaf {
    /// Write `cert.pem` and `key.pem` (mode 0600) into `dir`, replacing them the way an ACME
    /// client does: a new file renamed over the old one.
    pub fn install(&self, dir: &Path) -> TlsFiles {
        let files = TlsFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        replace_file(&files.cert, self.cert_pem.as_bytes());
        replace_file(&files.key, self.key_pem.as_bytes());
        files
    }
}

/// Write `bytes` to a temporary name next to `path`, then rename it over `path`.
pub fn replace_file(path: &Path, bytes: &[u8]) {
    use std::os::unix::fs::PermissionsExt;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).expect("write a TLS file");
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    std::fs::rename(&tmp, path).expect("rename a TLS file into place");
}

/// An HTTPS client that trusts only `ca`, reaches `localhost` at 127.0.0.1:`port`, and
/// records each connection's peer certificate.
pub fn https_client(ca: &TestCa, port: u16) -> reqwest::Client {
    https_builder(port)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem.as_bytes()).expect("CA pem"))
        .build()
        .expect("build the HTTPS client")
}

/// rustls, no built-in roots, `localhost` pinned to loopback, TLS info kept, no redirects.
pub fn https_builder(port: u16) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .tls_info(true)
        .resolve("localhost", ([127, 0, 0, 1], port).into())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
}

/// The certificate the server presented on the connection this response came over.
pub fn peer_certificate(res: &reqwest::Response) -> Vec<u8> {
    res.extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|i| i.peer_certificate())
        .expect("the response carries the peer certificate")
        .to_vec()
}

/// `GET https://localhost:PORT/healthz`: the status and the certificate seen on that connection.
pub async fn healthz_over(client: &reqwest::Client, port: u16) -> (u16, Vec<u8>) {
    let res = client
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET /healthz over https failed: {e:?}"));
    (res.status().as_u16(), peer_certificate(&res))
}

/// `latchkey serve` as a child process with built-in TLS; killed when dropped.
pub struct TlsServer {
    server: ChildServer,
    pub port: u16,
    /// Deleted after the child is killed (fields drop in order).
    _data_dir: tempfile::TempDir,
}

impl TlsServer {
    /// Start on a free port with issuer `https://localhost:PORT`, `files`, and extra settings
    /// as `LATCHKEY_*` variables; returns once it answers over HTTPS to a client trusting `ca`.
    pub async fn start(ca: &TestCa, files: &TlsFiles, env: &[(&str, &str)]) -> TlsServer {
        let data_dir = tempfile::tempdir().expect("data dir");
        let port = free_port();
        let mut cmd = latchkey_cmd(data_dir.path());
        cmd.arg("serve")
            .env("LATCHKEY_BIND", format!("127.0.0.1:{port}"))
            .env("LATCHKEY_ISSUER", format!("https://localhost:{port}"))
            .env("LATCHKEY_TLS_CERT", &files.cert)
            .env("LATCHKEY_TLS_KEY", &files.key)
            .envs(env.iter().copied());
        let server = TlsServer {
            server: ChildServer::spawn(cmd, port),
            port,
            _data_dir: data_dir,
        };
        let client = https_client(ca, port);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let url = format!("https://localhost:{port}/healthz");
            if let Ok(res) = client.get(url).send().await
                && res.status() == 200
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "latchkey serve did not answer over https within 60 s; log:\n{}",
                server.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    /// Everything the server logged so far.
    pub fn log(&self) -> String {
        self.server.log()
    }

    /// Wait until a log line contains `needle` (at most 20 s).
    pub async fn wait_for_log(&self, needle: &str) -> String {
        self.server.wait_for_log(needle).await
    }

    pub fn sighup(&self) {
        self.server.signal("HUP");
    }

    /// The child has not exited (e.g. SIGHUP did not kill it).
    pub fn is_running(&mut self) -> bool {
        self.server.is_running()
    }
}

/// A directory for certificate files that lives as long as the test.
pub fn cert_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("cert dir")
}
