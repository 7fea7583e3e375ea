//! Analytics scenarios: how fast the follower applies the ticketing feed (measured by a rebuild,
//! which re-applies a feed that is already complete), and metric series over `tickets` tickets
//! of history — from rollups, from the ticket rows, and the naive way: one SQL aggregate over the
//! raw rows, as a BI tool pointed at the table would run it.
//!
//! The history is bulk-inserted into analytics' fact table with one INSERT … SELECT (facts as
//! the follower would have written them), then every slot is marked stale and the refresher
//! builds the rollups, timed.
use std::time::{Duration, Instant};

use frontline::demo::Bearer;
use frontline_proto::{
    analytics::v1::{self as pb, analytics_service_client::AnalyticsServiceClient},
    ticketing::v1::{self as tk, ticketing_service_client::TicketingServiceClient},
};
use frontline_shared::{
    auth::Role,
    config::Settings,
    database::{Backend, Database},
};
use prost_types::Timestamp;
use tonic::{service::interceptor::InterceptedService, transport::Channel};

use crate::{Suite, load};

type Analytics = AnalyticsServiceClient<InterceptedService<Channel, Bearer>>;

/// The seeded history: 180 days ending 2026-06-01 00:00 UTC.
const HISTORY_END: i64 = 1_780_272_000;
const HISTORY_DAYS: i64 = 180;
const TEAMS: i64 = 20;

fn analytics(suite: &Suite, role: Role) -> Analytics {
    let bearer = Bearer::from_header(&suite.bearer(role, "bench", None)).expect("ASCII token");
    AnalyticsServiceClient::with_interceptor(suite.channel.clone(), bearer)
}

fn timestamp(seconds: i64) -> Timestamp {
    Timestamp { seconds, nanos: 0 }
}

