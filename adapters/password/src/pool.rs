//! [`HashPool`]: a fixed set of OS threads that run the hashing jobs, at a lower CPU priority.
//!
//! Argon2 is CPU- and memory-bound, so running more hashes at once than there are CPUs only
//! makes each one slower and adds `memory_kib` of memory per extra hash. The pool runs at most
//! one job per thread. Jobs beyond that wait in its channel, where a job is a small closure and
//! not a hash's memory, and each thread keeps its argon2 memory from one job to the next.
//!
//! On Linux each thread sets its nice value to [`HASH_NICE`]. The scheduler then gives request
//! handling most of the CPU while a login flood runs, and an idle machine still hashes at full
//! speed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

/// Nice value of the hashing threads. Linux weighs a thread at nice 0, such as an async worker,
/// about nine times higher than one at nice 10 (scheduler weights 1024 and 110).
pub(crate) const HASH_NICE: i32 = 10;

/// A job for the pool; it sends its own result back.
type Job = Box<dyn FnOnce() + Send + 'static>;

/// Threads that run hashing jobs in the order they arrive.
pub(crate) struct HashPool {
    sender: Sender<Job>,
    threads: usize,
}

/// The pool has no running thread left to take a job.
#[derive(Debug, thiserror::Error)]
#[error("no password hashing thread is running")]
pub(crate) struct PoolStopped;

impl HashPool {
    /// Starts `threads` threads named `argon2-N`.
    ///
    /// # Errors
    /// When the operating system cannot start a thread.
    pub(crate) fn start(threads: usize) -> std::io::Result<Self> {
        let (sender, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || work(&receiver))?;
        }
        Ok(Self {
            sender,
            threads: threads.max(1),
        })
    }

    /// Returns the number of threads, the most jobs that run at once.
    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    /// Queues `job`; it runs when a thread is free.
    ///
    /// # Errors
    /// [`PoolStopped`] when every thread has exited, which only a failed thread start can
    /// cause, since jobs that panic are caught.
    pub(crate) fn submit(&self, job: impl FnOnce() + Send + 'static) -> Result<(), PoolStopped> {
        self.sender.send(Box::new(job)).map_err(|_| PoolStopped)
    }
}

/// Runs jobs until the pool is dropped.
fn work(receiver: &Mutex<Receiver<Job>>) {
    lower_priority();
    loop {
        // The lock is held only while waiting for the next job, never while running it.
        let job = receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        let Ok(job) = job else {
            return;
        };
        // A panicking job drops its result sender, which its caller reports as an error; the
        // thread lives on for the next job.
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}

/// Sets this thread's nice value to [`HASH_NICE`]. Linux applies nice values per thread.
#[cfg(target_os = "linux")]
fn lower_priority() {
    let thread = rustix::thread::gettid();
    if let Err(error) = rustix::process::setpriority_process(Some(thread), HASH_NICE) {
        tracing::warn!(error = %error, "cannot lower the priority of a password hashing thread");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::sync_channel;
    use std::time::Duration;

    use super::*;

    #[test]
    fn jobs_run_and_return() {
        let pool = HashPool::start(2).unwrap();
        let (sender, receiver) = sync_channel(4);
        for value in 0..4 {
            let sender = sender.clone();
            pool.submit(move || sender.send(value * 10).unwrap())
                .unwrap();
        }

        let mut results: Vec<i32> = (0..4)
            .map(|_| receiver.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        results.sort_unstable();

        assert_eq!(results, vec![0, 10, 20, 30]);
    }

    #[test]
    fn panicking_job_keeps_thread() {
        let pool = HashPool::start(1).unwrap();
        pool.submit(|| panic!("job failed")).unwrap();
        let (sender, receiver) = sync_channel(1);

        pool.submit(move || sender.send(7).unwrap()).unwrap();

        assert_eq!(receiver.recv_timeout(Duration::from_secs(5)).unwrap(), 7);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn threads_run_at_lower_priority() {
        let pool = HashPool::start(1).unwrap();
        let (sender, receiver) = sync_channel(1);

        pool.submit(move || {
            let nice = rustix::process::getpriority_process(Some(rustix::thread::gettid()));
            sender.send(nice.unwrap()).unwrap();
        })
        .unwrap();

        let nice = receiver.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(nice >= HASH_NICE, "nice value {nice}");
    }

    #[test]
    fn zero_threads_start_one() {
        let pool = HashPool::start(0).unwrap();

        assert_eq!(pool.threads(), 1);
    }
}
