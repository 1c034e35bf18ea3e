//! The machine's own limits for the benchmark in `bench/`: how many JWS signatures and
//! verifications per second latchkey's crypto code (josekit over OpenSSL) can do for each
//! algorithm, how many argon2id password checks per second with latchkey's parameters, and how
//! many fsyncs per second the data dir's file system gives. Every figure uses `--threads`
//! threads (the benchmark passes the number of cores) for `--seconds` seconds each, and the
//! result is one JSON object on stdout.
//!
//! ```sh
//! cargo run --release --example bench_limits -- --threads 2 --seconds 2 --dir /tmp
//! ```
//!
//! The signatures go through `latchkey::crypto::jwt::sign` with claims shaped like a real
//! access token, so JSON and base64 work is included: this is what one token costs at least.

use latchkey::crypto::jwt;
use latchkey::crypto::keys::{Alg, KeyRing, generate};
use latchkey::crypto::password;
use serde_json::{Map, Value, json};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Opts {
    threads: usize,
    seconds: f64,
    dir: std::path::PathBuf,
}

fn opts() -> Opts {
    let mut o = Opts {
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        seconds: 2.0,
        dir: std::env::temp_dir(),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--threads" => o.threads = v.parse().expect("--threads N"),
            "--seconds" => o.seconds = v.parse().expect("--seconds S"),
            "--dir" => o.dir = v.into(),
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    o
}

/// CPU time (user + system) this process has used so far, in µs.
fn cpu_us() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 * 1e6 + v.tv_usec as f64;
    t(u.ru_utime) + t(u.ru_stime)
}

/// Run `work` on `threads` threads for `secs` seconds: operations per second over all threads,
/// and the CPU µs one operation took (on a shared machine the rate drops, the CPU cost does not).
fn rate(threads: usize, secs: f64, work: impl Fn() + Send + Sync + 'static) -> (f64, f64) {
    let work = Arc::new(work);
    let cpu0 = cpu_us();
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(secs);
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let w = work.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    w();
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let per_op = (cpu_us() - cpu0) / total.max(1) as f64;
    (total as f64 / start.elapsed().as_secs_f64(), per_op)
}

fn access_claims() -> Map<String, Value> {
    let now = 1_700_000_000i64;
    let v = json!({
        "iss": "http://127.0.0.1:18080",
        "sub": "bench-client-es256",
        "aud": "http://127.0.0.1:18080/userinfo",
        "client_id": "bench-client-es256",
        "scope": "",
        "jti": latchkey::crypto::random::token(),
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn main() {
    let o = opts();
    let mut out = Map::new();
    out.insert("threads".into(), o.threads.into());
    out.insert("seconds".into(), o.seconds.into());

    let mats: Vec<_> = Alg::ALL
        .iter()
        .map(|a| generate(*a, 1).expect("generate key"))
        .collect();
    let ring = Arc::new(KeyRing::load(&mats).expect("load keys"));
    for alg in Alg::ALL {
        let r = ring.clone();
        let (signs, sign_us) = rate(o.threads, o.seconds, move || {
            jwt::sign(&r, alg, "at+jwt", access_claims()).expect("sign");
        });
        let token = jwt::sign(&ring, alg, "at+jwt", access_claims()).expect("sign");
        let r = ring.clone();
        let (verifies, verify_us) = rate(o.threads, o.seconds, move || {
            jwt::verify(&r, &token, &["at+jwt"]).expect("verify");
        });
        out.insert(format!("sign_{}", alg.as_str()), signs.round().into());
        out.insert(format!("verify_{}", alg.as_str()), verifies.round().into());
        // CPU µs per signature / verification: what the benchmark charges each operation.
        out.insert(
            format!("sign_us_{}", alg.as_str()),
            ((sign_us * 10.0).round() / 10.0).into(),
        );
        out.insert(
            format!("verify_us_{}", alg.as_str()),
            ((verify_us * 10.0).round() / 10.0).into(),
        );
    }

    // A login checks one argon2id hash made with latchkey's parameters.
    let hash = Arc::new(password::hash("bench-password-123").expect("hash"));
    let h = hash.clone();
    let (argon, _) = rate(o.threads, o.seconds.max(3.0), move || {
        assert_eq!(
            password::verify("bench-password-123", &h),
            password::Verdict::Valid
        );
    });
    out.insert(
        "argon2id_verify".into(),
        ((argon * 10.0).round() / 10.0).into(),
    );
    out.insert(
        "argon2id_params".into(),
        format!(
            "m={},t={},p={}",
            password::MEMORY_KIB,
            password::ITERATIONS,
            password::PARALLELISM
        )
        .into(),
    );

    // One thread appending 4 KiB and calling fdatasync: a WAL commit with synchronous=FULL
    // costs (at least) one of these.
    let path = o
        .dir
        .join(format!("bench-fsync-{}.tmp", std::process::id()));
    let mut f = std::fs::File::create(&path).expect("create fsync probe file");
    let block = vec![0u8; 4096];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < o.seconds {
        f.write_all(&block).expect("write");
        f.sync_data().expect("fdatasync");
        n += 1;
    }
    let fsyncs = n as f64 / start.elapsed().as_secs_f64();
    drop(f);
    let _ = std::fs::remove_file(&path);
    out.insert("fsync_per_s".into(), fsyncs.round().into());

    println!("{}", Value::Object(out));
}
