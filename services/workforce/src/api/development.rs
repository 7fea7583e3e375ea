//! Development: training, certifications, coaching, reviews, kudos and QA. Coaching notes and
//! performance reviews are private to the person, their management line and directors — on
//! every read and every write.
use frontline_proto::workforce::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::{Principal, Role},
    database::{is_unique_violation, time},
    feed::{self, NewEvent},
};
use sqlx::AnyConnection;

use super::WorkforceApi;
use crate::{
    domain::{
        access::{self, Action, authorize},
        development::{self as rules, ActionItem, Criterion, CriterionScore, Goal},
        person::Person,
    },
    store::{development as store, people},
};

const MAX_LINE_DEPTH: usize = 64;

fn is_lead(principal: &Principal) -> bool {
    matches!(principal.role, Role::TeamLead | Role::Supervisor)
}

/// Administrators, managers, directors and leads run training and QA.
fn check_develops_people(principal: &Principal) -> ApiResult<()> {
    if is_lead(principal) || authorize(principal, Action::ManagePeople).is_ok() {
        Ok(())
    } else {
        Err(ApiError::permission_denied(format!("the {} role may not run training or QA", principal.role)))
    }
}

impl WorkforceApi {
    async fn person(&self, connection: &mut AnyConnection, field: &str, id: &str) -> ApiResult<Person> {
        if id.is_empty() {
            return Err(ApiError::invalid(field, "is required"));
        }
        people::get(connection, id).await?.ok_or_else(|| ApiError::not_found("person", id))
    }

    /// The person's managers, nearest first.
    async fn management_line(&self, connection: &mut AnyConnection, person: &Person) -> ApiResult<Vec<String>> {
        let mut line = Vec::new();
        let mut next = person.manager_id.clone();
        while !next.is_empty() && line.len() < MAX_LINE_DEPTH && !line.contains(&next) {
            line.push(next.clone());
            next = people::get(connection, &next).await?.map(|manager| manager.manager_id).unwrap_or_default();
        }
        Ok(line)
    }

    /// Refuses, as NOT_FOUND-free PERMISSION_DENIED, anyone outside the person's private circle.
    async fn check_private(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        person: &Person,
    ) -> ApiResult<()> {
        let line = self.management_line(connection, person).await?;
        if rules::may_read_private(&principal.subject, principal.role == Role::Director, &person.id, &line) {
            Ok(())
        } else {
            Err(ApiError::permission_denied(format!(
                "{}'s coaching and reviews are for them, their management line and directors",
                person.id
            )))
        }
    }

    /// The person a private record (coaching, a review) is about, when the caller may write
    /// one: someone in their management line or a director — never the person themselves.
    async fn private_subject(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        field: &str,
        person_id: &str,
    ) -> ApiResult<Person> {
        let person = self.person(connection, field, person_id).await?;
        if person.id == principal.subject {
            return Err(ApiError::permission_denied(
                "coaching and reviews are recorded by the person's management line",
            ));
        }
        self.check_private(connection, principal, &person).await?;
        Ok(person)
    }

    async fn development_event(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        kind: &str,
        person_id: &str,
        reference_id: &str,
        certification: Option<&pb::Certification>,
    ) -> ApiResult<()> {
        feed::append(
            connection,
            NewEvent {
                event_type: kind,
                aggregate_type: "person",
                aggregate_id: person_id,
                actor: &principal.subject,
                payload: &pb::DevelopmentEvent {
                    kind: kind.into(),
                    person_id: person_id.into(),
                    reference_id: reference_id.into(),
                    at: Some(time::to_timestamp(time::now_micros())),
                    certification: certification.cloned(),
                },
            },
        )
        .await?;
        Ok(())
    }

    /// Private records reach the feed as ids only: followers learn that, never what.
    async fn private_event(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        kind: &str,
        id: &str,
        person_id: &str,
    ) -> ApiResult<()> {
        feed::append(
            connection,
            NewEvent {
                event_type: kind,
                aggregate_type: "person",
                aggregate_id: person_id,
                actor: &principal.subject,
                payload: &pb::PrivateRecordAdded { kind: kind.into(), id: id.into(), person_id: person_id.into() },
            },
        )
        .await?;
        Ok(())
    }

