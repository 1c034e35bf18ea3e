//! An in-process server with built-in TLS and clients that check what it offers: the chain
//! verified against the test CA, TLS 1.2+ only, HTTP/2 by ALPN, no plain HTTP on the port.

use crate::support::*;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode, SslVersion};
use std::net::TcpStream;
use tempfile::TempDir;

/// A server on `https://localhost:PORT` with a fresh CA's localhost certificate.
struct Https {
    app: TestApp,
    ca: TestCa,
    leaf: Leaf,
    _certs: TempDir,
}

async fn spawn_https_app() -> Https {
    let ca = TestCa::new();
    let leaf = ca.localhost();
    let certs = tempfile::tempdir().unwrap();
    let files = leaf.install(certs.path());
    let port = free_port();
    let app = spawn_app_with(|s| {
        s.bind = format!("127.0.0.1:{port}").parse().unwrap();
        s.issuer = format!("https://localhost:{port}");
        s.tls = Some(files);
    })
    .await;
    Https {
        app,
        ca,
        leaf,
        _certs: certs,
    }
}

impl Https {
    fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.app.port)
    }
}

/// An OpenSSL handshake with `configure`d client settings (run off the test's runtime, which
/// also runs the server).
async fn openssl_handshake(
    port: u16,
    configure: impl FnOnce(&mut openssl::ssl::SslConnectorBuilder) + Send + 'static,
) -> Result<(String, Option<Vec<u8>>), String> {
    tokio::task::spawn_blocking(move || {
        let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
        b.set_verify(SslVerifyMode::NONE);
        configure(&mut b);
        let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        match b.build().connect("localhost", tcp) {
            Ok(s) => Ok((
                s.ssl().version_str().to_owned(),
                s.ssl().selected_alpn_protocol().map(<[u8]>::to_vec),
            )),
            Err(e) => Err(e.to_string()),
        }
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn discovery_is_served_over_https_to_a_client_that_verifies_the_chain() {
    let https = spawn_https_app().await;
    let client = https_client(&https.ca, https.app.port);

    let res = client
        .get(https.url("/.well-known/openid-configuration"))
        .send()
        .await
        .expect("a client trusting the test CA connects");

    assert_eq!(res.status(), 200);
    assert_eq!(
        peer_certificate(&res),
        https.leaf.der,
        "serves the configured leaf"
    );
    let hsts = res
        .headers()
        .get("strict-transport-security")
        .expect("HSTS on an https issuer")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(hsts.contains("max-age="), "{hsts}");
    let doc: serde_json::Value = res.json().await.unwrap();
    assert_eq!(doc["issuer"], https.url(""));
    assert_eq!(doc["token_endpoint"], https.url("/token"));
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_ca_cannot_connect() {
    let https = spawn_https_app().await;
    let stranger = TestCa::new();

    for client in [
        https_client(&stranger, https.app.port),
        https_builder(https.app.port).build().unwrap(),
    ] {
        let err = client
            .get(https.url("/healthz"))
            .send()
            .await
            .expect_err("an untrusted chain is refused");
        assert!(err.is_connect(), "fails in the handshake: {err:?}");
        assert!(
            format!("{err:?}").contains("UnknownIssuer"),
            "because of the issuer: {err:?}"
        );
    }
}

#[tokio::test]
async fn http2_is_negotiated_by_alpn_and_http1_clients_still_work() {
    let https = spawn_https_app().await;
    let port = https.app.port;

    let (_, alpn) = openssl_handshake(port, |b| b.set_alpn_protos(b"\x02h2\x08http/1.1").unwrap())
        .await
        .expect("handshake");
    assert_eq!(alpn.as_deref(), Some(&b"h2"[..]), "h2 preferred by ALPN");
    let (_, alpn) = openssl_handshake(port, |b| b.set_alpn_protos(b"\x08http/1.1").unwrap())
        .await
        .expect("handshake");
    assert_eq!(alpn.as_deref(), Some(&b"http/1.1"[..]));

    let h2 = https_client(&https.ca, port);
    let res = h2.get(https.url("/jwks")).send().await.unwrap();
    assert_eq!(
        res.version(),
        reqwest::Version::HTTP_2,
        "a real HTTP/2 exchange"
    );
    assert_eq!(res.status(), 200);
    let jwks: serde_json::Value = res.json().await.unwrap();
    assert!(!jwks["keys"].as_array().unwrap().is_empty());

    let h1 = https_builder(port)
        .http1_only()
        .add_root_certificate(reqwest::Certificate::from_pem(https.ca.pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let res = h1.get(https.url("/jwks")).send().await.unwrap();
    assert_eq!(res.version(), reqwest::Version::HTTP_11);
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn tls_1_1_is_refused_while_tls_1_2_and_1_3_are_accepted() {
    let https = spawn_https_app().await;
    let port = https.app.port;
    // Security level 0 so that the OpenSSL client itself is willing to speak TLS 1.1.
    let only = |v: SslVersion| {
        move |b: &mut openssl::ssl::SslConnectorBuilder| {
            b.set_cipher_list("DEFAULT:@SECLEVEL=0").unwrap();
            b.set_min_proto_version(Some(v)).unwrap();
            b.set_max_proto_version(Some(v)).unwrap();
        }
    };

    let err = openssl_handshake(port, only(SslVersion::TLS1_1))
        .await
        .expect_err("TLS 1.1 is refused");
    // An alert from the server: the client did send its TLS 1.1 hello (a client-side refusal
    // would say "no protocols available"), and rustls answered it with a handshake failure.
    assert!(
        err.contains("alert handshake failure"),
        "the server refuses the version: {err}"
    );
    let (v12, _) = openssl_handshake(port, only(SslVersion::TLS1_2))
        .await
        .expect("TLS 1.2 is accepted");
    assert_eq!(v12, "TLSv1.2");
    let (best, _) = openssl_handshake(port, |_| {})
        .await
        .expect("default client");
    assert_eq!(best, "TLSv1.3");
}

#[tokio::test]
async fn plain_http_on_the_tls_port_gets_no_http_answer() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let https = spawn_https_app().await;

    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", https.app.port))
        .await
        .unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        tcp.read_to_end(&mut answer),
    )
    .await
    .expect("the server closes the connection");
    let _ = read; // a reset is as good as a close here

    assert!(
        !answer.starts_with(b"HTTP/"),
        "no HTTP response over plain TCP: {:?}",
        String::from_utf8_lossy(&answer)
    );
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/healthz", https.app.port))
        .send()
        .await;
    assert!(
        plain.is_err(),
        "a plain-HTTP client gets no answer: {plain:?}"
    );
}
