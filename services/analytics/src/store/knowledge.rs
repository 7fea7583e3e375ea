//! Knowledge facts: articles and collections as the feed last showed them, views, votes,
//! deflections and search windows. Writes are keyed so that applying an event again is harmless.
use sqlx::{AnyConnection, Row, any::AnyRow};

use crate::domain::knowledge_metrics::{Fact, FactKind, GapCount};

pub async fn upsert_article(
    connection: &mut AnyConnection,
    article_id: &str,
    collection_id: &str,
    title: &str,
    position: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO knowledge_articles (article_id, collection_id, title, last_position) VALUES ($1, $2, $3, $4)
         ON CONFLICT (article_id) DO UPDATE SET collection_id = excluded.collection_id, title = excluded.title,
             last_position = excluded.last_position
         WHERE knowledge_articles.last_position < excluded.last_position",
    )
    .bind(article_id)
    .bind(collection_id)
    .bind(title)
    .bind(position)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn upsert_collection(
    connection: &mut AnyConnection,
    collection_id: &str,
    parent_id: &str,
    position: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO knowledge_collections (collection_id, parent_id, last_position) VALUES ($1, $2, $3)
         ON CONFLICT (collection_id) DO UPDATE SET parent_id = excluded.parent_id, last_position = excluded.last_position
         WHERE knowledge_collections.last_position < excluded.last_position",
    )
    .bind(collection_id)
    .bind(parent_id)
    .bind(position)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn record_view(
    connection: &mut AnyConnection,
    position: i64,
    article_id: &str,
    locale: &str,
    viewed_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO knowledge_views (position, article_id, locale, viewed_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (position) DO NOTHING",
    )
    .bind(position)
    .bind(article_id)
    .bind(locale)
    .bind(viewed_at)
    .execute(connection)
    .await?;
    Ok(())
}

/// A vote, by the feedback's id: knowledge sends it again once it has opened a ticket for it.
pub async fn record_vote(
    connection: &mut AnyConnection,
    feedback_id: &str,
    article_id: &str,
    locale: &str,
    helpful: bool,
    voted_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO knowledge_votes (feedback_id, article_id, locale, helpful, voted_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (feedback_id) DO NOTHING",
    )
    .bind(feedback_id)
    .bind(article_id)
    .bind(locale)
    .bind(i64::from(helpful))
    .bind(voted_at)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn record_deflection(
    connection: &mut AnyConnection,
    ticket_id: &str,
    article_id: &str,
    locale: &str,
    marked_at: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO knowledge_deflections (ticket_id, article_id, locale, marked_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (ticket_id, article_id) DO NOTHING",
    )
    .bind(ticket_id)
    .bind(article_id)
    .bind(locale)
    .bind(marked_at)
    .execute(connection)
    .await?;
    Ok(())
}

pub struct SearchWindow<'a> {
    pub position: i64,
    pub locale: &'a str,
    pub window_end: i64,
    pub searches: i64,
    pub no_results: i64,
}

pub async fn record_search_window(connection: &mut AnyConnection, window: &SearchWindow<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO knowledge_search_windows (position, locale, window_end, searches, no_results)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (position, locale) DO NOTHING",
    )
    .bind(window.position)
    .bind(window.locale)
    .bind(window.window_end)
    .bind(window.searches)
    .bind(window.no_results)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn record_search_gap(
    connection: &mut AnyConnection,
    window: &SearchWindow<'_>,
    query: &str,
    searches: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO knowledge_search_gaps (position, locale, query, searches, window_end)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (position, locale, query) DO NOTHING",
    )
    .bind(window.position)
    .bind(window.locale)
    .bind(query)
    .bind(searches)
    .bind(window.window_end)
    .execute(connection)
    .await?;
    Ok(())
}

/// What the facts in [from, to) are narrowed to.
pub struct Scope<'a> {
    pub from: i64,
    pub to: i64,
    /// "" for every locale.
    pub locale: &'a str,
}

