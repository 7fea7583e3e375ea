//! The gRPC face of analytics.
use frontline_proto::{
    analytics::v1::{self as pb, analytics_service_server::AnalyticsService},
    common::v1::{ListEventsRequest, ListEventsResponse, WatchEventsRequest},
};
use frontline_shared::{
    ApiError,
    auth::{self, Role},
    database::{Database, time},
    feed::{FeedEndpoint, WatchEventsStream, follower_statuses},
};
use std::time::Duration;

use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct AnalyticsApi {
    db: Database,
    events: FeedEndpoint,
    /// Workforce, for staffing plans, and how long to wait for it.
    workforce: Option<(crate::forecast_api::WorkforceClient, Duration)>,
}

impl AnalyticsApi {
    pub fn new(events: FeedEndpoint) -> Self {
        Self { db: events.feed().database().clone(), events, workforce: None }
    }

    /// Plan staffing with workforce through `channel`, waiting at most `timeout` for it.
    pub fn with_workforce(mut self, channel: Option<frontline_shared::peers::PeerChannel>, timeout: Duration) -> Self {
        self.workforce = channel.map(|channel| (crate::forecast_api::WorkforceClient::new(channel), timeout));
        self
    }
}

#[tonic::async_trait]
impl AnalyticsService for AnalyticsApi {
    async fn list_feed_subscriptions(
        &self,
        request: Request<pb::ListFeedSubscriptionsRequest>,
    ) -> Result<Response<pb::ListFeedSubscriptionsResponse>, Status> {
        let principal = auth::principal(&request)?;
        // Ingestion health is operational data: for people and for the programs that depend on it.
        if matches!(principal.role, Role::Scheduler | Role::CrmSync) {
            return Err(ApiError::permission_denied(format!(
                "the {} role may not read ingestion status",
                principal.role
            ))
            .into());
        }
        let statuses = follower_statuses(&self.db).await.map_err(ApiError::from)?;
        let subscriptions = statuses
            .into_iter()
            .map(|status| pb::FeedSubscription {
                lag: (status.head_position - status.position).max(0),
                feed: status.follower,
                position: status.position,
                head_position: status.head_position,
                updated_at: Some(time::to_timestamp(status.updated_at)),
                last_error: status.last_error,
            })
            .collect();
        Ok(Response::new(pb::ListFeedSubscriptionsResponse { subscriptions }))
    }

    async fn get_ticket_metrics(
        &self,
        request: Request<pb::GetTicketMetricsRequest>,
    ) -> Result<Response<pb::TicketMetrics>, Status> {
        let principal = auth::principal(&request)?;
        let metrics = crate::ticket_metrics_api::get_ticket_metrics(&self.db, &principal, request.into_inner()).await?;
        Ok(Response::new(metrics))
    }

    async fn get_metric_series(
        &self,
        request: Request<pb::GetMetricSeriesRequest>,
    ) -> Result<Response<pb::MetricSeries>, Status> {
        let principal = auth::principal(&request)?;
        let series = crate::series_api::get_metric_series(&self.db, &principal, request.into_inner()).await?;
        Ok(Response::new(series))
    }

    async fn get_sla_board(&self, request: Request<pb::GetSlaBoardRequest>) -> Result<Response<pb::SlaBoard>, Status> {
        let principal = auth::principal(&request)?;
        let board = crate::sla_board_api::get_sla_board(&self.db, &principal, request.into_inner()).await?;
        Ok(Response::new(board))
    }

    async fn get_scorecards(
        &self,
        request: Request<pb::GetScorecardsRequest>,
    ) -> Result<Response<pb::GetScorecardsResponse>, Status> {
        let principal = auth::principal(&request)?;
        let cards = crate::scorecard_api::get_scorecards(&self.db, &principal, request.into_inner()).await?;
        Ok(Response::new(cards))
    }

    async fn forecast_volume(
        &self,
        request: Request<pb::ForecastVolumeRequest>,
    ) -> Result<Response<pb::ForecastVolumeResponse>, Status> {
        let principal = auth::principal(&request)?;
        let forecast = crate::forecast_api::forecast_volume(&self.db, &principal, request.into_inner()).await?;
        Ok(Response::new(forecast))
    }

    async fn get_staffing_metrics(
        &self,
        request: Request<pb::GetStaffingMetricsRequest>,
    ) -> Result<Response<pb::StaffingMetrics>, Status> {
        let principal = auth::principal(&request)?;
        let metrics = crate::forecast_api::get_staffing_metrics(
            &self.db,
            self.workforce.clone(),
            &principal,
            request.into_inner(),
        )
        .await?;
        Ok(Response::new(metrics))
    }

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
