//! Bulk import of Markdown/HTML documents with front matter (all or nothing), and a portable
//! export of a collection in the same format, so an export imports back unchanged.
use frontline_proto::limits::knowledge as limits;
use std::collections::HashMap;

use frontline_proto::knowledge::v1 as pb;
use frontline_shared::{ApiError, ApiResult, auth::Principal, database::time, feed};
use sqlx::AnyConnection;

use super::{
    KnowledgeApi,
    articles::{Content, article_event, load, version_if_published},
    convert,
};
use crate::{
    domain::{
        access,
        article::{self, ArticleStatus, ArticleType, Visibility},
        content::{BodyFormat, slugify},
        front_matter::{self, Document, FrontMatter},
        model::{self, Article, Collection, Translation, VerificationRecord, Verifier, Version},
        verification::VerificationInterval,
    },
    store::{articles, collections},
};

/// At most this many documents per call: one transaction holds them all.
const MAX_DOCUMENTS: usize = limits::IMPORT_ARTICLES_REQUEST_DOCUMENTS_MAX_ITEMS;

/// A document checked and resolved, ready to write.
struct Planned {
    index: usize,
    key: String,
    locale: String,
    content: (String, String, BodyFormat),
    /// Set for source documents.
    source: Option<SourceFields>,
    /// Set for translations: the key of the source document or article.
    translation_of: Option<String>,
}

struct SourceFields {
    collection_id: String,
    article_type: ArticleType,
    visibility: Visibility,
    status: ArticleStatus,
    tags: Vec<String>,
    verifier: Verifier,
    /// The article this document updates, when its id is known.
    existing: Option<String>,
}

struct Problems(Vec<pb::ImportError>);

impl Problems {
    fn add(&mut self, index: usize, name: &str, field: &str, message: impl Into<String>) {
        self.0.push(pb::ImportError {
            index: index as i32,
            name: name.to_owned(),
            field: field.to_owned(),
            message: message.into(),
        });
    }
}

fn named<T: Copy>(value: Option<&str>, default: T, from_name: fn(&str) -> Option<T>) -> Result<T, ()> {
    match value {
        None => Ok(default),
        Some(name) => from_name(name).ok_or(()),
    }
}

impl KnowledgeApi {
    pub(super) async fn import_articles(
        &self,
        principal: &Principal,
        request: pb::ImportArticlesRequest,
    ) -> ApiResult<pb::ImportArticlesResponse> {
        access::check_administers(principal, "import articles")?;
        if request.documents.is_empty() {
            return Err(ApiError::invalid("documents", "is empty"));
        }
        if request.documents.len() > MAX_DOCUMENTS {
            return Err(ApiError::invalid("documents", format!("at most {MAX_DOCUMENTS} per call; split the import")));
        }
        let mut transaction = self.db.begin().await?;
        let all_collections = collections::all(&mut transaction).await?;
        let default_collection = request.collection_id.trim();
        if !default_collection.is_empty() && !all_collections.iter().any(|c| c.id == default_collection) {
            return Err(ApiError::invalid("collection_id", format!("no collection {default_collection}")));
        }
        let mut problems = Problems(Vec::new());
        let mut planned = Vec::new();
        for (index, document) in request.documents.iter().enumerate() {
            let hint = match pb::BodyFormat::try_from(document.format).unwrap_or_default() {
                pb::BodyFormat::Unspecified => None,
                other => Some(convert::body_format(other as i32)),
            };
            match front_matter::parse(&document.content, hint) {
                Ok(parsed) => {
                    if let Some(plan) = self
                        .plan(
                            &mut transaction,
                            index,
                            &document.name,
                            parsed,
                            default_collection,
                            &all_collections,
                            &mut problems,
                        )
                        .await?
                    {
                        planned.push(plan);
                    }
                }
                Err(error) => problems.add(index, &document.name, error.field(), error.to_string()),
            }
        }
        check_translations(&mut transaction, &request.documents, &planned, &mut problems).await?;
        check_unique_ids(&request.documents, &planned, &mut problems);
        let mut response = pb::ImportArticlesResponse::default();
        for plan in &planned {
            match (&plan.source, plan.source.as_ref().and_then(|s| s.existing.as_ref())) {
                (Some(_), Some(_)) => response.updated += 1,
                (Some(_), None) => response.created += 1,
                (None, _) => response.translations += 1,
            }
        }
        if !problems.0.is_empty() || request.dry_run {
            problems.0.sort_by_key(|problem| problem.index);
            response.errors = problems.0;
            return Ok(response);
        }
        let touched = self.write_plans(&mut transaction, principal, planned).await?;
        transaction.commit().await?;
        self.feed.committed();
        self.reindex(&touched).await;
        Ok(response)
    }

