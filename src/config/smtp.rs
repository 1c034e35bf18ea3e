//! The outgoing mail settings: `smtp_url`, `smtp_from`, `smtp_username`, `smtp_password_file`.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtps://`: TLS from the first byte (port 465 by default).
    Tls,
    /// `smtp://` to another host: STARTTLS, required (a server that does not offer it is an
    /// error, never a fall-back to plain text). Port 587 by default.
    StartTls,
    /// `smtp://` to a loopback address: the host's own relay, plain SMTP (port 25 by default).
    Plain,
}

/// Where and as whom latchkey sends mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// The `From:` mailbox, e.g. `latchkey <id@example.com>`.
    pub from: String,
    pub username: Option<String>,
    /// The file holding the password (as configured; see [`Smtp::password_path`]).
    pub password_file: Option<PathBuf>,
}

impl Smtp {
    /// The password file, inside `data_dir` when relative.
    pub fn password_path(&self, data_dir: &Path) -> Option<PathBuf> {
        self.password_file.as_ref().map(|p| data_dir.join(p))
    }

    /// The password from `smtp_password_file`: refused (one line, naming the setting) when the
    /// file cannot be read or other users may read it.
    pub fn read_password(&self, data_dir: &Path) -> Result<Option<String>, String> {
        let Some(path) = self.password_path(data_dir) else {
            return Ok(None);
        };
        super::secret_file::read("smtp_password_file", &path).map(Some)
    }
}

/// Whether `host` (as in a URL) is a loopback address or `localhost`.
pub fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `smtp_url` and its companions; None when `smtp_url` is empty. Err: (setting, why).
pub fn parse(
    url: &str,
    from: &str,
    username: &str,
    password_file: &str,
) -> Result<Option<Smtp>, (&'static str, String)> {
    let (url, from, username, password_file) = (
        url.trim(),
        from.trim(),
        username.trim(),
        password_file.trim(),
    );
    if url.is_empty() {
        return Ok(None);
    }
    let bad_url = |why: &str| ("smtp_url", why.to_owned());
    let parsed = url::Url::parse(url).map_err(|_| {
        bad_url("must be smtp://HOST[:PORT] (STARTTLS) or smtps://HOST[:PORT] (TLS)")
    })?;
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad_url("must name a host, like smtps://mail.example.com"))?
        .to_owned();
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad_url(
            "must not hold a user name or password: use smtp_username and smtp_password_file",
        ));
    }
    if !matches!(parsed.path(), "" | "/") || parsed.query().is_some() || parsed.fragment().is_some()
    {
        return Err(bad_url("must be only a scheme, a host and a port"));
    }
    let security = match parsed.scheme() {
        "smtps" => SmtpSecurity::Tls,
        "smtp" if is_loopback(&host) => SmtpSecurity::Plain,
        "smtp" => SmtpSecurity::StartTls,
        _ => {
            return Err(bad_url(
                "must start with smtp:// (STARTTLS) or smtps:// (TLS)",
            ));
        }
    };
    let port = parsed.port().unwrap_or(match security {
        SmtpSecurity::Tls => 465,
        SmtpSecurity::StartTls => 587,
        SmtpSecurity::Plain => 25,
    });
    if from.is_empty() {
        return Err((
            "smtp_from",
            "must be set when smtp_url is, like `latchkey <id@example.com>`".into(),
        ));
    }
    if from.parse::<lettre::message::Mailbox>().is_err() {
        return Err((
            "smtp_from",
            "must be an address, or a name and an address like `latchkey <id@example.com>`".into(),
        ));
    }
    let username = Some(username.to_owned()).filter(|u| !u.is_empty());
    let password_file = Some(PathBuf::from(password_file)).filter(|p| !p.as_os_str().is_empty());
    match (&username, &password_file) {
        (Some(_), None) => {
            return Err((
                "smtp_password_file",
                "must be set when smtp_username is (both or neither)".into(),
            ));
        }
        (None, Some(_)) => {
            return Err((
                "smtp_username",
                "must be set when smtp_password_file is (both or neither)".into(),
            ));
        }
        _ => {}
    }
    if username.is_some() && security == SmtpSecurity::Plain {
        // A password over plain text is fine on loopback, but say nothing clever: allowed.
    }
    Ok(Some(Smtp {
        host,
        port,
        security,
        from: from.to_owned(),
        username,
        password_file,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_to_another_host_requires_starttls_and_to_loopback_is_plain() {
        let s = |u: &str| parse(u, "id@example.com", "", "").unwrap().unwrap();
        let m = s("smtp://mail.example.com");
        assert_eq!((m.security, m.port), (SmtpSecurity::StartTls, 587));
        assert_eq!(s("smtp://192.0.2.7:2525").security, SmtpSecurity::StartTls);
        for u in [
            "smtp://127.0.0.1:2525",
            "smtp://localhost",
            "smtp://[::1]:25",
        ] {
            assert_eq!(s(u).security, SmtpSecurity::Plain, "{u}");
        }
        let m = s("smtps://mail.example.com");
        assert_eq!((m.security, m.port), (SmtpSecurity::Tls, 465));
        assert_eq!(parse("", "", "", ""), Ok(None));
    }

    #[test]
    fn bad_mail_settings_name_themselves() {
        let e = |u: &str, f: &str, n: &str, p: &str| parse(u, f, n, p).unwrap_err().0;
        assert_eq!(e("http://mail.example.com", "a@b.c", "", ""), "smtp_url");
        assert_eq!(
            e("smtp://u:pw@mail.example.com", "a@b.c", "", ""),
            "smtp_url"
        );
        assert_eq!(e("smtp://mail.example.com/x", "a@b.c", "", ""), "smtp_url");
        assert_eq!(e("smtp://mail.example.com", "", "", ""), "smtp_from");
        assert_eq!(
            e("smtp://mail.example.com", "not an address", "", ""),
            "smtp_from"
        );
        assert_eq!(
            e("smtp://mail.example.com", "a@b.c", "u", ""),
            "smtp_password_file"
        );
        assert_eq!(
            e("smtp://mail.example.com", "a@b.c", "", "/pw"),
            "smtp_username"
        );
        assert!(is_loopback("127.8.9.10") && !is_loopback("10.0.0.1"));
    }
}
