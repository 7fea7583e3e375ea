//! `frontline`: the support-operations suite in one binary.
use std::{net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use frontline::{Application, ServiceKind, app::open_databases, demo, services};
use frontline_shared::{
    auth::{Keys, Role},
    config::Settings,
    telemetry,
};

#[derive(Parser)]
#[command(
    name = "frontline",
    version,
    about = "Frontline: ticketing, knowledge, workforce and analytics for support teams, over gRPC",
    long_about = "Frontline: ticketing, knowledge, workforce and analytics for support teams, over gRPC.\n\n\
        Start everything locally with `frontline serve` (embedded SQLite under ./data, port 50051),\n\
        mint a token with `frontline token --role administrator --subject me`, load sample data with\n\
        `frontline demo`, and explore with `grpcurl -plaintext 127.0.0.1:50051 list`.\n\n\
        Configuration: defaults, then --config FILE (TOML), then FRONTLINE__SECTION__KEY environment\n\
        variables (for example FRONTLINE__DATABASE__URL=postgres://…), then these flags."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct ConfigArgs {
    /// A TOML configuration file.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where SQLite databases and the token signing secret live (default ./data).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

impl ConfigArgs {
    fn load(&self) -> anyhow::Result<Settings> {
        let mut settings = Settings::load(self.config.as_deref())?;
        if let Some(dir) = &self.data_dir {
            settings.data_dir = dir.clone();
        }
        Ok(settings)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the services: all four in one process by default (the local shape), or the ones
    /// named with --service (the Kubernetes shape, one service per Deployment, on PostgreSQL
    /// when database.url is a postgres:// URL). Stops gracefully on SIGTERM or Ctrl-C.
    Serve {
        /// A service to run; repeat for several. Default: all.
        #[arg(long = "service", value_enum, value_name = "NAME")]
        services: Vec<ServiceKind>,
        /// Address to listen on (default 127.0.0.1:50051).
        #[arg(long, value_name = "HOST:PORT")]
        addr: Option<SocketAddr>,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Apply database migrations for the named services (default: all) and exit.
    Migrate {
        #[arg(long = "service", value_enum, value_name = "NAME")]
        services: Vec<ServiceKind>,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Print a bearer token for this install; the token alone is the last line of output.
    Token {
        /// The caller's role: a person's place in the support organisation, or the kind of program.
        #[arg(long, value_parser = role_parser())]
        role: Role,
        /// Who the token speaks for: a person's id or a program's name.
        #[arg(long)]
        subject: String,
        /// The team the person works in.
        #[arg(long)]
        team: Option<String>,
        /// For --role end_user: the customer (ticketing's customer id) the token is bound to.
        #[arg(long, required_if_eq("role", "end_user"))]
        customer: Option<String>,
        /// How long the token is valid, e.g. 30m, 12h, 7d; at most auth.max_token_lifetime (24h
        /// unless configured otherwise), which servers enforce too.
        #[arg(long, default_value = "12h", value_parser = humantime::parse_duration)]
        ttl: Duration,
        /// Mint a token living longer than auth.max_token_lifetime anyway. Servers refuse it
        /// unless their own auth.max_token_lifetime is raised to cover it.
        #[arg(long)]
        allow_long_lived: bool,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Rebuild a running knowledge service's search index from its database, with progress.
    Reindex {
        /// The suite (or knowledge service) to ask (default: server.addr of this install's configuration).
        #[arg(long, value_name = "URL")]
        addr: Option<String>,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Analytics on a running suite: rebuild it from the feeds, or export ticket facts as CSV.
    Analytics {
        #[command(subcommand)]
        action: AnalyticsAction,
        /// The suite (or analytics service) to ask (default: server.addr of this install's configuration).
        #[arg(long, value_name = "URL", global = true)]
        addr: Option<String>,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Fill a running suite with a small, realistic help desk. Safe to run again.
    Demo {
        /// The suite to fill (default: server.addr of this install's configuration).
        #[arg(long, value_name = "URL")]
        addr: Option<String>,
        #[command(flatten)]
        config: ConfigArgs,
    },
}

#[derive(Subcommand)]
enum AnalyticsAction {
    /// Empty analytics and re-apply every feed from its beginning, showing progress.
    Rebuild,
    /// Write ticket facts (one row per ticket, every metric) as CSV to stdout.
    Export {
        /// Only what changed since this cursor (printed at the end of the previous export).
        #[arg(long, default_value = "")]
        cursor: String,
        /// Only this team's tickets.
        #[arg(long, default_value = "")]
        team: String,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: starting the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { services, addr, config } => {
            let mut settings = config.load()?;
            if let Some(addr) = addr {
                settings.server.addr = addr;
            }
            if settings.telemetry.service_name.is_empty() {
                settings.telemetry.service_name = services::process_name(&services::selected(&services));
            }
            let telemetry = telemetry::init(&settings)?;
            let metrics = frontline_shared::metrics::init(&settings)?;
            let scrapes = tokio_util::sync::CancellationToken::new();
            if let Some(metrics_addr) = frontline_shared::metrics::scrape_address(&settings)? {
                let listener = tokio::net::TcpListener::bind(metrics_addr).await.with_context(|| {
                    format!("binding {metrics_addr} for metrics (telemetry.metrics_addr); is the port taken?")
                })?;
                eprintln!("Prometheus metrics at http://{metrics_addr}/metrics");
                tokio::spawn(metrics.clone().serve(listener, scrapes.clone()));
            }
            let app = Application::build(settings, &services).await?;
            eprintln!("Frontline is serving {} on {}", names(app.services()), app.local_addr());
            let outcome = app.run_until(stop_requests()).await;
            scrapes.cancel();
            // Flushing waits on export tasks that run on this runtime: wait off its workers.
            let flushed = tokio::task::spawn_blocking(move || {
                metrics.shutdown();
                telemetry.shutdown();
            });
            let _ = flushed.await;
            outcome
        }
        Command::Migrate { services, config } => {
            let settings = config.load()?;
            let services = services::selected(&services);
            open_databases(&settings, &services).await?;
            let backend = if settings.uses_postgres() { "PostgreSQL" } else { "SQLite" };
            println!("migrated {} on {backend}", names(&services));
            Ok(())
        }
        Command::Token { role, subject, team, customer, ttl, allow_long_lived, config } => {
            let settings = config.load()?;
            let keys = Keys::load(&settings)?;
            let issuer = keys.issuer.context(
                "this install verifies an identity provider's tokens (auth.rs256_public_key_file, \
                 auth.es256_public_key_file, auth.jwks_file or auth.jwks_url); issue tokens from your identity provider",
            )?;
            if subject.trim().is_empty() {
                anyhow::bail!("--subject must not be empty");
            }
            let max = settings.auth.max_token_lifetime;
            if ttl > max {
                let (ttl, max) = (humantime::format_duration(ttl), humantime::format_duration(max));
                if !allow_long_lived {
                    anyhow::bail!(
                        "--ttl {ttl} is longer than auth.max_token_lifetime ({max}), and servers refuse such tokens. \
                         Mint a shorter one, or insist: pass --allow-long-lived, and raise auth.max_token_lifetime \
                         (FRONTLINE__AUTH__MAX_TOKEN_LIFETIME={ttl}) on every server that must accept it"
                    );
                }
                eprintln!(
                    "warning: this token lives {ttl}, longer than auth.max_token_lifetime ({max}) here; servers refuse \
                     it unless their auth.max_token_lifetime is at least {ttl}"
                );
            }
            let token = match (role, customer) {
                (Role::EndUser, Some(customer)) => issuer.issue_end_user(&subject, &customer, ttl)?,
                (Role::EndUser, None) => anyhow::bail!("an end_user token needs --customer <customer id>"),
                (_, Some(_)) => anyhow::bail!("--customer is for --role end_user only"),
                (role, None) => issuer.issue(&subject, role, team.as_deref(), ttl)?,
            };
            eprintln!("{role} token for {subject}, valid for {}:", humantime::format_duration(ttl));
            println!("{token}");
            Ok(())
        }
        Command::Reindex { addr, config } => {
            let settings = config.load()?;
            let target = addr.unwrap_or_else(|| format!("http://{}", settings.server.addr));
            let issuer = Keys::load(&settings)?.issuer.context(
                "reindex mints its own administrator token; this install only verifies an identity provider's tokens",
            )?;
            let token = issuer.issue("frontline-reindex", Role::Administrator, None, Duration::from_secs(3600))?;
            frontline::reindex::run(&target, &token).await
        }
        Command::Analytics { action, addr, config } => {
            let settings = config.load()?;
            let target = addr.unwrap_or_else(|| format!("http://{}", settings.server.addr));
            let issuer = Keys::load(&settings)?.issuer.context(
                "this command mints its own token; this install only verifies an identity provider's tokens",
            )?;
            let hour = Duration::from_secs(3600);
            match action {
                AnalyticsAction::Rebuild => {
                    let token = issuer.issue("frontline-analytics-rebuild", Role::Administrator, None, hour)?;
                    frontline::analytics_cli::rebuild(&target, &token).await
                }
                AnalyticsAction::Export { cursor, team } => {
                    let token = issuer.issue("frontline-analytics-export", Role::BiReader, None, hour)?;
                    frontline::analytics_cli::export_tickets(&target, &token, cursor, team).await
                }
            }
        }
        Command::Demo { addr, config } => {
            let settings = config.load()?;
            let target = addr.unwrap_or_else(|| format!("http://{}", settings.server.addr));
            let keys = Keys::load(&settings)?;
            let issuer = keys
                .issuer
                .context("the demo mints its own token; this install only verifies an identity provider's tokens")?;
            let token = issuer.issue("demo-loader", Role::Administrator, None, Duration::from_secs(3600))?;
            let portal_token = issuer.issue("demo-email-gateway", Role::Portal, None, Duration::from_secs(3600))?;
            // Workforce steps (reviews among them) are the director's to take: she is in every reporting line.
            let director_token = issuer.issue("director-anna", Role::Director, None, Duration::from_secs(3600))?;
            demo::load(&target, &token, &portal_token, &director_token).await
        }
    }
}

/// Every role, listed by `frontline token --help` and checked by clap.
fn role_parser() -> impl clap::builder::TypedValueParser<Value = Role> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(Role::ALL.map(Role::as_str))
        .map(|name| name.parse::<Role>().expect("every listed name is a role"))
}

fn names(services: &[ServiceKind]) -> String {
    services.iter().map(|service| service.name()).collect::<Vec<_>>().join(", ")
}

/// One item per SIGTERM or Ctrl-C: the first starts a graceful shutdown, each further one
/// hurries it (see `frontline_shared::server::lifecycle`).
fn stop_requests() -> impl futures::Stream<Item = ()> + Unpin {
    #[cfg(unix)]
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(not(unix))]
    let terminate: Option<()> = None;
    Box::pin(futures::stream::unfold(terminate, |mut terminate| async move {
        #[cfg(unix)]
        let terminated = async {
            match terminate.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let terminated = std::future::pending::<()>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminated => {}
        }
        eprintln!("stop requested: shutting down gracefully (send it again to hurry)");
        Some(((), terminate))
    }))
}
