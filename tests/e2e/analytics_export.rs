//! Analytics' BI export, its rebuild from the feeds, and series read from rollups: what a BI
//! pipeline and an administrator check.
use std::{collections::BTreeSet, time::Duration};

use frontline_proto::{
    analytics::v1::{self as pb, analytics_service_client::AnalyticsServiceClient},
    ticketing::v1::{self as ticketing_pb, Channel, TicketStatus},
};
use frontline_shared::auth::Role;
use tonic::Code;

use crate::{
    conversation, on_both_backends,
    support::{Authed, eventually, expect_error, violated_fields},
    tickets,
};

type Analytics = AnalyticsServiceClient<Authed>;

/// Every batch of one export, in order.
async fn export(analytics: &mut Analytics, request: pb::ExportTicketFactsRequest) -> Vec<pb::TicketFactsBatch> {
    let mut stream = analytics.export_ticket_facts(request).await.expect("export starts").into_inner();
    let mut batches = Vec::new();
    while let Some(batch) = stream.message().await.expect("export batch") {
        batches.push(batch);
    }
    batches
}

fn facts(batches: &[pb::TicketFactsBatch]) -> Vec<pb::TicketFact> {
    batches.iter().flat_map(|b| b.facts.clone()).collect()
}

async fn series(analytics: &mut Analytics, request: pb::ExportMetricSeriesRequest) -> Vec<pb::SeriesRowsBatch> {
    let mut stream = analytics.export_metric_series(request).await.expect("series export starts").into_inner();
    let mut batches = Vec::new();
    while let Some(batch) = stream.message().await.expect("series batch") {
        batches.push(batch);
    }
    batches
}

fn around_now() -> (prost_types::Timestamp, prost_types::Timestamp) {
    let now = chrono::Utc::now();
    let at = |t: chrono::DateTime<chrono::Utc>| prost_types::Timestamp { seconds: t.timestamp(), nanos: 0 };
    (at(now - chrono::TimeDelta::days(2)), at(now + chrono::TimeDelta::days(2)))
}

/// Waits until analytics holds `count` tickets whose latest change it has applied.
async fn exported_when(
    analytics: &Analytics,
    count: usize,
    ready: fn(&[pb::TicketFact]) -> bool,
) -> Vec<pb::TicketFact> {
    eventually(Duration::from_secs(20), || {
        let mut analytics = analytics.clone();
        async move {
            let all = facts(&export(&mut analytics, pb::ExportTicketFactsRequest::default()).await);
            (all.len() == count && ready(&all)).then_some(all)
        }
    })
    .await
}

