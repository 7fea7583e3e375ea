//! How one service reaches another: a generated client over a [`PeerChannel`] — in memory when
//! both run in this process, over the network when `peers.<service>` names a URL — that always
//! carries a deadline, this process's service token and the caller's trace context.
use std::time::Duration;

use tonic::{
    Request, Status,
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, Endpoint},
};

use crate::{auth::ServiceToken, server::InProcessConnector, telemetry};

pub type PeerChannel = InterceptedService<Channel, PeerInterceptor>;

#[derive(Clone)]
pub struct PeerInterceptor {
    token: ServiceToken,
    deadline: Duration,
}

impl Interceptor for PeerInterceptor {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if request.metadata().get("grpc-timeout").is_none() {
            request.set_timeout(self.deadline);
        }
        telemetry::inject_current_context(request.metadata_mut());
        let bearer =
            self.token.bearer().map_err(|error| Status::internal(format!("minting a service token: {error}")))?;
        let value = bearer.parse().map_err(|_| Status::internal("service token is not a valid header"))?;
        request.metadata_mut().insert("authorization", value);
        Ok(request)
    }
}

/// Where a peer service lives.
pub enum PeerAddress<'a> {
    InProcess(&'a InProcessConnector),
    Url(&'a str),
}

pub fn connect(address: PeerAddress<'_>, token: ServiceToken, deadline: Duration) -> anyhow::Result<PeerChannel> {
    let channel = match address {
        PeerAddress::InProcess(connector) => connector.channel(),
        PeerAddress::Url(url) => Endpoint::from_shared(url.to_string())
            .map_err(|error| anyhow::anyhow!("peer URL {url}: {error}"))?
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .http2_keep_alive_interval(Duration::from_secs(30))
            .keep_alive_while_idle(true)
            .connect_lazy(),
    };
    Ok(InterceptedService::new(channel, PeerInterceptor { token, deadline }))
}
