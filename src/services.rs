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

/// The services `service` calls, and what it cannot do while each is unreachable: said in the
/// log and behind the peer's health status when a peer is absent or down.
pub fn peers_of(
    service: ServiceKind,
    settings: &frontline_shared::config::Settings,
) -> Vec<(ServiceKind, &'static str)> {
    match service {
        ServiceKind::Ticketing => {
            let mut peers = vec![(
                ServiceKind::Workforce,
                "new tickets wait in their team's queue instead of being routed to an agent",
            )];
            if settings.ticketing.suggest_articles {
                peers.push((
                    ServiceKind::Knowledge,
                    "new tickets get no article suggestions, and stored ones are not shown (nobody can say who may read them)",
                ));
            }
            peers
        }
        ServiceKind::Knowledge => {
            vec![(
                ServiceKind::Ticketing,
                "suggestions for a ticket, deflections and tickets from article feedback are refused",
            )]
        }
        // Workforce asks analytics for forecasts and analytics asks workforce for plans (with
        // the forecast given), so neither call leads back to the other.
        ServiceKind::Workforce => vec![(ServiceKind::Analytics, "staffing plans cannot take analytics' forecast")],
        ServiceKind::Analytics => vec![
            (ServiceKind::Ticketing, "ticket metrics stop at the last event read"),
            (ServiceKind::Knowledge, "knowledge metrics stop at the last event read"),
            (ServiceKind::Workforce, "workforce metrics stop at the last event read and staffing metrics are refused"),
        ],
    }
}

/// The `service.name` of a process running `services` (as `selected` returns them):
/// `frontline` for all four, else `frontline-` and their names (`frontline-ticketing`).
pub fn process_name(services: &[ServiceKind]) -> String {
    if services.len() == ServiceKind::ALL.len() {
        return "frontline".into();
    }
    let names: Vec<&str> = services.iter().map(|service| service.name()).collect();
    format!("frontline-{}", names.join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_is_named_after_the_services_it_runs() {
        assert_eq!(process_name(&ServiceKind::ALL), "frontline");
        assert_eq!(process_name(&[ServiceKind::Ticketing]), "frontline-ticketing");
        assert_eq!(
            process_name(&selected(&[ServiceKind::Workforce, ServiceKind::Knowledge])),
            "frontline-knowledge-workforce"
        );
    }
}
