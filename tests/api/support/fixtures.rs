//! The clients and servers the attack tests target: confidential `app` with two redirect URIs
//! and a post-logout URI, the attacker's own client `other`, and a server whose clock moves.

use crate::support::*;
use latchkey::clock::{Clock, FixedClock};
use latchkey::config::Settings;
use std::sync::Arc;

/// A registered post-logout redirect URI of `app`.
pub const POST_LOGOUT: &str = "http://127.0.0.1:9/after-logout";

/// A second registered redirect URI of `app`, with a host name (for case and userinfo tricks).
pub const SECOND_REDIRECT: &str = "https://app.example/cb";

pub const NEW_PASSWORD: &str = "a completely new passphrase 42";

/// A server with user alice whose clock the test moves, after `configure` adjusted the settings.
pub async fn spawn_at(clock: &FixedClock, configure: impl FnOnce(&mut Settings)) -> TestApp {
    let port = free_port();
    let clock: Arc<dyn Clock> = Arc::new(clock.clone());
    let app = spawn_app_with_clock(
        |s| {
            s.bind = format!("127.0.0.1:{port}").parse().expect("bind");
            s.issuer = format!("http://127.0.0.1:{port}");
            configure(s);
        },
        clock,
    )
    .await;
    add_user(&app, "alice", "alice@example.com", Some("Alice Example"));
    app
}

/// The client most attacks target: confidential `app`, no consent screen, two redirect URIs
/// and a post-logout redirect URI.
pub fn app_spec() -> ClientSpec {
    ClientSpec {
        skip_consent: true,
        redirect_uris: vec![REDIRECT_URI.to_owned(), SECOND_REDIRECT.to_owned()],
        post_logout_redirect_uris: vec![POST_LOGOUT.to_owned()],
        ..Default::default()
    }
}

/// Another confidential client with the same redirect URI: the attacker's own registration.
pub fn other_spec() -> ClientSpec {
    ClientSpec {
        client_id: "other",
        skip_consent: true,
        ..Default::default()
    }
}

/// True when alice's browser (the app's cookie jar) still has a live session at `app`.
pub async fn signed_in(app: &TestApp) -> bool {
    let res = browse(app, &AuthReq::new("app").set("prompt", "none").url(app)).await;
    assert_eq!(res.status(), 302, "prompt=none answers the client");
    let loc = location(&res);
    match query_param(&loc, "error").as_deref() {
        None => {
            assert!(query_param(&loc, "code").is_some(), "{loc}");
            true
        }
        Some("login_required") => false,
        Some(other) => panic!("unexpected error {other} in {loc}"),
    }
}
