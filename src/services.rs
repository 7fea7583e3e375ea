//! The four services this binary can run, and what each one needs to start.
use frontline_shared::database::Migrations;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum ServiceKind {
    Ticketing,
    Knowledge,
    Workforce,
    Analytics,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 4] =
        [ServiceKind::Ticketing, ServiceKind::Knowledge, ServiceKind::Workforce, ServiceKind::Analytics];

    /// Its database: the SQLite file stem, or the Postgres schema.
    pub fn database(self) -> &'static str {
        match self {
            ServiceKind::Ticketing => frontline_ticketing::DATABASE,
            ServiceKind::Knowledge => frontline_knowledge::DATABASE,
            ServiceKind::Workforce => frontline_workforce::DATABASE,
            ServiceKind::Analytics => frontline_analytics::DATABASE,
        }
    }

    /// The fully qualified gRPC service name, which is also its health-check name.
    pub fn grpc_name(self) -> &'static str {
        use frontline_proto::*;
        match self {
            ServiceKind::Ticketing => ticketing::v1::ticketing_service_server::SERVICE_NAME,
            ServiceKind::Knowledge => knowledge::v1::knowledge_service_server::SERVICE_NAME,
            ServiceKind::Workforce => workforce::v1::workforce_service_server::SERVICE_NAME,
            ServiceKind::Analytics => analytics::v1::analytics_service_server::SERVICE_NAME,
        }
    }

    pub fn migrations(self) -> Migrations {
        match self {
            ServiceKind::Ticketing => frontline_ticketing::MIGRATIONS,
            ServiceKind::Knowledge => frontline_knowledge::MIGRATIONS,
            ServiceKind::Workforce => frontline_workforce::MIGRATIONS,
            ServiceKind::Analytics => frontline_analytics::MIGRATIONS,
        }
    }

    pub fn name(self) -> &'static str {
        self.database()
    }

    /// Where this service is reached when it runs in another process.
    pub fn peer_url(self, peers: &frontline_shared::config::PeerSettings) -> &str {
        match self {
            ServiceKind::Ticketing => &peers.ticketing,
            ServiceKind::Knowledge => &peers.knowledge,
            ServiceKind::Workforce => &peers.workforce,
            ServiceKind::Analytics => &peers.analytics,
        }
    }
}

/// The services asked for, in a stable order, all of them when none were named.
pub fn selected(requested: &[ServiceKind]) -> Vec<ServiceKind> {
    let mut services = if requested.is_empty() { ServiceKind::ALL.to_vec() } else { requested.to_vec() };
    services.sort();
    services.dedup();
    services
}
