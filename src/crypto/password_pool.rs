//! Password hashing and checking (argon2id: ~19 MiB and tens of milliseconds of CPU each) runs
//! on a small pool of its own, one thread per core, at a lower CPU priority:
//! - a storm of sign-ins queues here instead of crowding the CPUs, so token, userinfo and page
//!   requests keep their latency (the scheduler serves them first);
//! - argon2 still gets every idle cycle, so sign-ins run at the machine's argon2 speed;
//! - each thread reuses one argon2 work area while sign-ins wait in the queue and gives it back
//!   when the queue is empty: a storm costs one buffer per thread, and none stays after it.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// The pool. Dropping it lets its threads finish their queue and exit.
pub struct PasswordPool {
    jobs: mpsc::Sender<Job>,
    /// Jobs sent and not yet taken by a thread.
    waiting: Arc<AtomicUsize>,
    /// More waiting jobs than this are refused (`password_queue_limit`).
    queue_limit: usize,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PoolError {
    /// The job did not finish (it panicked); the request fails instead.
    #[error("the password work did not finish")]
    Unfinished,
    /// Too many checks are waiting already: a flood must not make every sign-in wait minutes.
    #[error("too many password checks are waiting")]
    QueueFull,
}

/// How much lower than the rest of latchkey these threads run (a nice value; higher is lower).
const NICENESS: i32 = 10;

impl PasswordPool {
    pub fn new(threads: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let waiting = Arc::new(AtomicUsize::new(0));
        for i in 0..threads.max(1) {
            let (queue, waiting) = (queue.clone(), waiting.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("latchkey-argon2-{i}"))
                .spawn(move || {
                    lower_priority();
                    loop {
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(poisoned) => poisoned.into_inner().recv(),
                        };
                        let Ok(job) = job else { break };
                        waiting.fetch_sub(1, Ordering::SeqCst);
                        // A panicking job drops its answer channel; the thread carries on.
                        let _ = std::panic::catch_unwind(AssertUnwindSafe(job));
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Self {
            jobs,
            waiting,
            queue_limit: usize::MAX,
        }
    }

    /// One thread per core, refusing work beyond `queue_limit` waiting jobs.
    pub fn per_core(queue_limit: usize) -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
            .with_queue_limit(queue_limit)
    }

    pub fn with_queue_limit(mut self, queue_limit: usize) -> Self {
        self.queue_limit = queue_limit;
        self
    }

    /// Run `f` (which hashes or verifies a password) on the pool; waits without blocking the
    /// async executor. Refused at once when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let limit = self.queue_limit;
        if self
            .waiting
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < limit).then_some(n + 1)
            })
            .is_err()
        {
            return Err(PoolError::QueueFull);
        }
        let waiting = self.waiting.clone();
        self.jobs
            .send(Box::new(move || {
                let answer = f();
                // Nothing queued behind this job: give the work area back before answering.
                if waiting.load(Ordering::SeqCst) == 0 {
                    crate::crypto::password::release_memory();
                }
                let _ = tx.send(answer);
            }))
            .map_err(|_| {
                self.waiting.fetch_sub(1, Ordering::SeqCst);
                PoolError::Unfinished
            })?;
        rx.await.map_err(|_| PoolError::Unfinished)
    }
}

/// Lower this thread's scheduling priority (Linux: nice applies per thread).
/// Map buffers of 4 MiB and more (the argon2 work area) on their own and unmap them when freed.
/// glibc's default raises that threshold after the first such free and from then on keeps
/// them in its per-thread arenas, where a login storm left hundreds of MiB that were never
/// given back (bench/README.md, "Memory after a login storm").
pub fn map_large_buffers_directly() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes a tuning value of glibc's allocator; it is called once,
        // at start-up, before the server's threads allocate.
        let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20) };
        if ok != 1 {
            tracing::debug!("could not set the allocator's mmap threshold");
        }
    }
}

fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: setpriority only reads its integer arguments; `who = 0` is the calling thread.
        let rc = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, NICENESS) };
        if rc != 0 {
            tracing::debug!("could not lower the priority of a password hashing thread");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn no_more_jobs_run_at_once_than_there_are_threads_and_all_finish() {
        let pool = Arc::new(PasswordPool::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let jobs = (0..8).map(|i| {
            let (pool, running, peak) = (pool.clone(), running.clone(), peak.clone());
            async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                    i
                })
                .await
            }
        });
        let done = futures_util::future::join_all(jobs).await;
        let got: Vec<usize> = done.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(
            got,
            (0..8).collect::<Vec<_>>(),
            "every job ran and answered"
        );
        assert_eq!(peak.load(Ordering::SeqCst), 2, "at most two at once");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_beyond_the_queue_limit_are_refused_at_once() {
        let pool = Arc::new(PasswordPool::new(1).with_queue_limit(1));
        let (started, is_started) = std::sync::mpsc::channel::<()>();
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let p = pool.clone();
        let first = tokio::spawn(async move {
            p.run(move || {
                let _ = started.send(());
                let _ = wait.recv();
                1
            })
            .await
        });
        // The only thread is busy with the first job; the second waits in the one place.
        tokio::task::spawn_blocking(move || is_started.recv())
            .await
            .unwrap()
            .unwrap();
        let p = pool.clone();
        let second = tokio::spawn(async move { p.run(|| 2).await });
        while pool.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(pool.run(|| 3).await, Err(PoolError::QueueFull));
        go.send(()).unwrap();
        assert_eq!(first.await.unwrap(), Ok(1));
        assert_eq!(second.await.unwrap(), Ok(2));
        assert_eq!(pool.run(|| 4).await, Ok(4), "places free up again");
    }

    #[tokio::test]
    async fn a_panicking_job_fails_its_request_and_the_pool_keeps_working() {
        let pool = PasswordPool::new(1);
        let r: Result<(), PoolError> = pool.run(|| panic!("boom")).await;
        assert!(r.is_err());
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn the_argon2_work_area_is_reused_while_jobs_wait_and_given_back_when_none_do() {
        use crate::crypto::password;
        let pool = PasswordPool::new(1);
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let first = pool.run(move || {
            let _ = wait.recv();
            password::hash("pw123456").is_ok()
        });
        let second = pool.run(password::held_memory_kib);
        let (first, second, _) = tokio::join!(first, second, async move { go.send(()) });
        assert!(first.unwrap());
        assert_eq!(
            second.unwrap(),
            password::MEMORY_KIB as usize,
            "a waiting job finds the work area of the one before"
        );
        let after = pool.run(password::held_memory_kib).await.unwrap();
        assert_eq!(after, 0, "the queue drained: the work area was given back");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn pool_threads_run_at_a_lower_priority() {
        let pool = PasswordPool::new(1);
        let nice = pool
            .run(|| {
                let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
                // Field 19 (nice) comes after the command name in parentheses.
                let rest = &stat[stat.rfind(')').unwrap() + 2..];
                rest.split(' ').nth(16).unwrap().parse::<i32>().unwrap()
            })
            .await
            .unwrap();
        assert_eq!(nice, NICENESS);
    }
}
