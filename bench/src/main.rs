//! `frontline-bench`: starts a Frontline suite in this process (SQLite in a temporary directory,
//! or PostgreSQL with --database-url), seeds it through the public API, and measures fixed-
//! duration scenarios with HDR histograms. Every figure comes with a baseline measured in the
//! same run, because absolute numbers on a shared 2-core machine drift from run to run: a gRPC
//! health check (the cheapest call the server has), a no-op tonic service with the same message
//! sizes as GetTicket and CreateTicket, and create-ticket's writes done by the database alone
//! (pgbench on PostgreSQL; sqlx without gRPC on both).
mod analytics;
mod baseline;
mod growth;
mod knowledge;
mod load;
mod ticketing;
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
    /// Past tickets imported for the ticketing scenarios (reads pick among them).
    #[arg(long, default_value_t = 20_000)]
    desk_tickets: usize,
    /// Sizes (tickets and articles each) the growth scenarios grow the desk to, in turn.
    #[arg(long, value_delimiter = ',', default_values_t = [10_000, 100_000, 1_000_000])]
    growth: Vec<usize>,
    /// Which scenario groups to run (growth is not in the default: it seeds a million of each).
    #[arg(long, value_delimiter = ',', default_values_t = [Group::Tickets, Group::Workforce, Group::Knowledge, Group::Analytics])]
    scenarios: Vec<Group>,
    /// Run on PostgreSQL (a database the bench may create schemas in) instead of SQLite.
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum, Debug)]
enum Group {
    Tickets,
    Workforce,
    Knowledge,
    Analytics,
    Growth,
}

impl std::fmt::Display for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Group::Tickets => "tickets",
            Group::Workforce => "workforce",
            Group::Knowledge => "knowledge",
            Group::Analytics => "analytics",
            Group::Growth => "growth",
        })
    }
}

pub struct Suite {
    pub channel: Channel,
    pub issuer: TokenIssuer,
    /// The PostgreSQL database the suite runs on, if it does.
    pub database_url: Option<String>,
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
    let suite = Suite { channel, issuer, database_url: cli.database_url.clone() };
    let backend = if cli.database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    eprintln!(
        "frontline-bench: suite on {} ({backend}), {} callers, {:?} per scenario",
        app.local_addr(),
        cli.concurrency,
        cli.duration
    );

    let report = run(&cli, &settings, &suite).await;
    app.shutdown().await?;
    let report = report?;
    println!("{report}");
    eprintln!("frontline-bench: done on {backend}");
    Ok(())
}

/// A figure and the baseline it is read against.
struct Comparison {
    figure: usize,
    baseline: usize,
}

#[derive(Default)]
struct Report {
    results: Vec<load::Measurement>,
    comparisons: Vec<Comparison>,
    /// Figures that are not latencies (ingestion rates, seeding times), printed with the table.
    notes: Vec<String>,
    growth: Option<String>,
}

impl Report {
    fn push(&mut self, measurement: load::Measurement) -> usize {
        self.results.push(measurement);
        self.results.len() - 1
    }

    fn compare(&mut self, figure: usize, baseline: usize) {
        self.comparisons.push(Comparison { figure, baseline });
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", load::HEADER)?;
        for measurement in &self.results {
            writeln!(f, "{}", measurement.line())?;
        }
        writeln!(f, "\nratios (req/s of the figure / req/s of its baseline, same run)")?;
        for Comparison { figure, baseline } in &self.comparisons {
            let (figure, baseline) = (&self.results[*figure], &self.results[*baseline]);
            writeln!(
                f,
                "{:<48} {:>6.3} of {}",
                figure.name,
                figure.per_second() / baseline.per_second(),
                baseline.name
            )?;
        }
        for note in &self.notes {
            writeln!(f, "{note}")?;
        }
        for measurement in self.results.iter().filter(|m| m.errors > 0) {
            let first = measurement.first_error.as_deref().unwrap_or("");
            writeln!(f, "{}: {} errors, the first: {first}", measurement.name, measurement.errors)?;
        }
        if let Some(growth) = &self.growth {
            write!(f, "\n{growth}")?;
        }
        Ok(())
    }
}

