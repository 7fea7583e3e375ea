//! Definitions of administrator-defined ticket fields.
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::{decode_enum, json_list, parse_json_list};
use crate::domain::custom_fields::{FieldDefinition, FieldType};

const COLUMNS: &str =
    "key, title, type, options, required_on_solve, active, description, created_at, updated_at, revision";

pub async fn insert(connection: &mut AnyConnection, field: &FieldDefinition) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO custom_fields (key, title, type, options, required_on_solve, active, description, created_at, updated_at, revision)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&field.key)
    .bind(&field.title)
    .bind(field.field_type.number())
    .bind(json_list(&field.options))
    .bind(i64::from(field.required_on_solve))
    .bind(i64::from(field.active))
    .bind(&field.description)
    .bind(field.created_at)
    .bind(field.updated_at)
    .bind(field.revision)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn update(
    connection: &mut AnyConnection,
    field: &FieldDefinition,
    expected_revision: i64,
) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE custom_fields SET title = $2, options = $3, required_on_solve = $4, active = $5, description = $6,
             updated_at = $7, revision = $8 WHERE key = $1 AND revision = $9",
    )
    .bind(&field.key)
    .bind(&field.title)
    .bind(json_list(&field.options))
    .bind(i64::from(field.required_on_solve))
    .bind(i64::from(field.active))
    .bind(&field.description)
    .bind(field.updated_at)
    .bind(field.revision)
    .bind(expected_revision)
    .execute(connection)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

pub async fn get(connection: &mut AnyConnection, key: &str) -> sqlx::Result<Option<FieldDefinition>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM custom_fields WHERE key = $1"))
        .bind(key)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

/// Every definition, in the order they were created.
pub async fn all(connection: &mut AnyConnection) -> sqlx::Result<Vec<FieldDefinition>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM custom_fields ORDER BY created_at, key"))
        .fetch_all(connection)
        .await?;
    rows.iter().map(decode).collect()
}

fn decode(row: &AnyRow) -> sqlx::Result<FieldDefinition> {
    Ok(FieldDefinition {
        key: row.try_get("key")?,
        title: row.try_get("title")?,
        field_type: decode_enum("type", row.try_get("type")?, FieldType::from_number)?,
        options: parse_json_list("options", &row.try_get::<String, _>("options")?)?,
        required_on_solve: row.try_get::<i64, _>("required_on_solve")? == 1,
        active: row.try_get::<i64, _>("active")? == 1,
        description: row.try_get("description")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        revision: row.try_get("revision")?,
    })
}
