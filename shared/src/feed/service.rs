//! `ListEvents` and `WatchEvents`, implemented once for every service's API.
use std::time::Duration;

use frontline_proto::common::v1::{ListEventsRequest, ListEventsResponse, WatchEventsRequest, WatchEventsResponse};
use futures::stream::BoxStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::Feed;
use crate::{
    auth::{Principal, Role},
    error::{ApiError, ApiResult},
    pagination::page_size_within,
};

const DEFAULT_PAGE: usize = 500;
const MAX_PAGE: usize = 5000;

/// Feeds carry whole records (and, later, internal notes), so only programs that sync or
/// aggregate them and administrators may read them.
pub fn authorize_feed_read(principal: &Principal) -> ApiResult<()> {
    match principal.role {
        Role::Service | Role::CrmSync | Role::BiReader | Role::Administrator | Role::Director => Ok(()),
        role => Err(ApiError::permission_denied(format!("the {role} role may not read change feeds"))),
    }
}

fn check_position(after_position: i64) -> ApiResult<()> {
    if after_position < 0 {
        return Err(ApiError::invalid("after_position", "must not be negative"));
    }
    Ok(())
}

pub async fn list_events(
    feed: &Feed,
    principal: &Principal,
    request: ListEventsRequest,
) -> ApiResult<ListEventsResponse> {
    authorize_feed_read(principal)?;
    check_position(request.after_position)?;
    let limit = page_size_within(request.page_size, DEFAULT_PAGE, MAX_PAGE)?;
    let (events, head_position) = feed.list(request.after_position, limit).await?;
    let next_after_position = events.last().map_or(request.after_position, |event| event.position);
    Ok(ListEventsResponse { events, next_after_position, head_position })
}

/// Streams batches after the requested position, then new batches as they are numbered, until
/// the client goes away or the server shuts down (ending the stream lets shutdown drain). A
/// watch opened once shutdown has begun is refused with UNAVAILABLE, so a follower backs off
/// and reconnects (to another replica) rather than reopening a stream that ends at once.
pub fn watch_events(
    feed: &Feed,
    principal: &Principal,
    request: WatchEventsRequest,
    poll_interval: Duration,
    shutdown: CancellationToken,
) -> ApiResult<BoxStream<'static, Result<WatchEventsResponse, Status>>> {
    authorize_feed_read(principal)?;
    check_position(request.after_position)?;
    if shutdown.is_cancelled() {
        return Err(ApiError::Unavailable { message: "this server is shutting down; watch again".into() });
    }
    let feed = feed.clone();
    let mut numbered = feed.subscribe();
    let stream = async_stream::try_stream! {
        let mut cursor = request.after_position;
        loop {
            let (events, head_position) = feed.list(cursor, DEFAULT_PAGE).await.map_err(|e| Status::from(ApiError::from(e)))?;
            if let Some(last) = events.last() {
                cursor = last.position;
                yield WatchEventsResponse { events, head_position };
                continue;
            }
            tokio::select! {
                changed = numbered.changed() => {
                    if changed.is_err() { tokio::time::sleep(poll_interval).await; }
                }
                _ = tokio::time::sleep(poll_interval) => {}
                _ = shutdown.cancelled() => break,
            }
        }
    };
    Ok(Box::pin(stream))
}

/// The two feed RPCs as every service serves them; each service's API holds one.
#[derive(Clone)]
pub struct FeedEndpoint {
    feed: Feed,
    poll_interval: Duration,
    shutdown: CancellationToken,
}

pub type WatchEventsStream = BoxStream<'static, Result<WatchEventsResponse, Status>>;

impl FeedEndpoint {
    pub fn new(feed: Feed, poll_interval: Duration, shutdown: CancellationToken) -> Self {
        Self { feed, poll_interval, shutdown }
    }

    pub fn feed(&self) -> &Feed {
        &self.feed
    }

    pub async fn list(&self, request: Request<ListEventsRequest>) -> Result<Response<ListEventsResponse>, Status> {
        let principal = crate::auth::principal(&request)?;
        Ok(Response::new(list_events(&self.feed, &principal, request.into_inner()).await?))
    }

    pub fn watch(&self, request: Request<WatchEventsRequest>) -> Result<Response<WatchEventsStream>, Status> {
        let principal = crate::auth::principal(&request)?;
        let stream =
            watch_events(&self.feed, &principal, request.into_inner(), self.poll_interval, self.shutdown.clone())?;
        Ok(Response::new(stream))
    }
}
