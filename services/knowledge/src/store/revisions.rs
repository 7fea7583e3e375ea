//! Pending revisions: edits of published articles waiting for a publisher, one per locale.
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::codes;
use crate::domain::model::Revision;

const COLUMNS: &str = "article_id, locale, title, body, body_format, base_version, note, created_by, created_at";

/// Inserts or replaces the pending revision of one locale.
pub async fn save(connection: &mut AnyConnection, revision: &Revision) -> sqlx::Result<()> {
    discard(connection, &revision.article_id, Some(&revision.locale)).await?;
    sqlx::query(&format!("INSERT INTO article_revisions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"))
        .bind(&revision.article_id)
        .bind(&revision.locale)
        .bind(&revision.title)
        .bind(&revision.body)
        .bind(codes::body_format(revision.body_format))
        .bind(revision.base_version)
        .bind(&revision.note)
        .bind(&revision.created_by)
        .bind(revision.created_at)
        .execute(connection)
        .await?;
    Ok(())
}

/// The pending revisions of an article, ordered by locale.
pub async fn of_article(connection: &mut AnyConnection, article_id: &str) -> sqlx::Result<Vec<Revision>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM article_revisions WHERE article_id = $1 ORDER BY locale"))
        .bind(article_id)
        .fetch_all(connection)
        .await?;
    rows.iter().map(decode).collect()
}

/// Removes one locale's pending revision, or (None) all of the article's.
pub async fn discard(connection: &mut AnyConnection, article_id: &str, locale: Option<&str>) -> sqlx::Result<()> {
    match locale {
        Some(locale) => {
            sqlx::query("DELETE FROM article_revisions WHERE article_id = $1 AND locale = $2")
                .bind(article_id)
                .bind(locale)
                .execute(connection)
                .await?
        }
        None => {
            sqlx::query("DELETE FROM article_revisions WHERE article_id = $1")
                .bind(article_id)
                .execute(connection)
                .await?
        }
    };
    Ok(())
}

fn decode(row: &AnyRow) -> sqlx::Result<Revision> {
    Ok(Revision {
        article_id: row.try_get("article_id")?,
        locale: row.try_get("locale")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        body_format: codes::to_body_format(row.try_get("body_format")?)?,
        base_version: row.try_get("base_version")?,
        note: row.try_get("note")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
    })
}
