//! This replica's search index: derived data, built from the database and kept current by
//! following knowledge's own change feed (see `follower`). Each replica has its own; the index
//! commits the feed position it has applied together with its documents, so a restart resumes
//! where the index really is, and an index of another schema version is rebuilt.
//!
//! Writes after a local change are applied at once (`refresh`), so an author finds what they
//! just published; the follower applies every change, from this replica or another, so all
//! replicas converge. Both read the article's current row from the database under one lock,
//! so whichever runs last writes the newest state.
use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use anyhow::Context;
use frontline_shared::database::Database;
use serde::{Deserialize, Serialize};
use tantivy::{
    Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, directory::MmapDirectory, schema::Schema,
};

use super::{
    analysis, documents,
    schema::{self, Fields, SCHEMA_VERSION},
};
use crate::store::articles;

/// What the index commits beside its documents.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Payload {
    schema: u32,
    /// The last feed position applied.
    position: i64,
}

/// Memory for the single indexing thread: tantivy flushes a segment when it is full.
const WRITER_MEMORY_BYTES: usize = 64 * 1024 * 1024;

#[derive(Clone)]
pub struct SearchIndex {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    pub(super) index: Index,
    pub(super) reader: IndexReader,
    pub(super) fields: Fields,
    db: Database,
    /// Serialises read-from-database-then-write, and remembers the applied feed position.
    writing: tokio::sync::Mutex<i64>,
    writer: Arc<Mutex<IndexWriter<TantivyDocument>>>,
}

/// How opening went, for the start-up log.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    Resumed { position: i64 },
    NeedsRebuild,
}

impl SearchIndex {
    /// Opens the index under `directory`, creating it (or replacing one of another schema).
    pub fn open(directory: &Path, db: Database) -> anyhow::Result<(Self, Opened)> {
        let (schema, fields) = schema::build();
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
        let opened = if payload.schema == SCHEMA_VERSION {
            Opened::Resumed { position: payload.position }
        } else {
            Opened::NeedsRebuild
        };
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY_BYTES)?;
        let position = match opened {
            Opened::Resumed { position } => position,
            Opened::NeedsRebuild => 0,
        };
        let inner = Inner {
            index,
            reader,
            fields,
            db,
            writing: tokio::sync::Mutex::new(position),
            writer: Arc::new(Mutex::new(writer)),
        };
        Ok((Self { inner: Arc::new(inner) }, opened))
    }

    /// The default place: `<data_dir>/search/knowledge`.
    pub fn directory(data_dir: &Path) -> PathBuf {
        data_dir.join("search").join("knowledge")
    }

    /// The feed position the index has applied.
    pub async fn position(&self) -> i64 {
        *self.inner.writing.lock().await
    }

    /// Re-reads these articles from the database and replaces their documents (removing those
    /// of deleted ones). With `position`, also records that the feed was applied up to it.
    pub async fn refresh(&self, article_ids: &[String], position: Option<i64>) -> anyhow::Result<()> {
        let mut applied = self.inner.writing.lock().await;
        if article_ids.is_empty() {
            // Nothing to write: the position is kept in memory only; replaying these events
            // after a restart changes nothing.
            *applied = position.unwrap_or(*applied).max(*applied);
            return Ok(());
        }
        let loaded = documents::load_many(&self.inner.db, article_ids).await?;
        let fields = self.inner.fields.clone();
        let next_position = position.unwrap_or(*applied).max(*applied);
        blocking(&self.inner.writer, move |writer| {
            for (id, article) in &loaded {
                writer.delete_term(documents::article_term(&fields, id));
                if let Some(article) = article {
                    for doc in documents::documents(&fields, article) {
                        writer.add_document(doc)?;
                    }
                }
            }
            commit(writer, next_position)
        })
        .await?;
        *applied = next_position;
        self.inner.reader.reload()?;
        Ok(())
    }

    /// Rebuilds every document from the database, reporting (indexed, total) as it goes. The
    /// old documents stay searchable until the rebuilt set commits.
    pub async fn rebuild(&self, head_position: i64, progress: impl Fn(i64, i64)) -> anyhow::Result<i64> {
        let mut applied = self.inner.writing.lock().await;
        let total = articles::count(&mut *self.inner.db.reader().acquire().await?).await?;
        let writer = self.inner.writer.clone();
        blocking(&writer, |writer| Ok(writer.delete_all_documents().map(|_| ())?)).await?;
        let (mut indexed, mut after) = (0_i64, String::new());
        progress(0, total);
        loop {
            let ids = articles::ids_after(&mut *self.inner.db.reader().acquire().await?, &after, 500).await?;
            let Some(last) = ids.last() else { break };
            after = last.clone();
            let loaded = documents::load_many(&self.inner.db, &ids).await?;
            let fields = self.inner.fields.clone();
            blocking(&writer, move |writer| {
                for article in loaded.iter().filter_map(|(_, article)| article.as_ref()) {
                    for doc in documents::documents(&fields, article) {
                        writer.add_document(doc)?;
                    }
                }
                Ok(())
            })
            .await?;
            indexed += ids.len() as i64;
            progress(indexed, total);
        }
        blocking(&writer, move |writer| commit(writer, head_position)).await?;
        *applied = head_position;
        self.inner.reader.reload()?;
        Ok(indexed)
    }

    pub(super) fn fields(&self) -> &Fields {
        &self.inner.fields
    }
}

fn open_in(directory: &Path, schema: Schema) -> anyhow::Result<Index> {
    let index = Index::open_or_create(MmapDirectory::open(directory)?, schema)?;
    analysis::register_analyzers(index.tokenizers());
    Ok(index)
}

fn commit(writer: &mut IndexWriter<TantivyDocument>, position: i64) -> anyhow::Result<()> {
    let payload = serde_json::to_string(&Payload { schema: SCHEMA_VERSION, position })?;
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&payload);
    prepared.commit()?;
    Ok(())
}

/// Runs `work` on the writer off the async threads: tantivy's writes and commits block.
async fn blocking<F>(writer: &Arc<Mutex<IndexWriter<TantivyDocument>>>, work: F) -> anyhow::Result<()>
where
    F: FnOnce(&mut IndexWriter<TantivyDocument>) -> anyhow::Result<()> + Send + 'static,
{
    let writer = writer.clone();
    tokio::task::spawn_blocking(move || {
        let mut writer = writer.lock().map_err(|_| anyhow::anyhow!("the index writer was poisoned"))?;
        work(&mut writer)
    })
    .await?
}
