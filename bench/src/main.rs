//! `frontline-bench`: starts a Frontline suite in this process (SQLite in a temporary directory,
//! or PostgreSQL with --database-url), seeds it through the public API, and measures fixed-
//! duration scenarios with HDR histograms. Every figure comes with a baseline measured in the
//! same run — a gRPC health check at the same concurrency, the cheapest call the server has —
//! because absolute numbers on a shared 2-core machine drift from run to run.
mod analytics;
mod knowledge;
mod load;
mod workforce;

use std::time::Duration;

use clap::Parser;
use frontline::Application;
use frontline_shared::{
    auth::{Keys, Role, TokenIssuer},
    config::Settings,
};
use tonic::transport::Channel;

#[derive(Parser)]
#[command(
    name = "frontline-bench",
    about = "Measure Frontline's throughput and latency against baselines from the same run"
)]
struct Cli {
    /// How long each scenario runs.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Concurrent callers.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// People to seed for the workforce scenarios.
    #[arg(long, default_value_t = 5000)]
    people: usize,
    /// Articles to seed for the knowledge scenarios.
    #[arg(long, default_value_t = 100_000)]
    articles: usize,
    /// Tickets of history to seed for the analytics series scenarios.
    #[arg(long, default_value_t = 1_000_000)]
    tickets: i64,
    /// Tickets written through ticketing for the analytics ingestion figure.
    #[arg(long, default_value_t = 2_000)]
    ingest_tickets: usize,
    /// Which scenario groups to run.
    #[arg(long, value_delimiter = ',', default_values_t = [Group::Workforce, Group::Knowledge, Group::Analytics])]
    scenarios: Vec<Group>,
    /// Run on PostgreSQL (a database the bench may create schemas in) instead of SQLite.
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum, Debug)]
enum Group {
    Workforce,
    Knowledge,
    Analytics,
}

impl std::fmt::Display for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Group::Workforce => "workforce",
            Group::Knowledge => "knowledge",
            Group::Analytics => "analytics",
        })
    }
}

pub struct Suite {
    pub channel: Channel,
    pub issuer: TokenIssuer,
}

impl Suite {
    pub fn bearer(&self, role: Role, subject: &str, team: Option<&str>) -> String {
        format!("Bearer {}", self.issuer.issue(subject, role, team, Duration::from_secs(3600)).expect("token"))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let data_dir = tempfile::tempdir()?;
    let mut env = vec![
        ("FRONTLINE__DATA_DIR".to_string(), data_dir.path().display().to_string()),
        ("FRONTLINE__SERVER__ADDR".to_string(), "127.0.0.1:0".to_string()),
        ("FRONTLINE__SERVER__CONCURRENCY_LIMIT".to_string(), "4096".to_string()),
        ("FRONTLINE__TELEMETRY__LOG_FILTER".to_string(), "warn".to_string()),
    ];
    if let Some(url) = &cli.database_url {
        env.push(("FRONTLINE__DATABASE__URL".to_string(), url.clone()));
    }
    let settings = Settings::load_from(None, env)?;
    let issuer = Keys::load(&settings)?.issuer.expect("a local install issues tokens");
    let app = Application::build(settings.clone(), &[]).await?;
    let channel = Channel::from_shared(format!("http://{}", app.local_addr()))?.connect().await?;
    let suite = Suite { channel, issuer };
    let backend = if cli.database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    eprintln!(
        "frontline-bench: suite on {} ({backend}), {} callers, {:?} per scenario",
        app.local_addr(),
        cli.concurrency,
        cli.duration
    );

    let mut results = Vec::new();
    let baseline = baseline(&suite, cli.concurrency, cli.duration).await;
    results.push(baseline);
    let workforce = cli.scenarios.contains(&Group::Workforce);
    let knowledge = cli.scenarios.contains(&Group::Knowledge);
    let analytics = cli.scenarios.contains(&Group::Analytics);
    // Figures that are not latencies (ingestion rates, seeding times), printed with the table.
    let mut notes = Vec::new();
    if analytics {
        notes.push(analytics::ingestion(&suite, cli.ingest_tickets, cli.concurrency).await?);
        notes.push(analytics::seed_history(&settings, cli.tickets).await?);
    }
    if workforce {
        workforce::seed(&suite, cli.people).await?;
    }
    if knowledge {
        knowledge::seed(&suite, cli.articles).await?;
    }
    if let Some(url) = &cli.database_url {
        // A production database has statistics (autovacuum gathers them); a freshly seeded one
        // has none until ANALYZE, and its plans would say nothing about production.
        let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(url).await?;
        sqlx::Executor::execute(&mut connection, "ANALYZE").await?;
    }
    if workforce {
        results.extend(workforce::run(&suite, cli.people, cli.concurrency, cli.duration).await?);
    }
    if analytics {
        results.extend(analytics::run(&suite, &settings, cli.concurrency, cli.duration).await?);
    }
    if knowledge {
        results.extend(knowledge::run(&suite, cli.articles, cli.concurrency, cli.duration).await?);
    }

    println!("{}", load::HEADER);
    for measurement in &results {
        println!("{}", measurement.line());
    }
    let floor = results[0].per_second();
    for measurement in &results[1..] {
        println!("{:<48} {:.3} of the gRPC floor's rate", measurement.name, measurement.per_second() / floor);
    }
    for note in &notes {
        println!("{note}");
    }
    app.shutdown().await?;
    eprintln!("frontline-bench: {} scenarios measured on {backend}", results.len());
    Ok(())
}

/// The gRPC floor: a health check does no work, so it is what the transport alone costs.
async fn baseline(suite: &Suite, concurrency: usize, duration: Duration) -> load::Measurement {
    let health = tonic_health::pb::health_client::HealthClient::new(suite.channel.clone());
    load::run("grpc floor: health check", concurrency, duration, move |_, _| {
        let mut health = health.clone();
        async move {
            health.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await?;
            Ok(())
        }
    })
    .await
}
