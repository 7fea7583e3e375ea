//! The gRPC face of knowledge.
use frontline_proto::{
    common::v1::{ListEventsRequest, ListEventsResponse, WatchEventsRequest},
    knowledge::v1::knowledge_service_server::KnowledgeService,
};
use frontline_shared::feed::{FeedEndpoint, WatchEventsStream};
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct KnowledgeApi {
    events: FeedEndpoint,
}

impl KnowledgeApi {
    pub fn new(events: FeedEndpoint) -> Self {
        Self { events }
    }
}

#[tonic::async_trait]
impl KnowledgeService for KnowledgeApi {
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
