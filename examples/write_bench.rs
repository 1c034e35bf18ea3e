//! Write throughput of each `durability` mode: N threads each doing small write transactions
//! (one audit row, like a session or a code) against a fresh database.
//!
//! ```sh
//! cargo run --release --example write_bench -- [THREADS] [WRITES_PER_THREAD] [DIR]
//! ```
//! DIR (default: the system temp dir) should be on the disk latchkey's data dir lives on: the
//! numbers are about that disk's fsync.

use latchkey::store::{Durability, Store, StoreError};
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let threads: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
    let per_thread: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let base = args.next().map(std::path::PathBuf::from);

    println!("{threads} threads x {per_thread} writes");
    println!(
        "{:<8} {:>10} {:>9} {:>8} {:>9} {:>15}",
        "mode", "writes/s", "commits", "fsyncs", "per fsync", "avg latency ms"
    );
    for mode in [Durability::Each, Durability::Group, Durability::Relaxed] {
        let dir = match &base {
            Some(b) => tempfile::tempdir_in(b),
            None => tempfile::tempdir(),
        }
        .expect("temp dir");
        let store =
            Arc::new(Store::open_with(&dir.path().join("latchkey.db"), mode).expect("open store"));
        let start = Instant::now();
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    let mut waited = 0.0;
                    for i in 0..per_thread {
                        let begun = Instant::now();
                        store
                            .sql_write(|c| {
                                c.execute(
                                    "INSERT INTO audit_events (at, kind, detail) VALUES (1, 'bench', ?1)",
                                    [format!("{t}/{i}")],
                                )?;
                                Ok::<_, StoreError>(())
                            })
                            .expect("write");
                        waited += begun.elapsed().as_secs_f64();
                    }
                    waited
                })
            })
            .collect();
        let waited: f64 = workers.into_iter().map(|w| w.join().unwrap()).sum();
        let secs = start.elapsed().as_secs_f64();
        let s = store.sync_stats();
        let per_sync = if s.wal_syncs == 0 {
            "-".to_owned()
        } else {
            format!("{:.1}", s.commits as f64 / s.wal_syncs as f64)
        };
        println!(
            "{:<8} {:>10.0} {:>9} {:>8} {:>9} {:>15.2}",
            mode.as_str(),
            s.commits as f64 / secs,
            s.commits,
            s.wal_syncs,
            per_sync,
            waited * 1000.0 / s.commits as f64
        );
    }
}
