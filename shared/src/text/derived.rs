//! A search index kept as derived data: built from the database, kept current by following the
//! service's own change feed, and committed together with the feed position it has applied, so
//! a restart resumes where the index really is and an index of another schema version is
//! rebuilt. Each replica has its own. Knowledge articles and tickets both live in one of these;
//! what goes into a document is theirs to say.
use std::{
    future::Future,
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tantivy::{
    Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, directory::MmapDirectory, schema::Schema,
};
use tokio::sync::watch;

use crate::text::analysis;

/// What the index commits beside its documents.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Payload {
    schema: u32,
    /// The last feed position applied.
    position: i64,
}

/// Memory for the single indexing thread: tantivy flushes a segment when it is full.
const WRITER_MEMORY_BYTES: usize = 64 * 1024 * 1024;

/// How opening went, for the start-up log.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    Resumed { position: i64 },
    NeedsRebuild,
}

#[derive(Clone)]
pub struct DerivedIndex {
    inner: Arc<Inner>,
}

struct Inner {
    index: Index,
    reader: IndexReader,
    schema_version: u32,
    /// Serialises read-from-database-then-write, so whichever writer runs last writes the
    /// newest state.
    writing: tokio::sync::Mutex<()>,
    writer: Arc<Mutex<IndexWriter<TantivyDocument>>>,
    /// The feed position the committed index has applied.
    applied: watch::Sender<i64>,
}

impl DerivedIndex {
    /// Opens the index under `directory` with Frontline's analyzers registered, creating it, or
    /// replacing one that cannot be opened (it is rebuilt from the database).
    pub fn open(directory: &Path, schema: Schema, schema_version: u32) -> anyhow::Result<(Self, Opened)> {
        std::fs::create_dir_all(directory)
            .with_context(|| format!("creating the search index directory {}", directory.display()))?;
        let index = match open_in(directory, schema.clone()) {
            Ok(index) => index,
            Err(error) => {
                tracing::warn!(directory = %directory.display(), error = %format!("{error:#}"), "the search index cannot be opened; it is rebuilt from the database");
                std::fs::remove_dir_all(directory)?;
                std::fs::create_dir_all(directory)?;
                open_in(directory, schema)?
            }
        };
        let payload: Payload =
            index.load_metas()?.payload.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default();
        let opened = if payload.schema == schema_version {
            Opened::Resumed { position: payload.position }
        } else {
            Opened::NeedsRebuild
        };
        let position = match opened {
            Opened::Resumed { position } => position,
            Opened::NeedsRebuild => 0,
        };
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
        let inner = Inner {
            index,
            reader,
            schema_version,
            writing: tokio::sync::Mutex::new(()),
            writer: Arc::new(Mutex::new(writer)),
            applied: watch::Sender::new(position),
        };
        Ok((Self { inner: Arc::new(inner) }, opened))
    }

    pub fn index(&self) -> &Index {
        &self.inner.index
    }

    pub fn reader(&self) -> &IndexReader {
        &self.inner.reader
    }

    /// The feed position the committed index has applied.
    pub fn position(&self) -> i64 {
        *self.inner.applied.borrow()
    }

    /// Waits until the index has applied `position`, for at most `within`; whether it has.
    pub async fn reached(&self, position: i64, within: Duration) -> bool {
        let mut applied = self.inner.applied.subscribe();
        tokio::time::timeout(within, applied.wait_for(|&applied| applied >= position)).await.is_ok_and(|r| r.is_ok())
    }

    /// Holds the writing lock while `load` reads from the database, then runs `write` on the
    /// writer off the async threads and commits with `position` (or the position already
    /// applied). Nothing to write only moves the position in memory: replaying those events
    /// after a restart changes nothing.
    pub async fn update<T, L, W>(&self, position: Option<i64>, load: L, write: W) -> anyhow::Result<()>
    where
        T: Send + 'static,
        L: Future<Output = anyhow::Result<Option<T>>>,
        W: FnOnce(&mut IndexWriter<TantivyDocument>, T) -> anyhow::Result<()> + Send + 'static,
    {
        let _writing = self.inner.writing.lock().await;
        let applied = self.position();
        let next = position.unwrap_or(applied).max(applied);
        if let Some(loaded) = load.await? {
            let version = self.inner.schema_version;
            self.blocking(move |writer| {
                write(writer, loaded)?;
                commit(writer, version, next)
            })
            .await?;
            self.inner.reader.reload()?;
        }
        self.inner.applied.send_replace(next);
        Ok(())
    }

    /// Replaces every document with what `next_batch` yields, batch by batch (each call gets
    /// the previous batch's cursor and returns the next cursor with its documents, or None at
    /// the end), then commits at `head_position`. The old documents stay searchable until the
    /// rebuilt set commits. Reports (done, total) as it goes.
    pub async fn rebuild<C, F, Fut>(
        &self,
        head_position: i64,
        total: i64,
        mut next_batch: F,
        progress: impl Fn(i64, i64),
    ) -> anyhow::Result<i64>
    where
        C: Default,
        F: FnMut(C) -> Fut,
        Fut: Future<Output = anyhow::Result<Option<(C, Vec<TantivyDocument>, i64)>>>,
    {
        let _writing = self.inner.writing.lock().await;
        self.blocking(|writer| Ok(writer.delete_all_documents().map(|_| ())?)).await?;
        let (mut done, mut cursor) = (0_i64, C::default());
        progress(0, total);
        while let Some((next, documents, records)) = next_batch(cursor).await? {
            cursor = next;
            self.blocking(move |writer| {
                for document in documents {
                    writer.add_document(document)?;
                }
                Ok(())
            })
            .await?;
            done += records;
            progress(done, total);
        }
        let version = self.inner.schema_version;
        self.blocking(move |writer| commit(writer, version, head_position)).await?;
        self.inner.reader.reload()?;
        self.inner.applied.send_replace(head_position);
        Ok(done)
    }

    /// Runs `work` on the writer off the async threads: tantivy's writes and commits block.
    async fn blocking<F>(&self, work: F) -> anyhow::Result<()>
    where
        F: FnOnce(&mut IndexWriter<TantivyDocument>) -> anyhow::Result<()> + Send + 'static,
    {
        let writer = self.inner.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut writer = writer.lock().map_err(|_| anyhow::anyhow!("the index writer was poisoned"))?;
            work(&mut writer)
        })
        .await?
    }
}

fn open_in(directory: &Path, schema: Schema) -> anyhow::Result<Index> {
    let index = Index::open_or_create(MmapDirectory::open(directory)?, schema)?;
    analysis::register_analyzers(index.tokenizers());
    Ok(index)
}

fn commit(writer: &mut IndexWriter<TantivyDocument>, schema: u32, position: i64) -> anyhow::Result<()> {
    let payload = serde_json::to_string(&Payload { schema, position })?;
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&payload);
    prepared.commit()?;
    Ok(())
}