/// The rows `sql` selects with $1 = from, $2 = to and $3 = the locale ("" for every locale).
async fn rows_in(connection: &mut AnyConnection, sql: &str, scope: &Scope<'_>) -> sqlx::Result<Vec<AnyRow>> {
    sqlx::query(sql).bind(scope.from).bind(scope.to).bind(scope.locale).fetch_all(connection).await
}

/// The views, votes and deflections of [from, to), in that locale.
pub async fn article_facts(connection: &mut AnyConnection, scope: &Scope<'_>) -> sqlx::Result<Vec<Fact>> {
    let rows = rows_in(
        connection,
        "SELECT CAST(0 AS BIGINT) AS kind, article_id, viewed_at AS at, CAST(0 AS BIGINT) AS helpful FROM knowledge_views
             WHERE viewed_at >= $1 AND viewed_at < $2 AND ($3 = '' OR locale = $3)
         UNION ALL
         SELECT CAST(1 AS BIGINT) AS kind, article_id, voted_at AS at, helpful FROM knowledge_votes
             WHERE voted_at >= $1 AND voted_at < $2 AND ($3 = '' OR locale = $3)
         UNION ALL
         SELECT CAST(2 AS BIGINT) AS kind, article_id, marked_at AS at, CAST(0 AS BIGINT) AS helpful FROM knowledge_deflections
             WHERE marked_at >= $1 AND marked_at < $2 AND ($3 = '' OR locale = $3)",
        scope,
    )
    .await?;
    rows.iter()
        .map(|row| {
            let kind = match row.try_get::<i64, _>("kind")? {
                0 => FactKind::View,
                1 => FactKind::Vote { helpful: row.try_get::<i64, _>("helpful")? == 1 },
                _ => FactKind::Deflection,
            };
            Ok(Fact { at: row.try_get("at")?, article_id: Some(row.try_get("article_id")?), kind })
        })
        .collect()
}

/// Each search window's counts in [from, to) (by the window's end), in that locale.
pub async fn search_facts(connection: &mut AnyConnection, scope: &Scope<'_>) -> sqlx::Result<Vec<Fact>> {
    let rows = rows_in(
        connection,
        "SELECT window_end, searches, no_results FROM knowledge_search_windows
         WHERE window_end >= $1 AND window_end < $2 AND ($3 = '' OR locale = $3)",
        scope,
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Fact {
                at: row.try_get("window_end")?,
                article_id: None,
                kind: FactKind::Searches {
                    searches: row.try_get("searches")?,
                    without_results: row.try_get("no_results")?,
                },
            })
        })
        .collect()
}

/// The gaps of [from, to) in that locale, summed per (query, locale).
pub async fn gaps(connection: &mut AnyConnection, scope: &Scope<'_>) -> sqlx::Result<Vec<GapCount>> {
    let rows = rows_in(
        connection,
        "SELECT query, locale, CAST(SUM(searches) AS BIGINT) AS count FROM knowledge_search_gaps
         WHERE window_end >= $1 AND window_end < $2 AND ($3 = '' OR locale = $3)
         GROUP BY query, locale",
        scope,
    )
    .await?;
    rows.iter()
        .map(|row| {
            Ok(GapCount { query: row.try_get("query")?, locale: row.try_get("locale")?, count: row.try_get("count")? })
        })
        .collect()
}

/// Every collection's parent ("" for a top-level collection).
pub async fn collection_parents(connection: &mut AnyConnection) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query("SELECT collection_id, parent_id FROM knowledge_collections").fetch_all(connection).await?;
    rows.iter().map(|row| Ok((row.try_get("collection_id")?, row.try_get("parent_id")?))).collect()
}

pub struct ArticleInfo {
    pub article_id: String,
    pub collection_id: String,
    pub title: String,
}

pub async fn articles(connection: &mut AnyConnection) -> sqlx::Result<Vec<ArticleInfo>> {
    let rows =
        sqlx::query("SELECT article_id, collection_id, title FROM knowledge_articles").fetch_all(connection).await?;
    rows.iter()
        .map(|row| {
            Ok(ArticleInfo {
                article_id: row.try_get("article_id")?,
                collection_id: row.try_get("collection_id")?,
                title: row.try_get("title")?,
            })
        })
        .collect()
}
