//! Articles: create, read, list, edit, and move through draft → published → archived.
use frontline_proto::knowledge::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    database::{is_unique_violation, time},
    feed::{self, NewEvent},
    field_mask,
    filter::{self, FieldKind, FilterField},
    pagination::{self, Cursor},
};
use sqlx::AnyConnection;

use super::{KnowledgeApi, collections::with_permissions, convert};
use crate::{
    domain::{
        access,
        article::{self, ArticleStatus, TransitionError},
        content::{self, BodyFormat},
        model::{self, Article, Permissions, Translation, VerificationRecord, Verifier, Version},
    },
    store::{articles, collections},
};

/// An article with its locales and the permissions of its collection.
pub(super) struct Loaded {
    pub article: Article,
    pub translations: Vec<Translation>,
    pub permissions: Permissions,
}

impl Loaded {
    pub fn source(&self) -> &Translation {
        self.translation(&self.article.source_locale).expect("every article has its source locale")
    }

    pub fn translation(&self, locale: &str) -> Option<&Translation> {
        self.translations.iter().find(|t| t.locale == locale)
    }

    /// The locale asked for (the source when empty), NOT_FOUND when the article lacks it.
    pub fn shown(&self, locale: &str) -> ApiResult<&Translation> {
        if locale.is_empty() {
            return Ok(self.source());
        }
        let locale = article::validate_locale(locale).map_err(|problem| ApiError::invalid("locale", problem))?;
        self.translation(&locale)
            .ok_or_else(|| ApiError::NotFound { resource: "translation", id: format!("{}/{locale}", self.article.id) })
    }

    pub fn to_pb(&self, shown: &Translation) -> pb::Article {
        convert::article(&self.article, shown, &self.translations)
    }
}

pub(super) async fn load(connection: &mut AnyConnection, id: &str) -> ApiResult<Loaded> {
    let article = articles::get(connection, id).await?.ok_or_else(|| ApiError::not_found("article", id))?;
    let translations = articles::translations(connection, id).await?;
    let (_, permissions) = with_permissions(connection, &article.collection_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("article {id} is in a missing collection"))?;
    Ok(Loaded { article, translations, permissions })
}

/// Loads an article the caller may read; one it may not read is NOT_FOUND.
pub(super) async fn load_readable(
    connection: &mut AnyConnection,
    principal: &Principal,
    id: &str,
) -> ApiResult<Loaded> {
    access::check_reader(principal)?;
    super::required("article_id", id)?;
    let loaded = load(connection, id).await?;
    access::check_reads_article(principal, &loaded.article, &loaded.permissions)?;
    Ok(loaded)
}

pub(super) fn check_etag(etag: &str, article: &Article) -> ApiResult<()> {
    if !etag.is_empty() && etag != article.etag() {
        return Err(ApiError::stale_etag("article", &article.id));
    }
    Ok(())
}

pub(super) fn validate_body(field: &str, body: &str) -> ApiResult<()> {
    if body.len() > model::MAX_BODY_BYTES {
        return Err(ApiError::invalid(field, format!("must be at most {} KiB", model::MAX_BODY_BYTES / 1024)));
    }
    Ok(())
}

/// The content of one locale, rendered and sanitised.
pub(super) struct Content {
    pub title: String,
    pub body: String,
    pub format: BodyFormat,
}

impl Content {
    pub fn validate(prefix: &str, title: &str, body: &str, format: BodyFormat) -> ApiResult<Self> {
        let title =
            model::validate_title(title).map_err(|problem| ApiError::invalid(format!("{prefix}title"), problem))?;
        validate_body(&format!("{prefix}body"), body)?;
        Ok(Self { title, body: body.to_owned(), format })
    }

    /// A new translation row for `locale`, or the next state of `previous`.
    pub fn into_translation(
        self,
        article_id: &str,
        locale: &str,
        previous: Option<&Translation>,
        source_revision: Option<i64>,
        by: &str,
        now: i64,
    ) -> Translation {
        let rendered = content::render(&self.body, self.format);
        let content_revision = previous.map_or(1, |p| p.content_revision + 1);
        Translation {
            article_id: article_id.to_owned(),
            locale: locale.to_owned(),
            title: self.title,
            body: self.body,
            body_format: self.format,
            body_html: rendered.html,
            body_text: rendered.text,
            content_revision,
            // The source is saved against itself; a translation against the source it saw.
            source_revision: source_revision.unwrap_or(content_revision),
            version: previous.map_or(0, |p| p.version),
            updated_at: now,
            updated_by: by.to_owned(),
        }
    }
}

