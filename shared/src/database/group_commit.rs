//! Group commit for SQLite: concurrent callers' transactions share one fsync, as PostgreSQL's
//! and InnoDB's commit queues do, and each caller still hears OK only once its data is on disk.
//!
//! The writer connection runs with `synchronous = NORMAL`, under which a WAL commit is written
//! to the log (so it survives the process being killed) but not fsynced (so a power cut could
//! lose it). [`GroupCommit::durable`] closes that gap: after committing, a caller takes a ticket
//! and waits until an fsync of the log that began after its commit has finished. One caller at a
//! time does the fsync (the leader); those who committed meanwhile queue behind it, and the next
//! leader's fsync covers all of them at once. Under load, eight callers pay for one fsync.
//!
//! Written by hand because no crate does this for SQLite: it needs the log's path and the
//! commit order, which only the pool that owns the writer knows.
use std::{
    io,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering::SeqCst},
    },
};

use tokio::sync::Mutex;

#[derive(Debug)]
pub struct GroupCommit {
    /// The database file; its log is beside it as `<file>-wal`.
    database: PathBuf,
    /// Tickets handed out: one per commit that asked to be made durable.
    committed: AtomicU64,
    /// Every ticket up to this one is on disk.
    synced: AtomicU64,
    /// Held by the caller doing an fsync; the others queue here (tokio's mutex is fair).
    leader: Mutex<()>,
    /// Set when an fsync failed: after that, the kernel may report later ones as succeeding
    /// without the data being on disk, so nothing is acknowledged as durable any more.
    failed: AtomicBool,
    /// fsyncs done, against `committed`: how many commits each shared.
    fsyncs: AtomicU64,
}

impl GroupCommit {
    pub fn new(database: &Path) -> Arc<Self> {
        Arc::new(Self {
            database: database.to_path_buf(),
            committed: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            leader: Mutex::new(()),
            failed: AtomicBool::new(false),
            fsyncs: AtomicU64::new(0),
        })
    }

    /// Returns once everything committed before the call is on disk.
    pub async fn durable(&self) -> io::Result<()> {
        let ticket = self.committed.fetch_add(1, SeqCst) + 1;
        loop {
            self.check_not_failed()?;
            if self.synced.load(SeqCst) >= ticket {
                return Ok(());
            }
            let _leading = self.leader.lock().await;
            self.check_not_failed()?;
            if self.synced.load(SeqCst) >= ticket {
                return Ok(()); // the previous leader's fsync began after this commit
            }
            // Every ticket handed out so far belongs to a commit that finished before now.
            let covered = self.committed.load(SeqCst);
            let database = self.database.clone();
            let synced = tokio::task::spawn_blocking(move || sync_log(&database)).await.map_err(io::Error::other)?;
            self.fsyncs.fetch_add(1, SeqCst);
            if let Err(error) = synced {
                self.failed.store(true, SeqCst);
                return Err(error);
            }
            self.synced.fetch_max(covered, SeqCst);
        }
    }

    fn check_not_failed(&self) -> io::Result<()> {
        if self.failed.load(SeqCst) {
            return Err(io::Error::other("an earlier fsync of the SQLite log failed; restart the server"));
        }
        Ok(())
    }
}

/// fsyncs the write-ahead log (on Linux an fsync flushes the file, whichever descriptor asks).
/// Without a log, everything committed is already in the database file, which SQLite fsyncs
/// when it checkpoints; it is synced again here all the same.
fn sync_log(database: &Path) -> io::Result<()> {
    let mut log = database.as_os_str().to_owned();
    log.push("-wal");
    match std::fs::File::open(&log) {
        Ok(file) => file.sync_data(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => std::fs::File::open(database)?.sync_data(),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_callers_share_fsyncs_and_each_returns_after_one_that_began_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("service.db");
        std::fs::write(&database, b"").unwrap();
        std::fs::write(dir.path().join("service.db-wal"), b"log").unwrap();
        let group = GroupCommit::new(&database);
        let callers: Vec<_> = (0..64)
            .map(|_| {
                let group = group.clone();
                tokio::spawn(async move { group.durable().await })
            })
            .collect();
        for caller in callers {
            caller.await.unwrap().unwrap();
        }
        assert_eq!(group.committed.load(SeqCst), 64);
        assert_eq!(group.synced.load(SeqCst), 64, "the last fsync covered every ticket");
        let fsyncs = group.fsyncs.load(SeqCst);
        assert!(fsyncs < 32, "callers queued behind a leader share its successor's fsync: {fsyncs} fsyncs");
    }

    #[tokio::test]
    async fn without_a_log_the_database_file_is_synced() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("service.db");
        std::fs::write(&database, b"").unwrap();
        GroupCommit::new(&database).durable().await.unwrap();
    }

    #[tokio::test]
    async fn after_a_failed_fsync_nothing_is_acknowledged_as_durable() {
        let dir = tempfile::tempdir().unwrap();
        // Neither the log nor the database exists: the fsync fails.
        let group = GroupCommit::new(&dir.path().join("missing.db"));
        assert!(group.durable().await.is_err());
        std::fs::write(dir.path().join("missing.db"), b"").unwrap();
        let after = group.durable().await.unwrap_err();
        assert!(after.to_string().contains("restart the server"), "{after}");
    }
}
