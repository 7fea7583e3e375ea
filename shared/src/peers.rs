//! How one service reaches another: a generated client over a [`PeerChannel`] — in memory when
//! both run in this process, over the network when `peers.<service>` names a URL — that always
//! carries a deadline, a token saying on whose behalf the call is made, and the caller's trace
//! context (put on by [`ClientTrace`], around the interceptor that adds the rest).
//!
//! Whose rights decide is chosen at every call site, never defaulted: a request built with
//! [`for_caller`] carries the caller's identity with this service as the actor (RFC 8693
//! `act`), so the peer decides with the caller's rights; one built with [`as_this_service`]
//! carries this service's own identity, for work no caller asked for (following a feed,
//! routing a new ticket, computing a ticket's suggestions in the background). A request built
//! any other way is refused before it leaves the process.
use std::time::Duration;

use tonic::{
    Request, Status,
    service::{Interceptor, interceptor::InterceptedService},
    transport::{Channel, Endpoint},
};

use crate::{
    auth::{Principal, ServiceToken},
    client_trace::ClientTrace,
    server::InProcessConnector,
};

/// On whose behalf a request to a peer is made; carried in the request's extensions.
#[derive(Clone)]
enum OnBehalfOf {
    Caller(Principal),
    ThisService,
}

/// A request a service makes for its own caller: the peer sees the caller's identity (with this
/// service as the actor) and decides with the caller's rights.
pub fn for_caller<T>(caller: &Principal, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.extensions_mut().insert(OnBehalfOf::Caller(caller.clone()));
    request
}

/// A request a service makes for itself, with no caller behind it (background work). Whatever
/// it returns must be filtered for each reader before any reader sees it.
pub fn as_this_service<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.extensions_mut().insert(OnBehalfOf::ThisService);
    request
}

/// A channel to a peer service: each call in its own CLIENT span, carrying a deadline, this
/// process's service token and the span's trace context.
pub type PeerChannel = ClientTrace<InterceptedService<Channel, PeerInterceptor>>;

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
        let bearer = match request.extensions().get::<OnBehalfOf>() {
            Some(OnBehalfOf::Caller(caller)) => self.token.on_behalf_of(caller),
            Some(OnBehalfOf::ThisService) => self.token.bearer(),
            None => {
                return Err(Status::internal(
                    "a call to a peer service must say on whose behalf it is made (peers::for_caller or peers::as_this_service)",
                ));
            }
        }
        .map_err(|error| Status::internal(format!("minting a token for a peer call: {error}")))?;
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
    let (channel, server_address) = match address {
        PeerAddress::InProcess(connector) => (connector.channel(), "in-process".to_string()),
        PeerAddress::Url(url) => {
            let endpoint = Endpoint::from_shared(url.to_string())
                .map_err(|error| anyhow::anyhow!("peer URL {url}: {error}"))?
                .connect_timeout(Duration::from_secs(5))
                .tcp_nodelay(true)
                .http2_keep_alive_interval(Duration::from_secs(30))
                .keep_alive_while_idle(true);
            let host = endpoint.uri().host().unwrap_or("unknown").to_string();
            (endpoint.connect_lazy(), host)
        }
    };
    Ok(ClientTrace::new(InterceptedService::new(channel, PeerInterceptor { token, deadline }), server_address))
}

/// What the caller is told when a peer service failed a call made on its behalf: unreachable or
/// too slow is `Unavailable` (retry later), a refusal of the request is `FailedPrecondition`
/// with the peer's reason; never `Internal` for what the peer said about the request.
pub fn call_failed(peer: &str, status: &Status) -> crate::ApiError {
    use tonic::Code;
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::Unknown | Code::ResourceExhausted => {
            crate::ApiError::Unavailable {
                message: format!("{peer} did not answer ({:?}): {}; retry shortly", status.code(), status.message()),
            }
        }
        Code::InvalidArgument | Code::NotFound | Code::FailedPrecondition | Code::OutOfRange => {
            crate::ApiError::FailedPrecondition {
                reason: "PEER_REFUSED",
                message: format!("{peer} refused the request ({:?}): {}", status.code(), status.message()),
            }
        }
        code => crate::ApiError::Internal(anyhow::anyhow!("{peer} failed a call ({code:?}): {}", status.message())),
    }
}

/// Awaits a peer's answer for at most `deadline` (the request carries it too; this also bounds
/// connecting), turning a failure into what the caller should see ([`call_failed`]).
pub async fn answer<T>(
    peer: &str,
    deadline: Duration,
    call: impl Future<Output = Result<tonic::Response<T>, Status>>,
) -> crate::ApiResult<T> {
    match tokio::time::timeout(deadline, call).await {
        Err(_) => Err(crate::ApiError::Unavailable { message: format!("{peer} did not answer within {deadline:?}") }),
        Ok(Err(status)) => Err(call_failed(peer, &status)),
        Ok(Ok(response)) => Ok(response.into_inner()),
    }
}
