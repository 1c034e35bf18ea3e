//! A client's back-channel logout URI: a tiny HTTP endpoint that records the form bodies
//! POSTed to it.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// A receiver that answers 200 at once; returns its URL and the bodies it gets.
pub async fn backchannel_receiver() -> (String, mpsc::UnboundedReceiver<String>) {
    backchannel_receiver_answering_after(Duration::ZERO).await
}

/// A receiver that records each body as soon as it has read it and answers 200 only after
/// `delay`: a slow app, whose notices stay in flight that long.
pub async fn backchannel_receiver_answering_after(
    delay: Duration,
) -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind receiver");
    let url = format!(
        "http://{}/backchannel_logout",
        listener.local_addr().expect("addr")
    );
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                if let Some(body) = read_body(&mut sock).await {
                    let _ = tx.send(body);
                }
                tokio::time::sleep(delay).await;
                let _ = sock
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (url, rx)
}

/// Read the headers, then Content-Length bytes of body.
async fn read_body(sock: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = sock.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Some(String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned());
            }
        }
    }
}

/// The next logout token the receiver gets (within 10 s); checks it is the only parameter.
pub async fn next_logout_token(rx: &mut mpsc::UnboundedReceiver<String>) -> String {
    let body = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a back-channel logout arrives within 10 s")
        .expect("receiver open");
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&body).expect("form body");
    assert_eq!(pairs.len(), 1, "only logout_token is sent: {body}");
    assert_eq!(pairs[0].0, "logout_token");
    pairs[0].1.clone()
}