on_both_backends! {
    with |settings| settings.analytics.rollup_interval = Duration::from_millis(100);
    async fn a_bi_pipeline_exports_ticket_facts_incrementally_and_a_rebuild_reproduces_them(app) {
        let mut agent = app.ticketing_in_team(Role::Agent, "agent-ola", "team-tier1").await;
        let mut admin_desk = app.ticketing(Role::Administrator).await;
        let requester = tickets::requester(&mut admin_desk).await;
        let mut created = Vec::new();
        for (n, (team, channel)) in [("team-tier1", Channel::Email), ("team-tier1", Channel::Chat), ("team-billing", Channel::Phone), ("team-billing", Channel::Email)].into_iter().enumerate() {
            let ticket = ticketing_pb::Ticket { team_id: team.into(), channel: channel as i32, tags: vec!["export".into()], ..tickets::ticket(&requester, &format!("Faktura {n}, \"pilne\"")) };
            created.push(tickets::create(&mut admin_desk, ticket).await);
        }
        conversation::comment(&mut agent, &created[0].id, "Proszę sprawdzić teraz.", true, TicketStatus::Solved).await;

        let mut bi = app.analytics(Role::BiReader).await;
        let solved_one = |all: &[pb::TicketFact]| all.iter().any(|f| f.solved_at.is_some());
        let all = exported_when(&bi, 4, solved_one).await;
        let solved = all.iter().find(|f| f.ticket_id == created[0].id).unwrap();
        assert_eq!((solved.agent_replies, solved.one_touch, solved.status), (1, true, TicketStatus::Solved as i32));
        assert!(solved.first_reply_seconds.is_some() && solved.full_resolution_seconds.is_some());
        assert_eq!(solved.tags, ["export"]);
        assert_eq!(solved.handled_by, ["agent-ola"]);

        // In batches of two: every ticket exactly once, then a cursor that has caught up.
        let batches = export(&mut bi, pb::ExportTicketFactsRequest { batch_size: 2, ..Default::default() }).await;
        assert_eq!(batches.iter().map(|b| b.facts.len()).collect::<Vec<_>>(), [2, 2, 0]);
        assert_eq!(batches.iter().map(|b| b.caught_up).collect::<Vec<_>>(), [false, false, true]);
        let ids: BTreeSet<String> = facts(&batches).into_iter().map(|f| f.ticket_id).collect();
        assert_eq!(ids.len(), 4);
        let resumed = export(&mut bi, pb::ExportTicketFactsRequest { cursor: batches[0].cursor.clone(), ..Default::default() }).await;
        assert_eq!(facts(&resumed).len(), 2, "resuming after the first batch returns the rest");
        let cursor = batches.last().unwrap().cursor.clone();
        let nothing = export(&mut bi, pb::ExportTicketFactsRequest { cursor: cursor.clone(), ..Default::default() }).await;
        assert!(facts(&nothing).is_empty() && nothing.last().unwrap().caught_up);

        // The series export, then only what changed.
        let (from, to) = around_now();
        let series_request = || pb::ExportMetricSeriesRequest {
            metrics: vec!["tickets_created".into(), "first_reply_time".into()],
            from: Some(from), to: Some(to), granularity: "day".into(), time_zone: "Europe/Warsaw".into(), ..Default::default()
        };
        let first_series = series(&mut bi, series_request()).await;
        let rows: Vec<pb::SeriesRow> = first_series.iter().flat_map(|b| b.rows.clone()).collect();
        let created_today: i64 = rows.iter().filter(|r| r.metric == "tickets_created").map(|r| r.count).sum();
        assert_eq!(created_today, 4);
        let reply = rows.iter().find(|r| r.metric == "first_reply_time" && r.count == 1).expect("the reply's day");
        assert!(reply.p50.is_some() && reply.mean.is_some());
        let series_cursor = first_series.last().unwrap().cursor.clone();
        let unchanged = series(&mut bi, pb::ExportMetricSeriesRequest { cursor: series_cursor.clone(), ..series_request() }).await;
        assert!(unchanged.iter().all(|b| b.rows.is_empty()), "nothing changed since: {unchanged:?}");

        // A change: exactly that ticket comes back, and its day in the series.
        conversation::comment(&mut admin_desk, &created[2].id, "Oddzwonimy jutro.", true, TicketStatus::Pending).await;
        let changed = eventually(Duration::from_secs(20), || {
            let (mut bi, cursor) = (bi.clone(), cursor.clone());
            async move {
                let changed = facts(&export(&mut bi, pb::ExportTicketFactsRequest { cursor, ..Default::default() }).await);
                (!changed.is_empty()).then_some(changed)
            }
        }).await;
        assert_eq!(changed.iter().map(|f| f.ticket_id.as_str()).collect::<Vec<_>>(), [created[2].id.as_str()]);
        let moved = series(&mut bi, pb::ExportMetricSeriesRequest { cursor: series_cursor.clone(), ..series_request() }).await;
        let moved_rows: Vec<pb::SeriesRow> = moved.iter().flat_map(|b| b.rows.clone()).collect();
        let days: BTreeSet<i64> = moved_rows.iter().map(|r| r.start.as_ref().unwrap().seconds).collect();
        assert_eq!(days.len(), 1, "only the changed ticket's day: {moved_rows:?}");

        // CSV for tools that want files: a header, then one quoted line per ticket.
        let csv = export(&mut bi, pb::ExportTicketFactsRequest { format: pb::ExportFormat::Csv as i32, ..Default::default() }).await;
        let text: String = csv.iter().map(|b| b.csv.as_str()).collect();
        let mut reader = csv_reader(&text);
        assert_eq!(&reader.headers().unwrap().iter().take(3).collect::<Vec<_>>(), &["ticket_id", "status", "team_id"]);
        let records: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert_eq!(records.len(), 4);
        assert!(records.iter().any(|r| &r[1] == "TICKET_STATUS_SOLVED"));

        // Access: a team lead reads their own team only; agents not at all.
        let mut lead = app.analytics_as(Role::TeamLead, "lead-ewa", Some("team-tier1")).await;
        let own = facts(&export(&mut lead, pb::ExportTicketFactsRequest::default()).await);
        assert_eq!(own.len(), 2);
        assert!(own.iter().all(|f| f.team_id == "team-tier1"));
        let other = expect_error(lead.export_ticket_facts(pb::ExportTicketFactsRequest { team_id: "team-billing".into(), ..Default::default() }).await);
        assert_eq!(other.code(), Code::PermissionDenied);
        let mut agent_reader = app.analytics(Role::Agent).await;
        assert_eq!(expect_error(agent_reader.export_ticket_facts(pb::ExportTicketFactsRequest::default()).await).code(), Code::PermissionDenied);
        assert_eq!(expect_error(agent_reader.export_metric_series(series_request()).await).code(), Code::PermissionDenied);

        // Bad input names its field.
        let bad = expect_error(bi.export_ticket_facts(pb::ExportTicketFactsRequest { batch_size: 99_999, format: 7, ..Default::default() }).await);
        assert_eq!(violated_fields(&bad), ["batch_size", "format"]);
        let forged = expect_error(bi.export_ticket_facts(pb::ExportTicketFactsRequest { cursor: "bm90IGEgY3Vyc29y".into(), ..Default::default() }).await);
        assert_eq!(violated_fields(&forged), ["cursor"]);
        let bad_series = expect_error(bi.export_metric_series(pb::ExportMetricSeriesRequest { metrics: vec!["happiness".into()], granularity: "fortnight".into(), ..Default::default() }).await);
        assert_eq!(violated_fields(&bad_series), ["metrics", "granularity", "from", "to"]);
        let other_request = expect_error(bi.export_metric_series(pb::ExportMetricSeriesRequest { cursor: series_cursor, group_by: "team".into(), ..series_request() }).await);
        assert_eq!(violated_fields(&other_request), ["cursor"]);

        // The rebuild: administrators only; afterwards the same facts, and old cursors refused.
        let before = exported_when(&bi, 4, solved_one).await;
        let mut refused = app.analytics(Role::Manager).await;
        assert_eq!(expect_error(refused.rebuild_analytics(pb::RebuildAnalyticsRequest {}).await).code(), Code::PermissionDenied);
        let mut admin = app.analytics(Role::Administrator).await;
        let rebuilt = admin.rebuild_analytics(pb::RebuildAnalyticsRequest {}).await.unwrap().into_inner();
        assert_eq!(rebuilt.epoch, 2);
        assert!(rebuilt.subscriptions.iter().any(|s| s.feed == "ticketing"));
        let expired = expect_error(bi.export_ticket_facts(pb::ExportTicketFactsRequest { cursor, ..Default::default() }).await);
        assert_eq!(expired.code(), Code::FailedPrecondition);
        let pending_one = |all: &[pb::TicketFact]| all.iter().any(|f| f.status == TicketStatus::Pending as i32);
        let after = exported_when(&bi, 4, pending_one).await;
        let by_id = |facts: &[pb::TicketFact]| facts.iter().map(|f| (f.ticket_id.clone(), f.clone())).collect::<std::collections::BTreeMap<_, _>>();
        assert_eq!(by_id(&after), by_id(&before), "a rebuild from the feeds reproduces every fact");
    }
}

