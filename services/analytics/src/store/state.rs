//! Analytics' own bookkeeping: the rebuild epoch export cursors carry, and the rebuild itself.
use frontline_shared::database::{Backend, Database};
use sqlx::AnyConnection;

/// The tables rebuilt from the feeds: everything analytics derived. Keep it complete — a table
/// missing here would keep its rows through a rebuild and count them twice.
pub const DERIVED_TABLES: &[&str] = &[
    "ticket_facts",
    "ticket_history",
    "ticket_metric_facts",
    "ticket_fact_tags",
    "metric_slots",
    "metric_rollups",
    "ticket_unsolved_periods",
    "knowledge_articles",
    "knowledge_collections",
    "knowledge_views",
    "knowledge_votes",
    "knowledge_deflections",
    "knowledge_search_windows",
    "knowledge_search_gaps",
    "workforce_people",
    "workforce_certifications",
    "workforce_qa_scores",
    "workforce_development",
    "business_calendars",
    "sla_policies",
];

pub async fn epoch(connection: &mut AnyConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT value FROM analytics_state WHERE name = 'rebuild_epoch'").fetch_one(connection).await
}

/// Empties every derived table, sends every follower back to the start of its feed and bumps
/// the epoch, in one transaction; returns the new epoch. Followers notice their cursor moved
/// back and start over (see frontline_shared::feed::Follower).
pub async fn reset_for_rebuild(db: &Database) -> sqlx::Result<i64> {
    let mut transaction = db.begin().await?;
    // On Postgres the cursor rows are locked first, so a batch being applied finishes before the
    // tables are emptied (and none starts until this commits).
    if db.backend() == Backend::Postgres {
        sqlx::query("SELECT position FROM feed_cursors FOR UPDATE").fetch_all(&mut *transaction).await?;
    }
    for table in DERIVED_TABLES {
        sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *transaction).await?;
    }
    sqlx::query("UPDATE feed_cursors SET position = 0, last_error = ''").execute(&mut *transaction).await?;
    sqlx::query("UPDATE analytics_state SET value = value + 1 WHERE name = 'rebuild_epoch'")
        .execute(&mut *transaction)
        .await?;
    let epoch = epoch(&mut transaction).await?;
    transaction.commit().await?;
    Ok(epoch)
}

#[cfg(test)]
mod tests {
    /// Every table analytics' migrations create is either derived (and emptied by a rebuild) or
    /// analytics' own bookkeeping: a new table cannot be forgotten here.
    #[test]
    fn every_table_the_migrations_create_is_rebuilt() {
        fn sql_files(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).expect("migrations directory") {
                let path = entry.expect("directory entry").path();
                if path.is_dir() {
                    sql_files(&path, found);
                } else if path.extension().is_some_and(|e| e == "sql") {
                    found.push(std::fs::read_to_string(&path).expect("migration file"));
                }
            }
        }
        let mut files = Vec::new();
        sql_files(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"), &mut files);
        let mut created: Vec<String> = files
            .iter()
            .flat_map(|sql| sql.lines())
            .filter_map(|line| line.trim().strip_prefix("CREATE TABLE "))
            .map(|rest| rest.split_whitespace().next().unwrap_or_default().trim_end_matches('(').to_string())
            .collect();
        created.sort();
        created.dedup();
        let forgotten: Vec<&String> = created
            .iter()
            .filter(|t| *t != "analytics_state" && !super::DERIVED_TABLES.contains(&t.as_str()))
            .collect();
        assert!(forgotten.is_empty(), "add these to DERIVED_TABLES: {forgotten:?}");
        assert!(created.len() > 10, "the migrations were read: {created:?}");
    }
}
