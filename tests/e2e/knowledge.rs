//! Knowledge: collections and their permissions, articles from draft to archive with versions,
//! translations, verification (manual, by rule, by lapse), feedback, views, deflections, gaps,
//! and import/export.
use std::time::Duration;

use frontline_proto::common::v1::FeedEvent;
use frontline_proto::knowledge::v1::{
    self as pb, ArticleStatus, ArticleType, VerificationInterval, VerificationStanding, Visibility,
    knowledge_service_client::KnowledgeServiceClient,
};
use frontline_shared::auth::Role;
use prost_types::FieldMask;
use tonic::Code;

use crate::{
    on_both_backends,
    support::{Authed, TestApp, error_reason, eventually, expect_error, violated_fields},
};

pub type Knowledge = KnowledgeServiceClient<Authed>;

pub async fn admin(app: &TestApp) -> Knowledge {
    app.knowledge(Role::Administrator, "admin-ada", None).await
}

pub async fn collection(knowledge: &mut Knowledge, name: &str, parent: &str, readers: &[&str]) -> pb::Collection {
    knowledge
        .create_collection(pb::CreateCollectionRequest {
            collection: Some(pb::Collection {
                name: name.into(),
                parent_id: parent.into(),
                reader_team_ids: readers.iter().map(|t| t.to_string()).collect(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner()
}

pub fn draft(collection_id: &str, locale: &str, title: &str, body: &str) -> pb::Article {
    pb::Article {
        collection_id: collection_id.into(),
        source_locale: locale.into(),
        title: title.into(),
        body: body.into(),
        r#type: ArticleType::Solution as i32,
        visibility: Visibility::Public as i32,
        tags: vec!["billing".into()],
        ..Default::default()
    }
}

pub async fn create(knowledge: &mut Knowledge, article: pb::Article) -> pb::Article {
    knowledge.create_article(pb::CreateArticleRequest { article: Some(article) }).await.unwrap().into_inner()
}

pub async fn publish(knowledge: &mut Knowledge, id: &str) -> pb::Article {
    knowledge
        .publish_article(pb::ChangeArticleStatusRequest { id: id.into(), etag: String::new() })
        .await
        .unwrap()
        .into_inner()
}

/// The feed's events for one aggregate, once at least `at_least` of them are numbered (the
/// sequencer numbers committed events moments after the commit).
pub async fn events_of(app: &TestApp, aggregate_id: &str, at_least: usize) -> Vec<FeedEvent> {
    let knowledge = admin(app).await;
    eventually(Duration::from_secs(10), || {
        let mut knowledge = knowledge.clone();
        let aggregate_id = aggregate_id.to_owned();
        async move {
            let events = knowledge
                .list_events(frontline_proto::common::v1::ListEventsRequest { after_position: 0, page_size: 1000 })
                .await
                .unwrap()
                .into_inner()
                .events;
            let events: Vec<FeedEvent> = events.into_iter().filter(|e| e.aggregate_id == aggregate_id).collect();
            (events.len() >= at_least).then_some(events)
        }
    })
    .await
}

async fn event_types(app: &TestApp, aggregate_id: &str, at_least: usize) -> Vec<String> {
    events_of(app, aggregate_id, at_least).await.into_iter().map(|e| e.event_type).collect()
}

on_both_backends! {
    async fn collections_nest_once_and_their_reader_teams_are_enforced(app) {
        let mut admin = admin(&app).await;
        let billing = collection(&mut admin, "Billing", "", &[]).await;
        let refunds = collection(&mut admin, "Refunds", &billing.id, &[]).await;
        assert_eq!(refunds.parent_id, billing.id);
        let too_deep = expect_error(admin.create_collection(pb::CreateCollectionRequest {
            collection: Some(pb::Collection { name: "Deeper".into(), parent_id: refunds.id.clone(), ..Default::default() }),
        }).await);
        assert_eq!((too_deep.code(), error_reason(&too_deep).as_str()), (Code::FailedPrecondition, "SECTIONS_NEST_ONCE"));
        let nameless = expect_error(admin.create_collection(pb::CreateCollectionRequest {
            collection: Some(pb::Collection::default()),
        }).await);
        assert_eq!(violated_fields(&nameless), ["collection.name"]);
        let escalations = collection(&mut admin, "Escalation playbooks", "", &["tier2"]).await;

        let mut tier1 = app.knowledge(Role::Agent, "agent-ola", Some("tier1")).await;
        let denied = expect_error(tier1.create_collection(pb::CreateCollectionRequest {
            collection: Some(pb::Collection { name: "Mine".into(), ..Default::default() }),
        }).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
        let hidden = expect_error(tier1.get_collection(pb::GetCollectionRequest { id: escalations.id.clone() }).await);
        assert_eq!(hidden.code(), Code::NotFound, "a restricted collection does not even show it exists");
        let seen: Vec<String> = tier1.list_collections(pb::ListCollectionsRequest::default()).await.unwrap().into_inner()
            .collections.into_iter().map(|c| c.name).collect();
        assert_eq!(seen, ["Billing", "Refunds"]);
        let mut tier2 = app.knowledge(Role::Agent, "agent-kai", Some("tier2")).await;
        assert_eq!(tier2.get_collection(pb::GetCollectionRequest { id: escalations.id.clone() }).await.unwrap().into_inner().name, "Escalation playbooks");
        let mut portal = app.knowledge(Role::Portal, "portal", None).await;
        let public: Vec<String> = portal.list_collections(pb::ListCollectionsRequest::default()).await.unwrap().into_inner()
            .collections.into_iter().map(|c| c.name).collect();
        assert!(!public.contains(&"Escalation playbooks".to_string()));
        let sections = admin.list_collections(pb::ListCollectionsRequest { parent_id: billing.id.clone() }).await.unwrap().into_inner();
        assert_eq!(sections.collections.len(), 1);
        let unknown_parent = expect_error(admin.list_collections(pb::ListCollectionsRequest { parent_id: "nope".into() }).await);
        assert_eq!(unknown_parent.code(), Code::NotFound);
        let empty_id = expect_error(admin.get_collection(pb::GetCollectionRequest::default()).await);
        assert_eq!(violated_fields(&empty_id), ["id"]);

        let renamed = admin.update_collection(pb::UpdateCollectionRequest {
            collection: Some(pb::Collection { id: billing.id.clone(), name: "Billing & payments".into(), etag: billing.etag.clone(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["name".into()] }),
        }).await.unwrap().into_inner();
        assert_eq!(renamed.name, "Billing & payments");
        let stale = expect_error(admin.update_collection(pb::UpdateCollectionRequest {
            collection: Some(pb::Collection { id: billing.id.clone(), name: "Again".into(), etag: billing.etag.clone(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["name".into()] }),
        }).await);
        assert_eq!(stale.code(), Code::Aborted);
        let bad_path = expect_error(admin.update_collection(pb::UpdateCollectionRequest {
            collection: Some(pb::Collection { id: billing.id.clone(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["parent_id".into()] }),
        }).await);
        assert_eq!(violated_fields(&bad_path), ["update_mask.paths"]);
        let with_external = admin.create_collection(pb::CreateCollectionRequest {
            collection: Some(pb::Collection { name: "Shipping".into(), external_id: "zd-42".into(), ..Default::default() }),
        }).await.unwrap().into_inner();
        let duplicate = expect_error(admin.create_collection(pb::CreateCollectionRequest {
            collection: Some(pb::Collection { name: "Shipping again".into(), external_id: with_external.external_id.clone(), ..Default::default() }),
        }).await);
        assert_eq!(duplicate.code(), Code::AlreadyExists);
    }
}

on_both_backends! {
    async fn an_article_goes_from_draft_to_published_and_every_published_change_is_a_version(app) {
        let mut admin = admin(&app).await;
        let billing = collection(&mut admin, "Billing", "", &[]).await;
        let mut agent = app.knowledge(Role::Agent, "agent-ola", Some("tier1")).await;
        let mut given = draft(&billing.id, "en", "Request a refund", "Open **Orders** and choose *Refund*.<script>alert(1)</script>");
        given.body_format = pb::BodyFormat::Markdown as i32;
        let article = create(&mut agent, given).await;
        assert_eq!(article.status, ArticleStatus::Draft as i32);
        assert_eq!(article.owner_id, "agent-ola");
        assert!(article.body_html.contains("<strong>Orders</strong>"), "{}", article.body_html);
        assert!(!article.body_html.contains("<script"), "scripts are removed: {}", article.body_html);
        assert_eq!(article.verification.as_ref().unwrap().standing, VerificationStanding::Unverified as i32);

        for (bad, field) in [
            (pb::Article { title: String::new(), ..draft(&billing.id, "en", "", "x") }, "article.title"),
            (pb::Article { r#type: 0, ..draft(&billing.id, "en", "T", "x") }, "article.type"),
            (draft(&billing.id, "english", "T", "x"), "article.source_locale"),
            (draft("no-such-collection", "en", "T", "x"), "article.collection_id"),
        ] {
            let status = expect_error(agent.create_article(pb::CreateArticleRequest { article: Some(bad) }).await);
            assert_eq!(violated_fields(&status), [field]);
        }

        let not_yours = expect_error(agent.publish_article(pb::ChangeArticleStatusRequest { id: article.id.clone(), etag: String::new() }).await);
        assert_eq!(not_yours.code(), Code::PermissionDenied, "agents draft; leads publish");
        let mut lead = app.knowledge(Role::TeamLead, "lead-ewa", Some("tier1")).await;
        let published = publish(&mut lead, &article.id).await;
        assert_eq!((published.status, published.version), (ArticleStatus::Published as i32, 1));
        let again = expect_error(lead.publish_article(pb::ChangeArticleStatusRequest { id: article.id.clone(), etag: String::new() }).await);
        assert_eq!((again.code(), error_reason(&again).as_str()), (Code::FailedPrecondition, "INVALID_TRANSITION"));

        let edited = agent.update_article(pb::UpdateArticleRequest {
            article: Some(pb::Article { id: article.id.clone(), body: "Open **Orders**, pick the order, choose *Refund*.".into(), etag: published.etag.clone(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["body".into()] }),
        }).await.unwrap().into_inner();
        assert_eq!(edited.version, 1, "an agent's edit of a published article waits for a publisher");
        assert!(edited.pending_revision.as_ref().unwrap().body.contains("pick the order"));
        let stale = expect_error(agent.update_article(pb::UpdateArticleRequest {
            article: Some(pb::Article { id: article.id.clone(), title: "Late".into(), etag: published.etag.clone(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["title".into()] }),
        }).await);
        assert_eq!(stale.code(), Code::Aborted);
        let edited = publish(&mut lead, &article.id).await;
        assert_eq!(edited.version, 2, "a published edit is a new version");

        let versions = agent.list_article_versions(pb::ListArticleVersionsRequest { article_id: article.id.clone(), locale: String::new() }).await.unwrap().into_inner().versions;
        assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
        let comparison = agent.compare_article_versions(pb::CompareArticleVersionsRequest {
            article_id: article.id.clone(), locale: String::new(), from_version: 1, to_version: 2,
        }).await.unwrap().into_inner();
        assert!(comparison.unified_diff.contains("+Open **Orders**, pick the order"), "{}", comparison.unified_diff);
        assert_eq!((comparison.lines_added, comparison.lines_removed), (1, 1));
        let missing = expect_error(agent.compare_article_versions(pb::CompareArticleVersionsRequest {
            article_id: article.id.clone(), locale: String::new(), from_version: 9, to_version: 0,
        }).await);
        assert_eq!(missing.code(), Code::NotFound);
        let zero = expect_error(agent.compare_article_versions(pb::CompareArticleVersionsRequest {
            article_id: article.id.clone(), locale: String::new(), from_version: 0, to_version: 0,
        }).await);
        assert_eq!(violated_fields(&zero), ["from_version"]);

        let restored = lead.restore_article_version(pb::RestoreArticleVersionRequest {
            article_id: article.id.clone(), locale: String::new(), version: 1, etag: edited.etag.clone(),
        }).await.unwrap().into_inner();
        assert_eq!(restored.version, 3);
        assert!(restored.body.starts_with("Open **Orders** and choose"));
        let versions = agent.list_article_versions(pb::ListArticleVersionsRequest { article_id: article.id.clone(), locale: String::new() }).await.unwrap().into_inner().versions;
        assert_eq!(versions[0].note, "restored from version 1");
        let no_version = expect_error(agent.restore_article_version(pb::RestoreArticleVersionRequest {
            article_id: article.id.clone(), locale: String::new(), version: 7, etag: String::new(),
        }).await);
        assert_eq!(no_version.code(), Code::NotFound);

        let archived = lead.archive_article(pb::ChangeArticleStatusRequest { id: article.id.clone(), etag: String::new() }).await.unwrap().into_inner();
        assert_eq!(archived.status, ArticleStatus::Archived as i32);
        let republish = expect_error(lead.publish_article(pb::ChangeArticleStatusRequest { id: article.id.clone(), etag: String::new() }).await);
        assert_eq!(republish.code(), Code::FailedPrecondition, "archived articles go back to draft first");
        let unarchived = lead.unarchive_article(pb::ChangeArticleStatusRequest { id: article.id.clone(), etag: String::new() }).await.unwrap().into_inner();
        assert_eq!(unarchived.status, ArticleStatus::Draft as i32);
        let unpublish_draft = expect_error(lead.unpublish_article(pb::ChangeArticleStatusRequest { id: article.id.clone(), etag: String::new() }).await);
        assert_eq!(unpublish_draft.code(), Code::FailedPrecondition);
        publish(&mut lead, &article.id).await;
        let unpublished = lead.unpublish_article(pb::ChangeArticleStatusRequest { id: article.id.clone(), etag: String::new() }).await.unwrap().into_inner();
        assert_eq!(unpublished.status, ArticleStatus::Draft as i32);
        let unknown = expect_error(lead.archive_article(pb::ChangeArticleStatusRequest { id: "nope".into(), etag: String::new() }).await);
        assert_eq!(unknown.code(), Code::NotFound);

        assert_eq!(
            event_types(&app, &article.id, 9).await,
            ["article.created", "article.published", "article.revision_proposed", "article.published",
             "article.version_restored", "article.archived", "article.unarchived", "article.published",
             "article.unpublished"]
        );
    }
}

on_both_backends! {
    async fn articles_are_listed_by_filter_and_portal_callers_see_only_published_public_ones(app) {
        let mut admin = admin(&app).await;
        let billing = collection(&mut admin, "Billing", "", &[]).await;
        let public = create(&mut admin, draft(&billing.id, "en", "Invoices", "Download invoices.")).await;
        publish(&mut admin, &public.id).await;
        let internal = create(&mut admin, pb::Article { visibility: Visibility::Internal as i32, tags: vec!["refunds".into()], ..draft(&billing.id, "en", "Refund limits", "Above 500 ask a lead.") }).await;
        publish(&mut admin, &internal.id).await;
        let still_draft = create(&mut admin, draft(&billing.id, "en", "Draft only", "Work in progress.")).await;

        let published = admin.list_articles(pb::ListArticlesRequest { filter: "status = PUBLISHED".into(), order_by: "title".into(), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(published.articles.iter().map(|a| a.title.as_str()).collect::<Vec<_>>(), ["Invoices", "Refund limits"]);
        let tagged = admin.list_articles(pb::ListArticlesRequest { filter: r#"tags:"refunds""#.into(), ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(tagged.articles.len(), 1);
        let paged = admin.list_articles(pb::ListArticlesRequest { page_size: 2, ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(paged.articles.len(), 2);
        let rest = admin.list_articles(pb::ListArticlesRequest { page_size: 2, page_token: paged.next_page_token, ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(rest.articles.len(), 1);
        assert!(rest.next_page_token.is_empty());
        let bad_filter = expect_error(admin.list_articles(pb::ListArticlesRequest { filter: "colour = RED".into(), ..Default::default() }).await);
        assert_eq!(violated_fields(&bad_filter), ["filter"]);
        let bad_order = expect_error(admin.list_articles(pb::ListArticlesRequest { order_by: "views".into(), ..Default::default() }).await);
        assert_eq!(violated_fields(&bad_order), ["order_by"]);

        let mut portal = app.knowledge(Role::Portal, "portal", None).await;
        let seen = portal.list_articles(pb::ListArticlesRequest::default()).await.unwrap().into_inner();
        assert_eq!(seen.articles.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [public.id.as_str()]);
        for hidden in [&internal.id, &still_draft.id] {
            let status = expect_error(portal.get_article(pb::GetArticleRequest { id: hidden.clone(), locale: String::new() }).await);
            assert_eq!(status.code(), Code::NotFound);
        }
        assert_eq!(portal.get_article(pb::GetArticleRequest { id: public.id.clone(), locale: String::new() }).await.unwrap().into_inner().title, "Invoices");
        let mut scheduler = app.knowledge(Role::Scheduler, "roster-sync", None).await;
        assert_eq!(expect_error(scheduler.list_articles(pb::ListArticlesRequest::default()).await).code(), Code::PermissionDenied);
    }
}

on_both_backends! {
    async fn translations_have_their_own_versions_and_go_outdated_when_the_source_changes(app) {
        let mut admin = admin(&app).await;
        let billing = collection(&mut admin, "Billing", "", &[]).await;
        let article = create(&mut admin, draft(&billing.id, "en", "Request a refund", "Open Orders and choose Refund.")).await;
        let polish = admin.upsert_translation(pb::UpsertTranslationRequest {
            article_id: article.id.clone(), locale: "pl".into(), title: "Zwrot pieniędzy".into(),
            body: "Otwórz Zamówienia i wybierz Zwrot.".into(), ..Default::default()
        }).await.unwrap().into_inner();
        assert_eq!(polish.locale, "pl");
        let missing = admin.list_missing_locales(pb::ListMissingLocalesRequest { article_id: article.id.clone(), locales: vec![] }).await.unwrap().into_inner();
        assert_eq!(missing.missing, ["es", "he", "ru", "zh"]);
        assert!(missing.outdated.is_empty());

        admin.update_article(pb::UpdateArticleRequest {
            article: Some(pb::Article { id: article.id.clone(), body: "Open Orders, pick the order and choose Refund.".into(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["body".into()] }),
        }).await.unwrap();
        let missing = admin.list_missing_locales(pb::ListMissingLocalesRequest { article_id: article.id.clone(), locales: vec!["pl".into(), "de".into()] }).await.unwrap().into_inner();
        assert_eq!((missing.missing, missing.outdated), (vec!["de".to_string()], vec!["pl".to_string()]));
        let fetched = admin.get_article(pb::GetArticleRequest { id: article.id.clone(), locale: "pl".into() }).await.unwrap().into_inner();
        assert!(fetched.translations.iter().any(|t| t.locale == "pl" && t.outdated));
        assert_eq!(fetched.title, "Zwrot pieniędzy");

        admin.upsert_translation(pb::UpsertTranslationRequest {
            article_id: article.id.clone(), locale: "pl".into(), title: "Zwrot pieniędzy".into(),
            body: "Otwórz Zamówienia, wybierz zamówienie i kliknij Zwrot.".into(), ..Default::default()
        }).await.unwrap();
        let missing = admin.list_missing_locales(pb::ListMissingLocalesRequest { article_id: article.id.clone(), locales: vec!["pl".into()] }).await.unwrap().into_inner();
        assert!(missing.outdated.is_empty() && missing.missing.is_empty());

        publish(&mut admin, &article.id).await;
        let pl_versions = admin.list_article_versions(pb::ListArticleVersionsRequest { article_id: article.id.clone(), locale: "pl".into() }).await.unwrap().into_inner().versions;
        assert_eq!(pl_versions.len(), 1);
        admin.upsert_translation(pb::UpsertTranslationRequest {
            article_id: article.id.clone(), locale: "pl".into(), title: "Zwrot pieniędzy za zamówienie".into(),
            body: "Otwórz Zamówienia, wybierz zamówienie i kliknij Zwrot.".into(), ..Default::default()
        }).await.unwrap();
        let pl_versions = admin.list_article_versions(pb::ListArticleVersionsRequest { article_id: article.id.clone(), locale: "pl".into() }).await.unwrap().into_inner().versions;
        let en_versions = admin.list_article_versions(pb::ListArticleVersionsRequest { article_id: article.id.clone(), locale: String::new() }).await.unwrap().into_inner().versions;
        assert_eq!((pl_versions.len(), en_versions.len()), (2, 1), "each locale is its own version line");

        let source = expect_error(admin.upsert_translation(pb::UpsertTranslationRequest {
            article_id: article.id.clone(), locale: "en".into(), title: "x".into(), ..Default::default()
        }).await);
        assert_eq!(violated_fields(&source), ["locale"]);
        let bad_locale = expect_error(admin.upsert_translation(pb::UpsertTranslationRequest {
            article_id: article.id.clone(), locale: "polish".into(), title: "x".into(), ..Default::default()
        }).await);
        assert_eq!(violated_fields(&bad_locale), ["locale"]);
        let absent = expect_error(admin.get_article(pb::GetArticleRequest { id: article.id.clone(), locale: "de".into() }).await);
        assert_eq!(absent.code(), Code::NotFound);
        let bad_wanted = expect_error(admin.list_missing_locales(pb::ListMissingLocalesRequest { article_id: article.id.clone(), locales: vec!["??".into()] }).await);
        assert_eq!(violated_fields(&bad_wanted), ["locales[0]"]);
    }
}

on_both_backends! {
    async fn verification_is_kept_by_its_verifier_and_withdrawn_by_rules(app) {
        let mut admin = admin(&app).await;
        let billing = collection(&mut admin, "Billing", "", &[]).await;
        let mut given = draft(&billing.id, "en", "Card payments", "We accept Visa and Mastercard.");
        given.tags = vec!["product-checkout".into()];
        given.verification = Some(pb::Verification { verifier_person_id: "agent-ola".into(), interval: VerificationInterval::Weekly as i32, ..Default::default() });
        let article = create(&mut admin, given).await;
        publish(&mut admin, &article.id).await;

        let mut someone = app.knowledge(Role::Agent, "agent-kai", Some("tier1")).await;
        let denied = expect_error(someone.verify_article(pb::VerifyArticleRequest { article_id: article.id.clone(), etag: String::new() }).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
        let mut ola = app.knowledge(Role::Agent, "agent-ola", Some("tier1")).await;
        let queue = ola.list_verification_queue(pb::ListVerificationQueueRequest::default()).await.unwrap().into_inner();
        assert_eq!(queue.articles.len(), 1, "a never-verified article waits in its verifier's queue");
        let verified = ola.verify_article(pb::VerifyArticleRequest { article_id: article.id.clone(), etag: String::new() }).await.unwrap().into_inner();
        let verification = verified.verification.clone().unwrap();
        assert_eq!(verification.standing, VerificationStanding::DueSoon as i32, "weekly: due within the next seven days");
        assert_eq!(verification.verified_by, "agent-ola");
        let week = verification.due_at.unwrap().seconds - verification.verified_at.unwrap().seconds;
        assert_eq!(week, 7 * 86_400);
        let soon = ola.list_verification_queue(pb::ListVerificationQueueRequest { due_within_days: 8, ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(soon.articles.len(), 1);
        let none_due = ola.list_verification_queue(pb::ListVerificationQueueRequest { due_within_days: 1, ..Default::default() }).await.unwrap().into_inner();
        assert!(none_due.articles.is_empty());
        let both = expect_error(ola.list_verification_queue(pb::ListVerificationQueueRequest { verifier_person_id: "a".into(), verifier_team_id: "b".into(), ..Default::default() }).await);
        assert_eq!(violated_fields(&both), ["verifier_team_id"]);
        let reasonless = expect_error(ola.unverify_article(pb::UnverifyArticleRequest { article_id: article.id.clone(), reason: " ".into() }).await);
        assert_eq!(violated_fields(&reasonless), ["reason"]);

        // Two not-helpful votes withdraw trust.
        let rule = admin.create_verification_rule(pb::CreateVerificationRuleRequest { rule: Some(pb::VerificationRule {
            name: "Readers say it is wrong".into(),
            trigger: Some(pb::verification_rule::Trigger::NotHelpfulVotes(pb::NotHelpfulVotes { at_least: 2, within_days: 30 })),
            ..Default::default()
        }) }).await.unwrap().into_inner();
        let zero = expect_error(admin.create_verification_rule(pb::CreateVerificationRuleRequest { rule: Some(pb::VerificationRule {
            name: "Never".into(),
            trigger: Some(pb::verification_rule::Trigger::NotHelpfulVotes(pb::NotHelpfulVotes { at_least: 0, within_days: 0 })),
            ..Default::default()
        }) }).await);
        assert_eq!(violated_fields(&zero), ["rule.not_helpful_votes.at_least"]);
        let no_trigger = expect_error(admin.create_verification_rule(pb::CreateVerificationRuleRequest { rule: Some(pb::VerificationRule { name: "x".into(), ..Default::default() }) }).await);
        assert_eq!(violated_fields(&no_trigger), ["rule.trigger"]);
        let mut portal = app.knowledge(Role::Portal, "portal", None).await;
        for _ in 0..2 {
            portal.record_feedback(pb::RecordFeedbackRequest { article_id: article.id.clone(), helpful: false, ..Default::default() }).await.unwrap();
        }
        let after_votes = admin.get_article(pb::GetArticleRequest { id: article.id.clone(), locale: String::new() }).await.unwrap().into_inner();
        let verification = after_votes.verification.unwrap();
        assert_eq!(verification.standing, VerificationStanding::Unverified as i32);
        assert_eq!(verification.unverified_reason, "Readers say it is wrong");
        assert_eq!(after_votes.not_helpful_votes, 2);

        // A product release unverifies what describes the product.
        ola.verify_article(pb::VerifyArticleRequest { article_id: article.id.clone(), etag: String::new() }).await.unwrap();
        admin.create_verification_rule(pb::CreateVerificationRuleRequest { rule: Some(pb::VerificationRule {
            name: "Checkout released".into(),
            trigger: Some(pb::verification_rule::Trigger::TagChanged("product-checkout".into())),
            ..Default::default()
        }) }).await.unwrap();
        let rules = admin.list_verification_rules(pb::ListVerificationRulesRequest {}).await.unwrap().into_inner().rules;
        assert_eq!(rules.len(), 2);
        let reported = admin.report_tag_change(pb::ReportTagChangeRequest { tag: "product-checkout".into(), note: "v2 ships".into() }).await.unwrap().into_inner();
        assert_eq!(reported.unverified_article_ids, std::slice::from_ref(&article.id));
        let bad_tag = expect_error(admin.report_tag_change(pb::ReportTagChangeRequest { tag: "two words".into(), note: String::new() }).await);
        assert_eq!(violated_fields(&bad_tag), ["tag"]);
        assert_eq!(expect_error(ola.report_tag_change(pb::ReportTagChangeRequest { tag: "x".into(), note: String::new() }).await).code(), Code::PermissionDenied);
        admin.delete_verification_rule(pb::DeleteVerificationRuleRequest { id: rule.id.clone() }).await.unwrap();
        let gone = expect_error(admin.delete_verification_rule(pb::DeleteVerificationRuleRequest { id: rule.id.clone() }).await);
        assert_eq!(gone.code(), Code::NotFound);

        let unverified = ola.unverify_article(pb::UnverifyArticleRequest { article_id: article.id.clone(), reason: "Prices changed".into() }).await.unwrap().into_inner();
        assert_eq!(unverified.verification.unwrap().unverified_reason, "Prices changed");
    }
}

/// Verification lapses at its due time without anyone touching the article, once.
async fn lapse(app: TestApp) {
    let mut admin = admin(&app).await;
    let billing = collection(&mut admin, "Billing", "", &[]).await;
    let mut given = draft(&billing.id, "en", "Shipping zones", "We ship to the EU.");
    given.verification = Some(pb::Verification {
        verifier_person_id: "admin-ada".into(),
        interval: VerificationInterval::Monthly as i32,
        ..Default::default()
    });
    let article = create(&mut admin, given).await;
    admin
        .verify_article(pb::VerifyArticleRequest { article_id: article.id.clone(), etag: String::new() })
        .await
        .unwrap();
    let db = app.database("knowledge").await;
    sqlx::query("UPDATE articles SET verification_due_at = 1 WHERE id = $1")
        .bind(&article.id)
        .execute(db.writer())
        .await
        .unwrap();
    db.close().await;
    let reason = eventually(Duration::from_secs(10), || {
        let mut admin = admin.clone();
        let id = article.id.clone();
        async move {
            let verification = admin
                .get_article(pb::GetArticleRequest { id, locale: String::new() })
                .await
                .unwrap()
                .into_inner()
                .verification
                .unwrap();
            (verification.standing == VerificationStanding::Unverified as i32).then_some(verification.unverified_reason)
        }
    })
    .await;
    assert_eq!(reason, "verification interval lapsed");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let unverified = event_types(&app, &article.id, 3).await.into_iter().filter(|t| t == "article.unverified").count();
    assert_eq!(unverified, 1, "the lapse is recorded once");
    app.stop().await;
}

mod verification_lapses_at_its_due_time {
    use super::*;
    use crate::support::Backend;

    fn fast(settings: &mut frontline_shared::config::Settings) {
        settings.knowledge.verification_check_interval = Duration::from_millis(100);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        lapse(TestApp::spawn_with(Backend::Sqlite, fast).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs PostgreSQL: set FRONTLINE_TEST_DATABASE_URL and pass --include-ignored (make test does both)"]
    async fn postgres() {
        lapse(TestApp::spawn_with(Backend::Postgres, fast).await).await;
    }
}

on_both_backends! {
    async fn votes_views_deflections_and_the_gaps_readers_hit(app) {
        let mut admin = admin(&app).await;
        let billing = collection(&mut admin, "Billing", "", &[]).await;
        let article = create(&mut admin, pb::Article { owner_id: "agent-ola".into(), ..draft(&billing.id, "en", "Invoices", "Download invoices from Billing.") }).await;
        publish(&mut admin, &article.id).await;
        let mut portal = app.knowledge(Role::Portal, "portal", None).await;
        let helpful = portal.record_feedback(pb::RecordFeedbackRequest { article_id: article.id.clone(), helpful: true, ..Default::default() }).await.unwrap().into_inner();
        assert!(helpful.helpful && helpful.ticket_id.is_empty());
        let complaint = portal.record_feedback(pb::RecordFeedbackRequest {
            article_id: article.id.clone(), helpful: false, comment: "The Billing page has no download button".into(), open_ticket: true, ..Default::default()
        }).await.unwrap().into_inner();
        assert!(!complaint.ticket_id.is_empty(), "a ticket is opened for the owner");
        let mut ticketing = app.ticketing(Role::Administrator).await;
        let ticket = ticketing.get_ticket(frontline_proto::ticketing::v1::GetTicketRequest { id: complaint.ticket_id.clone() }).await.unwrap().into_inner();
        assert_eq!(ticket.assignee_id, "agent-ola");
        assert!(ticket.description.contains("no download button"));
        let misuse = expect_error(portal.record_feedback(pb::RecordFeedbackRequest { article_id: article.id.clone(), helpful: true, open_ticket: true, ..Default::default() }).await);
        assert_eq!(violated_fields(&misuse), ["open_ticket"]);
        let unknown = expect_error(portal.record_feedback(pb::RecordFeedbackRequest { article_id: "nope".into(), helpful: true, ..Default::default() }).await);
        assert_eq!(unknown.code(), Code::NotFound);

        portal.record_view(pb::RecordViewRequest { article_id: article.id.clone(), locale: String::new() }).await.unwrap();
        let views = portal.record_view(pb::RecordViewRequest { article_id: article.id.clone(), locale: String::new() }).await.unwrap().into_inner();
        assert_eq!(views.view_count, 2);
        let no_locale = expect_error(portal.record_view(pb::RecordViewRequest { article_id: article.id.clone(), locale: "fr".into() }).await);
        assert_eq!(no_locale.code(), Code::NotFound);

        for _ in 0..2 {
            let found = portal.search_articles(pb::SearchArticlesRequest { query: "Flux capacitor?".into(), locales: vec!["en".into()], ..Default::default() }).await.unwrap().into_inner();
            assert_eq!(found.total_size, 0);
        }
        let mut agent = app.knowledge(Role::Agent, "agent-ola", Some("tier1")).await;
        let gaps = agent.list_knowledge_gaps(pb::ListKnowledgeGapsRequest::default()).await.unwrap().into_inner().gaps;
        assert_eq!((gaps[0].query.as_str(), gaps[0].locale.as_str(), gaps[0].count), ("flux capacitor", "en", 2));
        let bad_locale = expect_error(agent.list_knowledge_gaps(pb::ListKnowledgeGapsRequest { locale: "klingon-ish".into(), ..Default::default() }).await);
        assert_eq!(violated_fields(&bad_locale), ["locale"]);
        assert_eq!(expect_error(portal.list_knowledge_gaps(pb::ListKnowledgeGapsRequest::default()).await).code(), Code::PermissionDenied);

        let mut ticketing = app.ticketing(Role::Administrator).await;
        let ticket = crate::knowledge_search::ticket_about(&mut ticketing, "Flux capacitor", "It does not flux.").await;
        let deflection = agent.mark_suggestion_solved(pb::MarkSuggestionSolvedRequest { ticket_id: ticket.id.clone(), article_id: article.id.clone(), locale: String::new() }).await.unwrap().into_inner();
        assert_eq!((deflection.marked_by.as_str(), deflection.locale.as_str()), ("agent-ola", "en"));
        let again = agent.mark_suggestion_solved(pb::MarkSuggestionSolvedRequest { ticket_id: ticket.id.clone(), article_id: article.id.clone(), locale: String::new() }).await.unwrap().into_inner();
        assert_eq!(again.marked_at, deflection.marked_at, "marking twice records one deflection");
        let ticketless = expect_error(agent.mark_suggestion_solved(pb::MarkSuggestionSolvedRequest { article_id: article.id.clone(), ..Default::default() }).await);
        assert_eq!(violated_fields(&ticketless), ["ticket_id"]);
        assert_eq!(expect_error(portal.mark_suggestion_solved(pb::MarkSuggestionSolvedRequest { ticket_id: ticket.id.clone(), article_id: article.id.clone(), locale: String::new() }).await).code(), Code::PermissionDenied);

        // created, published, 2 feedback, 2 views, 1 deflection, and the feedback's ticket.
        let events = event_types(&app, &article.id, 8).await;
        assert_eq!(events.iter().filter(|t| *t == "article.deflected").count(), 1);
        assert_eq!(events.iter().filter(|t| *t == "article.viewed").count(), 2);
        assert!(events.iter().filter(|t| *t == "article.feedback").count() >= 2);
        let stats = eventually(Duration::from_secs(5), || {
            let mut admin = admin.clone();
            async move {
                let events = admin.list_events(frontline_proto::common::v1::ListEventsRequest { after_position: 0, page_size: 1000 }).await.unwrap().into_inner().events;
                events.into_iter().find(|e| e.event_type == "search.stats")
            }
        }).await;
        assert_eq!(stats.aggregate_type, "search");
    }
}

on_both_backends! {
    async fn an_import_is_all_or_nothing_and_an_export_imports_back_unchanged(app) {
        let mut admin = admin(&app).await;
        let help = collection(&mut admin, "Help centre", "", &[]).await;
        let section = collection(&mut admin, "Payments", &help.id, &[]).await;
        let doc = |name: &str, content: &str| pb::ImportDocument { name: name.into(), content: content.into(), format: 0 };
        let refund = "---\nid: kb-refund\ntitle: Request a refund\nlocale: en\ntype: faq\ntags: [billing]\nsection: Payments\nvisibility: public\nstatus: published\n---\n\nOpen **Orders**.\n";
        let polish = "---\ntitle: Zwrot pieniędzy\nlocale: pl\ntranslation_of: kb-refund\n---\n\nOtwórz **Zamówienia**.\n";
        let broken = "---\nid: kb-broken\ntitle: Broken\nlocale: en\ntype: novel\n---\nText\n";
        let attempt = admin.import_articles(pb::ImportArticlesRequest {
            collection_id: help.id.clone(),
            documents: vec![doc("refund.en.md", refund), doc("broken.md", broken), doc("refund.pl.md", polish)],
            dry_run: false,
        }).await.unwrap().into_inner();
        assert_eq!(attempt.errors.len(), 1);
        assert_eq!((attempt.errors[0].index, attempt.errors[0].field.as_str(), attempt.errors[0].name.as_str()), (1, "type", "broken.md"));
        let nothing = admin.list_articles(pb::ListArticlesRequest::default()).await.unwrap().into_inner();
        assert!(nothing.articles.is_empty(), "one bad document imports nothing");

        let orphan = "---\ntitle: Osierocony\nlocale: pl\ntranslation_of: kb-missing\n---\nx\n";
        let no_front = "Just text";
        let more = admin.import_articles(pb::ImportArticlesRequest {
            collection_id: help.id.clone(),
            documents: vec![doc("orphan.md", orphan), doc("plain.md", no_front), doc("refund.en.md", refund), doc("refund-again.en.md", refund)],
            dry_run: true,
        }).await.unwrap().into_inner();
        assert_eq!(more.errors.iter().map(|e| (e.index, e.field.as_str())).collect::<Vec<_>>(), [(0, "translation_of"), (1, "front_matter"), (3, "id")]);
        assert!(more.errors[2].message.contains("document 2"), "{:?}", more.errors[2]);

        let imported = admin.import_articles(pb::ImportArticlesRequest {
            collection_id: help.id.clone(), documents: vec![doc("refund.en.md", refund), doc("refund.pl.md", polish)], dry_run: false,
        }).await.unwrap().into_inner();
        assert_eq!((imported.created, imported.updated, imported.translations, imported.errors.len()), (1, 0, 1, 0));
        let listed = admin.list_articles(pb::ListArticlesRequest::default()).await.unwrap().into_inner().articles;
        assert_eq!(listed.len(), 1);
        let article = &listed[0];
        assert_eq!((article.collection_id.as_str(), article.status, article.external_id.as_str()), (section.id.as_str(), ArticleStatus::Published as i32, "kb-refund"));
        assert_eq!(article.translations.len(), 2);
        assert_eq!(article.version, 1, "a published import is the article's first version");
        let versions = admin.list_article_versions(pb::ListArticleVersionsRequest { article_id: article.id.clone(), locale: "en".into() }).await.unwrap().into_inner().versions;
        assert_eq!(versions.iter().map(|v| (v.version, v.note.as_str(), v.title.as_str())).collect::<Vec<_>>(), [(1, "imported", "Request a refund")]);

        let export = admin.export_collection(pb::ExportCollectionRequest { collection_id: help.id.clone() }).await.unwrap().into_inner();
        let paths: Vec<&str> = export.documents.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["help-centre/payments/request-a-refund.en.md", "help-centre/payments/zwrot-pieniędzy.pl.md"]);
        let again = admin.import_articles(pb::ImportArticlesRequest {
            collection_id: String::new(),
            documents: export.documents.iter().map(|d| doc(&d.path, &d.content)).collect(),
            dry_run: false,
        }).await.unwrap().into_inner();
        assert_eq!((again.created, again.updated, again.translations), (0, 1, 1), "{:?}", again.errors);
        assert_eq!(admin.list_articles(pb::ListArticlesRequest::default()).await.unwrap().into_inner().articles.len(), 1);
        let roundtrip = admin.export_collection(pb::ExportCollectionRequest { collection_id: help.id.clone() }).await.unwrap().into_inner();
        assert_eq!(roundtrip.documents, export.documents, "an export imports back unchanged");

        assert_eq!(violated_fields(&expect_error(admin.import_articles(pb::ImportArticlesRequest::default()).await)), ["documents"]);
        assert_eq!(expect_error(admin.export_collection(pb::ExportCollectionRequest { collection_id: "nope".into() }).await).code(), Code::NotFound);
        let mut agent = app.knowledge(Role::Agent, "agent-ola", None).await;
        assert_eq!(expect_error(agent.export_collection(pb::ExportCollectionRequest { collection_id: help.id.clone() }).await).code(), Code::PermissionDenied);
    }
}

on_both_backends! {
    /// Every knowledge RPC refuses the roles it is not for, and names the bad field.
    async fn each_call_refuses_the_wrong_role_and_names_the_bad_field(app) {
        let mut admin = admin(&app).await;
        let editors_only = admin.create_collection(pb::CreateCollectionRequest {
            collection: Some(pb::Collection { name: "Legal".into(), editor_team_ids: vec!["legal".into()], ..Default::default() }),
        }).await.unwrap().into_inner();
        let article = create(&mut admin, draft(&editors_only.id, "en", "Terms of service", "The terms.")).await;
        publish(&mut admin, &article.id).await;
        let mut agent = app.knowledge(Role::Agent, "agent-ola", Some("tier1")).await;
        let mut portal = app.knowledge(Role::Portal, "portal", None).await;
        let mut scheduler = app.knowledge(Role::Scheduler, "wfm-tool", None).await;
        let denied = |status: tonic::Status| assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");

        denied(expect_error(agent.create_article(pb::CreateArticleRequest { article: Some(draft(&editors_only.id, "en", "Mine", "x")) }).await));
        denied(expect_error(agent.update_collection(pb::UpdateCollectionRequest {
            collection: Some(pb::Collection { id: editors_only.id.clone(), name: "Mine".into(), ..Default::default() }), update_mask: None,
        }).await));
        denied(expect_error(portal.update_article(pb::UpdateArticleRequest {
            article: Some(pb::Article { id: article.id.clone(), title: "Hacked".into(), ..Default::default() }), update_mask: None,
        }).await));
        denied(expect_error(portal.upsert_translation(pb::UpsertTranslationRequest {
            article_id: article.id.clone(), locale: "pl".into(), title: "Regulamin".into(), ..Default::default()
        }).await));
        denied(expect_error(portal.list_missing_locales(pb::ListMissingLocalesRequest { article_id: article.id.clone(), locales: vec![] }).await));
        denied(expect_error(portal.list_article_versions(pb::ListArticleVersionsRequest { article_id: article.id.clone(), locale: String::new() }).await));
        denied(expect_error(portal.list_verification_queue(pb::ListVerificationQueueRequest::default()).await));
        denied(expect_error(portal.list_verification_rules(pb::ListVerificationRulesRequest {}).await));
        denied(expect_error(portal.find_duplicates(pb::FindDuplicatesRequest { article_id: article.id.clone(), ..Default::default() }).await));
        denied(expect_error(agent.create_verification_rule(pb::CreateVerificationRuleRequest { rule: Some(pb::VerificationRule {
            name: "x".into(), trigger: Some(pb::verification_rule::Trigger::TagChanged("x".into())), ..Default::default()
        }) }).await));
        denied(expect_error(agent.delete_verification_rule(pb::DeleteVerificationRuleRequest { id: "x".into() }).await));
        denied(expect_error(agent.import_articles(pb::ImportArticlesRequest { collection_id: editors_only.id.clone(), documents: vec![], dry_run: true }).await));
        denied(expect_error(scheduler.list_collections(pb::ListCollectionsRequest::default()).await));
        denied(expect_error(scheduler.get_article(pb::GetArticleRequest { id: article.id.clone(), locale: String::new() }).await));
        denied(expect_error(scheduler.search_articles(pb::SearchArticlesRequest { query: "terms".into(), ..Default::default() }).await));
        denied(expect_error(scheduler.suggest_articles(pb::SuggestArticlesRequest { subject: "terms".into(), ..Default::default() }).await));
        denied(expect_error(scheduler.record_view(pb::RecordViewRequest { article_id: article.id.clone(), locale: String::new() }).await));
        denied(expect_error(agent.list_events(frontline_proto::common::v1::ListEventsRequest::default()).await));
        denied(expect_error(agent.watch_events(frontline_proto::common::v1::WatchEventsRequest { after_position: 0 }).await));

        let bad = |status: tonic::Status, field: &str| assert_eq!(violated_fields(&status), [field], "{status:?}");
        bad(expect_error(admin.update_article(pb::UpdateArticleRequest {
            article: Some(pb::Article { id: article.id.clone(), tags: vec!["two words".into()], ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["tags".into()] }),
        }).await), "article.tags[0]");
        bad(expect_error(admin.list_article_versions(pb::ListArticleVersionsRequest { article_id: article.id.clone(), locale: "??".into() }).await), "locale");
        bad(expect_error(admin.restore_article_version(pb::RestoreArticleVersionRequest { article_id: article.id.clone(), version: 0, ..Default::default() }).await), "version");
        bad(expect_error(admin.record_view(pb::RecordViewRequest::default()).await), "article_id");
        bad(expect_error(admin.create_verification_rule(pb::CreateVerificationRuleRequest { rule: Some(pb::VerificationRule {
            name: "x".into(), collection_id: "nope".into(), trigger: Some(pb::verification_rule::Trigger::TagChanged("x".into())), ..Default::default()
        }) }).await), "rule.collection_id");
        bad(expect_error(admin.verify_article(pb::VerifyArticleRequest::default()).await), "article_id");
        bad(expect_error(admin.list_verification_queue(pb::ListVerificationQueueRequest { due_within_days: -1, ..Default::default() }).await), "due_within_days");
        bad(expect_error(admin.list_knowledge_gaps(pb::ListKnowledgeGapsRequest { page_token: "garbage".into(), ..Default::default() }).await), "page_token");
        assert_eq!(expect_error(admin.find_duplicates(pb::FindDuplicatesRequest { article_id: "nope".into(), ..Default::default() }).await).code(), Code::NotFound);
        assert_eq!(expect_error(admin.unverify_article(pb::UnverifyArticleRequest { article_id: "nope".into(), reason: "x".into() }).await).code(), Code::NotFound);
    }
}
