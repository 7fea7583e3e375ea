//! Articles, their tags, translations and published versions.
use frontline_shared::{
    database::rows,
    filter::{SqlFilter, SqlValue},
};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{codes, json_list, parse_list};
use crate::domain::model::{Article, Translation, VerificationRecord, Verifier, Version};

const COLUMNS: &str = "id, external_id, collection_id, article_type, visibility, status, source_locale, tags, owner_id, \
    author_id, verifier_person_id, verifier_team_id, verification_interval, verified, verified_by, verified_at, \
    verification_due_at, unverified_reason, helpful_votes, not_helpful_votes, view_count, created_at, updated_at, \
    published_at, revision";

pub async fn insert(connection: &mut AnyConnection, article: &Article) -> sqlx::Result<()> {
    insert_all(connection, std::slice::from_ref(article)).await
}

/// Stores new articles with their tags, many to a statement: what an import writes.
pub async fn insert_all(connection: &mut AnyConnection, articles: &[Article]) -> sqlx::Result<()> {
    let columns: Vec<&str> = COLUMNS.split(',').map(str::trim).collect();
    rows::insert(connection, "articles", &columns, "", articles, |query, article| {
        query
            .bind(&article.id)
            .bind(article.external_id.as_deref())
            .bind(&article.collection_id)
            .bind(codes::article_type(article.article_type))
            .bind(codes::visibility(article.visibility))
            .bind(codes::status(article.status))
            .bind(&article.source_locale)
            .bind(json_list(&article.tags))
            .bind(&article.owner_id)
            .bind(&article.author_id)
            .bind(&article.verifier.person_id)
            .bind(&article.verifier.team_id)
            .bind(codes::interval(article.verifier.interval))
            .bind(article.verification.verified as i64)
            .bind(&article.verification.verified_by)
            .bind(article.verification.verified_at)
            .bind(article.verification.due_at)
            .bind(&article.verification.unverified_reason)
            .bind(article.helpful_votes)
            .bind(article.not_helpful_votes)
            .bind(article.view_count)
            .bind(article.created_at)
            .bind(article.updated_at)
            .bind(article.published_at)
            .bind(article.revision)
    })
    .await?;
    let tagged: Vec<(&str, &str)> =
        articles.iter().flat_map(|a| a.tags.iter().map(|tag| (tag.as_str(), a.id.as_str()))).collect();
    insert_tags(connection, &tagged).await
}

/// Stores `article` if it is still at `expected_revision`; false when someone changed it first.
pub async fn update(connection: &mut AnyConnection, article: &Article, expected_revision: i64) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE articles SET external_id = $2, collection_id = $3, article_type = $4, visibility = $5, status = $6,
             tags = $7, owner_id = $8, verifier_person_id = $9, verifier_team_id = $10, verification_interval = $11,
             verified = $12, verified_by = $13, verified_at = $14, verification_due_at = $15, unverified_reason = $16,
             updated_at = $17, published_at = $18, revision = $19
         WHERE id = $1 AND revision = $20",
    )
    .bind(&article.id)
    .bind(article.external_id.as_deref())
    .bind(&article.collection_id)
    .bind(codes::article_type(article.article_type))
    .bind(codes::visibility(article.visibility))
    .bind(codes::status(article.status))
    .bind(json_list(&article.tags))
    .bind(&article.owner_id)
    .bind(&article.verifier.person_id)
    .bind(&article.verifier.team_id)
    .bind(codes::interval(article.verifier.interval))
    .bind(article.verification.verified as i64)
    .bind(&article.verification.verified_by)
    .bind(article.verification.verified_at)
    .bind(article.verification.due_at)
    .bind(&article.verification.unverified_reason)
    .bind(article.updated_at)
    .bind(article.published_at)
    .bind(article.revision)
    .bind(expected_revision)
    .execute(&mut *connection)
    .await?
    .rows_affected();
    if updated == 1 {
        replace_tags(connection, &article.id, &article.tags).await?;
    }
    Ok(updated == 1)
}

async fn replace_tags(connection: &mut AnyConnection, article_id: &str, tags: &[String]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM article_tags WHERE article_id = $1").bind(article_id).execute(&mut *connection).await?;
    let tagged: Vec<(&str, &str)> = tags.iter().map(|tag| (tag.as_str(), article_id)).collect();
    insert_tags(connection, &tagged).await
}

