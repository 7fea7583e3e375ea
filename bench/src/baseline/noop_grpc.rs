//! The gRPC limit: a tonic service that decodes the request and answers with a ticket it
//! already has — no authentication, no database — with the same request and response sizes as
//! GetTicket and CreateTicket, and the same bearer token on each call. What Frontline adds on
//! top of this (auth, tracing, the concurrency limit, the database) is what its figures cost.
use std::{
    convert::Infallible,
    marker::PhantomData,
    net::SocketAddr,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use frontline_proto::ticketing::v1 as pb;
use futures::future::{BoxFuture, Ready, ready};
use http::uri::PathAndQuery;
use tonic::{Request, Response, Status, body::Body, metadata::MetadataValue, server::NamedService, transport::Channel};
use tonic_prost::ProstCodec;

use crate::load::{self, Measurement};

const SERVICE: &str = "frontline.bench.v1.NoOp";
const GET: &str = "/frontline.bench.v1.NoOp/GetTicket";
const CREATE: &str = "/frontline.bench.v1.NoOp/CreateTicket";

/// Answers every call with `ticket`.
#[derive(Clone)]
struct NoOp {
    ticket: Arc<pb::Ticket>,
}

impl NamedService for NoOp {
    const NAME: &'static str = SERVICE;
}

/// The unary handler: ignores the request it decoded and returns the ticket.
struct Answer<Req> {
    ticket: Arc<pb::Ticket>,
    request: PhantomData<fn(Req)>,
}

impl<Req: Send + 'static> tonic::server::UnaryService<Req> for Answer<Req> {
    type Response = pb::Ticket;
    type Future = Ready<Result<Response<pb::Ticket>, Status>>;

    fn call(&mut self, _: Request<Req>) -> Self::Future {
        ready(Ok(Response::new((*self.ticket).clone())))
    }
}

impl NoOp {
    async fn answer<Req: prost::Message + Default + Send + 'static>(
        ticket: Arc<pb::Ticket>,
        request: http::Request<Body>,
    ) -> http::Response<Body> {
        let mut grpc = tonic::server::Grpc::new(ProstCodec::<pb::Ticket, Req>::default());
        grpc.unary(Answer::<Req> { ticket, request: PhantomData }, request).await
    }
}

impl tower::Service<http::Request<Body>> for NoOp {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let ticket = self.ticket.clone();
        match request.uri().path() {
            GET => Box::pin(async move { Ok(Self::answer::<pb::GetTicketRequest>(ticket, request).await) }),
            CREATE => Box::pin(async move { Ok(Self::answer::<pb::CreateTicketRequest>(ticket, request).await) }),
            // What any gRPC server answers for a method it does not have.
            _ => Box::pin(async move {
                Ok(Status::unimplemented(format!("{SERVICE} has only GetTicket and CreateTicket")).into_http())
            }),
        }
    }
}

/// Serves the no-op service on a loopback port in this process; returns a channel to it.
/// TCP_NODELAY as Frontline's own listener sets it: without it, Nagle's algorithm and delayed
/// ACKs hold small responses for 40 ms.
pub async fn start(ticket: pb::Ticket) -> anyhow::Result<Channel> {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let address = listener.local_addr()?;
    let service = NoOp { ticket: Arc::new(ticket) };
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true))),
    );
    Ok(Channel::from_shared(format!("http://{address}"))?.connect().await?)
}

/// Calls `path` with `message` and the caller's token from `concurrency` workers.
async fn measure<Req>(
    name: &str,
    channel: Channel,
    bearer: &str,
    path: &'static str,
    message: Req,
    concurrency: usize,
    duration: Duration,
) -> Measurement
where
    Req: prost::Message + Clone + Send + Sync + 'static,
{
    let bearer: MetadataValue<_> = bearer.parse().expect("an ASCII token");
    load::run(name, concurrency, duration, move |_, _| {
        let mut grpc = tonic::client::Grpc::new(channel.clone());
        let mut request = Request::new(message.clone());
        request.metadata_mut().insert("authorization", bearer.clone());
        async move {
            grpc.ready().await.map_err(|error| Status::unavailable(error.to_string()))?;
            let codec = ProstCodec::<Req, pb::Ticket>::default();
            grpc.unary(request, PathAndQuery::from_static(path), codec).await?;
            Ok(())
        }
    })
    .await
}

pub async fn get(channel: Channel, bearer: &str, id: &str, concurrency: usize, duration: Duration) -> Measurement {
    let request = pb::GetTicketRequest { id: id.into() };
    measure("grpc limit: no-op, GetTicket's sizes", channel, bearer, GET, request, concurrency, duration).await
}

pub async fn create(
    channel: Channel,
    bearer: &str,
    ticket: pb::Ticket,
    concurrency: usize,
    duration: Duration,
) -> Measurement {
    let request = pb::CreateTicketRequest { ticket: Some(ticket), request_id: String::new() };
    measure("grpc limit: no-op, CreateTicket's sizes", channel, bearer, CREATE, request, concurrency, duration).await
}
