//! /admin: the admin pages. Each handler runs [`admin::gate`] first, in the transaction of its
//! work: a non-admin gets a 403 page for every GET and POST, an admin whose sign-in is older
//! than `admin_reauth_secs` is sent to sign in again. Every POST also needs the form's CSRF
//! token (and a same-origin browser); a refused change writes nothing (its transaction rolls
//! back) and is shown on the page it came from.

pub mod apis;
pub mod app_check;
pub mod apps;
pub mod audit;
pub mod dashboard;
pub mod elsewhere;
pub mod groups;
pub mod keys;
pub mod sessions;
mod show;
pub mod users;

pub use crate::oidc::admin::Actor;
use crate::oidc::admin::{self, AdminError, Gate};
use crate::oidc::params::Params;
use crate::state::AppState;
use crate::store::users::User;
use crate::store::{StoreError, Tx};
use crate::web::handlers::authorize::see_other;
use crate::web::templates::{AdminLayout, Page};
use crate::web::{cookies, csrf, error, extract, headers};
use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};

/// The admin pages' routes, area by area (the `/admin/{rest}` catch-all comes after them).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(dashboard::get_admin))
        .route("/admin/keys", web::get().to(keys::get_keys))
        .route("/admin/keys/rotate", web::post().to(keys::post_rotate))
        .route("/admin/sessions", web::get().to(sessions::get_sessions))
        .route("/admin/sessions/end", web::post().to(sessions::post_end))
        .route("/admin/audit", web::get().to(audit::get_audit))
        .route("/admin/audit.csv", web::get().to(audit::get_audit_csv))
        .route("/admin/audit.jsonl", web::get().to(audit::get_audit_jsonl));
    users::routes(cfg);
    apps::routes(cfg);
    groups::routes(cfg);
    apis::routes(cfg);
}

const LOGIN: &str = "/login?next=/admin";
const REAUTH: &str = "/login?reauth=1&next=/admin";
const SECOND_FACTOR: &str = "/login/second-factor?next=/admin";

/// The answer to a browser that may not use `/admin` (now).
fn refused(gate: Gate) -> HttpResponse {
    match gate {
        Gate::NotSignedIn => see_other(LOGIN),
        Gate::SecondFactorDue => see_other(SECOND_FACTOR),
        Gate::Stale => see_other(REAUTH),
        Gate::Forbidden | Gate::Admin(_) => forbidden(),
    }
}

fn forbidden() -> HttpResponse {
    error::page(
        StatusCode::FORBIDDEN,
        "Not allowed",
        "These pages are for administrators. Ask one of them if you need a change.",
    )
}

/// The signed-in admin of this request, and the CSRF token their page's forms carry.
pub struct AdminCtx {
    pub user: User,
    csrf: String,
    /// Set when the browser had no CSRF cookie yet.
    csrf_cookie: Option<Cookie<'static>>,
}

impl AdminCtx {
    fn new(req: &HttpRequest, state: &AppState, user: User) -> Self {
        let (csrf, csrf_cookie) = csrf::token_for_form(req, &state.settings);
        Self {
            user,
            csrf,
            csrf_cookie,
        }
    }

    /// Who the audit log names for this admin's changes.
    pub fn actor(&self) -> Actor {
        Actor::Admin(self.user.username.clone())
    }

    /// The frame of a page in `section` (see [`AdminLayout::section`]).
    pub fn layout(&self, section: &'static str) -> AdminLayout {
        AdminLayout {
            admin: self.user.username.clone(),
            csrf: self.csrf.clone(),
            section,
            message: String::new(),
            error: String::new(),
        }
    }

    /// Answer with a page (setting the CSRF cookie its forms need).
    pub fn render(&self, status: StatusCode, page: &impl Page) -> HttpResponse {
        let mut res = headers::html(status, page.render_html(), &[]);
        if let Some(c) = &self.csrf_cookie {
            let _ = res.add_cookie(c);
        }
        res
    }
}

/// Why an admin POST did not run its change.
enum Stopped {
    Store(StoreError),
    Refused(AdminError),
}

impl From<StoreError> for Stopped {
    fn from(e: StoreError) -> Self {
        Stopped::Store(e)
    }
}

