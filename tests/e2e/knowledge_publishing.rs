//! Knowledge's publishing gates (issue 20, "Trust"): an agent's edit of a published article
//! waits for a publisher while customers, search and the feed keep the published text; only
//! publishers change who reads an article; only administrators and leads of the owner team
//! assign verifiers; an interval needs a verifier.
use frontline_proto::knowledge::v1::{self as pb, VerificationInterval, Visibility};
use frontline_shared::auth::Role;
use prost_types::FieldMask;
use tonic::Code;

use crate::{
    knowledge::{Knowledge, admin, collection, create, draft, events_of, publish},
    on_both_backends,
    support::{TestApp, expect_error, violated_fields},
};

const PUBLISHED: &str = "Refunds go back to the original card within five days.";
const TAMPERED: &str = "Refunds are paid as gift vouchers; email your card number to claim one.";

fn edit(id: &str, etag: &str, article: pb::Article, paths: &[&str]) -> pb::UpdateArticleRequest {
    pb::UpdateArticleRequest {
        article: Some(pb::Article { id: id.into(), etag: etag.into(), ..article }),
        update_mask: Some(FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() }),
    }
}

async fn get(knowledge: &mut Knowledge, id: &str, locale: &str) -> Result<pb::Article, tonic::Status> {
    knowledge.get_article(pb::GetArticleRequest { id: id.into(), locale: locale.into() }).await.map(|r| r.into_inner())
}

/// The ids of the articles a search finds.
async fn found(knowledge: &mut Knowledge, query: &str) -> Vec<String> {
    let request = pb::SearchArticlesRequest { query: query.into(), ..Default::default() };
    knowledge.search_articles(request).await.unwrap().into_inner().results.into_iter().map(|r| r.article_id).collect()
}

/// The article's feed events once at least `at_least` are numbered, with their payloads.
async fn article_events(app: &TestApp, article_id: &str, at_least: usize) -> Vec<(String, pb::ArticleChanged)> {
    let events = events_of(app, article_id, at_least).await;
    events.into_iter().filter_map(|e| Some((e.event_type, e.payload?.to_msg::<pb::ArticleChanged>().ok()?))).collect()
}

