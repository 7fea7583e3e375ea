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

impl AnalyticsApi {
    async fn subscriptions(&self) -> Result<Vec<pb::FeedSubscription>, Status> {
        let statuses = follower_statuses(&self.db).await.map_err(ApiError::from)?;
        Ok(statuses
            .into_iter()
            .map(|status| pb::FeedSubscription {
                lag: (status.head_position - status.position).max(0),
                feed: status.follower,
                position: status.position,
                head_position: status.head_position,
                updated_at: Some(time::to_timestamp(status.updated_at)),
                last_error: status.last_error,
            })
            .collect())
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
        if !(principal.role.is_staff() || matches!(principal.role, Role::BiReader | Role::Service)) {
            return Err(ApiError::permission_denied(format!(
                "the {} role may not read ingestion status",
                principal.role
            ))
            .into());
        }
        Ok(Response::new(pb::ListFeedSubscriptionsResponse { subscriptions: self.subscriptions().await? }))
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

    type ExportTicketFactsStream = crate::export_api::TicketFactsStream;

    async fn export_ticket_facts(
        &self,
        request: Request<pb::ExportTicketFactsRequest>,
    ) -> Result<Response<Self::ExportTicketFactsStream>, Status> {
        let principal = auth::principal(&request)?;
        let stream = crate::export_api::export_ticket_facts(&self.db, &principal, request.into_inner()).await?;
        Ok(Response::new(stream))
    }

    type ExportMetricSeriesStream = crate::export_api::SeriesRowsStream;

    async fn export_metric_series(
        &self,
        request: Request<pb::ExportMetricSeriesRequest>,
    ) -> Result<Response<Self::ExportMetricSeriesStream>, Status> {
        let principal = auth::principal(&request)?;
        let stream = crate::export_api::export_metric_series(&self.db, &principal, request.into_inner()).await?;
        Ok(Response::new(stream))
    }

    async fn rebuild_analytics(
        &self,
        request: Request<pb::RebuildAnalyticsRequest>,
    ) -> Result<Response<pb::RebuildAnalyticsResponse>, Status> {
        let principal = auth::principal(&request)?;
        // Metrics disappear until the followers catch up again: an administrator's decision.
        if principal.role != Role::Administrator {
            return Err(ApiError::permission_denied(format!(
                "only an administrator may rebuild analytics, not the {} role",
                principal.role
            ))
            .into());
        }
        let epoch = crate::store::state::reset_for_rebuild(&self.db).await.map_err(ApiError::from)?;
        tracing::info!(epoch, subject = %principal.subject, "analytics rebuild started");
        let subscriptions = self.subscriptions().await?;
        Ok(Response::new(pb::RebuildAnalyticsResponse { subscriptions, epoch }))
    }

    async fn get_knowledge_metrics(
        &self,
        request: Request<pb::GetKnowledgeMetricsRequest>,
    ) -> Result<Response<pb::KnowledgeMetrics>, Status> {
        let principal = auth::principal(&request)?;
        let metrics =
            crate::knowledge_metrics_api::get_knowledge_metrics(&self.db, &principal, request.into_inner()).await?;
        Ok(Response::new(metrics))
    }

    async fn get_workforce_metrics(
        &self,
        request: Request<pb::GetWorkforceMetricsRequest>,
    ) -> Result<Response<pb::WorkforceMetrics>, Status> {
        let principal = auth::principal(&request)?;
        let metrics =
            crate::workforce_metrics_api::get_workforce_metrics(&self.db, &principal, request.into_inner()).await?;
        Ok(Response::new(metrics))
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
