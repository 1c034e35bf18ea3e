//! A stand-in for GitHub's OAuth and user API, and a latchkey whose `kind = "github"` upstream
//! points at it (by `api_url`).

use crate::support::*;
use actix_web::{App, HttpResponse, HttpServer, web};
use latchkey::config::{Upstream, UpstreamKind};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tempfile::TempDir;

/// A stand-in for GitHub: `/login/oauth/authorize` (approves at once, as for someone signed
/// in there), `/login/oauth/access_token` (client secret and PKCE checked), `/user` and
/// `/user/emails` in GitHub's documented shapes.
pub struct GitHubStandIn {
    pub base: String,
    /// What `/user/emails` answers.
    pub emails: Arc<Mutex<Value>>,
    _server: tokio::task::JoinHandle<std::io::Result<()>>,
}

#[derive(Default)]
struct Hub {
    /// code -> (redirect_uri, code_challenge)
    codes: HashMap<String, (String, String)>,
}

struct HubState {
    hub: Mutex<Hub>,
    secret: String,
    emails: Arc<Mutex<Value>>,
}

pub const GITHUB_TOKEN: &str = "gho_standin_token";

async fn gh_authorize(
    q: web::Query<HashMap<String, String>>,
    st: web::Data<HubState>,
) -> HttpResponse {
    let code = latchkey::crypto::random::token();
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    let challenge = q.get("code_challenge").cloned().unwrap_or_default();
    st.hub
        .lock()
        .unwrap()
        .codes
        .insert(code.clone(), (redirect.clone(), challenge));
    let state = q.get("state").cloned().unwrap_or_default();
    let to = format!(
        "{redirect}?{}",
        serde_urlencoded::to_string([("code", code), ("state", state)]).unwrap()
    );
    HttpResponse::Found()
        .insert_header(("Location", to))
        .finish()
}

async fn gh_token(
    form: web::Form<HashMap<String, String>>,
    st: web::Data<HubState>,
) -> HttpResponse {
    let f = |k: &str| form.get(k).cloned().unwrap_or_default();
    let found = st.hub.lock().unwrap().codes.remove(&f("code"));
    let verifier_ok = |challenge: &str| {
        use base64::Engine;
        use sha2::Digest;
        let hashed = sha2::Sha256::digest(f("code_verifier").as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hashed) == challenge
    };
    match found {
        Some((redirect, challenge))
            if f("client_secret") == st.secret
                && f("redirect_uri") == redirect
                && verifier_ok(&challenge) =>
        {
            HttpResponse::Ok().json(json!({
                "access_token": GITHUB_TOKEN, "token_type": "bearer", "scope": "read:user,user:email"
            }))
        }
        // GitHub answers a bad code with 200 and an error member.
        _ => HttpResponse::Ok().json(json!({
            "error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."
        })),
    }
}

fn gh_authorized(req: &actix_web::HttpRequest) -> bool {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {GITHUB_TOKEN}"))
}

async fn gh_user(req: actix_web::HttpRequest) -> HttpResponse {
    if !gh_authorized(&req) {
        return HttpResponse::Unauthorized().json(json!({"message": "Requires authentication"}));
    }
    HttpResponse::Ok().json(json!({
        "login": "octocat", "id": 583231, "name": "The Octocat", "email": null,
        "type": "User", "site_admin": false
    }))
}

async fn gh_emails(req: actix_web::HttpRequest, st: web::Data<HubState>) -> HttpResponse {
    if !gh_authorized(&req) {
        return HttpResponse::Unauthorized().json(json!({"message": "Requires authentication"}));
    }
    HttpResponse::Ok().json(st.emails.lock().unwrap().clone())
}

/// The stand-in's client secret.
pub const GITHUB_SECRET: &str = "gh-client-secret-for-tests";

/// A latchkey whose upstream `gh` is the GitHub preset pointed at a stand-in (by `api_url`),
/// with its app `app`; returns the stand-in, the server, the app's secret and the secret dir.
pub async fn spawn_github(
    emails: Value,
    configure: impl FnOnce(&mut Upstream),
) -> (GitHubStandIn, TestApp, String, TempDir) {
    let hub = github_stand_in(GITHUB_SECRET, emails);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = secret_file(dir.path(), "gh.secret", GITHUB_SECRET);
    let mut table = upstream_table(
        "gh",
        UpstreamKind::GitHub {
            api_url: hub.base.clone(),
        },
        &hub.base,
        &file,
    );
    configure(&mut table);
    let port = free_port();
    let down = spawn_app_with(|s| {
        s.bind = format!("127.0.0.1:{port}").parse().expect("bind");
        s.issuer = format!("http://127.0.0.1:{port}");
        s.upstreams = vec![table];
    })
    .await;
    let secret = add_client(&down, &federated_app_spec()).expect("a confidential client");
    (hub, down, secret, dir)
}

/// Start the stand-in; the client secret it expects is `secret`.
pub fn github_stand_in(secret: &str, emails: Value) -> GitHubStandIn {
    let emails = Arc::new(Mutex::new(emails));
    let state = web::Data::new(HubState {
        hub: Mutex::new(Hub::default()),
        secret: secret.to_owned(),
        emails: emails.clone(),
    });
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the stand-in");
    let port = listener.local_addr().expect("addr").port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/login/oauth/authorize", web::get().to(gh_authorize))
            .route("/login/oauth/access_token", web::post().to(gh_token))
            .route("/user", web::get().to(gh_user))
            .route("/user/emails", web::get().to(gh_emails))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    GitHubStandIn {
        base: format!("http://127.0.0.1:{port}"),
        emails,
        _server: tokio::spawn(server),
    }
}
