//! The admin's user pages: one user, a new user.

use super::AdminLayout;
use crate::web::templates::Named;
use askama::Template;
use serde::Serialize;

#[derive(Serialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

#[derive(Serialize)]
pub struct UserSessionRow {
    pub sid: String,
    pub device: String,
    pub ip: String,
    pub signed_in: String,
    pub last_seen: String,
}

#[derive(Serialize)]
pub struct UserAppRow {
    pub client_id: String,
    pub name: String,
    pub access: String,
}

#[derive(Serialize)]
pub struct UserPasskeyRow {
    pub name: String,
    pub created: String,
    pub last_used: String,
}

/// `/admin/users/{username}`.
#[derive(Template, Serialize)]
#[template(path = "admin_user.html")]
pub struct AdminUserPage {
    pub layout: AdminLayout,
    pub username: String,
    /// The username as it goes into this page's URLs.
    pub path: String,
    pub subject: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub created: String,
    pub password_changed: String,
    pub groups: Vec<String>,
    /// Groups the user is not in (for the "add to group" choice).
    pub other_groups: Vec<String>,
    pub can_add_group: bool,
    pub attributes: Vec<KeyValue>,
    pub sessions: Vec<UserSessionRow>,
    pub apps: Vec<UserAppRow>,
    pub totp_since: String,
    pub recovery_left: i64,
    pub passkeys: Vec<UserPasskeyRow>,
    pub has_factors: bool,
    /// A password just set, shown this once (`""`: none).
    pub new_password: String,
    /// An invite or reset link just made, shown this once (`""`: none), what it is, and a note
    /// (until when it works, whether it was mailed).
    pub new_link: String,
    pub new_link_title: String,
    pub new_link_note: String,
    /// The user has no password (invited, or a passkey alone).
    pub no_password: bool,
}
impl Named for AdminUserPage {
    const NAME: &'static str = "admin_user.html";
}

/// `/admin/users/new`, and the answer to creating one (the password shown once).
#[derive(Template, Serialize)]
#[template(path = "admin_user_new.html")]
pub struct AdminUserNewPage {
    pub layout: AdminLayout,
    /// What was typed, kept when the form is shown again with an error.
    pub username: String,
    pub email: String,
    pub name: String,
    pub is_admin: bool,
    pub email_verified: bool,
    /// "invite" (a link) or "password" (generated, shown once).
    pub how: String,
}
impl Named for AdminUserNewPage {
    const NAME: &'static str = "admin_user_new.html";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::templates::admin::tests::layout;
    use crate::web::templates::tests::same_in_both;

    #[test]
    fn the_user_pages_render_the_same_in_askama_and_minijinja() {
        same_in_both(
            &AdminUserPage {
                layout: layout(),
                username: "alice".into(),
                path: "alice".into(),
                subject: "s".into(),
                email: "a@example.com".into(),
                email_verified: true,
                name: "Alice".into(),
                is_admin: false,
                disabled: true,
                created: "2026-01-01 00:00 UTC".into(),
                password_changed: "2026-01-01 00:00 UTC".into(),
                groups: vec!["ops".into()],
                other_groups: vec!["dev".into()],
                can_add_group: true,
                attributes: vec![KeyValue {
                    key: "dept".into(),
                    value: "RnD".into(),
                }],
                sessions: vec![UserSessionRow {
                    sid: "sid1".into(),
                    device: "Firefox on Linux".into(),
                    ip: "127.0.0.1".into(),
                    signed_in: "x".into(),
                    last_seen: "y".into(),
                }],
                apps: vec![UserAppRow {
                    client_id: "grafana".into(),
                    name: "Grafana".into(),
                    access: "openid".into(),
                }],
                totp_since: "z".into(),
                recovery_left: 9,
                passkeys: vec![UserPasskeyRow {
                    name: "key".into(),
                    created: "c".into(),
                    last_used: "never".into(),
                }],
                has_factors: true,
                new_password: "pw".into(),
                new_link: "link".into(),
                new_link_title: "Invite link".into(),
                new_link_note: "n".into(),
                no_password: true,
            },
            "admin_user.html",
        );
        same_in_both(
            &AdminUserNewPage {
                layout: layout(),
                username: "bob".into(),
                email: "".into(),
                name: "".into(),
                is_admin: true,
                email_verified: false,
                how: "invite".into(),
            },
            "admin_user_new.html",
        );
    }
}