async fn run(cli: &Cli, settings: &Settings, suite: &Suite) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let floor = report.push(baseline(suite, cli.concurrency, cli.duration).await);
    let wants = |group| cli.scenarios.contains(&group);
    if wants(Group::Tickets) {
        tickets(cli, settings, suite, &mut report).await?;
    }
    if wants(Group::Analytics) {
        report.notes.push(analytics::ingestion(suite, cli.ingest_tickets, cli.concurrency).await?);
        report.notes.push(analytics::seed_history(settings, cli.tickets).await?);
    }
    if wants(Group::Workforce) {
        workforce::seed(suite, cli.people).await?;
    }
    if wants(Group::Knowledge) {
        knowledge::seed(suite, cli.articles).await?;
    }
    analyze(suite).await?;
    let before = report.results.len();
    if wants(Group::Workforce) {
        for measurement in workforce::run(suite, cli.people, cli.concurrency, cli.duration).await? {
            report.push(measurement);
        }
    }
    if wants(Group::Analytics) {
        for measurement in analytics::run(suite, settings, cli.concurrency, cli.duration).await? {
            report.push(measurement);
        }
    }
    if wants(Group::Knowledge) {
        for measurement in knowledge::run(suite, cli.articles, cli.concurrency, cli.duration).await? {
            report.push(measurement);
        }
    }
    for figure in before..report.results.len() {
        report.compare(figure, floor);
    }
    if wants(Group::Growth) {
        let levels = growth::run(suite, settings, &cli.growth, cli.concurrency, cli.duration).await?;
        report.growth = Some(growth::table(&levels));
    }
    Ok(report)
}

/// The ticketing scenarios with their limits: the no-op gRPC service and the database alone.
async fn tickets(cli: &Cli, settings: &Settings, suite: &Suite, report: &mut Report) -> anyhow::Result<()> {
    let (c, d) = (cli.concurrency, cli.duration);
    let (requesters, history) = ticketing::seed(suite, cli.desk_tickets).await?;
    let history = std::sync::Arc::new(history);
    analyze(suite).await?;
    analytics::settled(suite).await?;

    // A real ticket as GetTicket returns it: the no-op service answers with its copy.
    let sample_request = ticketing::new_ticket(&requesters, 0, 0);
    let mut agent = ticketing::client(suite, Role::Agent, "bench-agent-01", Some(&ticketing::team(0)));
    let sample = agent
        .get_ticket(frontline_proto::ticketing::v1::GetTicketRequest { id: history.ids[0][0].clone() })
        .await?
        .into_inner();
    let bearer = suite.bearer(Role::Agent, "bench-agent-01", Some(&ticketing::team(0)));
    let noop = baseline::noop_grpc::start(sample.clone()).await?;
    let noop_get = report.push(baseline::noop_grpc::get(noop.clone(), &bearer, &sample.id, c, d).await);
    let noop_create = report.push(baseline::noop_grpc::create(noop, &bearer, sample_request.clone(), c, d).await);

    let writes = std::sync::Arc::new(baseline::store_writes::CreateWrites::new(sample_request));
    let db = baseline::store_writes::prepare(settings).await?;
    let sqlx_writes = report.push(baseline::store_writes::run(db.clone(), writes.clone(), c, d).await);
    let pgbench = if settings.uses_postgres() {
        Some(report.push(baseline::pgbench::run(&settings.database.url, &writes, c, d)?))
    } else {
        None
    };
    db.close().await;

    let create = report.push(ticketing::create(suite, &requesters, c, d, "").await);
    report.compare(create, pgbench.unwrap_or(sqlx_writes));
    if pgbench.is_some() {
        report.compare(create, sqlx_writes);
    }
    report.compare(create, noop_create);
    let get = report.push(ticketing::get(suite, &history, c, d, "").await);
    report.compare(get, noop_get);
    let list = report.push(ticketing::list(suite, c, d, "").await);
    report.compare(list, noop_get);
    let search = report.push(ticketing::search(suite, c, d, "").await);
    report.compare(search, noop_get);
    let comment = report.push(ticketing::comment(suite, &history, c, d).await);
    report.compare(comment, pgbench.unwrap_or(sqlx_writes));
    let mixed = report.push(ticketing::mixed(suite, &requesters, &history, c, d).await);
    report.compare(mixed, noop_get);
    let (follow, catch_up) = ticketing::follow(suite, &requesters, c, d).await?;
    let follow = report.push(follow);
    report.compare(follow, create);
    report.notes.push(catch_up);
    Ok(())
}

/// PostgreSQL plans by statistics, which autovacuum gathers in production; a freshly seeded
/// database has none until ANALYZE, and its plans would say nothing about production.
pub async fn analyze(suite: &Suite) -> anyhow::Result<()> {
    if let Some(url) = &suite.database_url {
        let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(url).await?;
        sqlx::Executor::execute(&mut connection, "ANALYZE").await?;
    }
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