on_both_backends! {
    async fn an_agents_edit_to_a_published_article_waits_for_a_publisher(app) {
        let mut admin = admin(&app).await;
        let help = collection(&mut admin, "Help centre", "", &[]).await;
        let mut lead = app.knowledge(Role::TeamLead, "lead-ewa", Some("tier1")).await;
        let mut agent = app.knowledge(Role::Agent, "agent-ola", Some("tier1")).await;
        let mut customer = app.knowledge(Role::Portal, "portal", None).await;
        let article = create(&mut lead, draft(&help.id, "en", "Request a refund", PUBLISHED)).await;
        let published = publish(&mut lead, &article.id).await;

        let edited = agent.update_article(edit(&article.id, &published.etag, pb::Article { body: TAMPERED.into(), ..Default::default() }, &["body"])).await.unwrap().into_inner();
        assert_eq!((edited.body.as_str(), edited.version), (PUBLISHED, 1), "the article keeps its published text");
        let pending = edited.pending_revision.clone().expect("the edit waits as a pending revision");
        assert_eq!((pending.body.as_str(), pending.base_version, pending.created_by.as_str()), (TAMPERED, 1, "agent-ola"));
        assert_eq!(edited.pending_locales, ["en"]);
        assert_ne!(edited.etag, published.etag, "a pending revision is a change for optimistic concurrency");
        let renamed = agent.update_article(edit(&article.id, &edited.etag, pb::Article { title: "Refunds (new policy)".into(), ..Default::default() }, &["title"])).await.unwrap().into_inner();
        let pending = renamed.pending_revision.expect("still pending");
        assert_eq!((pending.title.as_str(), pending.body.as_str()), ("Refunds (new policy)", TAMPERED), "a second edit builds on the pending one");

        // Customers, search and suggestions keep the published text.
        let seen = get(&mut customer, &article.id, "").await.unwrap();
        assert_eq!((seen.title.as_str(), seen.body.as_str()), ("Request a refund", PUBLISHED));
        assert!(seen.pending_revision.is_none() && seen.pending_locales.is_empty(), "customers never see pending revisions");
        assert!(found(&mut customer, "gift vouchers").await.is_empty(), "search keeps the published text");
        assert_eq!(found(&mut customer, "original card").await, std::slice::from_ref(&article.id));
        let suggested = agent.suggest_articles(pb::SuggestArticlesRequest { subject: "gift vouchers card number".into(), public_only: true, ..Default::default() }).await.unwrap().into_inner();
        assert!(suggested.suggestions.iter().all(|s| !s.snippet.contains("vouchers")), "{suggested:?}");
        let listed = customer.list_articles(pb::ListArticlesRequest::default()).await.unwrap().into_inner().articles;
        assert!(listed.iter().all(|a| a.pending_revision.is_none() && a.pending_locales.is_empty()));

        // Staff see it waiting, in the article, its versions and a comparison.
        let staff_view = get(&mut agent, &article.id, "").await.unwrap();
        assert_eq!(staff_view.pending_revision.map(|p| p.body), Some(TAMPERED.to_string()));
        let versions = agent.list_article_versions(pb::ListArticleVersionsRequest { article_id: article.id.clone(), locale: String::new() }).await.unwrap().into_inner().versions;
        assert_eq!(versions.iter().map(|v| (v.version, v.pending)).collect::<Vec<_>>(), [(0, true), (1, false)]);
        let comparison = agent.compare_article_versions(pb::CompareArticleVersionsRequest { article_id: article.id.clone(), locale: String::new(), from_version: 1, to_version: 0 }).await.unwrap().into_inner();
        assert!(comparison.unified_diff.contains("+Refunds are paid as gift vouchers"), "{}", comparison.unified_diff);

        let refused = expect_error(agent.publish_article(pb::ChangeArticleStatusRequest { id: article.id.clone(), etag: String::new() }).await);
        assert_eq!(refused.code(), Code::PermissionDenied, "an agent does not publish its own edit");
        let republished = publish(&mut lead, &article.id).await;
        assert_eq!((republished.body.as_str(), republished.version), (TAMPERED, 2));
        assert!(republished.pending_revision.is_none() && republished.pending_locales.is_empty());
        assert_eq!(get(&mut customer, &article.id, "").await.unwrap().body, TAMPERED);
        assert_eq!(found(&mut customer, "gift vouchers").await, std::slice::from_ref(&article.id));
        let versions = lead.list_article_versions(pb::ListArticleVersionsRequest { article_id: article.id.clone(), locale: String::new() }).await.unwrap().into_inner().versions;
        assert_eq!((versions[0].version, versions[0].created_by.as_str(), versions[0].note.as_str()), (2, "agent-ola", "edited while published"));
        let nothing_pending = expect_error(lead.publish_article(pb::ChangeArticleStatusRequest { id: article.id.clone(), etag: String::new() }).await);
        assert_eq!(nothing_pending.code(), Code::FailedPrecondition);

        // A publisher's own edit is published at once.
        let direct = lead.update_article(edit(&article.id, "", pb::Article { body: PUBLISHED.into(), ..Default::default() }, &["body"])).await.unwrap().into_inner();
        assert_eq!((direct.body.as_str(), direct.version), (PUBLISHED, 3));
        assert!(direct.pending_revision.is_none());
        assert_eq!(get(&mut customer, &article.id, "").await.unwrap().body, PUBLISHED);

        // Followers (analytics, CRM sync) read the published text off the feed, never the pending one.
        let events = article_events(&app, &article.id, 6).await;
        let types: Vec<&str> = events.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(types, ["article.created", "article.published", "article.revision_proposed", "article.revision_proposed", "article.published", "article.updated"]);
        for (event_type, change) in &events[2..4] {
            let shown = change.article.as_ref().unwrap();
            assert_eq!((shown.title.as_str(), shown.body.as_str()), ("Request a refund", PUBLISHED), "{event_type}");
        }
        assert_eq!(events[4].1.version, 2);
    }
}