/// Run the gate and then `work` for the admin, in one write transaction, off the executor.
/// Err: the answer instead (a redirect to sign in, the 403 page, or a store failure).
pub(super) async fn as_admin<T: Send + 'static>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    work: impl FnOnce(&Tx<'_>, &User, i64) -> Result<T, StoreError> + Send + 'static,
) -> Result<(AdminCtx, T), HttpResponse> {
    let cookie = cookies::read(req, &state.settings, cookies::SESSION);
    let st = state.clone();
    let done = web::block(move || {
        let now = st.clock.now();
        st.store.write(
            |c| match admin::gate(c, &st.settings, cookie.as_deref(), now)? {
                Gate::Admin(user) => {
                    let out = work(c, &user, now)?;
                    Ok(Ok((*user, out)))
                }
                other => Ok(Err(other)),
            },
        )
    })
    .await;
    match done {
        Ok(Ok(Ok((user, out)))) => Ok((AdminCtx::new(req, state, user), out)),
        Ok(Ok(Err(gate))) => Err(refused(gate)),
        Ok(Err(e)) => Err(error::store(e)),
        Err(e) => Err(error::internal(e)),
    }
}

/// An admin form's POST: check its CSRF token, run the gate, then `work` with the form and the
/// admin as the actor, in one write transaction. `Ok((ctx, Err(refusal)))`: the change was
/// refused and nothing was written; show the refusal on the page. Err: the answer instead.
pub(super) async fn as_admin_post<T: Send + 'static>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    body: &Bytes,
    work: impl FnOnce(&Tx<'_>, &Actor, &Params, i64) -> Result<T, AdminError> + Send + 'static,
) -> Result<(AdminCtx, Result<T, AdminError>), HttpResponse> {
    let form = extract::form(body);
    if !csrf::verify(req, &state.settings, form.get("csrf_token")) {
        return Err(error::page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "The form was old or sent from another site, so nothing was changed. Reload the page and try again.",
        ));
    }
    let cookie = cookies::read(req, &state.settings, cookies::SESSION);
    let st = state.clone();
    let done = web::block(move || {
        let now = st.clock.now();
        st.store.write(|c| {
            match admin::gate(c, &st.settings, cookie.as_deref(), now).map_err(Stopped::Store)? {
                Gate::Admin(user) => {
                    let actor = Actor::Admin(user.username.clone());
                    let out = work(c, &actor, &form, now).map_err(Stopped::Refused)?;
                    Ok(Ok((*user, out)))
                }
                other => Ok(Err(other)),
            }
        })
    })
    .await;
    match done {
        Ok(Ok(Ok((user, out)))) => Ok((AdminCtx::new(req, state, user), Ok(out))),
        Ok(Ok(Err(gate))) => Err(refused(gate)),
        Ok(Err(Stopped::Refused(e))) if e.is_refusal() => {
            // The change rolled back; the page needs the admin again to show why.
            let (ctx, ()) = as_admin(req, state, |_, _, _| Ok(())).await?;
            Ok((ctx, Err(e)))
        }
        Ok(Err(Stopped::Refused(e))) => Err(error::internal(e)),
        Ok(Err(Stopped::Store(e))) => Err(error::store(e)),
        Err(e) => Err(error::internal(e)),
    }
}

/// A generated password and its hash, made on the password pool (argon2id is slow).
pub(super) async fn new_password(state: &AppState) -> Result<(String, String), HttpResponse> {
    let pw = crate::crypto::random::password();
    let to_hash = pw.clone();
    match state
        .passwords
        .run(move || crate::crypto::password::hash(&to_hash))
        .await
    {
        Ok(Ok(hash)) => Ok((pw, hash)),
        Ok(Err(e)) => Err(error::internal(e)),
        Err(e) => Err(error::internal(e)),
    }
}

/// The status a refused change is shown with.
pub(super) fn refusal_status(e: &AdminError) -> StatusCode {
    StatusCode::from_u16(e.status_and_code().0).unwrap_or(StatusCode::BAD_REQUEST)
}

/// A path segment from the URL as the identifier it names (`/admin/users/{username}`).
pub(super) fn segment(req: &HttpRequest, name: &str) -> String {
    req.match_info().get(name).unwrap_or_default().to_owned()
}

/// Percent-encode an identifier for a URL path or query we build.
pub(super) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
