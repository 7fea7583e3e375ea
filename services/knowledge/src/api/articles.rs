//! Articles: create, read, list, edit, and move through draft → published → archived, with
//! edits of published articles by non-publishers waiting as pending revisions (see
//! `domain::publishing`).
use frontline_proto::knowledge::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    database::{is_unique_violation, time},
    feed::{self, EncodedEvent, NewEvent},
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
        model::{self, Article, Permissions, Revision, Translation, VerificationRecord, Verifier, Version},
        publishing::{self, Audience, TextEdit},
    },
    store::{articles, collections, revisions},
};

/// An article with its locales, their pending revisions and the permissions of its collection.
pub(super) struct Loaded {
    pub article: Article,
    pub translations: Vec<Translation>,
    pub revisions: Vec<Revision>,
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

    pub fn pending(&self, locale: &str) -> Option<&Revision> {
        self.revisions.iter().find(|r| r.locale == locale)
    }

    /// The article as `principal` sees it in `shown`'s locale.
    pub fn to_pb(&self, principal: &Principal, shown: &Translation) -> pb::Article {
        view(principal, &self.article, shown, &self.translations, &self.revisions, &shown.locale)
    }
}

/// The article in `shown`'s locale; staff also see the pending revisions, with the text of
/// `pending_locale`'s (the locale asked for, which may have no published text yet).
pub(super) fn view(
    principal: &Principal,
    article: &Article,
    shown: &Translation,
    translations: &[Translation],
    revisions: &[Revision],
    pending_locale: &str,
) -> pb::Article {
    let public = convert::article(article, shown, translations);
    if access::reads_drafts(principal) { convert::with_pending(public, revisions, pending_locale) } else { public }
}

pub(super) async fn load(connection: &mut AnyConnection, id: &str) -> ApiResult<Loaded> {
    let article = articles::get(connection, id).await?.ok_or_else(|| ApiError::not_found("article", id))?;
    let translations = articles::translations(connection, id).await?;
    let revisions = revisions::of_article(connection, id).await?;
    let (_, permissions) = with_permissions(connection, &article.collection_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("article {id} is in a missing collection"))?;
    Ok(Loaded { article, translations, revisions, permissions })
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

    /// The pending revision of `locale`, written against its published `base_version`.
    pub fn into_revision(
        self,
        article_id: &str,
        locale: &str,
        base_version: i64,
        note: &str,
        by: &str,
        now: i64,
    ) -> Revision {
        Revision {
            article_id: article_id.to_owned(),
            locale: locale.to_owned(),
            title: self.title,
            body: self.body,
            body_format: self.format,
            base_version,
            note: note.to_owned(),
            created_by: by.to_owned(),
            created_at: now,
        }
    }

    /// The content of a pending revision, for publishing it.
    pub fn of_revision(revision: &Revision) -> Self {
        Self { title: revision.title.clone(), body: revision.body.clone(), format: revision.body_format }
    }
}

/// Keeps `revision` as its locale's pending revision, or drops that locale's pending revision
/// when the edit brings the text back to what is published; updates `pending` to match.
pub(super) async fn propose(
    connection: &mut AnyConnection,
    revision: Revision,
    published: Option<&Translation>,
    pending: &mut Vec<Revision>,
) -> ApiResult<()> {
    pending.retain(|r| r.locale != revision.locale);
    if published.is_some_and(|p| p.same_content(&revision.title, &revision.body, revision.body_format)) {
        revisions::discard(connection, &revision.article_id, Some(&revision.locale)).await?;
    } else {
        revisions::save(connection, &revision).await?;
        pending.push(revision);
        pending.sort_by(|a, b| a.locale.cmp(&b.locale));
    }
    Ok(())
}

