//! Log writers that hand lines to a background thread in batches.
//!
//! A logging thread appends its formatted line to a shared buffer under a mutex and wakes the
//! writer thread only when the buffer was empty. The writer thread waits [`GATHER`] for more
//! lines, swaps the buffer out and writes it with one `write` call. A busy server therefore
//! makes at most about 500 wake-ups and writes per second, whatever its request rate. A channel
//! per line, as before, cost a wake-up and a write per line. A quiet server still writes each
//! line within about [`GATHER`].
//!
//! When the writer thread falls behind by [`MAX_PENDING`] bytes, a lossless writer makes the
//! logging threads wait for it, and a lossy one drops lines and counts them, so that a stalled
//! standard output cannot stall the service.

use std::fs::File;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How long the writer thread waits after the first line of a batch for more lines.
const GATHER: Duration = Duration::from_millis(2);

/// Bytes a writer may hold unwritten before logging threads wait or lines are dropped.
const MAX_PENDING: usize = 4 * 1024 * 1024;

/// The policy for a new line while [`MAX_PENDING`] bytes are waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WhenFull {
    /// Wait until the writer thread has taken the pending lines.
    Wait,
    /// Drop the line and count it.
    Drop,
}

/// The state shared by the logging threads and the writer thread.
struct Shared {
    pending: Mutex<Pending>,
    /// The destination file. The writer thread writes its batches there, and after closing,
    /// late lines are written there directly.
    file: Mutex<File>,
    /// Signalled when the buffer gets its first line or the writer closes.
    filled: Condvar,
    /// Signalled when the writer thread has taken the buffer.
    drained: Condvar,
    when_full: WhenFull,
    dropped: AtomicU64,
}

#[derive(Default)]
struct Pending {
    buffer: Vec<u8>,
    closed: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A logging thread that panicked while appending left at worst a partial line.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes a line that arrives after closing straight to the file.
    fn write_directly(&self, bytes: &[u8]) {
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(error) = file.write_all(bytes) {
            eprintln!("rampart: writing a late log line failed: {error}");
        }
    }

    /// Appends one formatted line, or several, to the buffer. Once the writer is closed, the
    /// line is written directly instead, so that a task still running at shutdown loses nothing.
    fn append(&self, bytes: &[u8]) {
        let mut pending = self.lock();
        loop {
            if pending.closed {
                drop(pending);
                self.write_directly(bytes);
                return;
            }
            if pending.buffer.len() < MAX_PENDING {
                break;
            }
            if self.when_full == WhenFull::Drop {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            pending = self
                .drained
                .wait(pending)
                .unwrap_or_else(PoisonError::into_inner);
        }
        let was_empty = pending.buffer.is_empty();
        pending.buffer.extend_from_slice(bytes);
        drop(pending);
        if was_empty {
            self.filled.notify_one();
        }
    }
}

/// The [`MakeWriter`] of one log destination. Clones share the destination.
#[derive(Clone)]
pub(crate) struct BatchWriter {
    shared: Arc<Shared>,
}

/// The writer of one event, as the formatting layer gets it from [`BatchWriter`].
///
/// It keeps what it is given and appends it to the shared buffer when it drops, so that the
/// parts of one line are never split by another thread's line.
pub(crate) struct LineWriter<'a> {
    shared: &'a Shared,
    line: Vec<u8>,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter<'_> {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.shared.append(&self.line);
        }
    }
}

impl<'a> MakeWriter<'a> for BatchWriter {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
            line: Vec::new(),
        }
    }
}

/// Keeps the writer thread running; dropping it writes the lines still pending and stops the
/// thread.
#[must_use = "dropping the guard stops the log writer"]
pub(crate) struct BatchGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for BatchGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.filled.notify_one();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            eprintln!("rampart: a log writer thread panicked; its last lines may be lost");
        }
    }
}

/// Starts a writer thread named `name` that writes every batch to `file`, labelled `label` in
/// its error messages.
///
/// # Errors
/// When the thread cannot be started.
pub(crate) fn spawn(
    name: &str,
    label: &'static str,
    file: File,
    when_full: WhenFull,
) -> io::Result<(BatchWriter, BatchGuard)> {
    let shared = Arc::new(Shared {
        pending: Mutex::new(Pending::default()),
        file: Mutex::new(file),
        filled: Condvar::new(),
        drained: Condvar::new(),
        when_full,
        dropped: AtomicU64::new(0),
    });
    let worker = shared.clone();
    let thread = thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || write_batches(&worker, label))?;
    Ok((
        BatchWriter {
            shared: shared.clone(),
        },
        BatchGuard {
            shared,
            thread: Some(thread),
        },
    ))
}