/// (tag, article id) rows.
async fn insert_tags(connection: &mut AnyConnection, tagged: &[(&str, &str)]) -> sqlx::Result<()> {
    rows::insert(connection, "article_tags", &["tag", "article_id"], "", tagged, |query, (tag, article_id)| {
        query.bind(*tag).bind(*article_id)
    })
    .await
}

/// Counters change without a revision bump: a vote or a view is not an edit, and must not
/// make an editor's etag stale.
pub async fn add_votes(connection: &mut AnyConnection, id: &str, helpful: i64, not_helpful: i64) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE articles SET helpful_votes = helpful_votes + $2, not_helpful_votes = not_helpful_votes + $3 WHERE id = $1",
    )
    .bind(id)
    .bind(helpful)
    .bind(not_helpful)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn add_view(connection: &mut AnyConnection, id: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar("UPDATE articles SET view_count = view_count + 1 WHERE id = $1 RETURNING view_count")
        .bind(id)
        .fetch_one(connection)
        .await
}

pub async fn get(connection: &mut AnyConnection, id: &str) -> sqlx::Result<Option<Article>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM articles WHERE id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

pub async fn by_external_id(connection: &mut AnyConnection, external_id: &str) -> sqlx::Result<Option<Article>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM articles WHERE external_id = $1"))
        .bind(external_id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// The sort keys ListArticles offers, each a column that with `id` orders rows totally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    UpdatedAt,
    CreatedAt,
    Title,
}

impl Order {
    fn column(self) -> &'static str {
        match self {
            Order::UpdatedAt => "updated_at",
            Order::CreatedAt => "created_at",
            // The source title lives in translations; a correlated lookup keeps one query.
            Order::Title => {
                "(SELECT t.title FROM article_translations t WHERE t.article_id = articles.id AND t.locale = articles.source_locale)"
            }
        }
    }
}

/// A keyset page: rows after (`after_key`, `after_id`) in the order asked for.
pub struct Page<'a> {
    pub filter: &'a SqlFilter,
    pub order: Order,
    pub descending: bool,
    pub after: Option<(String, String)>,
    pub limit: usize,
    /// Only articles in these collections (the caller's readable ones); None = all.
    pub collections: Option<&'a [String]>,
}

pub async fn list(connection: &mut AnyConnection, page: Page<'_>) -> sqlx::Result<Vec<(Article, String)>> {
    let column = page.order.column();
    let sort_key = column;
    // The filter's placeholders are numbered from 1; everything added here follows them.
    let mut sql = format!("SELECT {COLUMNS}, {sort_key} AS sort_key FROM articles WHERE {}", page.filter.clause);
    let mut values: Vec<SqlValue> = page.filter.values.clone();
    if let Some(collections) = page.collections {
        if collections.is_empty() {
            return Ok(Vec::new());
        }
        let start = values.len() + 1;
        let placeholders: Vec<String> = (0..collections.len()).map(|i| format!("${}", start + i)).collect();
        sql.push_str(&format!(" AND collection_id IN ({})", placeholders.join(", ")));
        values.extend(collections.iter().cloned().map(SqlValue::Text));
    }
    let (comparison, direction) = if page.descending { ("<", "DESC") } else { (">", "ASC") };
    let numeric = page.order != Order::Title;
    if let Some((key, id)) = &page.after {
        let (k, i) = (values.len() + 1, values.len() + 2);
        sql.push_str(&format!(" AND ({sort_key} {comparison} ${k} OR ({sort_key} = ${k} AND id {comparison} ${i}))"));
        values.push(if numeric {
            SqlValue::Integer(key.parse().map_err(|_| super::decode_error("page_token", key))?)
        } else {
            SqlValue::Text(key.clone())
        });
        values.push(SqlValue::Text(id.clone()));
    }
    sql.push_str(&format!(" ORDER BY sort_key {direction}, id {direction} LIMIT {}", page.limit));
    let mut query = sqlx::query(&sql);
    for value in values {
        query = match value {
            SqlValue::Text(text) => query.bind(text),
            SqlValue::Integer(number) => query.bind(number),
        };
    }
    let rows = query.fetch_all(connection).await?;
    rows.iter()
        .map(|row| {
            let key = if numeric { row.try_get::<i64, _>("sort_key")?.to_string() } else { row.try_get("sort_key")? };
            Ok((decode(row)?, key))
        })
        .collect()
}