    pub(super) async fn create_training_program(
        &self,
        principal: &Principal,
        request: pb::CreateTrainingProgramRequest,
    ) -> ApiResult<pb::TrainingProgram> {
        check_develops_people(principal)?;
        let mut program = request.program.ok_or_else(|| ApiError::invalid("program", "is required"))?;
        if program.name.trim().is_empty() || program.name.chars().count() > 200 {
            return Err(ApiError::invalid("program.name", "must be 1–200 characters"));
        }
        program.id = uuid::Uuid::now_v7().to_string();
        let now = time::now_micros();
        program.created_at = Some(time::to_timestamp(now));
        let mut transaction = self.db.begin().await?;
        store::insert_program(&mut transaction, &program, now).await.map_err(|error| {
            if is_unique_violation(&error) {
                ApiError::AlreadyExists {
                    reason: "PROGRAM_EXISTS",
                    message: format!("a program called {} exists", program.name),
                }
            } else {
                error.into()
            }
        })?;
        transaction.commit().await?;
        Ok(program)
    }

    pub(super) async fn list_training_programs(
        &self,
        principal: &Principal,
        _: pb::ListTrainingProgramsRequest,
    ) -> ApiResult<pb::ListTrainingProgramsResponse> {
        authorize(principal, Action::ReadPeople)?;
        let mut connection = self.db.reader().acquire().await?;
        Ok(pb::ListTrainingProgramsResponse { programs: store::programs(&mut connection).await? })
    }

    pub(super) async fn enroll(&self, principal: &Principal, request: pb::EnrollRequest) -> ApiResult<pb::Enrollment> {
        authorize(principal, Action::ReadPeople)?;
        let person_id =
            if request.person_id.is_empty() { principal.subject.clone() } else { request.person_id.clone() };
        let mut transaction = self.db.begin().await?;
        let person = self.person(&mut transaction, "person_id", &person_id).await?;
        if person.id != principal.subject {
            access::check_manages_team(principal, &person.team_id)?;
        }
        if !store::program_exists(&mut transaction, &request.program_id).await? {
            return Err(ApiError::not_found("training program", &request.program_id));
        }
        if !store::enroll(&mut transaction, &request.program_id, &person.id, time::now_micros()).await? {
            return Err(ApiError::AlreadyExists {
                reason: "ALREADY_ENROLLED",
                message: format!("{} is already enrolled", person.id),
            });
        }
        self.development_event(&mut transaction, principal, "training.enrolled", &person.id, &request.program_id, None)
            .await?;
        let enrollment = store::enrollments(&mut transaction, &request.program_id, &person.id).await?.remove(0);
        transaction.commit().await?;
        self.feed.committed();
        Ok(enrollment)
    }

    pub(super) async fn complete_training(
        &self,
        principal: &Principal,
        request: pb::CompleteTrainingRequest,
    ) -> ApiResult<pb::Enrollment> {
        authorize(principal, Action::ReadPeople)?;
        let mut transaction = self.db.begin().await?;
        let person = self.person(&mut transaction, "person_id", &request.person_id).await?;
        // Completion is confirmed by the person's lead, not claimed by the learner.
        access::check_manages_team(principal, &person.team_id)?;
        if !store::complete(&mut transaction, &request.program_id, &person.id, time::now_micros()).await? {
            return Err(ApiError::FailedPrecondition {
                reason: "NOT_ENROLLED",
                message: format!("{} has no open enrolment in {}", person.id, request.program_id),
            });
        }
        self.development_event(
            &mut transaction,
            principal,
            "training.completed",
            &person.id,
            &request.program_id,
            None,
        )
        .await?;
        let enrollment = store::enrollments(&mut transaction, &request.program_id, &person.id).await?.remove(0);
        transaction.commit().await?;
        self.feed.committed();
        Ok(enrollment)
    }

    pub(super) async fn list_enrollments(
        &self,
        principal: &Principal,
        request: pb::ListEnrollmentsRequest,
    ) -> ApiResult<pb::ListEnrollmentsResponse> {
        authorize(principal, Action::ReadPeople)?;
        let mut connection = self.db.reader().acquire().await?;
        Ok(pb::ListEnrollmentsResponse {
            enrollments: store::enrollments(&mut connection, &request.program_id, &request.person_id).await?,
        })
    }