/// Waits until every feed analytics follows is applied to its head; returns the events applied.
async fn caught_up(analytics: &mut Analytics) -> anyhow::Result<i64> {
    loop {
        let subscriptions =
            analytics.list_feed_subscriptions(pb::ListFeedSubscriptionsRequest {}).await?.into_inner().subscriptions;
        let ticketing = subscriptions.iter().find(|s| s.feed == "ticketing");
        if let Some(s) = ticketing
            && s.lag == 0
            && s.position > 0
            && s.position == s.head_position
        {
            return Ok(subscriptions.iter().map(|s| s.position).sum());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Ingestion: `tickets` tickets created and half of them answered and solved through
/// ticketing, then a rebuild re-applies the whole feed while the clock runs.
pub async fn ingestion(suite: &Suite, tickets: usize, concurrency: usize) -> anyhow::Result<String> {
    let bearer = Bearer::from_header(&suite.bearer(Role::Administrator, "bench", None)).expect("ASCII token");
    let desk = TicketingServiceClient::with_interceptor(suite.channel.clone(), bearer);
    let requester = desk
        .clone()
        .upsert_customer(tk::UpsertCustomerRequest {
            customer: Some(tk::Customer {
                name: "Bench Customer".into(),
                emails: vec!["bench@example.com".into()],
                external_id: "bench-1".into(),
                ..Default::default()
            }),
        })
        .await?
        .into_inner()
        .customer
        .map(|c| c.id)
        .unwrap_or_default();
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let (mut desk, requester) = (desk.clone(), requester.clone());
            tokio::spawn(async move {
                for n in (worker..tickets).step_by(concurrency) {
                    let ticket = tk::Ticket {
                        subject: format!("Bench ticket {n}"),
                        requester_id: requester.clone(),
                        team_id: format!("bench-team-{:02}", n as i64 % TEAMS),
                        ..Default::default()
                    };
                    let ticket = desk
                        .create_ticket(tk::CreateTicketRequest { ticket: Some(ticket), request_id: String::new() })
                        .await?
                        .into_inner();
                    if n % 2 == 0 {
                        desk.add_comment(tk::AddCommentRequest {
                            ticket_id: ticket.id,
                            body: "Solved on the bench.".into(),
                            public: true,
                            status: tk::TicketStatus::Solved as i32,
                            ..Default::default()
                        })
                        .await?;
                    }
                }
                Ok::<_, tonic::Status>(())
            })
        })
        .collect();
    for worker in workers {
        worker.await??;
    }
    let mut client = analytics(suite, Role::Administrator);
    caught_up(&mut client).await?;
    let written = started.elapsed();
    let rebuild = Instant::now();
    client.rebuild_analytics(pb::RebuildAnalyticsRequest {}).await?;
    let events = caught_up(&mut client).await?;
    let seconds = rebuild.elapsed().as_secs_f64();
    Ok(format!(
        "analytics ingestion: {tickets} tickets ({events} feed events) written in {:.1}s; a rebuild re-applied them in {seconds:.1}s = {:.0} events/s",
        written.as_secs_f64(),
        events as f64 / seconds
    ))
}

/// Bulk-inserts `tickets` tickets of history into analytics' facts and builds their rollups.
pub async fn seed_history(settings: &Settings, tickets: i64) -> anyhow::Result<String> {
    let db = Database::connect(settings, frontline_analytics::DATABASE).await?;
    let started = Instant::now();
    let numbers = match db.backend() {
        Backend::Postgres => format!("SELECT i FROM generate_series(CAST(1 AS BIGINT), {tickets}) AS s(i)"),
        Backend::Sqlite => format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {tickets}) SELECT i FROM n"
        ),
    };
    let start = (HISTORY_END - HISTORY_DAYS * 86_400) * 1_000_000;
    let step = HISTORY_DAYS * 86_400 * 1_000_000 / tickets;
    // Replies within 1 min to 10 h, solves within 20 h; a tenth are never answered, a fifth unsolved.
    let sql = format!(
        "INSERT INTO ticket_metric_facts (ticket_id, team_id, assignee_id, channel, priority, type, created_at,
             first_reply_at, first_reply_seconds, first_reply_business_seconds, solved_at, full_resolution_seconds,
             full_resolution_business_seconds, requester_wait_seconds, requester_wait_business_seconds, agent_replies,
             reopens, one_touch, csat, escalated, revision)
         SELECT 'bench-' || i, 'bench-team-' || (i % {TEAMS}), 'agent-' || (i % 400), 1 + i % 6, 1 + i % 4, 1 + i % 6,
             {start} + i * {step},
             CASE WHEN i % 10 = 0 THEN NULL ELSE {start} + i * {step} + (60 + (i * 7919) % 36000) * 1000000 END,
             CASE WHEN i % 10 = 0 THEN NULL ELSE 60 + (i * 7919) % 36000 END,
             CASE WHEN i % 10 = 0 THEN NULL ELSE (60 + (i * 7919) % 36000) / 3 END,
             CASE WHEN i % 5 = 0 THEN NULL ELSE {start} + i * {step} + (600 + (i * 104729) % 72000) * 1000000 END,
             CASE WHEN i % 5 = 0 THEN NULL ELSE 600 + (i * 104729) % 72000 END,
             CASE WHEN i % 5 = 0 THEN NULL ELSE (600 + (i * 104729) % 72000) / 3 END,
             (i * 31) % 7200, (i * 31) % 2400, 1 + i % 4, CASE WHEN i % 13 = 0 THEN 1 ELSE 0 END,
             CASE WHEN i % 4 = 0 THEN 1 ELSE 0 END, i % 3, CASE WHEN i % 17 = 0 THEN 1 ELSE 0 END, i
         FROM ({numbers}) AS numbers"
    );
    sqlx::query(&sql).execute(db.writer()).await?;
    let inserted = started.elapsed();
    for column in ["created_at", "first_reply_at", "solved_at"] {
        let slot = format!("{column} - {column} % {}", frontline_analytics::domain::rollup::SLOT_MICROS);
        sqlx::query(&format!(
            "INSERT INTO metric_slots (slot, revision, refreshed_revision)
             SELECT DISTINCT {slot}, 1, 0 FROM ticket_metric_facts WHERE {column} IS NOT NULL
             ON CONFLICT (slot) DO NOTHING"
        ))
        .execute(db.writer())
        .await?;
    }
    if db.backend() == Backend::Postgres {
        sqlx::query("ANALYZE").execute(db.writer()).await?;
    }
    let slots: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM metric_slots").fetch_one(db.reader()).await?;
    let rollups = Instant::now();
    rollups_fresh(&db, slots).await?;
    let built = rollups.elapsed().as_secs_f64();
    db.close().await;
    Ok(format!(
        "analytics history: {tickets} tickets bulk-inserted in {:.1}s; {slots} half-hour slots rolled up in {built:.1}s ({:.0} slots/s)",
        inserted.as_secs_f64(),
        slots as f64 / built
    ))
}