/// Records a version of every locale whose text differs from its latest version, and returns
/// the locales with their new version numbers. Called on publish and on every change while
/// published: "every published change is a version".
pub(super) async fn record_versions(
    connection: &mut AnyConnection,
    article: &Article,
    translations: &mut [Translation],
    by: &str,
    now: i64,
    note: &str,
) -> ApiResult<Vec<(String, i64)>> {
    let mut recorded = Vec::new();
    for translation in translations.iter_mut() {
        let latest = articles::versions(connection, &article.id, &translation.locale).await?.into_iter().next();
        let unchanged = latest.as_ref().is_some_and(|v| {
            v.title == translation.title && v.body == translation.body && v.body_format == translation.body_format
        });
        if unchanged {
            continue;
        }
        let number = latest.map_or(1, |v| v.version + 1);
        articles::insert_version(
            connection,
            &Version {
                article_id: article.id.clone(),
                locale: translation.locale.clone(),
                version: number,
                title: translation.title.clone(),
                body: translation.body.clone(),
                body_format: translation.body_format,
                tags: article.tags.clone(),
                created_by: by.to_owned(),
                created_at: now,
                note: note.to_owned(),
            },
        )
        .await?;
        translation.version = number;
        articles::save_translation(connection, translation).await?;
        recorded.push((translation.locale.clone(), number));
    }
    Ok(recorded)
}

/// Records a version of `saved` when the article is published; returns the translation (with
/// its new version number) and that number, 0 when no version was recorded.
pub(super) async fn version_if_published(
    connection: &mut AnyConnection,
    article: &Article,
    saved: Translation,
    by: &str,
    now: i64,
    note: &str,
) -> ApiResult<(Translation, i64)> {
    let mut touched = [saved];
    let mut version = 0;
    if article.status == ArticleStatus::Published {
        let recorded = record_versions(connection, article, &mut touched, by, now, note).await?;
        version = recorded.first().map_or(0, |(_, number)| *number);
    }
    let [saved] = touched;
    Ok((saved, version))
}

fn type_filter(value: &str) -> Option<i64> {
    filter::enum_value(value, "ARTICLE_TYPE_", |name| pb::ArticleType::from_str_name(name).map(|v| v as i32))
}

fn status_filter(value: &str) -> Option<i64> {
    filter::enum_value(value, "ARTICLE_STATUS_", |name| pb::ArticleStatus::from_str_name(name).map(|v| v as i32))
}

fn visibility_filter(value: &str) -> Option<i64> {
    filter::enum_value(value, "VISIBILITY_", |name| pb::Visibility::from_str_name(name).map(|v| v as i32))
}

const FILTER_FIELDS: &[FilterField] = &[
    FilterField { name: "collection_id", column: "collection_id", kind: FieldKind::Text },
    FilterField { name: "type", column: "article_type", kind: FieldKind::Enum(type_filter) },
    FilterField { name: "status", column: "status", kind: FieldKind::Enum(status_filter) },
    FilterField { name: "visibility", column: "visibility", kind: FieldKind::Enum(visibility_filter) },
    FilterField { name: "source_locale", column: "source_locale", kind: FieldKind::Text },
    FilterField { name: "owner_id", column: "owner_id", kind: FieldKind::Text },
    FilterField {
        name: "tags",
        column: "",
        kind: FieldKind::Contains("id IN (SELECT article_id FROM article_tags WHERE tag = {})"),
    },
    FilterField { name: "updated_at", column: "updated_at", kind: FieldKind::Timestamp },
];

const UPDATABLE: &[&str] = &[
    "title",
    "body",
    "body_format",
    "tags",
    "collection_id",
    "type",
    "visibility",
    "owner_id",
    "external_id",
    "verification.verifier_person_id",
    "verification.verifier_team_id",
    "verification.interval",
];

