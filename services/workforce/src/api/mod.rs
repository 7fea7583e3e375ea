//! The gRPC face of workforce: decode, authorise, let the domain decide, record the outcome and
//! its feed event in one transaction, encode.
mod convert;
mod development;
mod people;
mod roster;
mod staffing;
mod time_off;

use frontline_proto::{
    common::v1::{ListEventsRequest, ListEventsResponse, WatchEventsRequest},
    workforce::v1::{self as pb, workforce_service_server::WorkforceService},
};
use frontline_shared::{
    auth,
    database::Database,
    feed::{Feed, FeedEndpoint, WatchEventsStream},
};
use futures::stream::BoxStream;
use tonic::{Request, Response, Status};

/// Workforce's gRPC service. Cheap to clone.
#[derive(Clone)]
pub struct WorkforceApi {
    db: Database,
    feed: Feed,
    events: FeedEndpoint,
    /// Analytics, for volume forecasts, and how long to wait for it.
    analytics: Option<(staffing::AnalyticsClient, std::time::Duration)>,
}

impl WorkforceApi {
    pub fn new(events: FeedEndpoint) -> Self {
        let feed = events.feed().clone();
        Self { db: feed.database().clone(), feed, events, analytics: None }
    }

    /// Take staffing plans' forecasts from analytics through `channel`, waiting at most `timeout`.
    pub fn with_analytics(
        mut self,
        channel: Option<frontline_shared::peers::PeerChannel>,
        timeout: std::time::Duration,
    ) -> Self {
        self.analytics = channel.map(|channel| (staffing::AnalyticsClient::new(channel), timeout));
        self
    }
}

type ApiResponse<T> = Result<Response<T>, Status>;

/// The service impl: each plain RPC takes the principal, hands the message to its handler and
/// maps the outcome. Generated as one block so `async_trait` sees every method.
macro_rules! workforce_service {
    ($($name:ident($request:ty) -> $response:ty;)*) => {
        #[tonic::async_trait]
        impl WorkforceService for WorkforceApi {
            $(
                async fn $name(&self, request: Request<$request>) -> ApiResponse<$response> {
                    let principal = auth::principal(&request)?;
                    Ok(Response::new(WorkforceApi::$name(self, &principal, request.into_inner()).await?))
                }
            )*

            async fn list_departments(&self, request: Request<pb::ListDepartmentsRequest>) -> ApiResponse<pb::ListDepartmentsResponse> {
                let principal = auth::principal(&request)?;
                Ok(Response::new(WorkforceApi::list_departments(self, &principal).await?))
            }

            type StreamRosterStream = BoxStream<'static, Result<pb::Shift, Status>>;

            async fn stream_roster(&self, request: Request<pb::RosterRequest>) -> ApiResponse<Self::StreamRosterStream> {
                let principal = auth::principal(&request)?;
                Ok(Response::new(WorkforceApi::stream_roster(self, &principal, request.into_inner()).await?))
            }

            async fn list_events(&self, request: Request<ListEventsRequest>) -> ApiResponse<ListEventsResponse> {
                self.events.list(request).await
            }

            type WatchEventsStream = WatchEventsStream;

            async fn watch_events(&self, request: Request<WatchEventsRequest>) -> ApiResponse<Self::WatchEventsStream> {
                self.events.watch(request)
            }
        }
    };
}

workforce_service! {
    create_person(pb::CreatePersonRequest) -> pb::Person;
    get_person(pb::GetPersonRequest) -> pb::Person;
    list_people(pb::ListPeopleRequest) -> pb::ListPeopleResponse;
    update_person(pb::UpdatePersonRequest) -> pb::Person;
    list_career_events(pb::ListCareerEventsRequest) -> pb::ListCareerEventsResponse;
    create_department(pb::CreateDepartmentRequest) -> pb::Department;
    create_team(pb::CreateTeamRequest) -> pb::Team;
    get_team(pb::GetTeamRequest) -> pb::Team;
    list_teams(pb::ListTeamsRequest) -> pb::ListTeamsResponse;
    update_team(pb::UpdateTeamRequest) -> pb::Team;
    create_shift(pb::CreateShiftRequest) -> pb::Shift;
    update_shift(pb::UpdateShiftRequest) -> pb::Shift;
    delete_shift(pb::DeleteShiftRequest) -> pb::DeleteShiftResponse;
    publish_shifts(pb::PublishShiftsRequest) -> pb::PublishShiftsResponse;
    copy_shifts(pb::CopyShiftsRequest) -> pb::CopyShiftsResponse;
    import_shifts(pb::ImportShiftsRequest) -> pb::ImportShiftsResponse;
    list_roster(pb::RosterRequest) -> pb::RosterResponse;
    export_roster(pb::ExportRosterRequest) -> pb::ExportRosterResponse;
    find_on_shift(pb::FindOnShiftRequest) -> pb::FindOnShiftResponse;
    request_time_off(pb::RequestTimeOffRequest) -> pb::TimeOff;
    approve_time_off(pb::DecideTimeOffRequest) -> pb::TimeOff;
    reject_time_off(pb::DecideTimeOffRequest) -> pb::TimeOff;
    cancel_time_off(pb::DecideTimeOffRequest) -> pb::TimeOff;
    list_time_off(pb::ListTimeOffRequest) -> pb::ListTimeOffResponse;
    compute_staffing(pb::ErlangRequest) -> pb::ErlangResponse;
    plan_staffing(pb::PlanStaffingRequest) -> pb::PlanStaffingResponse;
    create_training_program(pb::CreateTrainingProgramRequest) -> pb::TrainingProgram;
    list_training_programs(pb::ListTrainingProgramsRequest) -> pb::ListTrainingProgramsResponse;
    enroll(pb::EnrollRequest) -> pb::Enrollment;
    complete_training(pb::CompleteTrainingRequest) -> pb::Enrollment;
    list_enrollments(pb::ListEnrollmentsRequest) -> pb::ListEnrollmentsResponse;
    record_certification(pb::RecordCertificationRequest) -> pb::Certification;
    list_certifications(pb::ListCertificationsRequest) -> pb::ListCertificationsResponse;
    record_coaching_session(pb::RecordCoachingSessionRequest) -> pb::CoachingSession;
    list_coaching_sessions(pb::ListCoachingSessionsRequest) -> pb::ListCoachingSessionsResponse;
    record_performance_review(pb::RecordPerformanceReviewRequest) -> pb::PerformanceReview;
    list_performance_reviews(pb::ListPerformanceReviewsRequest) -> pb::ListPerformanceReviewsResponse;
    give_kudos(pb::GiveKudosRequest) -> pb::Kudos;
    list_kudos(pb::ListKudosRequest) -> pb::ListKudosResponse;
    create_scorecard(pb::CreateScorecardRequest) -> pb::Scorecard;
    list_scorecards(pb::ListScorecardsRequest) -> pb::ListScorecardsResponse;
    score_ticket(pb::ScoreTicketRequest) -> pb::QaReview;
    list_qa_reviews(pb::ListQaReviewsRequest) -> pb::ListQaReviewsResponse;
}
