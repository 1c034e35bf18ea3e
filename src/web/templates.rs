//! One askama struct per page. Templates are compiled into the binary.

use askama::Template;

/// Render a page; a template error (a bug) becomes a plain message, never a panic.
pub trait Page: Template {
    fn render_html(&self) -> String {
        self.render().unwrap_or_else(|e| {
            tracing::error!(error = %e, "template failed");
            "<!doctype html><title>Error</title><p>Something went wrong.</p>".to_owned()
        })
    }
}
impl<T: Template> Page for T {}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub message: &'a str,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub app_name: Option<&'a str>,
    pub error: Option<&'a str>,
    pub csrf: &'a str,
    pub req: Option<&'a str>,
    /// A local page to return to after signing in (only `/account`).
    pub next: Option<&'a str>,
    pub username: &'a str,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub struct ConsentPage<'a> {
    pub app_name: &'a str,
    pub username: &'a str,
    pub scopes: Vec<String>,
    pub csrf: &'a str,
    pub req: &'a str,
    pub destination: &'a str,
}

#[derive(Template)]
#[template(path = "form_post.html")]
pub struct FormPostPage<'a> {
    pub action: &'a str,
    pub fields: &'a [(&'static str, String)],
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage<'a> {
    pub username: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "logout.html")]
pub struct LogoutPage<'a> {
    pub app_name: Option<&'a str>,
    pub username: &'a str,
    pub csrf: &'a str,
    pub client_id: Option<&'a str>,
    pub post_logout_redirect_uri: Option<&'a str>,
    pub state: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "signed_out.html")]
pub struct SignedOutPage<'a> {
    pub app_name: Option<&'a str>,
    pub note: Option<&'a str>,
}

pub struct SessionView {
    pub sid: String,
    pub device: String,
    pub ip: String,
    pub last_seen: String,
    pub signed_in: String,
    pub current: bool,
}

pub struct AppView {
    pub client_id: String,
    pub name: String,
    pub access: String,
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage<'a> {
    pub username: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    pub sessions: Vec<SessionView>,
    pub apps: Vec<AppView>,
    pub csrf: &'a str,
    pub message: Option<&'a str>,
    pub error: Option<&'a str>,
}