fn parse_order(order_by: &str) -> ApiResult<(articles::Order, bool)> {
    let mut words = order_by.split_whitespace();
    let order = match words.next() {
        None | Some("updated_at") => articles::Order::UpdatedAt,
        Some("created_at") => articles::Order::CreatedAt,
        Some("title") => articles::Order::Title,
        Some(other) => {
            return Err(ApiError::invalid(
                "order_by",
                format!("cannot order by `{other}`; use updated_at, created_at or title"),
            ));
        }
    };
    let descending = match (words.next(), words.next()) {
        // No order_by at all: the most recently updated first; a bare field name: ascending.
        (None, None) => order_by.trim().is_empty(),
        (Some("desc"), None) => true,
        (Some("asc"), None) => false,
        _ => return Err(ApiError::invalid("order_by", "is a field name optionally followed by asc or desc")),
    };
    Ok((order, descending))
}

fn verifier(given: Option<&pb::Verification>, owner: &str) -> ApiResult<Verifier> {
    let Some(given) = given else { return Ok(Verifier::default()) };
    let person_id = given.verifier_person_id.trim().to_owned();
    let team_id = given.verifier_team_id.trim().to_owned();
    if !person_id.is_empty() && !team_id.is_empty() {
        return Err(ApiError::invalid(
            "article.verification.verifier_team_id",
            "set a verifier person or a verifier team, not both",
        ));
    }
    let interval = convert::interval(given.interval);
    // An interval without a verifier is the owner's to keep.
    let person_id =
        if interval.is_some() && person_id.is_empty() && team_id.is_empty() { owner.to_owned() } else { person_id };
    Ok(Verifier { person_id, team_id, interval })
}

fn unique_external_id(error: sqlx::Error) -> ApiError {
    if is_unique_violation(&error) {
        ApiError::AlreadyExists { reason: "ARTICLE_EXISTS", message: "an article with that external_id exists".into() }
    } else {
        error.into()
    }
}

impl KnowledgeApi {
    pub(super) async fn create_article(
        &self,
        principal: &Principal,
        request: pb::CreateArticleRequest,
    ) -> ApiResult<pb::Article> {
        let given = request.article.ok_or_else(|| ApiError::invalid("article", "is required"))?;
        super::required("article.collection_id", &given.collection_id)?;
        let mut transaction = self.db.begin().await?;
        let permissions = match with_permissions(&mut transaction, &given.collection_id).await? {
            Some((_, permissions)) if access::reads_collection(principal, &permissions) => permissions,
            _ => {
                return Err(ApiError::invalid(
                    "article.collection_id",
                    format!("no collection {} (or not one you may read)", given.collection_id),
                ));
            }
        };
        access::check_writes(principal, &permissions)?;
        let (article, source) = new_article(principal, given, time::now_micros())?;
        articles::insert(&mut transaction, &article).await.map_err(unique_external_id)?;
        articles::save_translation(&mut transaction, &source).await?;
        self.article_event(&mut transaction, principal, "article.created", &article, &source, &[], 0).await?;
        transaction.commit().await?;
        self.feed.committed();
        self.reindex(std::slice::from_ref(&article.id)).await;
        let mut created = convert::article(&article, &source, std::slice::from_ref(&source));
        created.possible_duplicates =
            self.duplicates_of(principal, &article.id, &source, super::search::DEFAULT_MIN_SIMILARITY).await?;
        Ok(created)
    }

    pub(super) async fn get_article(
        &self,
        principal: &Principal,
        request: pb::GetArticleRequest,
    ) -> ApiResult<pb::Article> {
        let mut connection = self.db.reader().acquire().await?;
        let loaded = load_readable(&mut connection, principal, &request.id).await?;
        Ok(loaded.to_pb(loaded.shown(&request.locale)?))
    }