    #[allow(clippy::too_many_arguments)]
    async fn plan(
        &self,
        connection: &mut AnyConnection,
        index: usize,
        name: &str,
        document: Document,
        default_collection: &str,
        all_collections: &[Collection],
        problems: &mut Problems,
    ) -> ApiResult<Option<Planned>> {
        let before = problems.0.len();
        let matter = &document.front_matter;
        let title = model::validate_title(&matter.title).map_err(|p| p.to_owned());
        if let Err(problem) = &title {
            problems.add(index, name, "title", problem.clone());
        }
        if let Err(error) = super::articles::validate_body("body", &document.body) {
            problems.add(index, name, "body", error.to_string());
        }
        let locale = match matter.locale.as_deref().map(article::validate_locale) {
            Some(Ok(locale)) => locale,
            Some(Err(problem)) => {
                problems.add(index, name, "locale", problem);
                String::new()
            }
            None => {
                problems.add(index, name, "locale", "is required");
                String::new()
            }
        };
        let key = matter.id.clone().map(|id| id.trim().to_owned()).filter(|id| !id.is_empty());
        let translation_of = matter.translation_of.clone().map(|id| id.trim().to_owned()).filter(|id| !id.is_empty());
        let source = if translation_of.is_some() {
            None
        } else {
            self.plan_source(
                connection,
                index,
                name,
                matter,
                key.as_deref(),
                default_collection,
                all_collections,
                problems,
            )
            .await?
        };
        if problems.0.len() > before {
            return Ok(None);
        }
        Ok(Some(Planned {
            index,
            key: key.unwrap_or_else(|| format!("#{index}")),
            locale,
            content: (title.expect("checked above"), document.body, document.format),
            source,
            translation_of,
        }))
    }

    #[allow(clippy::too_many_arguments)]
    async fn plan_source(
        &self,
        connection: &mut AnyConnection,
        index: usize,
        name: &str,
        matter: &FrontMatter,
        key: Option<&str>,
        default_collection: &str,
        all_collections: &[Collection],
        problems: &mut Problems,
    ) -> ApiResult<Option<SourceFields>> {
        let find = |wanted: &str, parent: Option<&str>| {
            all_collections.iter().find(|c| {
                (c.id == wanted || c.external_id.as_deref() == Some(wanted) || c.name == wanted)
                    && parent.is_none_or(|p| c.parent_id.as_deref() == Some(p))
            })
        };
        let collection = match matter.collection.as_deref() {
            Some(wanted) => find(wanted, None).map(|c| c.id.clone()),
            None => Some(default_collection.to_owned()).filter(|c| !c.is_empty()),
        };
        let Some(mut collection_id) = collection else {
            problems.add(index, name, "collection", "names no known collection, and the request gives none");
            return Ok(None);
        };
        if let Some(section) = matter.section.as_deref() {
            match find(section, Some(&collection_id)) {
                Some(found) => collection_id = found.id.clone(),
                None => problems.add(index, name, "section", format!("no section {section} in that collection")),
            }
        }
        let article_type = named(matter.article_type.as_deref(), ArticleType::Solution, ArticleType::from_name);
        let visibility = named(matter.visibility.as_deref(), Visibility::Internal, Visibility::from_name);
        let status = named(matter.status.as_deref(), ArticleStatus::Draft, ArticleStatus::from_name);
        let interval = matter.verification_interval.as_deref().map(VerificationInterval::from_name);
        let tags = model::normalize_tags(&matter.tags);
        if article_type.is_err() {
            problems.add(index, name, "type", "must be faq, solution, procedure or best_practice");
        }
        if visibility.is_err() {
            problems.add(index, name, "visibility", "must be internal or public");
        }
        if status.is_err() {
            problems.add(index, name, "status", "must be draft, published or archived");
        }
        if let Some(None) = interval {
            problems.add(
                index,
                name,
                "verification_interval",
                "must be weekly, biweekly, monthly, quarterly, semiannually or yearly",
            );
        }
        if let Err((tag, problem)) = &tags {
            problems.add(index, name, &format!("tags[{tag}]"), *problem);
        }
        let existing = match key {
            Some(key) => match articles::by_external_id(connection, key).await? {
                Some(article) => Some(article),
                None => articles::get(connection, key).await?,
            },
            None => None,
        };
        let verifier_person = matter.verifier.clone().unwrap_or_default().trim().to_owned();
        // A document without a verifier keeps the article's (an export names only a person, so a
        // team verifier stays as it is); an interval still needs someone to verify.
        let kept_verifier =
            existing.as_ref().is_some_and(|a| !a.verifier.person_id.is_empty() || !a.verifier.team_id.is_empty());
        if matches!(interval, Some(Some(_))) && verifier_person.is_empty() && !kept_verifier {
            problems.add(index, name, "verifier", "is required with verification_interval: who verifies the article?");
        }
        let existing = existing.map(|article| article.id);
        let (Ok(article_type), Ok(visibility), Ok(status), Ok(tags)) = (article_type, visibility, status, tags) else {
            return Ok(None);
        };
        let verifier = Verifier { person_id: verifier_person, team_id: String::new(), interval: interval.flatten() };
        Ok(Some(SourceFields { collection_id, article_type, visibility, status, tags, verifier, existing }))
    }