/// Waits until analytics has applied the ticketing feed up to its head.
async fn ticketing_applied(analytics: &Analytics) {
    eventually(Duration::from_secs(20), || {
        let mut analytics = analytics.clone();
        async move {
            let feeds = analytics
                .list_feed_subscriptions(pb::ListFeedSubscriptionsRequest {})
                .await
                .ok()?
                .into_inner()
                .subscriptions;
            feeds.iter().find(|s| s.feed == "ticketing").filter(|s| s.lag == 0 && s.position > 0).map(|_| ())
        }
    })
    .await
}

fn csv_reader(text: &str) -> csv::Reader<&[u8]> {
    csv::Reader::from_reader(text.as_bytes())
}

on_both_backends! {
    with |settings| settings.analytics.rollup_interval = Duration::from_millis(100);
    /// Rollups (per-half-hour sketches) and ticket rows must give the same series, whether the
    /// rollups are fresh or still being rebuilt.
    async fn series_from_rollups_match_series_from_ticket_rows(app) {
        let mut agent = app.ticketing_in_team(Role::Agent, "agent-ola", "team-tier1").await;
        let requester = tickets::requester(&mut agent).await;
        for n in 0..6 {
            let channel = [Channel::Email, Channel::Chat, Channel::Phone][n % 3];
            let ticket = ticketing_pb::Ticket { channel: channel as i32, tags: vec!["all".into()], ..tickets::ticket(&requester, &format!("Ticket {n}")) };
            let ticket = tickets::create(&mut agent, ticket).await;
            if n % 2 == 0 {
                conversation::comment(&mut agent, &ticket.id, "Done.", true, TicketStatus::Solved).await;
            }
        }
        let mut analytics = app.analytics(Role::Manager).await;
        let (from, to) = around_now();
        let request = |metric: &str, aggregate: &str, group_by: &str, tag: &str| pb::GetMetricSeriesRequest {
            metric: metric.into(), from: Some(from), to: Some(to), granularity: "hour".into(), time_zone: "Asia/Kolkata".into(),
            aggregate: aggregate.into(), group_by: group_by.into(),
            filter: Some(pb::MetricFilter { tag: tag.into(), ..Default::default() }), ..Default::default()
        };
        let counts = |series: &pb::MetricSeries| series.groups.iter().map(|g| (g.key.clone(), g.points.iter().map(|p| p.count).collect::<Vec<_>>())).collect::<Vec<_>>();
        // Solved counts settle once every solve is applied; then the two readings must agree,
        // both at once (slots still stale) and after the refresher ran.
        let rows = eventually(Duration::from_secs(20), || {
            let mut analytics = analytics.clone();
            async move {
                let rows = analytics.get_metric_series(request("tickets_solved", "count", "channel", "all")).await.ok()?.into_inner();
                let total: i64 = rows.groups.iter().flat_map(|g| g.points.iter()).map(|p| p.count).sum();
                (total == 3).then_some(rows)
            }
        }).await;
        for _ in 0..2 {
            let rolled = analytics.get_metric_series(request("tickets_solved", "count", "channel", "")).await.unwrap().into_inner();
            assert_eq!(counts(&rolled), counts(&rows));
            let p90 = |tag: &str| request("first_reply_time", "p90", "", tag);
            let (from_rollups, from_rows) = (analytics.get_metric_series(p90("")).await.unwrap().into_inner(), analytics.get_metric_series(p90("all")).await.unwrap().into_inner());
            assert_eq!(counts(&from_rollups), counts(&from_rows));
            let values = |s: &pb::MetricSeries| s.groups[0].points.iter().map(|p| p.value).collect::<Vec<_>>();
            assert_eq!(values(&from_rollups), values(&from_rows), "the same sketches either way");
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
    }
}

on_both_backends! {
    /// Analytics stopped while it is still applying the feed resumes from its stored cursor:
    /// afterwards its facts are exactly what a rebuild from the feed's beginning gives.
    async fn a_restart_in_the_middle_of_ingestion_loses_and_double_counts_nothing(app) {
        let mut desk = app.ticketing(Role::Administrator).await;
        let requester = tickets::requester(&mut desk).await;
        for n in 0..12 {
            let ticket = tickets::create(&mut desk, tickets::ticket(&requester, &format!("Restart {n}"))).await;
            if n % 2 == 0 {
                conversation::comment(&mut desk, &ticket.id, "Answered.", true, TicketStatus::Solved).await;
            }
        }
        // Stop at once: the follower is somewhere in the middle of those events.
        app.restart().await;
        let mut bi = app.analytics(Role::BiReader).await;
        let six_solved = |all: &[pb::TicketFact]| all.iter().filter(|f| f.solved_at.is_some()).count() == 6;
        let mut admin = app.analytics(Role::Administrator).await;
        ticketing_applied(&admin).await;
        let resumed = exported_when(&bi, 12, six_solved).await;
        assert!(resumed.iter().all(|f| f.agent_replies == i32::from(f.solved_at.is_some())), "each reply counted once");
        admin.rebuild_analytics(pb::RebuildAnalyticsRequest {}).await.unwrap();
        ticketing_applied(&admin).await;
        let rebuilt = exported_when(&bi, 12, six_solved).await;
        let by_id = |facts: &[pb::TicketFact]| facts.iter().map(|f| (f.ticket_id.clone(), f.clone())).collect::<std::collections::BTreeMap<_, _>>();
        assert_eq!(by_id(&resumed), by_id(&rebuilt));
        let _ = &mut bi;
    }
}

on_both_backends! {
    /// `frontline analytics rebuild` and `export`, as an administrator and a BI job run them.
    async fn the_command_line_rebuilds_and_exports(app) {
        let mut desk = app.ticketing(Role::Administrator).await;
        let requester = tickets::requester(&mut desk).await;
        for n in 0..3 {
            tickets::create(&mut desk, tickets::ticket(&requester, &format!("CLI {n}"))).await;
        }
        let analytics = app.analytics(Role::Administrator).await;
        ticketing_applied(&analytics).await;
        let admin = app.token_for(Role::Administrator, "ops", None);
        frontline::analytics_cli::rebuild(&app.url(), &admin).await.expect("the rebuild finishes and reports");
        let bi = app.token_for(Role::BiReader, "warehouse", None);
        frontline::analytics_cli::export_tickets(&app.url(), &bi, String::new(), String::new()).await.expect("the export runs");
        let mut reader = app.analytics(Role::BiReader).await;
        assert_eq!(facts(&export(&mut reader, pb::ExportTicketFactsRequest::default()).await).len(), 3, "rebuilt in full");

        let agent = app.token_for(Role::Agent, "agent-ola", Some("team-tier1"));
        let refused = frontline::analytics_cli::rebuild(&app.url(), &agent).await.expect_err("agents may not rebuild");
        assert!(format!("{refused:#}").contains("refused"), "{refused:#}");
        let forged = frontline::analytics_cli::export_tickets(&app.url(), &bi, "forged".into(), String::new()).await.expect_err("a forged cursor");
        assert!(format!("{forged:#}").contains("cursor"), "{forged:#}");
        let nowhere = frontline::analytics_cli::rebuild("http://127.0.0.1:1", &admin).await.expect_err("nothing listens there");
        assert!(format!("{nowhere:#}").contains("is `frontline serve` running there?"), "{nowhere:#}");
    }
}
