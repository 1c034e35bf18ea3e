//! The groups pages: the list with the create form, one group (members, the apps restricted
//! to it), and the confirmation asked before a removal (shared by the other areas).

use crate::web::templates::{AdminLayout, Field, Named};
use askama::Template;
use serde::Serialize;

/// A group in the list. `key` is the name encoded for a URL path.
#[derive(Serialize)]
pub struct GroupRow {
    pub name: String,
    pub key: String,
    pub description: String,
    pub members: i64,
    /// The client ids of the apps restricted to it, comma separated ("": none).
    pub apps: String,
}

#[derive(Template, Serialize)]
#[template(path = "admin_groups.html")]
pub struct GroupsPage<'a> {
    pub layout: AdminLayout,
    pub groups: Vec<GroupRow>,
    pub no_groups: bool,
    /// The create form's values (what was typed, after a refusal).
    pub new_name: &'a str,
    pub new_description: &'a str,
}
page!(GroupsPage, "admin_groups.html");

#[derive(Serialize)]
pub struct MemberRow {
    pub username: String,
    pub key: String,
}

/// An app restricted to the group, and the other groups it is restricted to.
#[derive(Serialize)]
pub struct RestrictedApp {
    pub client_id: String,
    pub key: String,
    pub name: String,
    /// Comma separated ("": none).
    pub others: String,
}

/// An app offered in a `<select>`.
#[derive(Serialize)]
pub struct AppChoice {
    pub client_id: String,
    pub label: String,
}

#[derive(Template, Serialize)]
#[template(path = "admin_group.html")]
pub struct GroupPage<'a> {
    pub layout: AdminLayout,
    pub name: &'a str,
    pub key: String,
    pub description: String,
    pub created: String,
    pub member_count: usize,
    pub members: Vec<MemberRow>,
    pub no_members: bool,
    /// The add-member field's value (what was typed, after a refusal).
    pub new_usernames: &'a str,
    pub apps: Vec<RestrictedApp>,
    pub no_apps: bool,
    /// The apps not restricted to this group yet.
    pub choices: Vec<AppChoice>,
    pub no_choices: bool,
}
page!(GroupPage, "admin_group.html");

/// "Remove X?": what happens, and the form that does it.
#[derive(Template, Serialize)]
#[template(path = "admin_confirm.html")]
pub struct ConfirmPage<'a> {
    pub layout: AdminLayout,
    /// "Remove group eng" (the heading adds a question mark).
    pub title: &'a str,
    pub facts: Vec<String>,
    /// Where the form posts.
    pub action: &'a str,
    pub fields: Vec<Field>,
    pub button: &'a str,
    /// Where "Cancel" goes.
    pub back: &'a str,
}
page!(ConfirmPage, "admin_confirm.html");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::templates::admin::tests::layout;
    use crate::web::templates::tests::same_in_both;

    // Values without `<>&"'/`: the engines escape them differently (both valid HTML).
    #[test]
    fn the_groups_pages_render_the_same_in_askama_and_minijinja() {
        let row = |name: &str, apps: &str| GroupRow {
            name: name.into(),
            key: name.into(),
            description: "Engineers and co".into(),
            members: 3,
            apps: apps.into(),
        };
        for (groups, no_groups) in [
            (vec![row("eng", "grafana, wiki"), row("ops", "")], false),
            (vec![], true),
        ] {
            same_in_both(
                &GroupsPage {
                    layout: layout(),
                    groups,
                    no_groups,
                    new_name: "x y",
                    new_description: "",
                },
                "admin_groups.html",
            );
        }
        for full in [true, false] {
            let page = GroupPage {
                layout: layout().with_error("no user named bob"),
                name: "eng",
                key: "eng".into(),
                description: if full {
                    "Engineers".into()
                } else {
                    String::new()
                },
                created: "2024-01-02 03:04 UTC".into(),
                member_count: usize::from(full),
                members: full
                    .then(|| MemberRow {
                        username: "alice".into(),
                        key: "alice".into(),
                    })
                    .into_iter()
                    .collect(),
                no_members: !full,
                new_usernames: "bob",
                apps: full
                    .then(|| RestrictedApp {
                        client_id: "grafana".into(),
                        key: "grafana".into(),
                        name: "Grafana dash".into(),
                        others: if full { "ops".into() } else { String::new() },
                    })
                    .into_iter()
                    .collect(),
                no_apps: !full,
                choices: vec![AppChoice {
                    client_id: "wiki".into(),
                    label: "Wiki (wiki), open to everyone".into(),
                }],
                no_choices: false,
            };
            same_in_both(&page, "admin_group.html");
        }
    }

    #[test]
    fn the_confirmation_renders_the_same_in_askama_and_minijinja() {
        same_in_both(
            &ConfirmPage {
                layout: layout(),
                title: "Remove group eng",
                facts: vec!["3 members leave it.".into(), "It is gone.".into()],
                action: "remove",
                fields: vec![Field {
                    name: "id",
                    value: "urn:x".into(),
                }],
                button: "Remove group",
                back: "eng",
            },
            "admin_confirm.html",
        );
    }
}