/// Every article id after `after`, in id order: for index rebuilds.
pub async fn ids_after(connection: &mut AnyConnection, after: &str, limit: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT id FROM articles WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(after)
        .bind(limit)
        .fetch_all(connection)
        .await
}

pub async fn count(connection: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM articles").fetch_one(connection).await
}

pub async fn ids_in_collections(connection: &mut AnyConnection, collections: &[String]) -> sqlx::Result<Vec<String>> {
    let mut ids = Vec::new();
    for collection in collections {
        let mut some: Vec<String> = sqlx::query_scalar("SELECT id FROM articles WHERE collection_id = $1")
            .bind(collection)
            .fetch_all(&mut *connection)
            .await?;
        ids.append(&mut some);
    }
    Ok(ids)
}

pub async fn ids_with_tag(connection: &mut AnyConnection, tag: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT article_id FROM article_tags WHERE tag = $1 ORDER BY article_id")
        .bind(tag)
        .fetch_all(connection)
        .await
}

/// Verified articles whose verification fell due at or before `now`.
pub async fn lapsed(connection: &mut AnyConnection, now: i64, limit: i64) -> sqlx::Result<Vec<Article>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM articles WHERE verified = 1 AND verification_due_at <= $1 ORDER BY verification_due_at LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(connection)
    .await?;
    rows.iter().map(decode).collect()
}

/// A verifier's queue: unverified articles (with an interval) and those due by `due_before`,
/// unverified first, then by due time, keyset-paged on (rank, due, id).
pub async fn verification_queue(
    connection: &mut AnyConnection,
    person_id: &str,
    team_id: &str,
    due_before: i64,
    after_id: &str,
    limit: i64,
) -> sqlx::Result<Vec<Article>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM articles
         WHERE (($1 <> '' AND verifier_person_id = $1) OR ($2 <> '' AND verifier_team_id = $2))
           AND verification_interval > 0 AND status <> 3
           AND (verified = 0 OR verification_due_at <= $3)
         ORDER BY verified, COALESCE(verification_due_at, 0), id"
    ))
    .bind(person_id)
    .bind(team_id)
    .bind(due_before)
    .fetch_all(connection)
    .await?;
    // Queues are short (one verifier's articles); paging after an id in memory keeps the SQL
    // portable across both backends.
    let articles: Vec<Article> = rows.iter().map(decode).collect::<sqlx::Result<_>>()?;
    let start = if after_id.is_empty() {
        0
    } else {
        articles.iter().position(|a| a.id == after_id).map_or(articles.len(), |i| i + 1)
    };
    Ok(articles.into_iter().skip(start).take(limit as usize).collect())
}

fn decode(row: &AnyRow) -> sqlx::Result<Article> {
    Ok(Article {
        id: row.try_get("id")?,
        external_id: row.try_get("external_id")?,
        collection_id: row.try_get("collection_id")?,
        article_type: codes::to_article_type(row.try_get("article_type")?)?,
        visibility: codes::to_visibility(row.try_get("visibility")?)?,
        status: codes::to_status(row.try_get("status")?)?,
        source_locale: row.try_get("source_locale")?,
        tags: parse_list("tags", &row.try_get::<String, _>("tags")?)?,
        owner_id: row.try_get("owner_id")?,
        author_id: row.try_get("author_id")?,
        verifier: Verifier {
            person_id: row.try_get("verifier_person_id")?,
            team_id: row.try_get("verifier_team_id")?,
            interval: codes::to_interval(row.try_get("verification_interval")?)?,
        },
        verification: VerificationRecord {
            verified: row.try_get::<i64, _>("verified")? != 0,
            verified_by: row.try_get("verified_by")?,
            verified_at: row.try_get("verified_at")?,
            due_at: row.try_get("verification_due_at")?,
            unverified_reason: row.try_get("unverified_reason")?,
        },
        helpful_votes: row.try_get("helpful_votes")?,
        not_helpful_votes: row.try_get("not_helpful_votes")?,
        view_count: row.try_get("view_count")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        published_at: row.try_get("published_at")?,
        revision: row.try_get("revision")?,
    })
}

