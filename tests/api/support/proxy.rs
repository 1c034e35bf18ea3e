//! A small reverse proxy that can tamper with a provider's token answers: what a network
//! attacker (or a compromised hop) between latchkey and its upstream could send.

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// What the proxy does to the `id_token` of `/token` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    Nothing,
    /// Change one character of the signature.
    BreakSignature,
    /// Answer with the first ID token it saw (another sign-in's, with another nonce).
    ReplayFirst,
}

#[derive(Default)]
struct Shared {
    target: String,
    tamper: Option<Tamper>,
    first_id_token: Option<String>,
}

/// The proxy: listening on `port`, forwarding to a target set later.
pub struct Proxy {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
    _server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Proxy {
    pub fn set_target(&self, base: &str) {
        self.shared.lock().unwrap().target = base.to_owned();
    }

    pub fn tamper(&self, t: Tamper) {
        self.shared.lock().unwrap().tamper = Some(t);
    }
}

fn tampered(body: &[u8], shared: &Mutex<Shared>) -> Option<Vec<u8>> {
    let mut v: Value = serde_json::from_slice(body).ok()?;
    let token = v.get("id_token")?.as_str()?.to_owned();
    let mut s = shared.lock().unwrap();
    let first = s
        .first_id_token
        .get_or_insert_with(|| token.clone())
        .clone();
    let new = match s.tamper.unwrap_or(Tamper::Nothing) {
        Tamper::Nothing => return None,
        Tamper::BreakSignature => {
            let mut t = token.into_bytes();
            let i = t.len() - 2;
            t[i] = if t[i] == b'A' { b'B' } else { b'A' };
            String::from_utf8(t).ok()?
        }
        Tamper::ReplayFirst => first,
    };
    v["id_token"] = new.into();
    serde_json::to_vec(&v).ok()
}

async fn forward(
    req: HttpRequest,
    body: Bytes,
    shared: web::Data<Arc<Mutex<Shared>>>,
) -> HttpResponse {
    let target = shared.lock().unwrap().target.clone();
    let url = format!("{target}{}", req.uri());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes()).unwrap();
    let mut out = http.request(method, &url).body(body.to_vec());
    for (k, v) in req.headers() {
        if k != "host" && k != "content-length" {
            out = out.header(k.as_str(), v.as_bytes());
        }
    }
    let Ok(res) = out.send().await else {
        return HttpResponse::BadGateway().finish();
    };
    let status = StatusCode::from_u16(res.status().as_u16()).unwrap();
    let mut answer = HttpResponse::build(status);
    for (k, v) in res.headers() {
        if !matches!(
            k.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            answer.append_header((k.as_str(), v.as_bytes()));
        }
    }
    let bytes = res.bytes().await.unwrap_or_default().to_vec();
    let bytes = if req.path() == "/token" && status == StatusCode::OK {
        tampered(&bytes, &shared).unwrap_or(bytes)
    } else {
        bytes
    };
    answer.body(bytes)
}

/// Start a proxy on a free port of 127.0.0.1 (point it somewhere with [`Proxy::set_target`]).
pub fn start_proxy() -> Proxy {
    let shared = Arc::new(Mutex::new(Shared::default()));
    let data = web::Data::new(shared.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
    let port = listener.local_addr().expect("addr").port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(forward))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    Proxy {
        port,
        shared,
        _server: tokio::spawn(server),
    }
}
