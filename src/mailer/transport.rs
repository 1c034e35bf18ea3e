//! The connection to the mail server (`smtp_url`) through lettre: TLS (`smtps://`), STARTTLS
//! required (`smtp://` to another host), or plain SMTP to a loopback relay; authentication with
//! `smtp_username` and the password in `smtp_password_file`.

use crate::config::{Settings, SmtpSecurity};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How long one step of a conversation with the mail server may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A failed send, and whether the server refused for good (a 5xx reply).
#[derive(Debug)]
pub struct SendError {
    pub message: String,
    pub permanent: bool,
}

pub struct Transport {
    inner: AsyncSmtpTransport<Tokio1Executor>,
}

/// The transport for `smtp_url`; None when mail is off. Err: one line naming the setting (an
/// unreadable or loose `smtp_password_file`, say): the server does not start with it.
pub fn build(settings: &Settings) -> Result<Option<Transport>, String> {
    let Some(smtp) = &settings.smtp else {
        return Ok(None);
    };
    let password = smtp.read_password(&settings.data_dir)?;
    let tls_failed =
        |e: lettre::transport::smtp::Error| format!("`smtp_url`: cannot set up TLS: {e}");
    let builder = match smtp.security {
        SmtpSecurity::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host).map_err(tls_failed)?
        }
        SmtpSecurity::StartTls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host).map_err(tls_failed)?
        }
        SmtpSecurity::Plain => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
    };
    let mut builder = builder.port(smtp.port).timeout(Some(TIMEOUT));
    if let (Some(user), Some(pw)) = (&smtp.username, password) {
        builder = builder.credentials(Credentials::new(user.clone(), pw));
    }
    Ok(Some(Transport {
        inner: builder.build(),
    }))
}

impl Transport {
    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        self.inner
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| SendError {
                permanent: e.is_permanent(),
                message: describe(&e),
            })
    }

    /// Connect, secure the connection, authenticate, and say goodbye (`doctor --check-smtp`).
    pub async fn check(&self) -> Result<(), Problem> {
        match self.inner.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(Problem::Unreachable(
                "the server did not answer a NOOP".into(),
            )),
            Err(e) if e.is_tls() => Err(Problem::Tls(describe(&e))),
            Err(e) if e.status().is_some_and(|c| c.to_string().starts_with("53")) => {
                Err(Problem::Auth(describe(&e)))
            }
            Err(e) if e.is_permanent() || e.is_transient() => Err(Problem::Refused(describe(&e))),
            Err(e) => Err(Problem::Unreachable(describe(&e))),
        }
    }
}

/// What `check` found wrong.
pub use crate::doctor::smtp::SmtpProblem as Problem;

/// `latchkey doctor --check-smtp`: build the transport and talk to the server once.
pub async fn check(settings: &Settings) -> Result<(), Problem> {
    match build(settings) {
        Ok(Some(t)) => t.check().await,
        Ok(None) => Ok(()),
        Err(why) => Err(Problem::Refused(why)),
    }
}

/// The error and its causes on one line.
fn describe(e: &lettre::transport::smtp::Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out.replace(['\n', '\r'], " ")
}