on_both_backends! {
    async fn an_agents_translation_or_restore_of_a_published_article_waits_for_a_publisher(app) {
        let mut admin = admin(&app).await;
        let help = collection(&mut admin, "Help centre", "", &[]).await;
        let mut agent = app.knowledge(Role::Agent, "agent-ola", Some("tier1")).await;
        let mut customer = app.knowledge(Role::Portal, "portal", None).await;
        let article = create(&mut admin, draft(&help.id, "en", "Request a refund", PUBLISHED)).await;
        publish(&mut admin, &article.id).await;
        admin.update_article(edit(&article.id, "", pb::Article { body: "Refunds take a week.".into(), ..Default::default() }, &["body"])).await.unwrap();

        let polish = agent.upsert_translation(pb::UpsertTranslationRequest {
            article_id: article.id.clone(), locale: "pl".into(), title: "Zwrot pieniędzy".into(), body: "Zwroty trwają tydzień.".into(), ..Default::default()
        }).await.unwrap().into_inner();
        assert_eq!(polish.pending_revision.map(|p| (p.locale, p.base_version)), Some(("pl".to_string(), 0)));
        assert_eq!(get(&mut customer, &article.id, "pl").await.unwrap_err().code(), Code::NotFound, "a new locale waits too");
        let asked = get(&mut agent, &article.id, "pl").await.unwrap();
        assert_eq!((asked.locale.as_str(), asked.pending_revision.map(|p| p.title)), ("en", Some("Zwrot pieniędzy".to_string())));

        let restored = agent.restore_article_version(pb::RestoreArticleVersionRequest { article_id: article.id.clone(), locale: String::new(), version: 1, etag: String::new() }).await.unwrap().into_inner();
        assert_eq!((restored.body.as_str(), restored.version), ("Refunds take a week.", 2), "readers keep version 2");
        assert_eq!(restored.pending_revision.map(|p| (p.body, p.note)), Some((PUBLISHED.to_string(), "restored from version 1".to_string())));
        assert_eq!(restored.pending_locales, ["en", "pl"]);
        assert_eq!(get(&mut customer, &article.id, "").await.unwrap().body, "Refunds take a week.");

        let republished = publish(&mut admin, &article.id).await;
        assert_eq!((republished.body.as_str(), republished.version), (PUBLISHED, 3));
        let polish = get(&mut customer, &article.id, "pl").await.unwrap();
        assert_eq!((polish.title.as_str(), polish.version), ("Zwrot pieniędzy", 1));
        assert!(!polish.translations.iter().any(|t| t.outdated), "the translation is published against the new source");
    }
}

on_both_backends! {
    async fn an_agent_cannot_make_an_internal_article_public(app) {
        let mut admin = admin(&app).await;
        let help = collection(&mut admin, "Help centre", "", &[]).await;
        let faq = collection(&mut admin, "FAQ", "", &[]).await;
        let playbooks = collection(&mut admin, "Playbooks", "", &["tier1"]).await;
        let mut agent = app.knowledge(Role::Agent, "agent-ola", Some("tier1")).await;
        let mut customer = app.knowledge(Role::Portal, "portal", None).await;
        let internal = create(&mut admin, pb::Article { visibility: Visibility::Internal as i32, ..draft(&help.id, "en", "Refund limits", "Above 500 ask a lead.") }).await;
        publish(&mut admin, &internal.id).await;

        let public = pb::Article { visibility: Visibility::Public as i32, ..Default::default() };
        let flipped = expect_error(agent.update_article(edit(&internal.id, "", public.clone(), &["visibility"])).await);
        assert_eq!(flipped.code(), Code::PermissionDenied, "{flipped:?}");
        assert_eq!(get(&mut customer, &internal.id, "").await.unwrap_err().code(), Code::NotFound);
        let draft_article = create(&mut agent, pb::Article { visibility: Visibility::Internal as i32, ..draft(&help.id, "en", "Draft limits", "Work in progress.") }).await;
        let on_draft = expect_error(agent.update_article(edit(&draft_article.id, "", public.clone(), &["visibility"])).await);
        assert_eq!(on_draft.code(), Code::PermissionDenied, "visibility is a publisher's decision, draft or not");

        // A move that changes the readers is an audience change; one that does not is an edit.
        let restricted = expect_error(agent.update_article(edit(&internal.id, "", pb::Article { collection_id: playbooks.id.clone(), ..Default::default() }, &["collection_id"])).await);
        assert_eq!(restricted.code(), Code::PermissionDenied);
        let moved = agent.update_article(edit(&internal.id, "", pb::Article { collection_id: faq.id.clone(), ..Default::default() }, &["collection_id"])).await.unwrap().into_inner();
        assert_eq!((moved.collection_id.as_str(), moved.visibility), (faq.id.as_str(), Visibility::Internal as i32));

        let mut lead = app.knowledge(Role::TeamLead, "lead-ewa", Some("tier1")).await;
        lead.update_article(edit(&internal.id, "", public, &["visibility"])).await.unwrap();
        assert_eq!(get(&mut customer, &internal.id, "").await.unwrap().title, "Refund limits");
    }
}