/// Waits until the refresher has rolled up every stale slot (of `slots`), showing progress.
pub async fn rollups_fresh(db: &Database, slots: i64) -> anyhow::Result<()> {
    let mut last_report = Instant::now();
    loop {
        let stale = frontline_analytics::store::rollups::stale_count(db).await?;
        if last_report.elapsed() > Duration::from_secs(2) {
            eprint!("\rbuilding rollups: {}/{slots} slots", slots - stale);
            last_report = Instant::now();
        }
        if stale == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!();
    Ok(())
}

/// Analytics has ingested everything imported and rolled it up: what the suite does in the
/// background after an import, done before anything is measured.
pub async fn quiet(suite: &Suite, settings: &Settings) -> anyhow::Result<()> {
    settled(suite).await?;
    let db = Database::connect(settings, frontline_analytics::DATABASE).await?;
    let slots: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM metric_slots").fetch_one(db.reader()).await?;
    rollups_fresh(&db, slots).await?;
    db.close().await;
    Ok(())
}

/// Series over the seeded history, three ways, and the naive SQL aggregate beside them.
pub async fn run(
    suite: &Suite,
    settings: &Settings,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<Vec<load::Measurement>> {
    let mut results = Vec::new();
    let client = analytics(suite, Role::BiReader);
    let month = (HISTORY_END - 30 * 86_400, HISTORY_END);
    let all = (HISTORY_END - HISTORY_DAYS * 86_400, HISTORY_END);
    let scenarios = [
        ("series p90 first reply, 30 Warsaw days (rollups)", month, "day", "Europe/Warsaw", ""),
        ("series p90 first reply, 30 days by team (rollups)", month, "day", "Europe/Warsaw", "team"),
        ("series p90 first reply, 26 weeks (rollups)", all, "week", "Europe/Warsaw", ""),
        ("series p90 first reply, 30 Kathmandu days (rows)", month, "day", "Asia/Kathmandu", ""),
    ];
    for (name, (from, to), granularity, zone, group_by) in scenarios {
        let client = client.clone();
        results.push(
            load::run(name, concurrency, duration, move |_, _| {
                let mut client = client.clone();
                async move {
                    client
                        .get_metric_series(pb::GetMetricSeriesRequest {
                            metric: "first_reply_time".into(),
                            from: Some(timestamp(from)),
                            to: Some(timestamp(to)),
                            granularity: granularity.into(),
                            time_zone: zone.into(),
                            aggregate: "p90".into(),
                            group_by: group_by.into(),
                            ..Default::default()
                        })
                        .await?;
                    Ok(())
                }
            })
            .await,
        );
    }

    // The naive way: the database aggregates the raw rows per local day. PostgreSQL has an
    // exact percentile; SQLite has none, so there the rows come back sorted per day and the
    // client picks the 90th.
    let db = Database::connect(settings, frontline_analytics::DATABASE).await?;
    let (from, to) = (month.0 * 1_000_000, month.1 * 1_000_000);
    let (name, sql) = match db.backend() {
        Backend::Postgres => (
            "naive SQL: percentile_cont per Warsaw day, 30 days",
            "SELECT CAST(date_trunc('day', to_timestamp(first_reply_at / 1000000.0) AT TIME ZONE 'Europe/Warsaw') AS TEXT) AS day,
                 CAST(percentile_cont(0.9) WITHIN GROUP (ORDER BY first_reply_seconds) AS DOUBLE PRECISION) AS p90,
                 COUNT(*) AS tickets
             FROM ticket_metric_facts WHERE first_reply_at >= $1 AND first_reply_at < $2 GROUP BY 1 ORDER BY 1",
        ),
        Backend::Sqlite => (
            "naive SQL: raw rows per Warsaw day, exact p90, 30 days",
            // SQLite knows no zones: the offset is fixed (+1 h, winter), as a hand-written query would.
            "SELECT date((first_reply_at / 1000000) + 3600, 'unixepoch') AS day, first_reply_seconds
             FROM ticket_metric_facts WHERE first_reply_at >= $1 AND first_reply_at < $2 ORDER BY day, first_reply_seconds",
        ),
    };
    let backend = db.backend();
    results.push(
        load::run(name, concurrency, duration, move |_, _| {
            let db = db.clone();
            async move {
                let rows = sqlx::query(sql)
                    .bind(from)
                    .bind(to)
                    .fetch_all(db.reader())
                    .await
                    .map_err(|error| tonic::Status::internal(error.to_string()))?;
                if backend == Backend::Sqlite {
                    // The 90th value of each day's sorted run.
                    let mut days = std::collections::BTreeMap::<String, Vec<i64>>::new();
                    for row in &rows {
                        use sqlx::Row;
                        days.entry(row.get("day")).or_default().push(row.get("first_reply_seconds"));
                    }
                    let p90: Vec<i64> = days.values().map(|v| v[(v.len() * 9 / 10).min(v.len() - 1)]).collect();
                    std::hint::black_box(p90);
                }
                Ok(())
            }
        })
        .await,
    );
    Ok(results)
}

/// Waits until analytics has applied everything seeded so far, so that no figure measured next
/// shares the cores with ingesting the seed.
pub async fn settled(suite: &Suite) -> anyhow::Result<()> {
    caught_up(&mut analytics(suite, Role::Administrator)).await.map(drop)
}