    pub(super) async fn list_articles(
        &self,
        principal: &Principal,
        request: pb::ListArticlesRequest,
    ) -> ApiResult<pb::ListArticlesResponse> {
        access::check_reader(principal)?;
        let page_size = pagination::page_size(request.page_size)?;
        let (order, descending) = parse_order(&request.order_by)?;
        let mut sql_filter = filter::to_sql(&filter::parse(&request.filter)?, FILTER_FIELDS, 1)?;
        if principal.role.reads_as_customer() {
            sql_filter.clause = format!("({}) AND status = 2 AND visibility = 2", sql_filter.clause);
        }
        let fingerprint = pagination::query_fingerprint(principal, &["articles", &request.filter, &request.order_by]);
        let after = pagination::decode_token(&request.page_token, &fingerprint)?.map(|c| (c.sort_key, c.id));
        let mut connection = self.db.reader().acquire().await?;
        let all = collections::all(&mut connection).await?;
        let readable = super::collections::readable_ids(principal, &all);
        let restricted = readable.len() < all.len();
        let mut page = articles::list(
            &mut connection,
            articles::Page {
                filter: &sql_filter,
                order,
                descending,
                after,
                limit: page_size + 1,
                collections: restricted.then_some(readable.as_slice()),
            },
        )
        .await?;
        let next_page_token = pagination::finish_page(&mut page, page_size, &fingerprint, |(article, key)| Cursor {
            sort_key: key.clone(),
            id: article.id.clone(),
        });
        let mut listed = Vec::with_capacity(page.len());
        for (article, _) in &page {
            let translations = articles::translations(&mut connection, &article.id).await?;
            if let Some(source) = translations.iter().find(|t| t.locale == article.source_locale) {
                listed.push(convert::article(article, source, &translations));
            }
        }
        Ok(pb::ListArticlesResponse { articles: listed, next_page_token })
    }

