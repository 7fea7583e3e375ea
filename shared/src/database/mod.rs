//! Each service's own database: an embedded SQLite file per service (the default, in WAL
//! mode), or a schema per service in PostgreSQL. Both are reached through sqlx's `Any` driver
//! so a store has one SQL text for both; the few statements that must differ ask
//! [`Database::backend`]. SQLite gets a single-connection writer pool — SQLite allows one
//! writer at a time anyway, and queueing writers in-process avoids SQLITE_BUSY storms — and a
//! separate pool of readers.
mod group_commit;
mod migrations;
pub mod rows;
pub mod time;
mod write;

use std::{sync::Arc, time::Duration};

use anyhow::Context;
use futures::future::BoxFuture;
use sqlx::{AnyConnection, AnyPool, Connection, Executor, any::AnyPoolOptions, pool::PoolConnectionMetadata};

use group_commit::GroupCommit;

pub use migrations::{MigrationFile, Migrations};
pub use write::Write;

use crate::config::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Database {
    backend: Backend,
    reader: AnyPool,
    writer: AnyPool,
    /// SQLite: commits share fsyncs (PostgreSQL groups its commits itself).
    group_commit: Option<Arc<GroupCommit>>,
    /// Postgres schema (or SQLite file stem) this service owns.
    name: String,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("backend", &self.backend).field("name", &self.name).finish()
    }
}

impl Database {
    /// Opens the database of `service` (a lower-case identifier such as "ticketing").
    pub async fn connect(settings: &Settings, service: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(
            !service.is_empty() && service.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "service database name `{service}` must be lower-case letters"
        );
        sqlx::any::install_default_drivers();
        let options = || {
            AnyPoolOptions::new()
                .acquire_timeout(settings.database.acquire_timeout)
                .idle_timeout(Some(Duration::from_secs(600)))
        };
        if settings.uses_postgres() {
            let url = &settings.database.url;
            create_schema(url, service).await?;
            let search_path = format!("SET search_path TO \"{service}\"");
            let pool = options()
                .max_connections(settings.database.max_connections)
                .after_connect(move |connection, _| {
                    let search_path = search_path.clone();
                    Box::pin(async move {
                        connection.execute(search_path.as_str()).await?;
                        Ok(())
                    })
                })
                .connect(url)
                .await
                .with_context(|| format!("connecting to PostgreSQL for {service} (database.url)"))?;
            Ok(Self {
                backend: Backend::Postgres,
                reader: pool.clone(),
                writer: pool,
                group_commit: None,
                name: service.into(),
            })
        } else {
            crate::private_files::private_dir(&settings.data_dir)
                .with_context(|| format!("creating data directory {}", settings.data_dir.display()))?;
            let path = settings.data_dir.join(format!("{service}.db"));
            // Created 0600 before SQLite opens it; SQLite gives its -wal and -shm files this mode.
            crate::private_files::private_file(&path)
                .with_context(|| format!("creating SQLite database {}", path.display()))?;
            let url = format!("sqlite://{}?mode=rwc", path.display());
            let writer = options()
                .max_connections(1)
                .after_connect(sqlite_writer_pragmas)
                .connect(&url)
                .await
                .with_context(|| format!("opening SQLite database {}", path.display()))?;
            // WAL lets readers run while the writer commits; the mode is stored in the file.
            writer.execute("PRAGMA journal_mode = WAL").await?;
            let reader = options()
                .max_connections(settings.database.max_connections.max(2))
                .after_connect(sqlite_pragmas)
                .connect(&url)
                .await?;
            Ok(Self {
                backend: Backend::Sqlite,
                reader,
                writer,
                group_commit: Some(GroupCommit::new(&path)),
                name: service.into(),
            })
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Pool for reads that need no transaction.
    pub fn reader(&self) -> &AnyPool {
        &self.reader
    }

    /// Pool for single-statement writes that need no transaction of their own.
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Starts a write transaction. Within a call on PostgreSQL its statements may run only as
    /// long as the call's deadline leaves ([`crate::deadline`]): when the caller gives up, the
    /// server cancels the statement (and the transaction rolls back) instead of finishing work
    /// nobody awaits, still holding row locks and a pooled connection. Sent with BEGIN in one
    /// round trip. Background work carries no deadline and is not limited. On SQLite a dropped
    /// transaction simply rolls back when its future is dropped. Its commit returns once the
    /// transaction is on disk (see [`Write::commit`]).
    pub async fn begin(&self) -> Result<Write, sqlx::Error> {
        let transaction = match (self.backend, crate::deadline::remaining()) {
            (Backend::Postgres, Some(left)) => {
                // At least 1 ms: a statement_timeout of 0 would mean no limit at all.
                let millis = left.as_millis().clamp(1, i32::MAX as u128);
                self.writer.begin_with(format!("BEGIN; SET LOCAL statement_timeout = {millis}")).await?
            }
            _ => self.writer.begin().await?,
        };
        Ok(Write::new(transaction, self.group_commit.clone()))
    }

    /// Applies the shared change-feed tables and then the service's own migrations.
    pub async fn migrate(&self, service: &Migrations) -> anyhow::Result<()> {
        let migrations = crate::feed::MIGRATIONS.then(service);
        migrations
            .run(self.backend, &self.writer)
            .await
            .with_context(|| format!("migrating the {} database", self.name))
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

// The writer: NORMAL, under which a commit reaches the log (and survives the process dying)
// but is not fsynced by SQLite; `Write::commit` fsyncs the log for every caller waiting, so a
// committed ticket still survives a power cut, and concurrent commits share the fsync.
fn sqlite_writer_pragmas(
    connection: &mut AnyConnection,
    metadata: PoolConnectionMetadata,
) -> BoxFuture<'_, Result<(), sqlx::Error>> {
    Box::pin(async move {
        sqlite_pragmas(connection, metadata).await?;
        connection.execute("PRAGMA synchronous = NORMAL").await?;
        Ok(())
    })
}

// FULL: a committed ticket survives a power cut, not just a crash. mmap_size: pages are read
// straight from the OS page cache, shared by every connection, instead of being copied in by a
// pread each time a connection's own small cache misses — which a profile of the ticketing
// bench showed as its largest single cost (the kernel copying pages). cache_size (KiB when
// negative) keeps a connection's hot pages, the b-tree interiors, decoded between statements.
fn sqlite_pragmas(connection: &mut AnyConnection, _: PoolConnectionMetadata) -> BoxFuture<'_, Result<(), sqlx::Error>> {
    Box::pin(async move {
        connection
            .execute(
                "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                 PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -16384;",
            )
            .await?;
        Ok(())
    })
}

async fn create_schema(url: &str, schema: &str) -> anyhow::Result<()> {
    let mut connection = AnyConnection::connect(url)
        .await
        .with_context(|| "connecting to PostgreSQL (database.url); is the server running and the URL right?")?;
    let statement = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
    if let Err(error) = connection.execute(statement.as_str()).await {
        // Two replicas starting together can race on IF NOT EXISTS; the loser's error is harmless.
        let raced =
            error.as_database_error().and_then(|e| e.code()).is_some_and(|code| code == "23505" || code == "42P06");
        if !raced {
            return Err(error).with_context(|| format!("creating schema {schema}"));
        }
    }
    connection.close().await?;
    Ok(())
}

/// True when `error` is a unique-constraint violation (on either backend).
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    error.as_database_error().is_some_and(|e| e.is_unique_violation())
}