/// Moves an article's pending revisions into the text readers see, the source locale first (so
/// that translations are saved against the new source). With `as_versions` (publishing a
/// published article) each becomes its locale's next version, credited to its author with its
/// note; otherwise (a draft being published, unpublishing, archiving) it becomes the text.
/// Returns the versions recorded.
pub(super) async fn apply_revisions(
    connection: &mut AnyConnection,
    article: &Article,
    translations: &mut Vec<Translation>,
    pending: &[Revision],
    as_versions: bool,
    now: i64,
) -> ApiResult<Vec<(String, i64)>> {
    let mut ordered: Vec<&Revision> = pending.iter().collect();
    ordered.sort_by_key(|r| r.locale != article.source_locale);
    let mut recorded = Vec::new();
    for revision in ordered {
        let is_source = revision.locale == article.source_locale;
        let source_revision = if is_source {
            None
        } else {
            translations.iter().find(|t| t.locale == article.source_locale).map(|s| s.content_revision)
        };
        let previous = translations.iter().find(|t| t.locale == revision.locale);
        let saved = Content::of_revision(revision).into_translation(
            &article.id,
            &revision.locale,
            previous,
            source_revision,
            &revision.created_by,
            now,
        );
        articles::save_translation(connection, &saved).await?;
        let mut touched = [saved];
        if as_versions {
            recorded.extend(
                record_versions(connection, article, &mut touched, &revision.created_by, now, &revision.note).await?,
            );
        }
        let [saved] = touched;
        translations.retain(|t| t.locale != saved.locale);
        translations.push(saved);
    }
    translations.sort_by(|a, b| a.locale.cmp(&b.locale));
    revisions::discard(connection, &article.id, None).await?;
    Ok(recorded)
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

fn verifier(given: Option<&pb::Verification>) -> ApiResult<Verifier> {
    let Some(given) = given else { return Ok(Verifier::default()) };
    let verifier = Verifier {
        person_id: given.verifier_person_id.trim().to_owned(),
        team_id: given.verifier_team_id.trim().to_owned(),
        interval: convert::interval(given.interval),
    };
    check_verifier(&verifier)?;
    Ok(verifier)
}

fn check_verifier(verifier: &Verifier) -> ApiResult<()> {
    publishing::validate_verifier(verifier)
        .map_err(|problem| ApiError::invalid(format!("article.{}", problem.field), problem.problem))
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
        if article.verifier != Verifier::default() {
            access::check_assigns_verifier(principal, &permissions)?;
        }
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
        // Staff asking for a locale that so far has only a pending revision see the published
        // source with that revision.
        if access::reads_drafts(principal)
            && let Ok(locale) = article::validate_locale(&request.locale)
            && loaded.translation(&locale).is_none()
            && loaded.pending(&locale).is_some()
        {
            let source = loaded.source();
            return Ok(view(principal, &loaded.article, source, &loaded.translations, &loaded.revisions, &locale));
        }
        Ok(loaded.to_pb(principal, loaded.shown(&request.locale)?))
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
            let pending = if access::reads_drafts(principal) {
                revisions::of_article(&mut connection, &article.id).await?
            } else {
                Vec::new()
            };
            if let Some(source) = translations.iter().find(|t| t.locale == article.source_locale) {
                listed.push(view(principal, article, source, &translations, &pending, &source.locale));
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
        let edit = publishing::text_edit(current.status, access::publishes(principal, &loaded.permissions));
        let now = time::now_micros();
        let mut next = current.touched(now);
        let source = loaded.source().clone();
        // A pending edit starts from the locale's pending revision, so that changing only the
        // title keeps the body already waiting for a publisher.
        let pending = if edit == TextEdit::Pending { loaded.pending(&current.source_locale) } else { None };
        let (mut title, mut body, mut format) = match pending {
            Some(revision) => (revision.title.clone(), revision.body.clone(), revision.body_format),
            None => (source.title.clone(), source.body.clone(), source.body_format),
        };
        let mut moved_to = None;
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
                    moved_to = Some(permissions);
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
        if next.verifier != current.verifier {
            access::check_assigns_verifier(principal, &loaded.permissions)?;
            check_verifier(&next.verifier)?;
        }
        let readers_after = moved_to.as_ref().unwrap_or(&loaded.permissions);
        if publishing::audience_changes(
            Audience { visibility: current.visibility, permissions: &loaded.permissions },
            Audience { visibility: next.visibility, permissions: readers_after },
        ) {
            access::check_changes_audience(principal, &loaded.permissions, readers_after)?;
        }
        let mut translations = loaded.translations.clone();
        let mut pending_revisions = loaded.revisions.clone();
        let content_changed = match pending {
            Some(revision) => !revision.same_content(&title, &body, format),
            None => !source.same_content(&title, &body, format),
        };
        if content_changed {
            let content = Content::validate("article.", &title, &body, format)?;
            match edit {
                TextEdit::Live => {
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
                TextEdit::Pending => {
                    let revision = content.into_revision(
                        &current.id,
                        &current.source_locale,
                        source.version,
                        "edited while published",
                        &principal.subject,
                        now,
                    );
                    propose(&mut transaction, revision, Some(&source), &mut pending_revisions).await?;
                }
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
            return Ok(loaded.to_pb(principal, loaded.source()));
        }
        if !articles::update(&mut transaction, &next, current.revision).await.map_err(unique_external_id)? {
            return Err(ApiError::stale_etag("article", &current.id));
        }
        let mut version = 0;
        if next.status == ArticleStatus::Published && content_changed && edit == TextEdit::Live {
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
        let event_type =
            if content_changed && edit == TextEdit::Pending { "article.revision_proposed" } else { "article.updated" };
        self.article_event(&mut transaction, principal, event_type, &next, &source, &changed, version).await?;
        transaction.commit().await?;
        self.feed.committed();
        self.reindex(std::slice::from_ref(&next.id)).await;
        Ok(view(principal, &next, &source, &translations, &pending_revisions, &source.locale))
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
        // Publishing a published article publishes its pending revisions.
        let publishes_revisions = to == ArticleStatus::Published
            && current.status == ArticleStatus::Published
            && !loaded.revisions.is_empty();
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
        if !publishes_revisions {
            article::transition(current.status, to).map_err(|error: TransitionError| ApiError::FailedPrecondition {
                reason: "INVALID_TRANSITION",
                message: error.to_string(),
            })?;
        }
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
        // Pending revisions live only on published articles: published here, or folded into
        // the text of an article leaving publication (or of a draft being published).
        let recorded = if publishes_revisions {
            apply_revisions(&mut transaction, &next, &mut translations, &loaded.revisions, true, now).await?
        } else {
            if !loaded.revisions.is_empty() {
                apply_revisions(&mut transaction, &next, &mut translations, &loaded.revisions, false, now).await?;
            }
            if to == ArticleStatus::Published {
                record_versions(&mut transaction, &next, &mut translations, &principal.subject, now, "published")
                    .await?
            } else {
                Vec::new()
            }
        };
        let version = recorded
            .iter()
            .find(|(locale, _)| *locale == next.source_locale)
            .or(recorded.first())
            .map_or(0, |(_, number)| *number);
        let changed: &[&str] = if publishes_revisions { &["pending_revision"] } else { &["status"] };
        let source = translations.iter().find(|t| t.locale == next.source_locale).expect("the source locale").clone();
        self.article_event(&mut transaction, principal, event_type, &next, &source, changed, version).await?;
        transaction.commit().await?;
        self.feed.committed();
        self.reindex(std::slice::from_ref(&next.id)).await;
        Ok(view(principal, &next, &source, &translations, &[], &source.locale))
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
        let event = article_event(principal, event_type, article, shown, changed, version);
        feed::append_all(connection, &[event]).await?;
        Ok(())
    }
}

/// The feed event of a change to an article, shown in one locale (without its rendered body
/// and other translations, which a follower reads from the article if it needs them).
pub(super) fn article_event(
    principal: &Principal,
    event_type: &str,
    article: &Article,
    shown: &Translation,
    changed: &[&str],
    version: i64,
) -> EncodedEvent {
    let mut payload = convert::article(article, shown, std::slice::from_ref(shown));
    payload.body_html.clear();
    payload.translations.clear();
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
    }
    .into()
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
    let verifier = verifier(given.verification.as_ref())?;
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