    pub(super) async fn update_article(
        &self,
        principal: &Principal,
        request: pb::UpdateArticleRequest,
    ) -> ApiResult<pb::Article> {
        let given = request.article.ok_or_else(|| ApiError::invalid("article", "is required"))?;
        super::required("article.id", &given.id)?;
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();
        let verification = given.verification.clone().unwrap_or_default();
        let paths = field_mask::resolve(&paths, UPDATABLE, |path| match path {
            "title" => !given.title.is_empty(),
            "body" => !given.body.is_empty(),
            "body_format" => given.body_format != 0,
            "tags" => !given.tags.is_empty(),
            "collection_id" => !given.collection_id.is_empty(),
            "type" => given.r#type != 0,
            "visibility" => given.visibility != 0,
            "owner_id" => !given.owner_id.is_empty(),
            "external_id" => !given.external_id.is_empty(),
            "verification.verifier_person_id" => !verification.verifier_person_id.is_empty(),
            "verification.verifier_team_id" => !verification.verifier_team_id.is_empty(),
            "verification.interval" => verification.interval != 0,
            _ => false,
        })?;
        let mut transaction = self.db.begin().await?;
        let loaded = load(&mut transaction, &given.id).await?;
        access::check_reads_article(principal, &loaded.article, &loaded.permissions)?;
        access::check_writes(principal, &loaded.permissions)?;
        check_etag(&given.etag, &loaded.article)?;
        let current = &loaded.article;
        let now = time::now_micros();
        let mut next = current.touched(now);
        let source = loaded.source().clone();
        let (mut title, mut body, mut format) = (source.title.clone(), source.body.clone(), source.body_format);
        for path in &paths {
            match *path {
                "title" => title = given.title.clone(),
                "body" => body = given.body.clone(),
                "body_format" => format = convert::body_format(given.body_format),
                "tags" => {
                    next.tags = model::normalize_tags(&given.tags)
                        .map_err(|(i, problem)| ApiError::invalid(format!("article.tags[{i}]"), problem))?
                }
                "collection_id" => {
                    let target = given.collection_id.trim();
                    let permissions = match with_permissions(&mut transaction, target).await? {
                        Some((_, permissions)) if access::reads_collection(principal, &permissions) => permissions,
                        _ => return Err(ApiError::invalid("article.collection_id", format!("no collection {target}"))),
                    };
                    access::check_writes(principal, &permissions)?;
                    next.collection_id = target.to_owned();
                }
                "type" => next.article_type = convert::article_type(given.r#type, "article.type")?,
                "visibility" => next.visibility = convert::visibility(given.visibility),
                "owner_id" => next.owner_id = given.owner_id.trim().to_owned(),
                "external_id" => {
                    next.external_id = Some(given.external_id.trim().to_owned()).filter(|id| !id.is_empty())
                }
                "verification.verifier_person_id" => {
                    next.verifier.person_id = verification.verifier_person_id.trim().to_owned();
                    if !next.verifier.person_id.is_empty() && !paths.contains(&"verification.verifier_team_id") {
                        next.verifier.team_id.clear();
                    }
                }
                "verification.verifier_team_id" => {
                    next.verifier.team_id = verification.verifier_team_id.trim().to_owned();
                    if !next.verifier.team_id.is_empty() && !paths.contains(&"verification.verifier_person_id") {
                        next.verifier.person_id.clear();
                    }
                }
                "verification.interval" => {
                    next.verifier.interval = convert::interval(verification.interval);
                    // A new interval moves the due time of a verified article.
                    if let (Some(interval), Some(verified_at)) = (next.verifier.interval, next.verification.verified_at)
                        && next.verification.verified
                    {
                        next.verification.due_at =
                            Some(interval.next_due(convert::datetime(verified_at)).timestamp_micros());
                    }
                }
                _ => unreachable!("field_mask::resolve only returns updatable paths"),
            }
        }
        if !next.verifier.person_id.is_empty() && !next.verifier.team_id.is_empty() {
            return Err(ApiError::invalid(
                "article.verification.verifier_team_id",
                "set a verifier person or a verifier team, not both",
            ));
        }
        let mut translations = loaded.translations.clone();
        let content_changed = !source.same_content(&title, &body, format);
        if content_changed {
            let content = Content::validate("article.", &title, &body, format)?;
            let saved = content.into_translation(
                &current.id,
                &current.source_locale,
                Some(&source),
                None,
                &principal.subject,
                now,
            );
            articles::save_translation(&mut transaction, &saved).await?;
            if let Some(slot) = translations.iter_mut().find(|t| t.locale == saved.locale) {
                *slot = saved;
            }
        }
        let mut changed: Vec<&str> = paths.clone();
        changed.retain(|path| match *path {
            "title" | "body" | "body_format" => content_changed,
            _ => true,
        });
        let unchanged_row =
            Article { revision: current.revision, updated_at: current.updated_at, ..next.clone() } == *current;
        if unchanged_row && !content_changed {
            return Ok(loaded.to_pb(loaded.source()));
        }
        if !articles::update(&mut transaction, &next, current.revision).await.map_err(unique_external_id)? {
            return Err(ApiError::stale_etag("article", &current.id));
        }
        let mut version = 0;
        if next.status == ArticleStatus::Published && content_changed {
            let mut source_only: Vec<Translation> =
                translations.iter().filter(|t| t.locale == next.source_locale).cloned().collect();
            let recorded = record_versions(
                &mut transaction,
                &next,
                &mut source_only,
                &principal.subject,
                now,
                "edited while published",
            )
            .await?;
            version = recorded.first().map_or(0, |(_, number)| *number);
            for saved in source_only {
                if let Some(slot) = translations.iter_mut().find(|t| t.locale == saved.locale) {
                    *slot = saved;
                }
            }
        }
        let source = translations.iter().find(|t| t.locale == next.source_locale).expect("the source locale").clone();
        self.article_event(&mut transaction, principal, "article.updated", &next, &source, &changed, version).await?;
        transaction.commit().await?;
        self.feed.committed();
        self.reindex(std::slice::from_ref(&next.id)).await;
        Ok(convert::article(&next, &source, &translations))
    }

    pub(super) async fn publish_article(
        &self,
        principal: &Principal,
        request: pb::ChangeArticleStatusRequest,
    ) -> ApiResult<pb::Article> {
        self.change_status(principal, request, ArticleStatus::Published, "article.published").await
    }

    pub(super) async fn unpublish_article(
        &self,
        principal: &Principal,
        request: pb::ChangeArticleStatusRequest,
    ) -> ApiResult<pb::Article> {
        self.change_status(principal, request, ArticleStatus::Draft, "article.unpublished").await
    }

    pub(super) async fn archive_article(
        &self,
        principal: &Principal,
        request: pb::ChangeArticleStatusRequest,
    ) -> ApiResult<pb::Article> {
        self.change_status(principal, request, ArticleStatus::Archived, "article.archived").await
    }

    pub(super) async fn unarchive_article(
        &self,
        principal: &Principal,
        request: pb::ChangeArticleStatusRequest,
    ) -> ApiResult<pb::Article> {
        self.change_status(principal, request, ArticleStatus::Draft, "article.unarchived").await
    }

    async fn change_status(
        &self,
        principal: &Principal,
        request: pb::ChangeArticleStatusRequest,
        to: ArticleStatus,
        event_type: &str,
    ) -> ApiResult<pb::Article> {
        super::required("id", &request.id)?;
        let mut transaction = self.db.begin().await?;
        let loaded = load(&mut transaction, &request.id).await?;
        access::check_reads_article(principal, &loaded.article, &loaded.permissions)?;
        access::check_publishes(principal, &loaded.permissions)?;
        check_etag(&request.etag, &loaded.article)?;
        let current = &loaded.article;
        // Unarchiving is only from archived; unpublishing only from published.
        let expected_from = match event_type {
            "article.unarchived" => Some(ArticleStatus::Archived),
            "article.unpublished" => Some(ArticleStatus::Published),
            _ => None,
        };
        if let Some(from) = expected_from
            && current.status != from
        {
            return Err(ApiError::FailedPrecondition {
                reason: "INVALID_TRANSITION",
                message: format!("the article is {}, not {}", current.status.name(), from.name()),
            });
        }
        article::transition(current.status, to).map_err(|error: TransitionError| ApiError::FailedPrecondition {
            reason: "INVALID_TRANSITION",
            message: error.to_string(),
        })?;
        let now = time::now_micros();
        let mut next = current.touched(now);
        next.status = to;
        if to == ArticleStatus::Published && next.published_at.is_none() {
            next.published_at = Some(now);
        }
        if !articles::update(&mut transaction, &next, current.revision).await? {
            return Err(ApiError::stale_etag("article", &current.id));
        }
        let mut translations = loaded.translations.clone();
        let mut version = 0;
        if to == ArticleStatus::Published {
            let recorded =
                record_versions(&mut transaction, &next, &mut translations, &principal.subject, now, "published")
                    .await?;
            version = recorded.iter().find(|(locale, _)| *locale == next.source_locale).map_or(0, |(_, n)| *n);
        }
        let source = translations.iter().find(|t| t.locale == next.source_locale).expect("the source locale").clone();
        self.article_event(&mut transaction, principal, event_type, &next, &source, &["status"], version).await?;
        transaction.commit().await?;
        self.feed.committed();
        self.reindex(std::slice::from_ref(&next.id)).await;
        Ok(convert::article(&next, &source, &translations))
    }

    /// Appends an article event (the article in its source locale, without rendered HTML).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn article_event(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        event_type: &str,
        article: &Article,
        shown: &Translation,
        changed: &[&str],
        version: i64,
    ) -> ApiResult<()> {
        let mut payload = convert::article(article, shown, std::slice::from_ref(shown));
        payload.body_html.clear();
        payload.translations.clear();
        feed::append(
            connection,
            NewEvent {
                event_type,
                aggregate_type: "article",
                aggregate_id: &article.id,
                actor: &principal.subject,
                payload: &pb::ArticleChanged {
                    article: Some(payload),
                    locale: shown.locale.clone(),
                    changed_fields: changed.iter().map(|f| f.to_string()).collect(),
                    version,
                },
            },
        )
        .await?;
        Ok(())
    }
}

