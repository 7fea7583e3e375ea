//! Turning an article as stored into the documents the index holds: one per locale, carrying
//! what filters and the permission check need.
use frontline_shared::database::Database;
use sqlx::AnyConnection;
use tantivy::{TantivyDocument, Term};

use super::{
    analysis::analyzer_for_locale,
    schema::{Fields, READERS_ALL, readers_team},
};
use crate::{
    domain::{
        access,
        model::{Article, Collection, Translation},
    },
    store::{articles, collections},
};

/// An article with everything its documents need, read in one go.
pub struct IndexedArticle {
    pub article: Article,
    pub translations: Vec<Translation>,
    pub collection: Collection,
    pub parent: Option<Collection>,
}

/// Reads the article as it is now; None when it no longer exists.
pub async fn load(connection: &mut AnyConnection, article_id: &str) -> sqlx::Result<Option<IndexedArticle>> {
    let Some(article) = articles::get(connection, article_id).await? else { return Ok(None) };
    let translations = articles::translations(connection, article_id).await?;
    let Some(collection) = collections::get(connection, &article.collection_id).await? else { return Ok(None) };
    let parent = match &collection.parent_id {
        Some(parent_id) => collections::get(connection, parent_id).await?,
        None => None,
    };
    Ok(Some(IndexedArticle { article, translations, collection, parent }))
}

pub async fn load_many(db: &Database, ids: &[String]) -> sqlx::Result<Vec<(String, Option<IndexedArticle>)>> {
    let mut connection = db.reader().acquire().await?;
    let mut loaded = Vec::with_capacity(ids.len());
    for id in ids {
        loaded.push((id.clone(), load(&mut connection, id).await?));
    }
    Ok(loaded)
}

/// The term that deletes every document of an article.
pub fn article_term(fields: &Fields, article_id: &str) -> Term {
    Term::from_field_text(fields.article_id, article_id)
}

pub fn documents(fields: &Fields, indexed: &IndexedArticle) -> Vec<TantivyDocument> {
    let article = &indexed.article;
    let permissions = access::effective(&indexed.collection, indexed.parent.as_ref());
    indexed
        .translations
        .iter()
        .map(|translation| {
            let mut doc = TantivyDocument::default();
            doc.add_text(fields.doc_key, format!("{}/{}", article.id, translation.locale));
            doc.add_text(fields.article_id, &article.id);
            doc.add_text(fields.locale, &translation.locale);
            doc.add_text(fields.collection, &article.collection_id);
            doc.add_text(fields.collection_tree, &article.collection_id);
            if let Some(parent) = &indexed.parent {
                doc.add_text(fields.collection_tree, &parent.id);
            }
            for tag in &article.tags {
                doc.add_text(fields.tags, tag);
            }
            doc.add_text(fields.article_type, article.article_type.name());
            doc.add_text(fields.status, article.status.name());
            doc.add_text(fields.visibility, article.visibility.name());
            if permissions.reader_team_ids.is_empty() {
                doc.add_text(fields.readers, READERS_ALL);
            }
            for team in &permissions.reader_team_ids {
                doc.add_text(fields.readers, readers_team(team));
            }
            doc.add_text(fields.verification, if article.verification.verified { "verified" } else { "unverified" });
            doc.add_i64(fields.due_at, article.verification.due_at.unwrap_or(0));
            let (title, body) = fields.text_fields(analyzer_for_locale(&translation.locale));
            doc.add_text(title, &translation.title);
            doc.add_text(body, &translation.body_text);
            doc
        })
        .collect()
}
