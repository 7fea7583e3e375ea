//! This replica's search index: derived data, built from the database and kept current by
//! following knowledge's own change feed (see `follower`), committed with the feed position it
//! has applied (see [`DerivedIndex`]).
//!
//! Writes after a local change are applied at once (`refresh`), so an author finds what they
//! just published; the follower applies every change, from this replica or another, so all
//! replicas converge. Both read the article's current row from the database under one lock,
//! so whichever runs last writes the newest state.
use std::path::{Path, PathBuf};

use frontline_shared::{
    database::Database,
    text::derived::{DerivedIndex, Opened},
};

use super::{
    documents,
    schema::{self, Fields, SCHEMA_VERSION},
};
use crate::store::articles;

#[derive(Clone)]
pub struct SearchIndex {
    pub(super) derived: DerivedIndex,
    fields: Fields,
    db: Database,
}

impl SearchIndex {
    /// Opens the index under `directory`, creating it (or replacing one of another schema).
    pub fn open(directory: &Path, db: Database) -> anyhow::Result<(Self, Opened)> {
        let (schema, fields) = schema::build();
        let (derived, opened) = DerivedIndex::open(directory, schema, SCHEMA_VERSION)?;
        Ok((Self { derived, fields, db }, opened))
    }

    /// The default place: `<data_dir>/search/knowledge`.
    pub fn directory(data_dir: &Path) -> PathBuf {
        data_dir.join("search").join("knowledge")
    }

    /// The feed position the index has applied.
    pub fn position(&self) -> i64 {
        self.derived.position()
    }

    /// Re-reads these articles from the database and replaces their documents (removing those
    /// of deleted ones). With `position`, also records that the feed was applied up to it.
    pub async fn refresh(&self, article_ids: &[String], position: Option<i64>) -> anyhow::Result<()> {
        let fields = self.fields.clone();
        let load = async {
            if article_ids.is_empty() {
                return Ok(None);
            }
            Ok(Some(documents::load_many(&self.db, article_ids).await?))
        };
        self.derived
            .update(position, load, move |writer, loaded| {
                for (id, article) in &loaded {
                    writer.delete_term(documents::article_term(&fields, id));
                    if let Some(article) = article {
                        for doc in documents::documents(&fields, article) {
                            writer.add_document(doc)?;
                        }
                    }
                }
                Ok(())
            })
            .await
    }

    /// Rebuilds every document from the database, reporting (indexed, total) as it goes. The
    /// old documents stay searchable until the rebuilt set commits.
    pub async fn rebuild(&self, head_position: i64, progress: impl Fn(i64, i64)) -> anyhow::Result<i64> {
        let total = articles::count(&mut *self.db.reader().acquire().await?).await?;
        self.derived
            .rebuild(
                head_position,
                total,
                |after: String| async move {
                    let ids = articles::ids_after(&mut *self.db.reader().acquire().await?, &after, 500).await?;
                    let Some(last) = ids.last().cloned() else { return Ok(None) };
                    let loaded = documents::load_many(&self.db, &ids).await?;
                    let documents = loaded
                        .iter()
                        .filter_map(|(_, article)| article.as_ref())
                        .flat_map(|article| documents::documents(&self.fields, article))
                        .collect();
                    Ok(Some((last, documents, ids.len() as i64)))
                },
                progress,
            )
            .await
    }

    pub(super) fn fields(&self) -> &Fields {
        &self.fields
    }
}