/// A new draft article and its source-locale text, validated.
pub(super) fn new_article(principal: &Principal, given: pb::Article, now: i64) -> ApiResult<(Article, Translation)> {
    let source_locale = article::validate_locale(given.source_locale.trim())
        .map_err(|problem| ApiError::invalid("article.source_locale", problem))?;
    let content = Content::validate("article.", &given.title, &given.body, convert::body_format(given.body_format))?;
    let tags = model::normalize_tags(&given.tags)
        .map_err(|(index, problem)| ApiError::invalid(format!("article.tags[{index}]"), problem))?;
    let owner_id =
        if given.owner_id.trim().is_empty() { principal.subject.clone() } else { given.owner_id.trim().to_owned() };
    let verifier = verifier(given.verification.as_ref(), &owner_id)?;
    let id = uuid::Uuid::now_v7().to_string();
    let article = Article {
        id: id.clone(),
        external_id: Some(given.external_id.trim().to_owned()).filter(|id| !id.is_empty()),
        collection_id: given.collection_id.trim().to_owned(),
        article_type: convert::article_type(given.r#type, "article.type")?,
        visibility: convert::visibility(given.visibility),
        status: ArticleStatus::Draft,
        source_locale: source_locale.clone(),
        tags,
        owner_id,
        author_id: principal.subject.clone(),
        verifier,
        verification: VerificationRecord { unverified_reason: "never verified".into(), ..Default::default() },
        helpful_votes: 0,
        not_helpful_votes: 0,
        view_count: 0,
        created_at: now,
        updated_at: now,
        published_at: None,
        revision: 1,
    };
    let source = content.into_translation(&id, &source_locale, None, None, &principal.subject, now);
    Ok((article, source))
}
