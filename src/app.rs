//! Starting and stopping Frontline: open each service's database and migrate it, start its
//! feed sequencer, serve the services on one port (and in memory, for calls between them),
//! start the feed followers, and on shutdown turn NOT_SERVING, drain, and close in order.
//!
//! Stopping, as a caller sees it: readiness turns NOT_SERVING at once and calls are still
//! served for `server.shutdown_drain_delay` (while load balancers notice); then new calls are
//! refused with UNAVAILABLE and watch streams end, while calls already running finish (up to
//! `server.shutdown_timeout`); then the listener closes, on connections idle by then.
use std::{collections::HashMap, net::SocketAddr, time::Duration};

use anyhow::Context;
use frontline_proto::{
    analytics::v1::analytics_service_server::AnalyticsServiceServer,
    knowledge::v1::knowledge_service_server::KnowledgeServiceServer,
    ticketing::v1::ticketing_service_server::TicketingServiceServer,
    workforce::v1::workforce_service_server::WorkforceServiceServer,
};
use frontline_shared::{
    auth::{Authenticator, Keys, ServiceToken},
    clock::Clock,
    config::Settings,
    database::Database,
    feed::{Feed, FeedEndpoint},
    peers::{self, PeerAddress},
    server::{self, Drain, Health, InProcessConnector},
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::service::{RoutesBuilder, interceptor::InterceptedService};

use crate::services::ServiceKind;

pub struct Application {
    local_addr: SocketAddr,
    settings: Settings,
    services: Vec<ServiceKind>,
    health: Health,
    /// Started to refuse new calls on the listener while running ones finish.
    drain: Drain,
    /// Cancelled to end watch streams (and refuse new ones) once draining starts.
    streams: CancellationToken,
    /// Cancelled to stop serving (servers close) and to stop background work.
    shutdown: CancellationToken,
    servers: Vec<JoinHandle<anyhow::Result<()>>>,
    background: Vec<JoinHandle<()>>,
    databases: Vec<Database>,
}

/// Opens and migrates the databases of `services`: what `frontline migrate` does, and the
/// first step of every start.
pub async fn open_databases(
    settings: &Settings,
    services: &[ServiceKind],
) -> anyhow::Result<HashMap<ServiceKind, Database>> {
    let mut databases = HashMap::new();
    for &service in services {
        let db = Database::connect(settings, service.database()).await?;
        db.migrate(&service.migrations()).await?;
        frontline_shared::metrics::observe_pools(&db);
        databases.insert(service, db);
    }
    Ok(databases)
}

impl Application {
    /// Starts `services` (all four when empty) as `settings` say, bound and serving on return.
    pub async fn build(settings: Settings, services: &[ServiceKind]) -> anyhow::Result<Self> {
        Self::build_on(settings, services, Clock::system()).await
    }

    /// [`Application::build`] with the time rules run on (tests pass a manual clock).
    pub async fn build_on(settings: Settings, services: &[ServiceKind], clock: Clock) -> anyhow::Result<Self> {
        let services = crate::services::selected(services);
        let keys = Keys::load(&settings)?;
        let shutdown = CancellationToken::new();
        let streams = CancellationToken::new();
        let databases = open_databases(&settings, &services).await?;

        let mut background = Vec::new();
        let mut routes = RoutesBuilder::default();
        let reporter = server::add_health_and_reflection(&mut routes)?;
        let authenticator = Authenticator(keys.verifier.clone());
        let max_message = settings.server.max_message_bytes;
        // The in-memory connector exists before the servers so services can call each other.
        let (connector, in_process) = server::in_process();
        for &service in &services {
            let db = databases[&service].clone();
            let feed = Feed::new(db);
            background
                .push(tokio::spawn(feed.clone().run_sequencer(settings.feed.sequencer_interval, shutdown.clone())));
            let events = FeedEndpoint::new(feed, settings.feed.watch_poll_interval, streams.clone());
            // Every service server sits behind the same authenticator and message-size limits.
            macro_rules! add {
                ($server:ident, $api:expr) => {
                    routes.add_service(InterceptedService::new(
                        $server::new($api)
                            .max_decoding_message_size(max_message)
                            .max_encoding_message_size(max_message),
                        authenticator.clone(),
                    ))
                };
            }
            match service {
                ServiceKind::Ticketing => {
                    let knowledge = if settings.ticketing.suggest_articles {
                        peer(&settings, &services, &keys, &connector, ServiceKind::Knowledge)?
                    } else {
                        None
                    };
                    let workforce = peer(&settings, &services, &keys, &connector, ServiceKind::Workforce)?;
                    let ticketing = &settings.ticketing;
                    let api = frontline_ticketing::TicketingApi::new(events)
                        .with_knowledge(knowledge)
                        .with_workforce(workforce, ticketing.routing_timeout)
                        .with_clock(clock.clone());
                    background.push(tokio::spawn(
                        api.clone().run_sla_scheduler(ticketing.sla_check_interval, shutdown.clone()),
                    ));
                    background.push(tokio::spawn(
                        api.clone().run_automations(ticketing.automation_interval, shutdown.clone()),
                    ));
                    background.push(tokio::spawn(
                        api.clone().run_webhook_enqueuer(settings.feed.watch_poll_interval, shutdown.clone()),
                    ));
                    let webhooks = frontline_ticketing::WebhookWorkerSettings {
                        timeout: ticketing.webhook_timeout,
                        max_attempts: ticketing.webhook_max_attempts,
                        check_interval: ticketing.webhook_check_interval,
                    };
                    background.push(tokio::spawn(api.clone().run_webhook_worker(webhooks, shutdown.clone())));
                    background.push(tokio::spawn(api.clone().run_auto_close(
                        ticketing.close_solved_after,
                        ticketing.close_check_interval,
                        shutdown.clone(),
                    )));
                    add!(TicketingServiceServer, api)
                }
                ServiceKind::Knowledge => {
                    let ticketing = peer(&settings, &services, &keys, &connector, ServiceKind::Ticketing)?;
                    let api = frontline_knowledge::KnowledgeApi::start(events, &settings, ticketing).await?;
                    background.extend(api.spawn_background(&shutdown));
                    add!(KnowledgeServiceServer, api)
                }
                // Workforce asks analytics for forecasts and analytics asks workforce for plans
                // (with the forecast given), so neither call leads back to the other.
                ServiceKind::Workforce => {
                    let analytics = peer(&settings, &services, &keys, &connector, ServiceKind::Analytics)?;
                    let api = frontline_workforce::WorkforceApi::new(events)
                        .with_analytics(analytics, settings.peers.call_timeout);
                    add!(WorkforceServiceServer, api)
                }
                ServiceKind::Analytics => {
                    let workforce = peer(&settings, &services, &keys, &connector, ServiceKind::Workforce)?;
                    let api = frontline_analytics::AnalyticsApi::new(events)
                        .with_workforce(workforce, settings.peers.call_timeout);
                    add!(AnalyticsServiceServer, api)
                }
            };
        }
        let routes = routes.routes();
        let limit = server::concurrency_limit(&settings.server);

        let listener = tokio::net::TcpListener::bind(settings.server.addr).await.with_context(|| {
            format!("binding {} (server.addr / --addr); is another Frontline already running?", settings.server.addr)
        })?;
        let local_addr = listener.local_addr()?;
        let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
        let drain = Drain::default();
        let mut servers = Vec::new();
        // Calls between the services are never refused: a call still running may need one.
        for (incoming, drain) in
            [(Either::Tcp(incoming), drain.clone()), (Either::InProcess(in_process), Drain::default())]
        {
            let (routes, settings, limit, stop) =
                (routes.clone(), settings.server.clone(), limit.clone(), shutdown.clone());
            servers.push(tokio::spawn(async move {
                let stopped = stop.cancelled_owned();
                match incoming {
                    Either::Tcp(incoming) => server::serve(routes, &settings, limit, drain, incoming, stopped).await,
                    Either::InProcess(incoming) => {
                        server::serve(routes, &settings, limit, drain, incoming, stopped).await
                    }
                }
            }));
        }

        let health = Health::new(reporter, services.iter().map(|service| service.grpc_name()).collect());
        health.serving().await;

        // The followers stop when draining starts, with the watch streams they read: they
        // resume from their cursors at the next start.
        if services.contains(&ServiceKind::Analytics) {
            let db = databases[&ServiceKind::Analytics].clone();
            background.push(tokio::spawn(frontline_analytics::store::rollups::run_refresher(
                db.clone(),
                settings.analytics.rollup_interval,
                shutdown.clone(),
            )));
            match peer(&settings, &services, &keys, &connector, ServiceKind::Ticketing)? {
                Some(channel) => background.push(tokio::spawn(frontline_analytics::ingest::follow_ticketing(
                    db.clone(),
                    channel,
                    streams.clone(),
                ))),
                None => tracing::warn!(
                    "analytics runs without ticketing and peers.ticketing is not set: ticket facts will not be collected"
                ),
            }
            match peer(&settings, &services, &keys, &connector, ServiceKind::Knowledge)? {
                Some(channel) => background.push(tokio::spawn(frontline_analytics::ingest::follow_knowledge(
                    db.clone(),
                    channel,
                    streams.clone(),
                ))),
                None => tracing::warn!(
                    "analytics runs without knowledge and peers.knowledge is not set: knowledge metrics will not be collected"
                ),
            }
            match peer(&settings, &services, &keys, &connector, ServiceKind::Workforce)? {
                Some(channel) => background.push(tokio::spawn(frontline_analytics::ingest::follow_workforce(
                    db.clone(),
                    channel,
                    streams.clone(),
                ))),
                None => tracing::warn!(
                    "analytics runs without workforce and peers.workforce is not set: workforce metrics will not be collected"
                ),
            }
        }

        tracing::info!(
            addr = %local_addr,
            services = ?services.iter().map(|s| s.name()).collect::<Vec<_>>(),
            backend = if settings.uses_postgres() { "postgres" } else { "sqlite" },
            "Frontline is serving"
        );
        Ok(Self {
            local_addr,
            settings,
            services,
            health,
            drain,
            streams,
            shutdown,
            servers,
            background,
            databases: databases.into_values().collect(),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn services(&self) -> &[ServiceKind] {
        &self.services
    }

    /// Resolves when a server stops on its own (an error), so `serve` can exit instead of
    /// running on half-alive.
    pub async fn failed(&mut self) -> anyhow::Error {
        let (result, _, _) = futures::future::select_all(self.servers.iter_mut()).await;
        match result {
            Ok(Ok(())) => anyhow::anyhow!("a server stopped unexpectedly"),
            Ok(Err(error)) => error,
            Err(join) => anyhow::anyhow!("a server task panicked: {join}"),
        }
    }

    /// Graceful shutdown: readiness turns NOT_SERVING, new calls keep being served for the
    /// drain delay (while load balancers notice), then new calls are refused with UNAVAILABLE
    /// while in-flight calls finish (up to the shutdown timeout), then the listener closes,
    /// background work stops, databases close.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        tracing::info!("shutting down: readiness is NOT_SERVING");
        self.health.draining().await;
        tokio::time::sleep(self.settings.server.shutdown_drain_delay).await;
        tracing::info!("shutting down: refusing new calls, draining in-flight calls");
        self.drain.start();
        self.streams.cancel();
        let timeout = self.settings.server.shutdown_timeout;
        if tokio::time::timeout(timeout, self.drain.finished()).await.is_err() {
            tracing::warn!(?timeout, "calls still in flight at the shutdown timeout are cut off");
        }
        self.shutdown.cancel();
        // Connections are idle now (or past the timeout), so the servers stop at once.
        let _ = tokio::time::timeout(Duration::from_secs(5), futures::future::join_all(self.servers)).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), futures::future::join_all(self.background)).await;
        for db in &self.databases {
            db.close().await;
        }
        tracing::info!("stopped");
        Ok(())
    }
}

enum Either<A, B> {
    Tcp(A),
    InProcess(B),
}

/// A channel to `target`: in memory when it runs here, else at its configured URL, else none.
fn peer(
    settings: &Settings,
    running: &[ServiceKind],
    keys: &Keys,
    connector: &InProcessConnector,
    target: ServiceKind,
) -> anyhow::Result<Option<peers::PeerChannel>> {
    let Some(issuer) = keys.issuer.clone() else {
        tracing::warn!(
            "tokens are verified with an RS256 public key, so this process cannot mint service tokens for {}",
            target.name()
        );
        return Ok(None);
    };
    let token = ServiceToken::new(issuer, format!("service:{}", settings.telemetry.service_name));
    let url = target.peer_url(&settings.peers);
    let address = if running.contains(&target) {
        PeerAddress::InProcess(connector)
    } else if !url.is_empty() {
        PeerAddress::Url(url)
    } else {
        return Ok(None);
    };
    peers::connect(address, token, settings.peers.call_timeout).map(Some)
}
