//! The gRPC face of ticketing: decode the request, authorise the caller, let the domain decide,
//! record the outcome and its feed event in one transaction, encode the answer.
mod convert;
mod customers;
mod tickets;

use frontline_proto::{
    common::v1::{ListEventsRequest, ListEventsResponse, WatchEventsRequest},
    ticketing::v1::{self as pb, ticketing_service_server::TicketingService},
};
use frontline_shared::{
    ApiError, auth,
    database::{Database, is_unique_violation},
    feed::{Feed, FeedEndpoint, WatchEventsStream},
};
use sha2::{Digest, Sha256};
use tonic::{Request, Response, Status};

/// Ticketing's gRPC service. Cheap to clone.
#[derive(Clone)]
pub struct TicketingApi {
    db: Database,
    feed: Feed,
    events: FeedEndpoint,
}

impl TicketingApi {
    pub fn new(events: FeedEndpoint) -> Self {
        let feed = events.feed().clone();
        Self { db: feed.database().clone(), feed, events }
    }
}

type ApiResponse<T> = Result<Response<T>, Status>;

fn ok<T>(value: T) -> ApiResponse<T> {
    Ok(Response::new(value))
}

/// Request ids are opaque to us but bounded, so a key table cannot be stuffed.
fn check_request_id(request_id: &str) -> Result<(), ApiError> {
    if request_id.len() > 128 {
        return Err(ApiError::invalid("request_id", "must be at most 128 characters"));
    }
    Ok(())
}

fn fingerprint(message: &impl prost::Message) -> String {
    let digest = Sha256::digest(message.encode_to_vec());
    digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect()
}

/// A unique index caught a concurrent writer between our check and our insert.
fn concurrent_write(error: sqlx::Error) -> ApiError {
    if is_unique_violation(&error) {
        ApiError::Aborted {
            reason: "CONCURRENT_WRITE",
            message: "another request wrote a conflicting record at the same moment; retry".into(),
        }
    } else {
        error.into()
    }
}

#[tonic::async_trait]
impl TicketingService for TicketingApi {
    async fn create_customer(&self, request: Request<pb::CreateCustomerRequest>) -> ApiResponse<pb::Customer> {
        let principal = auth::principal(&request)?;
        ok(self.create_customer(&principal, request.into_inner()).await?)
    }

    async fn get_customer(&self, request: Request<pb::GetCustomerRequest>) -> ApiResponse<pb::Customer> {
        let principal = auth::principal(&request)?;
        ok(self.get_customer(&principal, request.into_inner()).await?)
    }

    async fn list_customers(
        &self,
        request: Request<pb::ListCustomersRequest>,
    ) -> ApiResponse<pb::ListCustomersResponse> {
        let principal = auth::principal(&request)?;
        ok(self.list_customers(&principal, request.into_inner()).await?)
    }

    async fn update_customer(&self, request: Request<pb::UpdateCustomerRequest>) -> ApiResponse<pb::Customer> {
        let principal = auth::principal(&request)?;
        ok(self.update_customer(&principal, request.into_inner()).await?)
    }

    async fn upsert_customer(
        &self,
        request: Request<pb::UpsertCustomerRequest>,
    ) -> ApiResponse<pb::UpsertCustomerResponse> {
        let principal = auth::principal(&request)?;
        ok(self.upsert_customer(&principal, request.into_inner()).await?)
    }

    async fn create_ticket(&self, request: Request<pb::CreateTicketRequest>) -> ApiResponse<pb::Ticket> {
        let principal = auth::principal(&request)?;
        ok(self.create_ticket(&principal, request.into_inner()).await?)
    }

    async fn get_ticket(&self, request: Request<pb::GetTicketRequest>) -> ApiResponse<pb::Ticket> {
        let principal = auth::principal(&request)?;
        ok(self.get_ticket(&principal, request.into_inner()).await?)
    }

    async fn list_tickets(&self, request: Request<pb::ListTicketsRequest>) -> ApiResponse<pb::ListTicketsResponse> {
        let principal = auth::principal(&request)?;
        ok(self.list_tickets(&principal, request.into_inner()).await?)
    }

    async fn update_ticket(&self, request: Request<pb::UpdateTicketRequest>) -> ApiResponse<pb::Ticket> {
        let principal = auth::principal(&request)?;
        ok(self.update_ticket(&principal, request.into_inner()).await?)
    }

    async fn list_events(&self, request: Request<ListEventsRequest>) -> ApiResponse<ListEventsResponse> {
        self.events.list(request).await
    }

    type WatchEventsStream = WatchEventsStream;

    async fn watch_events(&self, request: Request<WatchEventsRequest>) -> ApiResponse<Self::WatchEventsStream> {
        self.events.watch(request)
    }
}
