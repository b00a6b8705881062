//! [`HashPool`]: a fixed set of OS threads that run the hashing jobs, at the lowest CPU priority.
//!
//! Argon2 is CPU- and memory-bound, so running more hashes at once than there are CPUs only
//! makes each one slower and adds `memory_kib` of memory per extra hash. The pool runs at most
//! one job per thread. Jobs beyond that wait in its channel, where a job is a small closure and
//! not a hash's memory, and each thread keeps its argon2 memory from one job to the next.
//!
//! On Linux each hashing thread moves itself to the `SCHED_IDLE` scheduling policy, so it runs
//! on CPU time that no other thread wants, and a request handler that wakes up takes the CPU
//! from it. An idle machine still hashes at full speed. Under a load that keeps every CPU busy,
//! logins wait in the queue, which answers `HashError::Busy` once full.
//!
//! A CPU that always has a hashing job to run never goes idle, so the scheduler's idle
//! balancing, which pulls waiting tasks onto a CPU that has just gone idle, never runs there.
//! Under a login flood on two CPUs, `perf sched` showed one CPU running a hashing thread for
//! 389 of 450 ms while request handlers and PostgreSQL backends shared the other, one backend
//! waiting 670 ms to run. Each hashing thread therefore sleeps for [`PAUSE_BETWEEN_JOBS`] after
//! each job, which leaves its CPU idle between hashes.
//!
//! A hashing thread must not take a lock that request handling needs, since the scheduler may
//! leave it off the CPU for a long time while it holds the lock. Waking a tokio task from outside
//! the runtime takes the lock of the runtime's shared queue, so a hashing thread only computes:
//! it hands each result to a relay thread at normal priority, which delivers it.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

/// The pause of a hashing thread after each job, a few percent of one hash at the default cost.
const PAUSE_BETWEEN_JOBS: Duration = Duration::from_millis(1);

/// A delivery for the relay thread.
type Task = Box<dyn FnOnce() + Send + 'static>;

/// A job for a hashing thread; it sends its delivery to the relay through the given sender.
type Job = Box<dyn FnOnce(&Sender<Task>) + Send + 'static>;

/// Threads that run hashing jobs in the order they arrive, and the relay that delivers results.
pub(crate) struct HashPool {
    jobs: Sender<Job>,
    threads: usize,
}

/// The pool has no running thread left to take a job.
#[derive(Debug, thiserror::Error)]
#[error("no password hashing thread is running")]
pub(crate) struct PoolStopped;

impl HashPool {
    /// Starts `threads` hashing threads named `argon2-N` and the relay thread `argon2-relay`.
    ///
    /// # Errors
    /// When the operating system cannot start a thread.
    pub(crate) fn start(threads: usize) -> std::io::Result<Self> {
        let (deliveries, relay_receiver) = channel::<Task>();
        thread::Builder::new()
            .name("argon2-relay".to_owned())
            .spawn(move || run_tasks(&relay_receiver))?;

        let (jobs, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            let deliveries = deliveries.clone();
            thread::Builder::new()
                .name(format!("argon2-{index}"))
                .spawn(move || hash(&receiver, &deliveries))?;
        }
        Ok(Self {
            jobs,
            threads: threads.max(1),
        })
    }

    /// Returns the number of hashing threads, the most jobs that run at once.
    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    /// Queues `compute` for a hashing thread, and `deliver` for the relay thread, which calls
    /// it with the result of `compute`.
    ///
    /// # Errors
    /// [`PoolStopped`] when every hashing thread has exited, which only a failed thread start
    /// can cause, since jobs that panic are caught.
    pub(crate) fn submit<T: Send + 'static>(
        &self,
        compute: impl FnOnce() -> T + Send + 'static,
        deliver: impl FnOnce(T) + Send + 'static,
    ) -> Result<(), PoolStopped> {
        let job = move |deliveries: &Sender<Task>| {
            let result = compute();
            // The relay has exited only if the pool is gone, and then no one waits for this.
            let _ = deliveries.send(Box::new(move || deliver(result)));
        };
        self.jobs.send(Box::new(job)).map_err(|_| PoolStopped)
    }
}

/// Runs hashing jobs until the pool is dropped.
fn hash(receiver: &Mutex<Receiver<Job>>, deliveries: &Sender<Task>) {
    lower_priority();
    loop {
        // The lock is held only while waiting for the next job, never while running it, and
        // only hashing threads take it.
        let job = receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .recv();
        let Ok(job) = job else {
            return;
        };
        // A panicking job never delivers, so its caller sees its result sender dropped; the
        // thread lives on for the next job.
        let _ = catch_unwind(AssertUnwindSafe(|| job(deliveries)));
        thread::sleep(PAUSE_BETWEEN_JOBS);
    }
}

/// Runs tasks until every sender is gone.
fn run_tasks(receiver: &Receiver<Task>) {
    while let Ok(task) = receiver.recv() {
        let _ = catch_unwind(AssertUnwindSafe(task));
    }
}

/// Moves this thread to `SCHED_IDLE`, which needs no privilege since it lowers the priority.
#[cfg(target_os = "linux")]
fn lower_priority() {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };

    let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    if let Err(error) =
        set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle)
    {
        tracing::warn!(
            error = ?error,
            "cannot move a password hashing thread to SCHED_IDLE; it keeps the normal priority"
        );
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
    fn jobs_run_and_deliver() {
        let pool = HashPool::start(2).unwrap();
        let (sender, receiver) = sync_channel(4);
        for value in 0..4 {
            let sender = sender.clone();
            pool.submit(
                move || value * 10,
                move |result| sender.send(result).unwrap(),
            )
            .unwrap();
        }

        let mut results: Vec<i32> = (0..4)
            .map(|_| receiver.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        results.sort_unstable();

        assert_eq!(results, vec![0, 10, 20, 30]);
    }

    #[test]
    fn results_are_delivered_by_relay() {
        let pool = HashPool::start(1).unwrap();
        let (sender, receiver) = sync_channel(1);

        pool.submit(
            || thread::current().name().map(str::to_owned),
            move |computed_on| {
                let delivered_on = thread::current().name().map(str::to_owned);
                sender.send((computed_on, delivered_on)).unwrap();
            },
        )
        .unwrap();

        let (computed_on, delivered_on) = receiver.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(computed_on.as_deref(), Some("argon2-0"));
        assert_eq!(delivered_on.as_deref(), Some("argon2-relay"));
    }

    #[test]
    fn panicking_job_keeps_thread() {
        let pool = HashPool::start(1).unwrap();
        pool.submit(|| panic!("job failed"), |()| {}).unwrap();
        let (sender, receiver) = sync_channel(1);

        pool.submit(|| 7, move |result| sender.send(result).unwrap())
            .unwrap();

        assert_eq!(receiver.recv_timeout(Duration::from_secs(5)).unwrap(), 7);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn threads_run_as_sched_idle() {
        use thread_priority::{NormalThreadSchedulePolicy, ThreadSchedulePolicy};

        let pool = HashPool::start(1).unwrap();
        let (sender, receiver) = sync_channel(1);

        pool.submit(
            || thread_priority::thread_schedule_policy().unwrap(),
            move |policy| sender.send(policy).unwrap(),
        )
        .unwrap();

        let policy = receiver.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(
            policy,
            ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle)
        );
    }

    #[test]
    fn zero_threads_start_one() {
        let pool = HashPool::start(0).unwrap();

        assert_eq!(pool.threads(), 1);
    }
}
