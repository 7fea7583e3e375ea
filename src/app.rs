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
    peer_health,
    peers::{self, PeerAddress, PeerChannel},
    sealing::SealingKeys,
    server::{
        self, Drain, Health, InProcessConnector,
        lifecycle::{Action, Event, Phase},
    },
};
use frontline_ticketing::search::TicketIndex;
use futures::{Stream, StreamExt};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tonic::service::RoutesBuilder;

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
    /// The TCP and in-process servers; a task leaves the set when it has been awaited, so none
    /// is awaited twice.
    servers: JoinSet<anyhow::Result<()>>,
    background: JoinSet<()>,
    databases: Vec<Database>,
    /// Keeps the in-process server's source of connections open for the life of the process,
    /// whether or not a service here calls another: when it closed, that server ended.
    _in_process: InProcessConnector,
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
    pub async fn build_on(mut settings: Settings, services: &[ServiceKind], clock: Clock) -> anyhow::Result<Self> {
        let services = crate::services::selected(services);
        if settings.telemetry.service_name.is_empty() {
            settings.telemetry.service_name = crate::services::process_name(&services);
        }
        // Secrets, SQLite files and search indexes live here: the owner's alone.
        frontline_shared::private_files::private_dir(&settings.data_dir)
            .with_context(|| format!("creating data directory {} (data_dir)", settings.data_dir.display()))?;
        let keys = Keys::load(&settings)?;
        let shutdown = CancellationToken::new();
        let streams = CancellationToken::new();
        let mut background = JoinSet::new();
        // An identity provider's JWKS URL is fetched before anything else: without keys no call
        // could be served, so start fails and says why.
        if let Some(refresh) = keys.verifier.prepare_key_refresh(shutdown.clone()).await? {
            background.spawn(refresh);
        }
        let databases = open_databases(&settings, &services).await?;

        let mut routes = RoutesBuilder::default();
        let reporter = server::add_health_and_reflection(&mut routes)?;
        let authenticator = Authenticator(keys.verifier.clone());
        let max_message = settings.server.max_message_bytes;
        // The in-memory connector exists before the servers so services can call each other.
        let (connector, in_process) = server::in_process();
        let links = Links::new(&settings, &services, &keys, &connector)?;
        for &service in &services {
            let db = databases[&service].clone();
            let feed = Feed::new(db);
            background.spawn(feed.clone().run_sequencer(settings.feed.sequencer_interval, shutdown.clone()));
            let events = FeedEndpoint::new(feed, settings.feed.watch_poll_interval, streams.clone());
            // Every service server sits behind the same authenticator and message-size limits.
            macro_rules! add {
                ($server:ident, $api:expr) => {
                    routes.add_service(
                        authenticator.protect(
                            $server::new($api)
                                .max_decoding_message_size(max_message)
                                .max_encoding_message_size(max_message),
                        ),
                    )
                };
            }
            match service {
                ServiceKind::Ticketing => {
                    let knowledge =
                        if settings.ticketing.suggest_articles { links.channel(ServiceKind::Knowledge) } else { None };
                    let ticketing = &settings.ticketing;
                    let sealing = std::sync::Arc::new(SealingKeys::load(&settings)?);
                    let feed = events.feed().clone();
                    let directory = match ticketing.index_dir.as_str() {
                        "" => TicketIndex::directory(&settings.data_dir),
                        configured => configured.into(),
                    };
                    let (index, opened) = TicketIndex::open(&directory, feed.database().clone())?;
                    let follow = index.clone().run(opened, feed, settings.feed.watch_poll_interval, shutdown.clone());
                    background.spawn(follow);
                    let api = frontline_ticketing::TicketingApi::new(events, sealing)
                        .with_search(index)
                        .with_knowledge(knowledge)
                        .with_workforce(links.channel(ServiceKind::Workforce), ticketing.routing_timeout)
                        .with_clock(clock.clone());
                    api.seal_webhook_secrets().await?;
                    background.spawn(api.clone().run_sla_scheduler(ticketing.sla_check_interval, shutdown.clone()));
                    background.spawn(api.clone().run_automations(ticketing.automation_interval, shutdown.clone()));
                    background
                        .spawn(api.clone().run_webhook_enqueuer(settings.feed.watch_poll_interval, shutdown.clone()));
                    let webhooks = frontline_ticketing::WebhookWorkerSettings {
                        timeout: ticketing.webhook_timeout,
                        max_attempts: ticketing.webhook_max_attempts,
                        check_interval: ticketing.webhook_check_interval,
                    };
                    background.spawn(api.clone().run_webhook_worker(webhooks, shutdown.clone()));
                    background.spawn(api.clone().run_auto_close(
                        ticketing.close_solved_after,
                        ticketing.close_check_interval,
                        shutdown.clone(),
                    ));
                    add!(TicketingServiceServer, api)
                }
                ServiceKind::Knowledge => {
                    let ticketing = links.channel(ServiceKind::Ticketing);
                    let api = frontline_knowledge::KnowledgeApi::start(events, &settings, ticketing).await?;
                    api.spawn_background(&shutdown, &mut background);
                    add!(KnowledgeServiceServer, api)
                }
                ServiceKind::Workforce => {
                    let api = frontline_workforce::WorkforceApi::new(events)
                        .with_analytics(links.channel(ServiceKind::Analytics), settings.peers.call_timeout);
                    add!(WorkforceServiceServer, api)
                }
                ServiceKind::Analytics => {
                    let api = frontline_analytics::AnalyticsApi::new(events)
                        .with_workforce(links.channel(ServiceKind::Workforce), settings.peers.call_timeout);
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
        let mut servers = JoinSet::new();
        // Calls between the services are never refused: a call still running may need one.
        for (incoming, drain) in
            [(Either::Tcp(incoming), drain.clone()), (Either::InProcess(in_process), Drain::default())]
        {
            let (routes, settings, limit, stop) =
                (routes.clone(), settings.server.clone(), limit.clone(), shutdown.clone());
            servers.spawn(async move {
                let stopped = stop.cancelled_owned();
                match incoming {
                    Either::Tcp(incoming) => server::serve(routes, &settings, limit, drain, incoming, stopped)
                        .await
                        .context("the gRPC server on the TCP listener"),
                    Either::InProcess(incoming) => server::serve(routes, &settings, limit, drain, incoming, stopped)
                        .await
                        .context("the in-process gRPC server"),
                }
            });
        }

        let health = Health::new(reporter, services.iter().map(|service| service.grpc_name()).collect());
        health.serving().await;
        links.report(&settings, &services, &health, &shutdown, &mut background).await;

        // The followers stop when draining starts, with the watch streams they read: they
        // resume from their cursors at the next start.
        if services.contains(&ServiceKind::Analytics) {
            let db = databases[&ServiceKind::Analytics].clone();
            background.spawn(frontline_analytics::store::rollups::run_refresher(
                db.clone(),
                settings.analytics.rollup_interval,
                shutdown.clone(),
            ));
            if let Some(channel) = links.channel(ServiceKind::Ticketing) {
                background.spawn(frontline_analytics::ingest::follow_ticketing(db.clone(), channel, streams.clone()));
            }
            if let Some(channel) = links.channel(ServiceKind::Knowledge) {
                background.spawn(frontline_analytics::ingest::follow_knowledge(db.clone(), channel, streams.clone()));
            }
            if let Some(channel) = links.channel(ServiceKind::Workforce) {
                background.spawn(frontline_analytics::ingest::follow_workforce(db.clone(), channel, streams.clone()));
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
            _in_process: connector,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn services(&self) -> &[ServiceKind] {
        &self.services
    }

    /// Graceful shutdown, now: [`Application::run_until`] with one stop request.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.run_until(futures::stream::iter([()])).await
    }

    /// Serves until `stop_requests` yields (SIGTERM, Ctrl-C) or a server ends by itself, then
    /// stops gracefully, driven by the [`lifecycle`] state machine: readiness NOT_SERVING, calls
    /// still served for the drain delay, then new calls refused while running ones finish (up
    /// to the shutdown timeout), then servers and background work stop, then the databases
    /// close. Each further stop request skips one wait. Ok when asked to stop; the server's
    /// error when one ended by itself.
    pub async fn run_until(mut self, stop_requests: impl Stream<Item = ()> + Unpin) -> anyhow::Result<()> {
        let mut stop_requests = stop_requests.fuse();
        let mut failure: Option<anyhow::Error> = None;
        let mut phase = Phase::Serving;
        let far_future = || tokio::time::Instant::now() + Duration::from_secs(86400 * 365);
        let drain_delay = tokio::time::sleep_until(far_future());
        let drain_timeout = tokio::time::sleep_until(far_future());
        tokio::pin!(drain_delay, drain_timeout);
        while phase != Phase::Stopped {
            let event = match phase {
                Phase::Serving | Phase::Leaving | Phase::Draining => tokio::select! {
                    Some(()) = stop_requests.next() => Event::StopRequested,
                    Some(ended) = self.servers.join_next() => {
                        let error = match ended {
                            Ok(Ok(())) => anyhow::anyhow!("a gRPC server stopped by itself"),
                            Ok(Err(error)) => error,
                            Err(join) => anyhow::anyhow!("a gRPC server task failed: {join}"),
                        };
                        if phase == Phase::Serving {
                            tracing::error!(error = format!("{error:#}"), "stopping: a server ended by itself");
                        }
                        failure.get_or_insert(error);
                        Event::ServerEnded
                    }
                    () = &mut drain_delay, if phase == Phase::Leaving => Event::DrainDelayPassed,
                    () = self.drain.finished(), if phase == Phase::Draining => Event::CallsFinished,
                    () = &mut drain_timeout, if phase == Phase::Draining => {
                        tracing::warn!(timeout = ?self.settings.server.shutdown_timeout, "calls still in flight at the shutdown timeout are cut off");
                        Event::DrainTimedOut
                    }
                },
                Phase::Closing => {
                    // Connections are idle now (or past the timeout), so the servers stop at once;
                    // what is still running after the bound is aborted when the sets drop.
                    let bound = Duration::from_secs(5);
                    let _ =
                        tokio::time::timeout(bound, async { while self.servers.join_next().await.is_some() {} }).await;
                    let _ = tokio::time::timeout(bound, async { while self.background.join_next().await.is_some() {} })
                        .await;
                    Event::TasksEnded
                }
                Phase::Stopped => unreachable!("the loop ends at Stopped"),
            };
            let (next, actions) = phase.next(event);
            for action in actions {
                match action {
                    Action::MarkNotServing => {
                        tracing::info!("shutting down: readiness is NOT_SERVING");
                        self.health.draining().await;
                        drain_delay
                            .as_mut()
                            .reset(tokio::time::Instant::now() + self.settings.server.shutdown_drain_delay);
                    }
                    Action::RefuseNewCalls => {
                        tracing::info!("shutting down: refusing new calls, draining in-flight calls");
                        self.drain.start();
                        self.streams.cancel();
                        drain_timeout
                            .as_mut()
                            .reset(tokio::time::Instant::now() + self.settings.server.shutdown_timeout);
                    }
                    Action::StopTasks => self.shutdown.cancel(),
                    Action::CloseDatabases => {
                        for db in &self.databases {
                            db.close().await;
                        }
                    }
                }
            }
            phase = next;
        }
        tracing::info!("stopped");
        failure.map_or(Ok(()), Err)
    }
}

enum Either<A, B> {
    Tcp(A),
    InProcess(B),
}

/// How this process reaches each service its services call: in memory when it runs here,
/// at its configured URL when it runs elsewhere, or not at all.
struct Links(HashMap<ServiceKind, Link>);

enum Link {
    InProcess(PeerChannel),
    Remote(String, PeerChannel),
    /// Not running here and `peers.<name>` is empty.
    Absent,
}

impl Links {
    fn new(
        settings: &Settings,
        running: &[ServiceKind],
        keys: &Keys,
        connector: &InProcessConnector,
    ) -> anyhow::Result<Self> {
        let token = ServiceToken::new(keys.services.clone(), format!("service:{}", settings.telemetry.service_name));
        let mut links = HashMap::new();
        for &service in running {
            for (target, _) in crate::services::peers_of(service, settings) {
                if links.contains_key(&target) {
                    continue;
                }
                let url = target.peer_url(&settings.peers);
                let link = if running.contains(&target) {
                    Link::InProcess(peers::connect(
                        PeerAddress::InProcess(connector),
                        token.clone(),
                        settings.peers.call_timeout,
                    )?)
                } else if !url.is_empty() {
                    Link::Remote(
                        url.to_string(),
                        peers::connect(PeerAddress::Url(url), token.clone(), settings.peers.call_timeout)?,
                    )
                } else {
                    Link::Absent
                };
                links.insert(target, link);
            }
        }
        Ok(Self(links))
    }

    fn channel(&self, target: ServiceKind) -> Option<PeerChannel> {
        match self.0.get(&target)? {
            Link::InProcess(channel) | Link::Remote(_, channel) => Some(channel.clone()),
            Link::Absent => None,
        }
    }

    /// Reports each peer in this process's health (and the log): in-process peers are up,
    /// absent ones down for good, remote ones watched until shutdown.
    async fn report(
        &self,
        settings: &Settings,
        running: &[ServiceKind],
        health: &Health,
        shutdown: &CancellationToken,
        background: &mut JoinSet<()>,
    ) {
        let signs_with_its_own_key = settings.auth.uses_identity_provider() && settings.auth.service_secret.is_empty();
        if signs_with_its_own_key && self.0.values().any(|link| matches!(link, Link::Remote(..))) {
            tracing::warn!(
                "auth.service_secret is not set, so this process signs its calls to other services with a key of its \
                 own (data_dir/service-secret) that they will refuse: set FRONTLINE__AUTH__SERVICE_SECRET to the same \
                 value in every Frontline process"
            );
        }
        for (&target, link) in &self.0 {
            let without_it: Vec<&str> = running
                .iter()
                .flat_map(|&service| crate::services::peers_of(service, settings))
                .filter(|(peer, _)| *peer == target)
                .map(|(_, without_it)| without_it)
                .collect();
            let peer = peer_health::Peer {
                name: target.name(),
                grpc_name: target.grpc_name(),
                without_it: without_it.join("; "),
            };
            match link {
                Link::InProcess(_) => peer_health::report_in_process(health, &peer).await,
                Link::Absent => {
                    let key = format!("peers.{}", target.name());
                    let why = format!("it does not run here and {key} is not set");
                    peer_health::report_absent(health, &peer, &why).await;
                }
                Link::Remote(url, channel) => {
                    background.spawn(peer_health::watch(
                        health.clone(),
                        peer,
                        url.clone(),
                        channel.clone(),
                        settings.peers.health_interval,
                        shutdown.clone(),
                    ));
                }
            }
        }
    }
}