    /// Writes every planned document in the caller's transaction; returns the articles touched.
    async fn write_plans(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        planned: Vec<Planned>,
    ) -> ApiResult<Vec<String>> {
        let now = time::now_micros();
        let mut ids_by_key: HashMap<String, String> = HashMap::new();
        let mut touched = Vec::new();
        let (sources, translations): (Vec<_>, Vec<_>) = planned.into_iter().partition(|p| p.source.is_some());
        let (fresh, updates): (Vec<_>, Vec<_>) =
            sources.into_iter().partition(|p| p.source.as_ref().is_some_and(|s| s.existing.is_none()));
        for (key, id) in self.create_all(connection, principal, fresh, now).await? {
            ids_by_key.insert(key, id.clone());
            touched.push(id);
        }
        for plan in updates {
            let fields = plan.source.expect("partitioned on source");
            let id = fields.existing.as_ref().expect("partitioned on existing");
            let (title, body, format) = plan.content;
            let content = Content::validate("", &title, &body, format)?;
            let loaded = load(connection, id).await?;
            let mut next = loaded.article.touched(now);
            next.collection_id = fields.collection_id.clone();
            next.article_type = fields.article_type;
            next.visibility = fields.visibility;
            next.status = fields.status;
            next.tags = fields.tags.clone();
            if !fields.verifier.person_id.is_empty() {
                next.verifier = fields.verifier.clone();
            } else if fields.verifier.interval.is_some() {
                next.verifier.interval = fields.verifier.interval;
            }
            if next.status == ArticleStatus::Published && next.published_at.is_none() {
                next.published_at = Some(now);
            }
            let previous = loaded.translation(&plan.locale).cloned();
            let source = content.into_translation(id, &plan.locale, previous.as_ref(), None, &principal.subject, now);
            articles::save_translation(connection, &source).await?;
            if !articles::update(connection, &next, loaded.article.revision).await? {
                return Err(ApiError::Aborted {
                    reason: "CONCURRENT_UPDATE",
                    message: format!("article {id} changed during the import; retry"),
                });
            }
            self.finish_import(connection, principal, &next, source, "article.updated", now).await?;
            ids_by_key.insert(plan.key.clone(), id.clone());
            touched.push(id.clone());
        }
        for plan in translations {
            let of = plan.translation_of.expect("partitioned on translation_of");
            let id = match ids_by_key.get(&of) {
                Some(id) => id.clone(),
                None => {
                    resolve_article(connection, &of).await?.ok_or_else(|| anyhow::anyhow!("checked: {of} exists"))?
                }
            };
            let loaded = load(connection, &id).await?;
            let (title, body, format) = plan.content;
            let content = Content::validate("", &title, &body, format)?;
            let previous = loaded.translation(&plan.locale).cloned();
            let saved = content.into_translation(
                &id,
                &plan.locale,
                previous.as_ref(),
                Some(loaded.source().content_revision),
                &principal.subject,
                now,
            );
            articles::save_translation(connection, &saved).await?;
            let next = loaded.article.touched(now);
            articles::update(connection, &next, loaded.article.revision).await?;
            self.finish_import(connection, principal, &next, saved, "article.translation_saved", now).await?;
            touched.push(id);
        }
        touched.sort();
        touched.dedup();
        Ok(touched)
    }

