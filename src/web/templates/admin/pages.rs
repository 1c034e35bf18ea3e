//! The signing keys page and the sessions page.

use super::AdminLayout;
use super::views::{ActiveSessionView, KeyAgeView};
use crate::web::templates::Named;
use askama::Template;
use serde::Serialize;

/// `/admin/keys`: the keys with their ages, and the rotate form.
#[derive(Template, Serialize)]
#[template(path = "admin_keys.html")]
pub struct AdminKeysPage {
    pub layout: AdminLayout,
    /// The same table as on the dashboard (`admin_keys_table.html`).
    pub keys: Vec<KeyAgeView>,
    /// `90 days`: `key_rotation_secs`.
    pub rotation: String,
    /// `7 days`: `key_retention_secs`.
    pub retention: String,
}

impl Named for AdminKeysPage {
    const NAME: &'static str = "admin_keys.html";
}

/// `/admin/sessions`: every active session, newest first, a page at a time.
#[derive(Template, Serialize)]
#[template(path = "admin_sessions.html")]
pub struct AdminSessionsPage {
    pub layout: AdminLayout,
    pub sessions: Vec<ActiveSessionView>,
    pub no_sessions: bool,
    /// The link to the next (older) page, "" on the last one.
    pub older: String,
    /// The link back to the newest, "" on the first page.
    pub newest: String,
}

impl Named for AdminSessionsPage {
    const NAME: &'static str = "admin_sessions.html";
}