const TRANSLATION_COLUMNS: &str = "article_id, locale, title, body, body_format, body_html, body_text, \
    content_revision, source_revision, version, updated_at, updated_by";

/// Inserts or replaces one locale of an article.
pub async fn save_translation(connection: &mut AnyConnection, translation: &Translation) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM article_translations WHERE article_id = $1 AND locale = $2")
        .bind(&translation.article_id)
        .bind(&translation.locale)
        .execute(&mut *connection)
        .await?;
    insert_translations(connection, std::slice::from_ref(translation)).await
}

/// Stores locales no article has yet, many to a statement: what an import writes.
pub async fn insert_translations(connection: &mut AnyConnection, translations: &[Translation]) -> sqlx::Result<()> {
    let columns: Vec<&str> = TRANSLATION_COLUMNS.split(',').map(str::trim).collect();
    rows::insert(connection, "article_translations", &columns, "", translations, |query, translation| {
        query
            .bind(&translation.article_id)
            .bind(&translation.locale)
            .bind(&translation.title)
            .bind(&translation.body)
            .bind(codes::body_format(translation.body_format))
            .bind(&translation.body_html)
            .bind(&translation.body_text)
            .bind(translation.content_revision)
            .bind(translation.source_revision)
            .bind(translation.version)
            .bind(translation.updated_at)
            .bind(&translation.updated_by)
    })
    .await
}

/// Every locale of an article, the source first is not guaranteed: ordered by locale.
pub async fn translations(connection: &mut AnyConnection, article_id: &str) -> sqlx::Result<Vec<Translation>> {
    let rows = sqlx::query(&format!(
        "SELECT {TRANSLATION_COLUMNS} FROM article_translations WHERE article_id = $1 ORDER BY locale"
    ))
    .bind(article_id)
    .fetch_all(connection)
    .await?;
    rows.iter().map(decode_translation).collect()
}

fn decode_translation(row: &AnyRow) -> sqlx::Result<Translation> {
    Ok(Translation {
        article_id: row.try_get("article_id")?,
        locale: row.try_get("locale")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        body_format: codes::to_body_format(row.try_get("body_format")?)?,
        body_html: row.try_get("body_html")?,
        body_text: row.try_get("body_text")?,
        content_revision: row.try_get("content_revision")?,
        source_revision: row.try_get("source_revision")?,
        version: row.try_get("version")?,
        updated_at: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
    })
}

pub async fn insert_version(connection: &mut AnyConnection, version: &Version) -> sqlx::Result<()> {
    insert_versions(connection, std::slice::from_ref(version)).await
}

/// Records versions of many articles, many to a statement.
pub async fn insert_versions(connection: &mut AnyConnection, versions: &[Version]) -> sqlx::Result<()> {
    const COLUMNS: &[&str] = &[
        "article_id",
        "locale",
        "version",
        "title",
        "body",
        "body_format",
        "tags",
        "created_by",
        "created_at",
        "note",
    ];
    rows::insert(connection, "article_versions", COLUMNS, "", versions, |query, version| {
        query
            .bind(&version.article_id)
            .bind(&version.locale)
            .bind(version.version)
            .bind(&version.title)
            .bind(&version.body)
            .bind(codes::body_format(version.body_format))
            .bind(json_list(&version.tags))
            .bind(&version.created_by)
            .bind(version.created_at)
            .bind(&version.note)
    })
    .await
}

pub async fn versions(connection: &mut AnyConnection, article_id: &str, locale: &str) -> sqlx::Result<Vec<Version>> {
    let rows = sqlx::query(
        "SELECT article_id, locale, version, title, body, body_format, tags, created_by, created_at, note
         FROM article_versions WHERE article_id = $1 AND locale = $2 ORDER BY version DESC",
    )
    .bind(article_id)
    .bind(locale)
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Version {
                article_id: row.try_get("article_id")?,
                locale: row.try_get("locale")?,
                version: row.try_get("version")?,
                title: row.try_get("title")?,
                body: row.try_get("body")?,
                body_format: codes::to_body_format(row.try_get("body_format")?)?,
                tags: parse_list("tags", &row.try_get::<String, _>("tags")?)?,
                created_by: row.try_get("created_by")?,
                created_at: row.try_get("created_at")?,
                note: row.try_get("note")?,
            })
        })
        .collect()
}
