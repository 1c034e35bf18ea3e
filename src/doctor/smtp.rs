//! The mail settings: `smtp-password-file` (a file the server cannot use stops its start) and,
//! with `latchkey doctor --check-smtp` only (it connects), `smtp-unreachable`, `smtp-tls`,
//! `smtp-auth`, `smtp-refused` or `smtp-ok`.

use super::Report;
use super::text::sh;
use crate::config::{Settings, SmtpSecurity};

/// What a connection check found wrong (see `mailer::transport::Transport::check`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpProblem {
    Unreachable(String),
    Tls(String),
    Auth(String),
    Refused(String),
}

pub(super) fn check_smtp_settings(s: &Settings, r: &mut Report) {
    let Some(smtp) = &s.smtp else {
        return;
    };
    if let Err(why) = smtp.read_password(&s.data_dir) {
        let fix = match smtp.password_path(&s.data_dir) {
            Some(p) => format!(
                "put the password alone in {p} and chmod 600 {p} (or 640 with latchkey's group)",
                p = sh(&p)
            ),
            None => "set smtp_password_file".into(),
        };
        r.critical(
            "smtp-password-file",
            format!("{why}: latchkey does not start"),
            fix,
        );
    }
}

/// The finding of a connection check of the mail server (`--check-smtp`).
pub fn add_connection_finding(s: &Settings, outcome: Result<(), SmtpProblem>, r: &mut Report) {
    let Some(smtp) = &s.smtp else {
        r.info(
            "smtp-off",
            "smtp_url is not set: no mail is sent; invite and reset links are only printed, and the login page offers no \"Forgot password?\"",
            "set smtp_url and smtp_from (see Inviting people and email in the README)",
        );
        return;
    };
    let server = format!("{}:{}", smtp.host, smtp.port);
    let how = match smtp.security {
        SmtpSecurity::Tls => "TLS",
        SmtpSecurity::StartTls => "STARTTLS",
        SmtpSecurity::Plain => "plain SMTP (loopback)",
    };
    match outcome {
        Ok(()) => r.info(
            "smtp-ok",
            format!(
                "the mail server {server} answered over {how}{}",
                if smtp.username.is_some() {
                    " and accepted the credentials"
                } else {
                    ""
                }
            ),
            "nothing to do",
        ),
        Err(SmtpProblem::Unreachable(why)) => r.critical(
            "smtp-unreachable",
            format!("cannot talk to the mail server {server}: {why}"),
            "check smtp_url (host and port) and that this machine may reach it (firewall)",
        ),
        Err(SmtpProblem::Tls(why)) => r.critical(
            "smtp-tls",
            format!("TLS with the mail server {server} ({how}) failed: {why}"),
            "use smtps:// for port 465 and smtp:// (STARTTLS) for 587; the server's certificate must be valid for the host in smtp_url and trusted by the system",
        ),
        Err(SmtpProblem::Auth(why)) => r.critical(
            "smtp-auth",
            format!("the mail server {server} refused the credentials: {why}"),
            "check smtp_username and the password in smtp_password_file",
        ),
        Err(SmtpProblem::Refused(why)) => r.critical(
            "smtp-refused",
            format!("the mail server {server} refused the conversation: {why}"),
            "check the server's logs; it may need authentication (smtp_username) or refuse this machine",
        ),
    }
}