    pub(super) async fn record_certification(
        &self,
        principal: &Principal,
        request: pb::RecordCertificationRequest,
    ) -> ApiResult<pb::Certification> {
        authorize(principal, Action::ReadPeople)?;
        let mut certification =
            request.certification.ok_or_else(|| ApiError::invalid("certification", "is required"))?;
        let mut transaction = self.db.begin().await?;
        let person = self.person(&mut transaction, "certification.person_id", &certification.person_id).await?;
        access::check_manages_team(principal, &person.team_id)?;
        let issued = certification.issued_at.as_ref().and_then(time::from_timestamp);
        let expires = certification.expires_at.as_ref().map(time::from_timestamp);
        let mut violations = frontline_shared::error::Violations::new();
        violations.check(!certification.name.trim().is_empty(), "certification.name", "must not be empty");
        violations.check(issued.is_some(), "certification.issued_at", "is required");
        if let (Some(issued), Some(expires)) = (issued, expires) {
            violations.check(
                expires.is_some_and(|e| e > issued),
                "certification.expires_at",
                "must be after issued_at",
            );
        }
        violations.into_result()?;
        certification.id = uuid::Uuid::now_v7().to_string();
        store::insert_certification(&mut transaction, &certification).await?;
        self.development_event(
            &mut transaction,
            principal,
            "certification.recorded",
            &person.id,
            &certification.id,
            Some(&certification),
        )
        .await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(certification)
    }

    pub(super) async fn list_certifications(
        &self,
        principal: &Principal,
        request: pb::ListCertificationsRequest,
    ) -> ApiResult<pb::ListCertificationsResponse> {
        authorize(principal, Action::ReadPeople)?;
        let expiring_before = match &request.expiring_before {
            Some(t) => Some(
                time::from_timestamp(t).ok_or_else(|| ApiError::invalid("expiring_before", "is not a valid time"))?,
            ),
            None => None,
        };
        let mut connection = self.db.reader().acquire().await?;
        let person_ids: Vec<String> = match (request.person_id.as_str(), request.team_id.as_str()) {
            ("", "") => return Err(ApiError::invalid("team_id", "name a team or a person")),
            ("", team) => people::of_team(&mut connection, team).await?.into_iter().map(|p| p.id).collect(),
            (person, _) => vec![person.to_string()],
        };
        Ok(pb::ListCertificationsResponse {
            certifications: store::certifications(&mut connection, &person_ids, expiring_before).await?,
        })
    }

    pub(super) async fn record_coaching_session(
        &self,
        principal: &Principal,
        request: pb::RecordCoachingSessionRequest,
    ) -> ApiResult<pb::CoachingSession> {
        authorize(principal, Action::ReadPeople)?;
        let mut session = request.session.ok_or_else(|| ApiError::invalid("session", "is required"))?;
        let mut transaction = self.db.begin().await?;
        let person = self.private_subject(&mut transaction, principal, "session.person_id", &session.person_id).await?;
        let items: Vec<ActionItem> =
            session.action_items.iter().map(|i| ActionItem { text: i.text.clone(), done: i.done }).collect();
        rules::check_coaching(&session.notes, &items)?;
        let now = time::now_micros();
        session.id = uuid::Uuid::now_v7().to_string();
        session.coach_id = principal.subject.clone();
        session.held_at = Some(session.held_at.unwrap_or(time::to_timestamp(now)));
        session.created_at = Some(time::to_timestamp(now));
        store::insert_coaching(&mut transaction, &session, &items, now).await?;
        self.private_event(&mut transaction, principal, "coaching.recorded", &session.id, &person.id).await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(session)
    }

    pub(super) async fn list_coaching_sessions(
        &self,
        principal: &Principal,
        request: pb::ListCoachingSessionsRequest,
    ) -> ApiResult<pb::ListCoachingSessionsResponse> {
        authorize(principal, Action::ReadPeople)?;
        let mut connection = self.db.reader().acquire().await?;
        let person = self.person(&mut connection, "person_id", &request.person_id).await?;
        self.check_private(&mut connection, principal, &person).await?;
        Ok(pb::ListCoachingSessionsResponse { sessions: store::coaching_sessions(&mut connection, &person.id).await? })
    }