    /// Writes the documents that create articles together, many rows to a statement: the
    /// articles with their tags, their texts, a first version of each published one, and their
    /// events. What each gets is what CreateArticle and a publish would give it. Returns each
    /// document's key with the id of its article.
    async fn create_all(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        plans: Vec<Planned>,
        now: i64,
    ) -> ApiResult<Vec<(String, String)>> {
        let (mut created, mut texts, mut versions, mut events) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut new_articles = Vec::with_capacity(plans.len());
        for plan in plans {
            let fields = plan.source.expect("partitioned on source");
            let (title, body, format) = plan.content;
            let content = Content::validate("", &title, &body, format)?;
            let id = uuid::Uuid::now_v7().to_string();
            let article = Article {
                id: id.clone(),
                external_id: (!plan.key.starts_with('#')).then(|| plan.key.clone()),
                collection_id: fields.collection_id,
                article_type: fields.article_type,
                visibility: fields.visibility,
                status: fields.status,
                source_locale: plan.locale.clone(),
                tags: fields.tags,
                owner_id: principal.subject.clone(),
                author_id: principal.subject.clone(),
                verifier: fields.verifier,
                verification: VerificationRecord { unverified_reason: "never verified".into(), ..Default::default() },
                helpful_votes: 0,
                not_helpful_votes: 0,
                view_count: 0,
                created_at: now,
                updated_at: now,
                published_at: (fields.status == ArticleStatus::Published).then_some(now),
                revision: 1,
            };
            let mut text = content.into_translation(&id, &plan.locale, None, None, &principal.subject, now);
            if article.status == ArticleStatus::Published {
                text.version = 1;
                versions.push(Version {
                    article_id: id.clone(),
                    locale: text.locale.clone(),
                    version: 1,
                    title: text.title.clone(),
                    body: text.body.clone(),
                    body_format: text.body_format,
                    tags: article.tags.clone(),
                    created_by: principal.subject.clone(),
                    created_at: now,
                    note: "imported".into(),
                });
            }
            events.push(article_event(principal, "article.created", &article, &text, &["import"], text.version));
            created.push((plan.key, id));
            texts.push(text);
            new_articles.push(article);
        }
        articles::insert_all(connection, &new_articles).await.map_err(|error| {
            if frontline_shared::database::is_unique_violation(&error) {
                ApiError::AlreadyExists {
                    reason: "ARTICLE_EXISTS",
                    message: "an article with one of these documents' ids was created during the import; retry".into(),
                }
            } else {
                error.into()
            }
        })?;
        articles::insert_translations(connection, &texts).await?;
        articles::insert_versions(connection, &versions).await?;
        feed::append_all(connection, &events).await?;
        Ok(created)
    }

    /// Versions (when published) and the event of one imported document.
    async fn finish_import(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        article: &Article,
        saved: Translation,
        event_type: &str,
        now: i64,
    ) -> ApiResult<()> {
        let (saved, version) =
            version_if_published(connection, article, saved, &principal.subject, now, "imported").await?;
        self.article_event(connection, principal, event_type, article, &saved, &["import"], version).await
    }

