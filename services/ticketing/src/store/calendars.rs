//! Business-hours calendars.
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row, any::AnyRow};

use super::parse_json;
use crate::domain::{
    calendar::Interval,
    service_level::{BusinessCalendar, weekday_from_number, weekday_number},
};

const COLUMNS: &str = "id, name, time_zone, intervals, holidays, revision, created_at, updated_at";

/// An opening as stored: ISO weekday number (Monday = 1) and minutes since local midnight.
#[derive(Serialize, Deserialize)]
struct StoredInterval {
    weekday: i64,
    start_minute: u16,
    end_minute: u16,
}

fn intervals_json(intervals: &[Interval]) -> String {
    let stored: Vec<StoredInterval> = intervals
        .iter()
        .map(|i| StoredInterval {
            weekday: weekday_number(i.weekday),
            start_minute: i.start_minute,
            end_minute: i.end_minute,
        })
        .collect();
    serde_json::to_string(&stored).expect("intervals serialise")
}

fn holidays_json(holidays: &[NaiveDate]) -> String {
    let days: Vec<String> = holidays.iter().map(|day| day.format("%Y-%m-%d").to_string()).collect();
    serde_json::to_string(&days).expect("dates serialise")
}

fn parse_holidays(text: &str) -> sqlx::Result<Vec<NaiveDate>> {
    let days: Vec<String> = parse_json("holidays", text)?;
    days.iter()
        .map(|day| {
            NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .map_err(|error| sqlx::Error::ColumnDecode { index: "holidays".into(), source: Box::new(error) })
        })
        .collect()
}

pub async fn insert(connection: &mut AnyConnection, calendar: &BusinessCalendar) -> sqlx::Result<()> {
    sqlx::query(&format!("INSERT INTO business_calendars ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
        .bind(&calendar.id)
        .bind(&calendar.name)
        .bind(&calendar.time_zone)
        .bind(intervals_json(&calendar.intervals))
        .bind(holidays_json(&calendar.holidays))
        .bind(calendar.revision)
        .bind(calendar.created_at)
        .bind(calendar.updated_at)
        .execute(connection)
        .await?;
    Ok(())
}

/// Writes the calendar if it is still at `expected_revision`; false when someone else won.
pub async fn update(
    connection: &mut AnyConnection,
    calendar: &BusinessCalendar,
    expected_revision: i64,
) -> sqlx::Result<bool> {
    let updated = sqlx::query(
        "UPDATE business_calendars SET name = $2, time_zone = $3, intervals = $4, holidays = $5, revision = $6,
         updated_at = $7 WHERE id = $1 AND revision = $8",
    )
    .bind(&calendar.id)
    .bind(&calendar.name)
    .bind(&calendar.time_zone)
    .bind(intervals_json(&calendar.intervals))
    .bind(holidays_json(&calendar.holidays))
    .bind(calendar.revision)
    .bind(calendar.updated_at)
    .bind(expected_revision)
    .execute(connection)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

pub async fn delete(connection: &mut AnyConnection, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM business_calendars WHERE id = $1").bind(id).execute(connection).await?;
    Ok(())
}

pub async fn get(connection: &mut AnyConnection, id: &str) -> sqlx::Result<Option<BusinessCalendar>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM business_calendars WHERE id = $1"))
        .bind(id)
        .fetch_optional(connection)
        .await?;
    row.as_ref().map(decode).transpose()
}

pub async fn all(connection: &mut AnyConnection) -> sqlx::Result<Vec<BusinessCalendar>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM business_calendars ORDER BY name, id"))
        .fetch_all(connection)
        .await?;
    rows.iter().map(decode).collect()
}

fn decode(row: &AnyRow) -> sqlx::Result<BusinessCalendar> {
    let stored: Vec<StoredInterval> = parse_json("intervals", &row.try_get::<String, _>("intervals")?)?;
    let intervals = stored
        .into_iter()
        .map(|i| {
            let weekday = weekday_from_number(i.weekday).ok_or_else(|| sqlx::Error::ColumnDecode {
                index: "intervals".into(),
                source: format!("{} is not a weekday", i.weekday).into(),
            })?;
            Ok(Interval { weekday, start_minute: i.start_minute, end_minute: i.end_minute })
        })
        .collect::<sqlx::Result<Vec<_>>>()?;
    Ok(BusinessCalendar {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        time_zone: row.try_get("time_zone")?,
        intervals,
        holidays: parse_holidays(&row.try_get::<String, _>("holidays")?)?,
        revision: row.try_get("revision")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