/// Runs the writer thread: waits for lines, gathers a batch and writes it, until closed.
///
/// Errors cannot go to the log being written, so they go to standard error, once per failing
/// stretch.
fn write_batches(shared: &Shared, label: &str) {
    let mut batch = Vec::new();
    let mut failing = false;
    loop {
        let mut pending = shared.lock();
        while pending.buffer.is_empty() && !pending.closed {
            pending = shared
                .filled
                .wait(pending)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if pending.buffer.is_empty() {
            break;
        }
        if !pending.closed {
            drop(pending);
            thread::sleep(GATHER);
            pending = shared.lock();
        }
        std::mem::swap(&mut pending.buffer, &mut batch);
        drop(pending);
        shared.drained.notify_all();

        let written = shared
            .file
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .write_all(&batch);
        match written {
            Ok(()) if failing => {
                failing = false;
                eprintln!("rampart: writing {label} works again");
            }
            Ok(()) => {}
            Err(error) if !failing => {
                failing = true;
                eprintln!("rampart: writing {label} failed, its lines are lost: {error}");
            }
            Err(_) => {}
        }
        batch.clear();
    }
    let dropped = shared.dropped.load(Ordering::Relaxed);
    if dropped > 0 {
        eprintln!("rampart: {dropped} lines for {label} were dropped while it fell behind");
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::io::Read;

    use super::*;

    fn temp_file() -> (tempfile::TempDir, std::path::PathBuf, File) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.log");
        let file = File::create(&path).unwrap();
        (dir, path, file)
    }

    #[test]
    fn lines_arrive_in_order_by_drop() {
        let (_dir, path, file) = temp_file();
        let (writer, guard) = spawn("test-log", "out.log", file, WhenFull::Wait).unwrap();

        for n in 0..10_000 {
            let mut line = writer.make_writer();
            writeln!(line, "line {n}").unwrap();
        }
        drop(guard);

        let text = fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 10_000);
        assert_eq!(lines[0], "line 0");
        assert_eq!(lines[9_999], "line 9999");
        assert!(
            lines
                .iter()
                .enumerate()
                .all(|(n, l)| *l == format!("line {n}"))
        );
    }

    #[test]
    fn line_after_close_is_written() {
        let (_dir, path, file) = temp_file();
        let (writer, guard) = spawn("test-log", "out.log", file, WhenFull::Wait).unwrap();

        writeln!(writer.make_writer(), "before close").unwrap();
        drop(guard);
        writeln!(writer.make_writer(), "after close").unwrap();

        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text, "before close\nafter close\n");
    }

    #[test]
    fn quiet_writer_writes_without_drop() {
        let (_dir, path, file) = temp_file();
        let (writer, _guard) = spawn("test-log", "out.log", file, WhenFull::Wait).unwrap();

        writeln!(writer.make_writer(), "alone").unwrap();
        thread::sleep(GATHER * 50);

        let mut text = String::new();
        File::open(&path)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "alone\n");
    }

    #[test]
    fn threads_lose_no_line() {
        let (_dir, path, file) = temp_file();
        let (writer, guard) = spawn("test-log", "out.log", file, WhenFull::Wait).unwrap();

        let threads: Vec<_> = (0..4)
            .map(|t| {
                let writer = writer.clone();
                thread::spawn(move || {
                    for n in 0..5_000 {
                        writeln!(writer.make_writer(), "thread {t} line {n}").unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        drop(guard);

        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 20_000);
        for t in 0..4 {
            let own: Vec<&str> = text
                .lines()
                .filter(|l| l.starts_with(&format!("thread {t} ")))
                .collect();
            assert_eq!(own.len(), 5_000, "thread {t}");
            assert_eq!(own[4_999], format!("thread {t} line 4999"));
        }
    }

    #[test]
    fn full_lossy_writer_drops_and_counts() {
        let (_dir, _path, file) = temp_file();
        let shared = Shared {
            pending: Mutex::new(Pending::default()),
            file: Mutex::new(file),
            filled: Condvar::new(),
            drained: Condvar::new(),
            when_full: WhenFull::Drop,
            dropped: AtomicU64::new(0),
        };
        // No writer thread: the buffer only fills.
        let line = vec![b'x'; 1024];
        for _ in 0..(MAX_PENDING / line.len() + 10) {
            shared.append(&line);
        }

        assert_eq!(shared.lock().buffer.len(), MAX_PENDING);
        assert_eq!(shared.dropped.load(Ordering::Relaxed), 10);
    }
}
