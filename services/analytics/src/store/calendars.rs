//! Business calendars and the SLA policies that use them, as the ticketing feed announces them.
use chrono::NaiveDate;
use frontline_shared::calendar::{Calendar, Interval, weekday_from_number};
use sqlx::{AnyConnection, Row};

/// A calendar as announced: zone, openings (ISO weekday, start and end minute), holidays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCalendar {
    pub id: String,
    pub time_zone: String,
    pub intervals: Vec<(i64, u16, u16)>,
    pub holidays: Vec<String>,
}

pub async fn upsert_calendar(connection: &mut AnyConnection, calendar: &StoredCalendar) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO business_calendars (id, time_zone, intervals, holidays) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET time_zone = excluded.time_zone, intervals = excluded.intervals,
             holidays = excluded.holidays",
    )
    .bind(&calendar.id)
    .bind(&calendar.time_zone)
    .bind(serde_json::to_string(&calendar.intervals).expect("intervals serialise"))
    .bind(serde_json::to_string(&calendar.holidays).expect("holidays serialise"))
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn delete_calendar(connection: &mut AnyConnection, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM business_calendars WHERE id = $1").bind(id).execute(connection).await?;
    Ok(())
}

pub async fn upsert_policy(connection: &mut AnyConnection, id: &str, calendar_id: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sla_policies (id, calendar_id) VALUES ($1, $2)
         ON CONFLICT (id) DO UPDATE SET calendar_id = excluded.calendar_id",
    )
    .bind(id)
    .bind(calendar_id)
    .execute(connection)
    .await?;
    Ok(())
}

pub async fn delete_policy(connection: &mut AnyConnection, id: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sla_policies WHERE id = $1").bind(id).execute(connection).await?;
    Ok(())
}

/// The business calendar of an SLA policy; None when the policy (or its calendar) is unknown,
/// or the stored calendar no longer builds.
pub async fn for_policy(connection: &mut AnyConnection, policy_id: &str) -> sqlx::Result<Option<Calendar>> {
    let row = sqlx::query(
        "SELECT c.time_zone, c.intervals, c.holidays FROM sla_policies p
         JOIN business_calendars c ON c.id = p.calendar_id WHERE p.id = $1",
    )
    .bind(policy_id)
    .fetch_optional(connection)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let time_zone: String = row.try_get("time_zone")?;
    let intervals: Vec<(i64, u16, u16)> =
        serde_json::from_str(&row.try_get::<String, _>("intervals")?).unwrap_or_default();
    let holidays: Vec<String> = serde_json::from_str(&row.try_get::<String, _>("holidays")?).unwrap_or_default();
    let intervals = intervals
        .into_iter()
        .filter_map(|(weekday, start_minute, end_minute)| {
            Some(Interval { weekday: weekday_from_number(weekday)?, start_minute, end_minute })
        })
        .collect();
    let holidays = holidays.iter().filter_map(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").ok());
    Ok(Calendar::new(&time_zone, intervals, holidays).ok())
}

/// The business calendar a ticket's metrics are measured in: its SLA policy's, or always open.
pub async fn for_ticket(connection: &mut AnyConnection, ticket_id: &str) -> sqlx::Result<Calendar> {
    let policy: Option<String> = sqlx::query("SELECT sla_policy_id FROM ticket_facts WHERE ticket_id = $1")
        .bind(ticket_id)
        .fetch_optional(&mut *connection)
        .await?
        .map(|row| row.try_get("sla_policy_id"))
        .transpose()?;
    match policy.filter(|policy| !policy.is_empty()) {
        Some(policy) => Ok(for_policy(connection, &policy).await?.unwrap_or_else(Calendar::always)),
        None => Ok(Calendar::always()),
    }
}
