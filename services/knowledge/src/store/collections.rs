//! Collections and sections.
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{json_list, parse_list};
use crate::domain::model::{Collection, Permissions};

const COLUMNS: &str =
    "id, name, description, parent_id, reader_team_ids, editor_team_ids, external_id, created_at, updated_at, revision";

pub async fn insert(connection: &mut AnyConnection, collection: &Collection) -> sqlx::Result<()> {
    sqlx::query(&format!("INSERT INTO collections ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"))
        .bind(&collection.id)
        .bind(&collection.name)
        .bind(&collection.description)
        .bind(collection.parent_id.as_deref())
        .bind(json_list(&collection.permissions.reader_team_ids))
        .bind(json_list(&collection.permissions.editor_team_ids))
        .bind(collection.external_id.as_deref())
        .bind(collection.created_at)
        .bind(collection.updated_at)
        .bind(collection.revision)
        .execute(connection)
        .await?;
    Ok(())
}

pub async fn update(
    connection: &mut AnyConnection,
    collection: &Collection,
    expected_revision: i64,
) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE collections SET name = $2, description = $3, reader_team_ids = $4, editor_team_ids = $5,
             external_id = $6, updated_at = $7, revision = $8 WHERE id = $1 AND revision = $9",
    )
    .bind(&collection.id)
    .bind(&collection.name)
    .bind(&collection.description)
    .bind(json_list(&collection.permissions.reader_team_ids))
    .bind(json_list(&collection.permissions.editor_team_ids))
    .bind(collection.external_id.as_deref())
    .bind(collection.updated_at)
    .bind(collection.revision)
    .bind(expected_revision)
    .execute(connection)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

pub async fn get(connection: &mut AnyConnection, id: &str) -> sqlx::Result<Option<Collection>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM collections WHERE id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

pub async fn by_external_id(connection: &mut AnyConnection, external_id: &str) -> sqlx::Result<Option<Collection>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM collections WHERE external_id = $1"))
        .bind(external_id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// Every collection and section, ordered by name: the tree is small and read whole.
pub async fn all(connection: &mut AnyConnection) -> sqlx::Result<Vec<Collection>> {
    let rows =
        sqlx::query(&format!("SELECT {COLUMNS} FROM collections ORDER BY name, id")).fetch_all(connection).await?;
    rows.iter().map(decode).collect()
}

/// The collection with `id` and the ids of its sections.
pub async fn with_sections(connection: &mut AnyConnection, id: &str) -> sqlx::Result<Vec<String>> {
    let mut ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM collections WHERE parent_id = $1").bind(id).fetch_all(connection).await?;
    ids.insert(0, id.to_owned());
    Ok(ids)
}

fn decode(row: &AnyRow) -> sqlx::Result<Collection> {
    Ok(Collection {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        parent_id: row.try_get("parent_id")?,
        permissions: Permissions {
            reader_team_ids: parse_list("reader_team_ids", &row.try_get::<String, _>("reader_team_ids")?)?,
            editor_team_ids: parse_list("editor_team_ids", &row.try_get::<String, _>("editor_team_ids")?)?,
        },
        external_id: row.try_get("external_id")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        revision: row.try_get("revision")?,
    })
}
