//! `frontline analytics rebuild` and `frontline analytics export`: the command-line side of
//! analytics' rebuild and BI export, against a running suite, with progress on stderr and a
//! one-line summary.
use std::{
    io::Write,
    time::{Duration, Instant},
};

use anyhow::Context;
use frontline_proto::analytics::v1::{self as pb, ExportFormat, analytics_service_client::AnalyticsServiceClient};
use tonic::{codegen::InterceptedService, transport::Channel};

use crate::demo::Bearer;

type Client = AnalyticsServiceClient<InterceptedService<Channel, Bearer>>;

async fn connect(target: &str, token: &str) -> anyhow::Result<Client> {
    let channel = tonic::transport::Endpoint::from_shared(target.to_string())
        .with_context(|| format!("{target} is not a URL such as http://127.0.0.1:50051"))?
        .connect()
        .await
        .with_context(|| format!("could not reach Frontline at {target}; is `frontline serve` running there?"))?;
    Ok(AnalyticsServiceClient::with_interceptor(channel, Bearer(format!("Bearer {token}").parse()?)))
}

/// Empties analytics and waits, showing progress, until its followers have re-applied every feed.
pub async fn rebuild(target: &str, token: &str) -> anyhow::Result<()> {
    let mut analytics = connect(target, token).await?;
    let started = Instant::now();
    let response = analytics
        .rebuild_analytics(pb::RebuildAnalyticsRequest {})
        .await
        .context("the server refused the rebuild (is the analytics service running there?)")?
        .into_inner();
    let total: i64 = response.subscriptions.iter().map(|s| s.head_position).sum();
    let mut stalled_since = Instant::now();
    let mut last_applied = -1;
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let subscriptions = analytics
            .list_feed_subscriptions(pb::ListFeedSubscriptionsRequest {})
            .await
            .context("reading the followers' progress")?
            .into_inner()
            .subscriptions;
        let applied: i64 = subscriptions.iter().map(|s| s.position).sum();
        let behind: i64 = subscriptions.iter().map(|s| s.lag).sum();
        eprint!("\rre-applying feed events: {applied}/{total}");
        let _ = std::io::stderr().flush();
        if applied >= total && behind == 0 {
            eprintln!();
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "Rebuilt analytics at {target}: {applied} events from {} feeds in {seconds:.1}s ({:.0} events/s), epoch {}.",
                subscriptions.len(),
                applied as f64 / seconds.max(0.001),
                response.epoch
            );
            return Ok(());
        }
        if applied != last_applied {
            (last_applied, stalled_since) = (applied, Instant::now());
        } else if stalled_since.elapsed() > Duration::from_secs(30) {
            eprintln!();
            let errors: Vec<String> = subscriptions
                .iter()
                .filter(|s| !s.last_error.is_empty())
                .map(|s| format!("{}: {}", s.feed, s.last_error))
                .collect();
            anyhow::bail!(
                "the rebuild made no progress for 30 s at {applied}/{total}; {}",
                if errors.is_empty() { "see the server's log".to_string() } else { errors.join("; ") }
            );
        }
    }
}

/// Writes every ticket fact changed since `cursor` as CSV to stdout; the cursor to resume from
/// goes to stderr last, so a nightly job can keep it for the next run.
pub async fn export_tickets(target: &str, token: &str, cursor: String, team_id: String) -> anyhow::Result<()> {
    let mut analytics = connect(target, token).await?;
    let mut stream = analytics
        .export_ticket_facts(pb::ExportTicketFactsRequest {
            cursor,
            team_id,
            batch_size: 1000,
            format: ExportFormat::Csv as i32,
        })
        .await
        .context("the server refused the export")?
        .into_inner();
    let (mut rows, mut last_cursor) = (0usize, String::new());
    let mut stdout = std::io::stdout().lock();
    while let Some(batch) = stream.message().await.context("the export stopped; resume with the last cursor")? {
        stdout.write_all(batch.csv.as_bytes())?;
        // The header is one line of the first batch; every other line is a ticket.
        rows += batch.csv.lines().count();
        last_cursor = batch.cursor;
        eprint!("\rexported {} tickets", rows.saturating_sub(1));
        let _ = std::io::stderr().flush();
    }
    stdout.flush()?;
    eprintln!();
    eprintln!("Exported {} tickets; resume with --cursor {last_cursor}", rows.saturating_sub(1));
    Ok(())
}