    pub(super) async fn record_performance_review(
        &self,
        principal: &Principal,
        request: pb::RecordPerformanceReviewRequest,
    ) -> ApiResult<pb::PerformanceReview> {
        authorize(principal, Action::ReadPeople)?;
        let mut review = request.review.ok_or_else(|| ApiError::invalid("review", "is required"))?;
        let mut transaction = self.db.begin().await?;
        let person = self.private_subject(&mut transaction, principal, "review.person_id", &review.person_id).await?;
        let goals: Vec<Goal> = review
            .goals
            .iter()
            .map(|g| Goal { description: g.description.clone(), rating: i64::from(g.rating) })
            .collect();
        let mut violations = frontline_shared::error::Violations::new();
        let mut instant = |field: &str, value: &Option<prost_types::Timestamp>| {
            let micros = value.as_ref().and_then(time::from_timestamp);
            violations.check(micros.is_some(), field, "is required");
            micros.unwrap_or_default()
        };
        let (start, end) =
            (instant("review.period_start", &review.period_start), instant("review.period_end", &review.period_end));
        violations.into_result()?;
        rules::check_review(start, end, &goals, i64::from(review.overall_rating), &review.summary)?;
        let now = time::now_micros();
        review.id = uuid::Uuid::now_v7().to_string();
        review.reviewer_id = principal.subject.clone();
        review.created_at = Some(time::to_timestamp(now));
        store::insert_review(&mut transaction, &review, &goals, now).await?;
        self.private_event(&mut transaction, principal, "review.recorded", &review.id, &person.id).await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(review)
    }

    pub(super) async fn list_performance_reviews(
        &self,
        principal: &Principal,
        request: pb::ListPerformanceReviewsRequest,
    ) -> ApiResult<pb::ListPerformanceReviewsResponse> {
        authorize(principal, Action::ReadPeople)?;
        let mut connection = self.db.reader().acquire().await?;
        let person = self.person(&mut connection, "person_id", &request.person_id).await?;
        self.check_private(&mut connection, principal, &person).await?;
        Ok(pb::ListPerformanceReviewsResponse { reviews: store::reviews(&mut connection, &person.id).await? })
    }

    pub(super) async fn give_kudos(
        &self,
        principal: &Principal,
        request: pb::GiveKudosRequest,
    ) -> ApiResult<pb::Kudos> {
        authorize(principal, Action::ReadPeople)?;
        if !principal.role.is_staff() {
            return Err(ApiError::permission_denied("kudos come from people"));
        }
        let mut kudos = request.kudos.ok_or_else(|| ApiError::invalid("kudos", "is required"))?;
        rules::check_kudos(&principal.subject, &kudos.to_person_id, &kudos.message)?;
        let mut transaction = self.db.begin().await?;
        let person = self.person(&mut transaction, "kudos.to_person_id", &kudos.to_person_id).await?;
        let now = time::now_micros();
        kudos.id = uuid::Uuid::now_v7().to_string();
        kudos.from_person_id = principal.subject.clone();
        kudos.created_at = Some(time::to_timestamp(now));
        store::insert_kudos(&mut transaction, &kudos, now).await?;
        self.development_event(&mut transaction, principal, "kudos.given", &person.id, &kudos.id, None).await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(kudos)
    }

    pub(super) async fn list_kudos(
        &self,
        principal: &Principal,
        request: pb::ListKudosRequest,
    ) -> ApiResult<pb::ListKudosResponse> {
        authorize(principal, Action::ReadPeople)?;
        let mut connection = self.db.reader().acquire().await?;
        Ok(pb::ListKudosResponse { kudos: store::kudos(&mut connection, &request.person_id).await? })
    }

