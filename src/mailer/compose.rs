//! A queued mail made into a message: the subject, the plain text and HTML parts from the
//! (themeable) templates, quoted-printable.

use crate::config::Settings;
use crate::crypto::secret_key::SecretKey;
use crate::oidc::mail::{self, MailKind, MailParams};
use crate::store::mail_queue::QueuedMail;
use crate::web::handlers::account::show_time;
use crate::web::templates::mail::{
    LinkValues, MailLinkHtml, MailLinkText, MailNoticeHtml, MailNoticeText, NoticeValues, render,
};
use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};

#[derive(Debug)]
pub enum ComposeError {
    /// Cannot ever be sent (unknown kind, an address that does not parse, a link that does
    /// not open): given up at once.
    Hopeless(String),
    /// A template failed (a theme's mistake): tried again later.
    Template(String),
}

/// The subject of a mail of `kind`.
pub fn subject(kind: MailKind, app: Option<&str>, site: &str) -> String {
    match kind {
        MailKind::Invite => match app {
            Some(a) => format!("You are invited to {a}"),
            None => format!("You are invited to {site}"),
        },
        MailKind::Reset => "Choose a new password".into(),
        MailKind::VerifyEmail => "Confirm your email address".into(),
        MailKind::EmailChanged => "Your email address was changed".into(),
        MailKind::PasswordChanged => "Your password was changed".into(),
        MailKind::FactorAdded => "A sign-in method was added to your account".into(),
        MailKind::FactorRemoved => "A sign-in method was removed from your account".into(),
        MailKind::NewSignIn => "New sign-in to your account".into(),
    }
}

/// The site's name in mails: the issuer's host.
fn site(settings: &Settings) -> String {
    url::Url::parse(&settings.issuer)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| settings.issuer.clone())
}

/// The subject, plain text and HTML of a queued mail.
pub fn parts(
    settings: &Settings,
    key: &SecretKey,
    mail: &QueuedMail,
) -> Result<(String, String, String), ComposeError> {
    let kind = MailKind::parse(&mail.kind)
        .ok_or_else(|| ComposeError::Hopeless(format!("unknown mail kind {:?}", mail.kind)))?;
    let p: MailParams = serde_json::from_str(&mail.params)
        .map_err(|e| ComposeError::Hopeless(format!("unreadable mail: {e}")))?;
    let site = site(settings);
    let subject = subject(kind, p.app.as_deref(), &site);
    let greeting = p.name.clone().unwrap_or_else(|| p.username.clone());
    let tpl = ComposeError::Template;
    if kind.has_link() {
        let url = mail::open_link(key, mail)
            .map_err(ComposeError::Hopeless)?
            .ok_or_else(|| ComposeError::Hopeless("a link mail without its link".into()))?;
        let v = LinkValues {
            kind: kind.as_str().into(),
            subject: subject.clone(),
            greeting,
            username: p.username,
            site,
            app_name: p.app.unwrap_or_default(),
            url,
            expires: p.expires_at.map(show_time).unwrap_or_default(),
        };
        let text = render(&MailLinkText { v: &v }).map_err(tpl)?;
        let html = render(&MailLinkHtml { v: &v }).map_err(tpl)?;
        return Ok((subject, text, html));
    }
    let v = NoticeValues {
        kind: kind.as_str().into(),
        subject: subject.clone(),
        greeting,
        username: p.username,
        site,
        what: p.what.unwrap_or_default(),
        when: show_time(p.at),
        from: p.ip.unwrap_or_default(),
        device: p
            .device
            .map(|ua| crate::web::handlers::account::device(Some(&ua)))
            .unwrap_or_default(),
        new_email: p.new_email.unwrap_or_default(),
        account_url: settings.endpoint("/account"),
    };
    let text = render(&MailNoticeText { v: &v }).map_err(tpl)?;
    let html = render(&MailNoticeHtml { v: &v }).map_err(tpl)?;
    Ok((subject, text, html))
}

/// The message to send for a queued mail.
pub fn message(
    settings: &Settings,
    key: &SecretKey,
    mail: &QueuedMail,
) -> Result<Message, ComposeError> {
    let hopeless =
        |what: &str, e: &dyn std::fmt::Display| ComposeError::Hopeless(format!("{what}: {e}"));
    let from: Mailbox = settings
        .smtp
        .as_ref()
        .map(|s| s.from.as_str())
        .unwrap_or_default()
        .parse()
        .map_err(|e| hopeless("smtp_from", &e))?;
    let to: Mailbox = mail
        .recipient
        .parse()
        .map_err(|e| hopeless("the recipient", &e))?;
    let (subject, text, html) = parts(settings, key, mail)?;
    let part = |ct: ContentType, body: String| {
        SinglePart::builder()
            .header(ct)
            .header(ContentTransferEncoding::QuotedPrintable)
            .body(body)
    };
    Message::builder()
        .from(from)
        .to(to)
        .subject(subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(part(ContentType::TEXT_PLAIN, text))
                .singlepart(part(ContentType::TEXT_HTML, html)),
        )
        .map_err(|e| hopeless("cannot build the message", &e))
}