    pub(super) async fn export_collection(
        &self,
        principal: &Principal,
        request: pb::ExportCollectionRequest,
    ) -> ApiResult<pb::ExportCollectionResponse> {
        access::check_administers(principal, "export collections")?;
        super::required("collection_id", &request.collection_id)?;
        let mut connection = self.db.reader().acquire().await?;
        let collection = collections::get(&mut connection, &request.collection_id)
            .await?
            .ok_or_else(|| ApiError::not_found("collection", &request.collection_id))?;
        let all = collections::all(&mut connection).await?;
        let by_id: HashMap<&str, &Collection> = all.iter().map(|c| (c.id.as_str(), c)).collect();
        let tree = collections::with_sections(&mut connection, &collection.id).await?;
        let mut documents = Vec::new();
        for id in articles::ids_in_collections(&mut connection, &tree).await? {
            let loaded = load(&mut connection, &id).await?;
            let article = &loaded.article;
            let key = article.external_id.clone().unwrap_or_else(|| article.id.clone());
            let home = by_id.get(article.collection_id.as_str()).copied();
            let section = home.filter(|c| c.parent_id.is_some());
            let top = section.and_then(|s| s.parent_id.as_deref()).and_then(|p| by_id.get(p).copied()).or(home);
            let reference = |c: &Collection| c.external_id.clone().unwrap_or_else(|| c.id.clone());
            let folder = match section {
                Some(section) => format!("{}/{}", dir_name(top.unwrap_or(section)), dir_name(section)),
                None => dir_name(top.unwrap_or(&collection)),
            };
            for translation in &loaded.translations {
                let is_source = translation.locale == article.source_locale;
                let matter = FrontMatter {
                    id: is_source.then(|| key.clone()),
                    title: translation.title.clone(),
                    locale: Some(translation.locale.clone()),
                    article_type: is_source.then(|| article.article_type.name().to_owned()),
                    tags: if is_source { article.tags.clone() } else { Vec::new() },
                    collection: if is_source { top.map(reference) } else { None },
                    section: if is_source { section.map(reference) } else { None },
                    visibility: is_source.then(|| article.visibility.name().to_owned()),
                    status: is_source.then(|| article.status.name().to_owned()),
                    translation_of: (!is_source).then(|| key.clone()),
                    verifier: if is_source {
                        Some(article.verifier.person_id.clone()).filter(|p| !p.is_empty())
                    } else {
                        None
                    },
                    verification_interval: if is_source {
                        article.verifier.interval.map(|i| i.name().to_owned())
                    } else {
                        None
                    },
                };
                let extension = match translation.body_format {
                    BodyFormat::Markdown => "md",
                    BodyFormat::Html => "html",
                };
                let mut slug = slugify(&translation.title);
                if slug.is_empty() {
                    slug = article.id.clone();
                }
                documents.push(pb::ExportedDocument {
                    path: format!("{folder}/{slug}.{}.{extension}", translation.locale),
                    content: front_matter::render(&Document {
                        front_matter: matter,
                        body: translation.body.clone(),
                        format: translation.body_format,
                    }),
                });
            }
        }
        documents.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(pb::ExportCollectionResponse { documents })
    }
}

fn dir_name(collection: &Collection) -> String {
    let slug = slugify(&collection.name);
    if slug.is_empty() { collection.id.clone() } else { slug }
}

async fn resolve_article(connection: &mut AnyConnection, key: &str) -> ApiResult<Option<String>> {
    Ok(match articles::by_external_id(connection, key).await? {
        Some(article) => Some(article.id),
        None => articles::get(connection, key).await?.map(|article| article.id),
    })
}

/// Two source documents of one import cannot name the same article.
fn check_unique_ids(documents: &[pb::ImportDocument], planned: &[Planned], problems: &mut Problems) {
    let mut first_with: HashMap<&str, usize> = HashMap::new();
    for plan in planned.iter().filter(|p| p.source.is_some()) {
        if let Some(first) = first_with.insert(&plan.key, plan.index) {
            let message = format!("is also the id of document {first}; each article is imported once");
            problems.add(plan.index, &documents[plan.index].name, "id", message);
            first_with.insert(&plan.key, first);
        }
    }
}

/// Every translation must point at a source in the batch or an existing article, and must
/// not repeat that source's own locale.
async fn check_translations(
    connection: &mut AnyConnection,
    documents: &[pb::ImportDocument],
    planned: &[Planned],
    problems: &mut Problems,
) -> ApiResult<()> {
    for plan in planned {
        let Some(of) = &plan.translation_of else { continue };
        let name = &documents[plan.index].name;
        let source_locale = match planned.iter().find(|p| p.source.is_some() && &p.key == of) {
            Some(source) => Some(source.locale.clone()),
            None => match resolve_article(connection, of).await? {
                Some(id) => articles::get(connection, &id).await?.map(|a| a.source_locale),
                None => None,
            },
        };
        match source_locale {
            None => problems.add(
                plan.index,
                name,
                "translation_of",
                format!("no article {of} in this import or the knowledge base"),
            ),
            Some(locale) if locale == plan.locale => {
                problems.add(plan.index, name, "locale", "is the source article's own locale")
            }
            Some(_) => {}
        }
    }
    Ok(())
}
