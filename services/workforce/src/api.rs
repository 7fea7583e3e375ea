//! The gRPC face of workforce.
use frontline_proto::{
    common::v1::{ListEventsRequest, ListEventsResponse, WatchEventsRequest},
    workforce::v1::workforce_service_server::WorkforceService,
};
use frontline_shared::feed::{FeedEndpoint, WatchEventsStream};
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct WorkforceApi {
    events: FeedEndpoint,
}

impl WorkforceApi {
    pub fn new(events: FeedEndpoint) -> Self {
        Self { events }
    }
}

#[tonic::async_trait]
impl WorkforceService for WorkforceApi {
    async fn list_events(&self, request: Request<ListEventsRequest>) -> Result<Response<ListEventsResponse>, Status> {
        self.events.list(request).await
    }

    type WatchEventsStream = WatchEventsStream;

    async fn watch_events(
        &self,
        request: Request<WatchEventsRequest>,
    ) -> Result<Response<Self::WatchEventsStream>, Status> {
        self.events.watch(request)
    }
}
