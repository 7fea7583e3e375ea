//! Whether the services this process calls answer. A peer in another process is asked for its
//! own health every `peers.health_interval`; the answer becomes this process's health status
//! for it (`frontline.peers.<name>`, see [`crate::server::peer_health_name`]) and a log line
//! whenever it changes. So one probe tells an operator why tickets arrive without suggestions,
//! and the process itself keeps serving: a peer that is absent or down degrades it, never
//! stops it.
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};

use crate::{peers::PeerChannel, server::Health};

/// One service this process calls, and what this process cannot do while it is unreachable.
pub struct Peer {
    /// Its short name ("knowledge").
    pub name: &'static str,
    /// Its gRPC service name, whose health status the peer reports.
    pub grpc_name: &'static str,
    /// Said in the log when it goes away: "tickets are created without article suggestions".
    pub without_it: String,
}

/// Reports `peer` as unreachable for good: it is not configured, or this process cannot
/// authenticate to it. Said once, at start.
pub async fn report_absent(health: &Health, peer: &Peer, why: &str) {
    tracing::warn!(peer = peer.name, "{} is not reachable from this process ({why}): {}", peer.name, peer.without_it);
    health.peer(peer.name, false).await;
}

/// Reports `peer` as reachable for good: it runs in this process.
pub async fn report_in_process(health: &Health, peer: &Peer) {
    health.peer(peer.name, true).await;
}

/// Asks `peer` for its health until `stop`, reporting each change; `url` is for the log.
pub async fn watch(
    health: Health,
    peer: Peer,
    url: String,
    channel: PeerChannel,
    interval: Duration,
    stop: CancellationToken,
) {
    // Untraced: a check every few seconds from every process would drown the traces.
    let mut client = HealthClient::new(channel.untraced());
    let mut last: Option<bool> = None;
    loop {
        let answer = client
            .check(crate::peers::as_this_service(HealthCheckRequest { service: peer.grpc_name.to_string() }))
            .await;
        let problem = match answer {
            Ok(response) if response.get_ref().status == ServingStatus::Serving as i32 => None,
            Ok(response) => Some(format!("it reports {:?}", response.get_ref().status())),
            Err(status) => Some(format!("{:?}: {}", status.code(), status.message())),
        };
        let reachable = problem.is_none();
        if last != Some(reachable) {
            match &problem {
                None => tracing::info!(peer = peer.name, %url, "{} answers at {url}", peer.name),
                Some(problem) => tracing::warn!(
                    peer = peer.name,
                    %url,
                    %problem,
                    "{} at {url} does not answer ({problem}): {} until it does",
                    peer.name,
                    peer.without_it
                ),
            }
            health.peer(peer.name, reachable).await;
            last = Some(reachable);
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(interval) => {}
        }
    }
}