    pub(super) async fn create_scorecard(
        &self,
        principal: &Principal,
        request: pb::CreateScorecardRequest,
    ) -> ApiResult<pb::Scorecard> {
        authorize(principal, Action::ManagePeople)?;
        let mut scorecard = request.scorecard.ok_or_else(|| ApiError::invalid("scorecard", "is required"))?;
        let criteria: Vec<Criterion> = scorecard
            .criteria
            .iter()
            .map(|c| Criterion { key: c.key.clone(), title: c.title.clone(), weight: c.weight })
            .collect();
        rules::check_scorecard(&scorecard.name, &criteria)?;
        let now = time::now_micros();
        scorecard.id = uuid::Uuid::now_v7().to_string();
        scorecard.created_at = Some(time::to_timestamp(now));
        let mut transaction = self.db.begin().await?;
        store::insert_scorecard(&mut transaction, &scorecard.id, &scorecard.name, &criteria, now).await.map_err(
            |error| {
                if is_unique_violation(&error) {
                    ApiError::AlreadyExists {
                        reason: "SCORECARD_EXISTS",
                        message: format!("a scorecard called {} exists", scorecard.name),
                    }
                } else {
                    error.into()
                }
            },
        )?;
        transaction.commit().await?;
        Ok(scorecard)
    }

    pub(super) async fn list_scorecards(
        &self,
        principal: &Principal,
        _: pb::ListScorecardsRequest,
    ) -> ApiResult<pb::ListScorecardsResponse> {
        authorize(principal, Action::ReadPeople)?;
        let mut connection = self.db.reader().acquire().await?;
        let scorecards = store::scorecards(&mut connection, None)
            .await?
            .into_iter()
            .map(|(id, name, criteria, created_at)| pb::Scorecard {
                id,
                name,
                criteria: criteria
                    .into_iter()
                    .map(|c| pb::ScorecardCriterion { key: c.key, title: c.title, weight: c.weight })
                    .collect(),
                created_at: Some(time::to_timestamp(created_at)),
            })
            .collect();
        Ok(pb::ListScorecardsResponse { scorecards })
    }

    pub(super) async fn score_ticket(
        &self,
        principal: &Principal,
        request: pb::ScoreTicketRequest,
    ) -> ApiResult<pb::QaReview> {
        check_develops_people(principal)?;
        let mut review = request.review.ok_or_else(|| ApiError::invalid("review", "is required"))?;
        if review.ticket_id.trim().is_empty() {
            return Err(ApiError::invalid("review.ticket_id", "is required"));
        }
        let mut transaction = self.db.begin().await?;
        let agent = self.person(&mut transaction, "review.agent_id", &review.agent_id).await?;
        if agent.id == principal.subject {
            return Err(ApiError::permission_denied("nobody scores their own tickets"));
        }
        let (_, _, criteria, _) = store::scorecards(&mut transaction, Some(&review.scorecard_id))
            .await?
            .pop()
            .ok_or_else(|| ApiError::not_found("scorecard", &review.scorecard_id))?;
        let scores: Vec<CriterionScore> =
            review.scores.iter().map(|s| CriterionScore { key: s.key.clone(), score: s.score }).collect();
        review.total = rules::weighted_total(&criteria, &scores)?;
        let now = time::now_micros();
        review.id = uuid::Uuid::now_v7().to_string();
        review.reviewer_id = principal.subject.clone();
        review.created_at = Some(time::to_timestamp(now));
        store::insert_qa_review(&mut transaction, &review, &scores, now).await?;
        feed::append(
            &mut transaction,
            NewEvent {
                event_type: "qa.scored",
                aggregate_type: "person",
                aggregate_id: &agent.id,
                actor: &principal.subject,
                payload: &pb::QaScored { review: Some(review.clone()) },
            },
        )
        .await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(review)
    }

    pub(super) async fn list_qa_reviews(
        &self,
        principal: &Principal,
        request: pb::ListQaReviewsRequest,
    ) -> ApiResult<pb::ListQaReviewsResponse> {
        authorize(principal, Action::ReadPeople)?;
        // Agents see their own scores; leads and management see everyone's.
        let oversees = is_lead(principal)
            || matches!(
                principal.role,
                Role::Administrator | Role::Manager | Role::Director | Role::Service | Role::BiReader
            );
        if !oversees && request.agent_id != principal.subject {
            return Err(ApiError::permission_denied("agents read their own QA reviews; set agent_id to yourself"));
        }
        let mut connection = self.db.reader().acquire().await?;
        Ok(pb::ListQaReviewsResponse {
            reviews: store::qa_reviews(&mut connection, &request.agent_id, &request.ticket_id).await?,
        })
    }
}
