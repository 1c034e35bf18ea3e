//! A local SMTP sink for the mail tests: a tokio TCP server on 127.0.0.1 speaking enough SMTP
//! (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) to take latchkey's mail, keeping every
//! message. It can be told to drop connections at once (a mail server that is down) or to
//! answer 451 to MAIL (one that is busy), to test retries.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// How the sink treats the next connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkMode {
    Accept,
    /// Close every connection before the greeting (as a server that is down).
    Down,
    /// Answer `451` to `MAIL FROM` (a temporary failure).
    TempFail,
}

/// One message the sink took.
#[derive(Debug, Clone)]
pub struct SunkMail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body), dot-unstuffed.
    pub data: String,
}

impl SunkMail {
    /// A header's value (the first one), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next()?;
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }

    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    /// The whole message with quoted-printable undone (soft breaks joined, `=XX` decoded).
    pub fn text(&self) -> String {
        let joined = self.data.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'='
                && i + 2 < bytes.len()
                && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// The first link in the text whose path starts with `prefix` (e.g. `/invite/`): the
    /// absolute URL up to the end of its 43-character token.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let text = self.text();
        let at = text.find(prefix)?;
        let start = text[..at].rfind("http")?;
        let token: String = text[at + prefix.len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        (token.len() == 43).then(|| format!("{}{prefix}{token}", &text[start..at]))
    }
}

#[derive(Debug)]
struct Shared {
    mode: SinkMode,
    mails: Vec<SunkMail>,
    /// Connections seen (including dropped ones).
    connections: usize,
}

/// A running sink; it stops when dropped.
pub struct SmtpSink {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start a sink on a free 127.0.0.1 port, accepting mail.
pub async fn smtp_sink() -> SmtpSink {
    smtp_sink_in(SinkMode::Accept).await
}

pub async fn smtp_sink_in(mode: SinkMode) -> SmtpSink {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the sink");
    let port = listener.local_addr().expect("sink address").port();
    let shared = Arc::new(Mutex::new(Shared {
        mode,
        mails: Vec::new(),
        connections: 0,
    }));
    let s = shared.clone();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let s = s.clone();
            tokio::spawn(async move {
                let _ = converse(stream, s).await;
            });
        }
    });
    SmtpSink { port, shared, task }
}

impl SmtpSink {
    /// `smtp://127.0.0.1:PORT` (plain SMTP: a loopback relay).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn set_mode(&self, mode: SinkMode) {
        self.shared.lock().unwrap().mode = mode;
    }

    pub fn mails(&self) -> Vec<SunkMail> {
        self.shared.lock().unwrap().mails.clone()
    }

    pub fn connections(&self) -> usize {
        self.shared.lock().unwrap().connections
    }

    /// The mails to `to`.
    pub fn mails_to(&self, to: &str) -> Vec<SunkMail> {
        self.mails()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
            .collect()
    }

    /// Wait until at least `n` mails came (or `within` passed); returns them all.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<SunkMail> {
        let deadline = Instant::now() + within;
        loop {
            let mails = self.mails();
            if mails.len() >= n || Instant::now() > deadline {
                return mails;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn converse(
    stream: tokio::net::TcpStream,
    shared: Arc<Mutex<Shared>>,
) -> std::io::Result<()> {
    let mode = {
        let mut s = shared.lock().unwrap();
        s.connections += 1;
        s.mode
    };
    if mode == SinkMode::Down {
        return Ok(());
    }
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
            b"250 ok\r\n"
        } else if upper.starts_with("RSET") {
            from.clear();
            to.clear();
            b"250 ok\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            if shared.lock().unwrap().mode == SinkMode::TempFail {
                b"451 4.3.0 try again later\r\n"
            } else {
                from = addr(&cmd[10..]);
                b"250 ok\r\n"
            }
        } else if upper.starts_with("RCPT TO:") {
            to.push(addr(&cmd[8..]));
            b"250 ok\r\n"
        } else if upper == "DATA" {
            write.write_all(b"354 go ahead\r\n").await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let l = line.strip_prefix('.').unwrap_or(&line);
                data.push_str(l);
            }
            shared.lock().unwrap().mails.push(SunkMail {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data,
            });
            b"250 ok: queued\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

/// `<a@b>` (with optional parameters after it) as `a@b`.
fn addr(arg: &str) -> String {
    let arg = arg.trim();
    let inner = arg
        .strip_prefix('<')
        .and_then(|a| a.split('>').next())
        .unwrap_or(arg);
    inner.to_owned()
}
