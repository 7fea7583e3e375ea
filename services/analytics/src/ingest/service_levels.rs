//! Calendars and SLA policies from the ticketing feed: what business-hours metrics run on.
use frontline_proto::{
    common::v1::FeedEvent,
    ticketing::v1::{BusinessCalendar, SlaPolicy},
};
use frontline_shared::calendar::parse_time_of_day;
use prost::Name;
use sqlx::AnyConnection;

use crate::store::calendars::{self, StoredCalendar};

pub async fn apply(connection: &mut AnyConnection, event: &FeedEvent) -> anyhow::Result<()> {
    let Some(payload) = &event.payload else { return Ok(()) };
    let deleted = event.event_type.ends_with(".deleted");
    if payload.type_url == BusinessCalendar::type_url() {
        let calendar = payload.to_msg::<BusinessCalendar>()?;
        if deleted {
            calendars::delete_calendar(connection, &calendar.id).await?;
        } else {
            let intervals = calendar
                .intervals
                .iter()
                .filter_map(|i| Some((i64::from(i.weekday), parse_time_of_day(&i.start)?, parse_time_of_day(&i.end)?)))
                .collect();
            let stored = StoredCalendar {
                id: calendar.id,
                time_zone: calendar.time_zone,
                intervals,
                holidays: calendar.holidays,
            };
            calendars::upsert_calendar(connection, &stored).await?;
        }
    } else if payload.type_url == SlaPolicy::type_url() {
        let policy = payload.to_msg::<SlaPolicy>()?;
        if deleted {
            calendars::delete_policy(connection, &policy.id).await?;
        } else {
            calendars::upsert_policy(connection, &policy.id, &policy.calendar_id).await?;
        }
    }
    Ok(())
}
