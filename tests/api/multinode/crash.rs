//! A node dies (SIGKILL, under load) and the others go on: requests are retried on a live node,
//! as a load balancer does, and every write a node acknowledged is in the database afterwards.
//! Real `latchkey serve` processes, since only a process can be killed.

use crate::support::*;
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The load: each worker creates its users one after another through the admin API.
const WORKERS: usize = 6;
const USERS_PER_WORKER: usize = 10;
/// Node B is killed once this many creations were acknowledged.
const KILL_AFTER: usize = 20;

/// How a creation ended: acknowledged by the node that made it, or found made on a retry after
/// the first answer was lost with a dead node.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Created,
    FoundAfterRetry,
}

/// POST /admin/api/v1/users for `username`, starting on node `first` and moving to the next
/// node whenever one does not answer.
async fn create_user(
    http: &reqwest::Client,
    bases: &[String],
    key: &str,
    username: &str,
    first: usize,
) -> Outcome {
    let mut lost_an_answer = false;
    for attempt in 0..30 {
        let base = &bases[(first + attempt) % bases.len()];
        let sent = http
            .post(format!("{base}/admin/api/v1/users"))
            .bearer_auth(key)
            .json(&json!({ "username": username, "email": format!("{username}@example.com") }))
            .send()
            .await;
        let status = match sent {
            Ok(res) => res.status().as_u16(),
            Err(_) => {
                // A dead node: the write may or may not have been made.
                lost_an_answer = true;
                continue;
            }
        };
        match status {
            201 => return Outcome::Created,
            409 if lost_an_answer => return Outcome::FoundAfterRetry,
            // Busy (password hashing is bounded): wait as the Retry-After asks, briefly.
            429 | 503 => tokio::time::sleep(Duration::from_millis(200)).await,
            other => panic!("creating {username} on {base}: {other}"),
        }
    }
    panic!("{username} was never created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_under_load_loses_no_acknowledged_write_and_the_others_go_on() {
    let dir_a = tempfile::tempdir().expect("data dir");
    let key = run_cli(
        dir_a.path(),
        &["admin-key", "create", "load", "--json"],
        None,
    )
    .json()["key"]
        .as_str()
        .expect("an admin key")
        .to_owned();
    let ports = [free_port(), free_port(), free_port()];
    let issuer = format!("http://127.0.0.1:{}", ports[0]);
    let a = ChildServer::start_as(dir_a.path(), ports[0], &issuer, &[]);
    let (dir_b, dir_c) = (node_dir_beside(dir_a.path()), node_dir_beside(dir_a.path()));
    let b = ChildServer::start_as(dir_b.path(), ports[1], &issuer, &[]);
    let c = ChildServer::start_as(dir_c.path(), ports[2], &issuer, &[]);
    let bases: Arc<Vec<String>> = Arc::new(vec![a.base(), b.base(), c.base()]);

    let acked = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (bases, key, acked) = (bases.clone(), key.clone(), acked.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                let mut done = Vec::new();
                for i in 0..USERS_PER_WORKER {
                    let name = format!("u{w}x{i}");
                    let outcome = create_user(&http, &bases, &key, &name, w + i).await;
                    acked.fetch_add(1, Ordering::SeqCst);
                    done.push((name, outcome));
                }
                done
            })
        })
        .collect();

    // SIGKILL node B in the middle of the load.
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.load(Ordering::SeqCst) < KILL_AFTER {
        // A worker that stopped early failed: its panic is reported below.
        if workers.iter().any(|w| w.is_finished()) {
            break;
        }
        assert!(Instant::now() < deadline, "the load did not get going");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let at_kill = acked.load(Ordering::SeqCst);
    b.kill();

    let mut outcomes = Vec::new();
    for w in workers {
        outcomes.extend(w.await.expect("a load worker"));
    }
    assert_eq!(
        outcomes.len(),
        WORKERS * USERS_PER_WORKER,
        "the load went on"
    );
    assert!(
        at_kill < outcomes.len(),
        "node B died before the load ended ({at_kill} of {})",
        outcomes.len()
    );
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", ports[1])).is_err(),
        "node B is dead"
    );
    for base in [a.base(), c.base()] {
        let res = reqwest::get(format!("{base}/healthz"))
            .await
            .expect("healthz");
        assert_eq!(res.status(), 200, "{base} lives");
    }

    // Every user a node acknowledged (or a retry found made) is in the database, read by a
    // process of its own.
    let listed = run_cli(dir_a.path(), &["user", "list", "--json"], None).json();
    let stored: BTreeSet<String> = listed
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["username"].as_str().expect("username").to_owned())
        .collect();
    let wanted: BTreeSet<String> = outcomes.iter().map(|(n, _)| n.clone()).collect();
    let missing: Vec<_> = wanted.difference(&stored).collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    assert_eq!(stored.len(), wanted.len(), "and nothing else: {stored:?}");
    let created = outcomes
        .iter()
        .filter(|(_, o)| *o == Outcome::Created)
        .count();
    assert!(created > 0, "{outcomes:?}");
    drop((a, c));
}