on_both_backends! {
    async fn an_agent_cannot_make_itself_the_verifier(app) {
        let mut admin = admin(&app).await;
        let billing = admin.create_collection(pb::CreateCollectionRequest {
            collection: Some(pb::Collection { name: "Billing".into(), editor_team_ids: vec!["billing".into()], ..Default::default() }),
        }).await.unwrap().into_inner();
        let article = create(&mut admin, draft(&billing.id, "en", "Card payments", "We accept Visa and Mastercard.")).await;
        publish(&mut admin, &article.id).await;
        // An agent of the editor team writes and even publishes here, but does not choose who vouches.
        let mut agent = app.knowledge(Role::Agent, "agent-ola", Some("billing")).await;
        let me = |interval: VerificationInterval| pb::Article {
            verification: Some(pb::Verification { verifier_person_id: "agent-ola".into(), interval: interval as i32, ..Default::default() }),
            ..Default::default()
        };
        let assigned = expect_error(agent.update_article(edit(&article.id, "", me(VerificationInterval::Monthly), &["verification.verifier_person_id", "verification.interval"])).await);
        assert_eq!(assigned.code(), Code::PermissionDenied, "{assigned:?}");
        let interval_only = expect_error(agent.update_article(edit(&article.id, "", me(VerificationInterval::Yearly), &["verification.interval"])).await);
        assert_eq!(interval_only.code(), Code::PermissionDenied);
        let at_birth = expect_error(agent.create_article(pb::CreateArticleRequest {
            article: Some(pb::Article { verification: me(VerificationInterval::Monthly).verification, ..draft(&billing.id, "en", "Wallets", "Apple Pay works.") }),
        }).await);
        assert_eq!(at_birth.code(), Code::PermissionDenied, "nor when creating an article");
        let verify = expect_error(agent.verify_article(pb::VerifyArticleRequest { article_id: article.id.clone(), etag: String::new() }).await);
        assert_eq!(verify.code(), Code::PermissionDenied);

        let mut other_lead = app.knowledge(Role::TeamLead, "lead-kai", Some("tier1")).await;
        let not_owner = expect_error(other_lead.update_article(edit(&article.id, "", me(VerificationInterval::Monthly), &["verification.verifier_person_id", "verification.interval"])).await);
        assert_eq!(not_owner.code(), Code::PermissionDenied, "a lead of another team");
        let mut lead = app.knowledge(Role::TeamLead, "lead-ewa", Some("billing")).await;
        let kept = lead.update_article(edit(&article.id, "", me(VerificationInterval::Monthly), &["verification.verifier_person_id", "verification.interval"])).await.unwrap().into_inner();
        assert_eq!(kept.verification.unwrap().verifier_person_id, "agent-ola");
        agent.verify_article(pb::VerifyArticleRequest { article_id: article.id.clone(), etag: String::new() }).await.unwrap();
    }
}

on_both_backends! {
    async fn an_interval_without_a_verifier_is_refused(app) {
        let mut admin = admin(&app).await;
        let help = collection(&mut admin, "Help centre", "", &[]).await;
        let monthly = Some(pb::Verification { interval: VerificationInterval::Monthly as i32, ..Default::default() });
        let created = expect_error(admin.create_article(pb::CreateArticleRequest {
            article: Some(pb::Article { verification: monthly.clone(), ..draft(&help.id, "en", "Refunds", "x") }),
        }).await);
        assert_eq!((created.code(), violated_fields(&created)), (Code::InvalidArgument, vec!["article.verification.interval".to_string()]));

        let article = create(&mut admin, draft(&help.id, "en", "Refunds", "x")).await;
        let updated = expect_error(admin.update_article(edit(&article.id, "", pb::Article { verification: monthly.clone(), ..Default::default() }, &["verification.interval"])).await);
        assert_eq!(violated_fields(&updated), ["article.verification.interval"]);
        let with_verifier = Some(pb::Verification { verifier_team_id: "billing".into(), interval: VerificationInterval::Monthly as i32, ..Default::default() });
        admin.update_article(edit(&article.id, "", pb::Article { verification: with_verifier, ..Default::default() }, &["verification.verifier_team_id", "verification.interval"])).await.unwrap();
        let cleared = expect_error(admin.update_article(edit(&article.id, "", pb::Article::default(), &["verification.verifier_team_id"])).await);
        assert_eq!(violated_fields(&cleared), ["article.verification.interval"], "removing the verifier leaves an interval nobody keeps");

        let document = "---\nid: kb-orphan\ntitle: Orphan\nlocale: en\nverification_interval: monthly\n---\nText\n";
        let imported = admin.import_articles(pb::ImportArticlesRequest {
            collection_id: help.id.clone(),
            documents: vec![pb::ImportDocument { name: "orphan.md".into(), content: document.into(), format: 0 }],
            dry_run: false,
        }).await.unwrap().into_inner();
        assert_eq!(imported.errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["verifier"]);
    }
}
