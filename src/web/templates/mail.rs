//! The mails, as templates like the pages: plain text and HTML, built in (askama) and
//! replaceable by `theme_dir/templates/mail_*.{txt,html}` (minijinja), from the same values
//! (under `v`: `{{ v.url }}`).

use super::{BuiltIn, Named, THEME};
use askama::Template;
use serde::Serialize;

/// A mail with a one-time link (`kind`: `invite`, `reset`, `verify_email`).
#[derive(Template, Serialize)]
#[template(path = "mail_link.txt")]
pub struct MailLinkText<'a> {
    pub v: &'a LinkValues,
}

#[derive(Template, Serialize)]
#[template(path = "mail_link.html")]
pub struct MailLinkHtml<'a> {
    pub v: &'a LinkValues,
}

/// What the link templates show.
#[derive(Serialize, Debug, Clone, Default)]
pub struct LinkValues {
    pub kind: String,
    pub subject: String,
    pub greeting: String,
    pub username: String,
    pub site: String,
    pub app_name: String,
    pub url: String,
    pub expires: String,
}

/// A notice after a sensitive change (`kind`: `password_changed`, `factor_added`,
/// `factor_removed`, `new_sign_in`, `email_changed`).
#[derive(Template, Serialize)]
#[template(path = "mail_notice.txt")]
pub struct MailNoticeText<'a> {
    pub v: &'a NoticeValues,
}

#[derive(Template, Serialize)]
#[template(path = "mail_notice.html")]
pub struct MailNoticeHtml<'a> {
    pub v: &'a NoticeValues,
}

/// What the notice templates show ("" when absent).
#[derive(Serialize, Debug, Clone, Default)]
pub struct NoticeValues {
    pub kind: String,
    pub subject: String,
    pub greeting: String,
    pub username: String,
    pub site: String,
    pub what: String,
    pub when: String,
    pub from: String,
    pub device: String,
    pub new_email: String,
    pub account_url: String,
}

macro_rules! mail {
    ($ty:ident, $file:literal) => {
        impl Named for $ty<'_> {
            const NAME: &'static str = $file;
        }
    };
}
mail!(MailLinkText, "mail_link.txt");
mail!(MailLinkHtml, "mail_link.html");
mail!(MailNoticeText, "mail_notice.txt");
mail!(MailNoticeHtml, "mail_notice.html");

/// Render a mail part with the theme's template when it has one. Unlike a page, a failure is an
/// error: the mail is not sent half-made (it stays queued, and the log says why).
pub fn render<T: Template + Serialize + Named>(part: &T) -> Result<String, String> {
    let themed = THEME.get().and_then(|env| {
        let t = env.get_template(T::NAME).ok()?;
        Some(t.render(minijinja::value::Serde(part)))
    });
    match themed {
        Some(r) => r.map_err(|e| format!("{}: {e}", T::NAME)),
        None => part.render().map_err(|e| format!("{}: {e}", T::NAME)),
    }
}

/// Whether a built-in mail template exists (the theme falls back to it).
pub fn built_in(name: &str) -> bool {
    BuiltIn::get(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_templates_render_the_same_in_askama_and_minijinja() {
        // (Values without `/`, `&` or `<`: the two engines escape those differently, alike
        // for browsers and mail readers.)
        use super::super::tests::same_in_both;
        for kind in ["invite", "reset", "verify_email"] {
            let v = LinkValues {
                kind: kind.into(),
                subject: "S".into(),
                greeting: "Bob".into(),
                username: "bob".into(),
                site: "id.example.com".into(),
                app_name: if kind == "invite" {
                    "Grafana".into()
                } else {
                    String::new()
                },
                url: "https:id.example.com".into(),
                expires: "2026-01-01 10:00 UTC".into(),
            };
            same_in_both(&MailLinkText { v: &v }, "mail_link.txt");
            same_in_both(&MailLinkHtml { v: &v }, "mail_link.html");
            // Plain text is not escaped; HTML is.
            let odd = LinkValues {
                greeting: "Bob <b>".into(),
                url: "http://id.example.com/invite/t?a=1&b=2".into(),
                ..v.clone()
            };
            let text = MailLinkText { v: &odd }.render().unwrap();
            assert!(
                text.contains("Bob <b>") && text.contains("?a=1&b=2"),
                "{text}"
            );
            let html = MailLinkHtml { v: &odd }.render().unwrap();
            assert!(
                !html.contains("<b>") && html.contains("Bob &#60;b&#62;"),
                "{html}"
            );
        }
        for kind in [
            "password_changed",
            "factor_added",
            "factor_removed",
            "new_sign_in",
            "email_changed",
        ] {
            let v = NoticeValues {
                kind: kind.into(),
                subject: "S".into(),
                greeting: "Bob".into(),
                username: "bob".into(),
                site: "id.example.com".into(),
                what: "the passkey “Laptop”".into(),
                when: "2026-01-01 10:00 UTC".into(),
                from: "192.0.2.7".into(),
                device: "Firefox on Linux".into(),
                new_email: "new@example.com".into(),
                account_url: "https:id.example.com".into(),
            };
            same_in_both(&MailNoticeText { v: &v }, "mail_notice.txt");
            same_in_both(&MailNoticeHtml { v: &v }, "mail_notice.html");
            let text = MailNoticeText { v: &v }.render().unwrap();
            assert!(text.contains("If this wasn't you"), "{kind}: {text}");
        }
    }
}
