//! Translations (each locale its own version line) and published versions: list, compare, restore.
//! On a published article, a writer who may not publish saves a pending revision instead.
use frontline_proto::knowledge::v1 as pb;
use frontline_shared::{ApiError, ApiResult, auth::Principal, database::time};

use super::{
    KnowledgeApi,
    articles::{Content, Loaded, check_etag, load, load_readable, propose, version_if_published, view},
    convert,
};
use crate::{
    domain::{
        access, article,
        diff::{self, VersionText},
        model::Revision,
        publishing::{self, TextEdit},
    },
    store::articles,
};

fn locale_or_source(locale: &str, source: &str, field: &str) -> ApiResult<String> {
    if locale.trim().is_empty() {
        return Ok(source.to_owned());
    }
    article::validate_locale(locale.trim()).map_err(|problem| ApiError::invalid(field, problem))
}

impl KnowledgeApi {
    pub(super) async fn upsert_translation(
        &self,
        principal: &Principal,
        request: pb::UpsertTranslationRequest,
    ) -> ApiResult<pb::Article> {
        super::required("article_id", &request.article_id)?;
        super::required("locale", &request.locale)?;
        let locale =
            article::validate_locale(request.locale.trim()).map_err(|problem| ApiError::invalid("locale", problem))?;
        let content = Content::validate("", &request.title, &request.body, convert::body_format(request.body_format))?;
        let mut transaction = self.db.begin().await?;
        let loaded = load(&mut transaction, &request.article_id).await?;
        access::check_reads_article(principal, &loaded.article, &loaded.permissions)?;
        access::check_writes(principal, &loaded.permissions)?;
        check_etag(&request.etag, &loaded.article)?;
        if locale == loaded.article.source_locale {
            return Err(ApiError::invalid(
                "locale",
                format!("{locale} is the article's source locale; change it with UpdateArticle"),
            ));
        }
        let previous = loaded.translation(&locale);
        let edit = publishing::text_edit(loaded.article.status, access::publishes(principal, &loaded.permissions));
        if edit == TextEdit::Pending {
            let base_version = previous.map_or(0, |p| p.version);
            let revision = content.into_revision(
                &loaded.article.id,
                &locale,
                base_version,
                "translation saved",
                &principal.subject,
                time::now_micros(),
            );
            return self.propose_revision(transaction, principal, loaded, revision, &["translation"]).await;
        }
        if previous.is_some_and(|p| p.same_content(&content.title, &content.body, content.format)) {
            return Ok(loaded.to_pb(principal, previous.expect("checked")));
        }
        let now = time::now_micros();
        let source_revision = loaded.source().content_revision;
        let saved = content.into_translation(
            &loaded.article.id,
            &locale,
            previous,
            Some(source_revision),
            &principal.subject,
            now,
        );
        articles::save_translation(&mut transaction, &saved).await?;
        let next = loaded.article.touched(now);
        if !articles::update(&mut transaction, &next, loaded.article.revision).await? {
            return Err(ApiError::stale_etag("article", &next.id));
        }
        let (saved, version) =
            version_if_published(&mut transaction, &next, saved, &principal.subject, now, "translation saved").await?;
        self.article_event(
            &mut transaction,
            principal,
            "article.translation_saved",
            &next,
            &saved,
            &["translation"],
            version,
        )
        .await?;
        transaction.commit().await?;
        self.feed.committed();
        self.reindex(std::slice::from_ref(&next.id)).await;
        let mut translations: Vec<_> = loaded.translations.iter().filter(|t| t.locale != locale).cloned().collect();
        translations.push(saved.clone());
        translations.sort_by(|a, b| a.locale.cmp(&b.locale));
        Ok(view(principal, &next, &saved, &translations, &loaded.revisions, &locale))
    }

    /// Keeps `revision` as its locale's pending revision (see `domain::publishing`), in the
    /// caller's transaction: the article's etag moves, the text readers see does not.
    pub(super) async fn propose_revision(
        &self,
        mut transaction: frontline_shared::database::Write,
        principal: &Principal,
        loaded: Loaded,
        revision: Revision,
        changed: &[&str],
    ) -> ApiResult<pb::Article> {
        let locale = revision.locale.clone();
        let published = loaded.translation(&locale).cloned();
        let same_as = |title: &str, body: &str, format| revision.same_content(title, body, format);
        let unchanged = match (loaded.pending(&locale), &published) {
            (Some(pending), _) => same_as(&pending.title, &pending.body, pending.body_format),
            (None, Some(published)) => same_as(&published.title, &published.body, published.body_format),
            (None, None) => false,
        };
        let shown = published.clone().unwrap_or_else(|| loaded.source().clone());
        if unchanged {
            return Ok(view(principal, &loaded.article, &shown, &loaded.translations, &loaded.revisions, &locale));
        }
        let mut pending = loaded.revisions.clone();
        propose(&mut transaction, revision, published.as_ref(), &mut pending).await?;
        let next = loaded.article.touched(time::now_micros());
        if !articles::update(&mut transaction, &next, loaded.article.revision).await? {
            return Err(ApiError::stale_etag("article", &next.id));
        }
        self.article_event(&mut transaction, principal, "article.revision_proposed", &next, &shown, changed, 0).await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(view(principal, &next, &shown, &loaded.translations, &pending, &locale))
    }

    pub(super) async fn list_missing_locales(
        &self,
        principal: &Principal,
        request: pb::ListMissingLocalesRequest,
    ) -> ApiResult<pb::ListMissingLocalesResponse> {
        access::check_staff(principal, "list missing translations")?;
        let mut wanted = Vec::new();
        for (index, locale) in request.locales.iter().enumerate() {
            wanted.push(
                article::validate_locale(locale.trim())
                    .map_err(|problem| ApiError::invalid(format!("locales[{index}]"), problem))?,
            );
        }
        if wanted.is_empty() {
            wanted = self.locales.iter().filter_map(|l| article::validate_locale(l).ok()).collect();
        }
        let mut connection = self.db.reader().acquire().await?;
        let loaded = load_readable(&mut connection, principal, &request.article_id).await?;
        let source = loaded.source();
        let mut missing: Vec<String> =
            wanted.iter().filter(|locale| loaded.translation(locale).is_none()).cloned().collect();
        missing.sort();
        missing.dedup();
        let outdated = loaded.translations.iter().filter(|t| t.outdated(source)).map(|t| t.locale.clone()).collect();
        Ok(pb::ListMissingLocalesResponse { missing, outdated })
    }

    pub(super) async fn list_article_versions(
        &self,
        principal: &Principal,
        request: pb::ListArticleVersionsRequest,
    ) -> ApiResult<pb::ListArticleVersionsResponse> {
        access::check_staff(principal, "read article versions")?;
        let mut connection = self.db.reader().acquire().await?;
        let loaded = load_readable(&mut connection, principal, &request.article_id).await?;
        let locale = locale_or_source(&request.locale, &loaded.article.source_locale, "locale")?;
        let versions = articles::versions(&mut connection, &loaded.article.id, &locale).await?;
        let pending = loaded.pending(&locale).map(|revision| convert::pending_version(revision, &loaded.article.tags));
        Ok(pb::ListArticleVersionsResponse {
            versions: pending.into_iter().chain(versions.iter().map(convert::version)).collect(),
        })
    }

    pub(super) async fn compare_article_versions(
        &self,
        principal: &Principal,
        request: pb::CompareArticleVersionsRequest,
    ) -> ApiResult<pb::ArticleComparison> {
        access::check_staff(principal, "compare article versions")?;
        if request.from_version < 1 {
            return Err(ApiError::invalid("from_version", "must be a version number (1 or more)"));
        }
        if request.to_version < 0 {
            return Err(ApiError::invalid("to_version", "must be a version number, or 0 for the current text"));
        }
        let mut connection = self.db.reader().acquire().await?;
        let loaded = load_readable(&mut connection, principal, &request.article_id).await?;
        let locale = locale_or_source(&request.locale, &loaded.article.source_locale, "locale")?;
        let versions = articles::versions(&mut connection, &loaded.article.id, &locale).await?;
        let find = |number: i64| {
            versions.iter().find(|v| v.version == number).ok_or_else(|| ApiError::NotFound {
                resource: "article version",
                id: format!("{}/{locale}/{number}", loaded.article.id),
            })
        };
        let from = find(request.from_version)?;
        let from_text = VersionText { title: &from.title, body: &from.body, tags: &from.tags };
        let (to_text, to_label) = if let (0, Some(pending)) = (request.to_version, loaded.pending(&locale)) {
            (
                VersionText { title: &pending.title, body: &pending.body, tags: &loaded.article.tags },
                "pending revision".to_owned(),
            )
        } else if request.to_version == 0 {
            let current = loaded.shown(&locale)?;
            (
                VersionText { title: &current.title, body: &current.body, tags: &loaded.article.tags },
                "current".to_owned(),
            )
        } else {
            let to = find(request.to_version)?;
            (VersionText { title: &to.title, body: &to.body, tags: &to.tags }, format!("version {}", to.version))
        };
        let comparison = diff::compare(&from_text, &to_text, &format!("version {}", from.version), &to_label);
        Ok(pb::ArticleComparison {
            title_changed: comparison.title_changed,
            tags_added: comparison.tags_added,
            tags_removed: comparison.tags_removed,
            unified_diff: comparison.unified_diff,
            lines_added: comparison.lines_added as i32,
            lines_removed: comparison.lines_removed as i32,
        })
    }

    pub(super) async fn restore_article_version(
        &self,
        principal: &Principal,
        request: pb::RestoreArticleVersionRequest,
    ) -> ApiResult<pb::Article> {
        if request.version < 1 {
            return Err(ApiError::invalid("version", "must be a version number (1 or more)"));
        }
        super::required("article_id", &request.article_id)?;
        let mut transaction = self.db.begin().await?;
        let loaded = load(&mut transaction, &request.article_id).await?;
        access::check_reads_article(principal, &loaded.article, &loaded.permissions)?;
        access::check_writes(principal, &loaded.permissions)?;
        check_etag(&request.etag, &loaded.article)?;
        let locale = locale_or_source(&request.locale, &loaded.article.source_locale, "locale")?;
        let current = loaded.shown(&locale)?.clone();
        let versions = articles::versions(&mut transaction, &loaded.article.id, &locale).await?;
        let restored = versions.iter().find(|v| v.version == request.version).ok_or_else(|| ApiError::NotFound {
            resource: "article version",
            id: format!("{}/{locale}/{}", loaded.article.id, request.version),
        })?;
        let now = time::now_micros();
        let is_source = locale == loaded.article.source_locale;
        let content = Content::validate("", &restored.title, &restored.body, restored.body_format)?;
        let note = format!("restored from version {}", request.version);
        if publishing::text_edit(loaded.article.status, access::publishes(principal, &loaded.permissions))
            == TextEdit::Pending
        {
            let revision =
                content.into_revision(&loaded.article.id, &locale, current.version, &note, &principal.subject, now);
            return self.propose_revision(transaction, principal, loaded, revision, &["title", "body"]).await;
        }
        let source_revision = (!is_source).then(|| loaded.source().content_revision);
        let saved = content.into_translation(
            &loaded.article.id,
            &locale,
            Some(&current),
            source_revision,
            &principal.subject,
            now,
        );
        articles::save_translation(&mut transaction, &saved).await?;
        let next = loaded.article.touched(now);
        if !articles::update(&mut transaction, &next, loaded.article.revision).await? {
            return Err(ApiError::stale_etag("article", &next.id));
        }
        let (saved, version) =
            version_if_published(&mut transaction, &next, saved, &principal.subject, now, &note).await?;
        self.article_event(
            &mut transaction,
            principal,
            "article.version_restored",
            &next,
            &saved,
            &["title", "body"],
            version,
        )
        .await?;
        transaction.commit().await?;
        self.feed.committed();
        self.reindex(std::slice::from_ref(&next.id)).await;
        let translations: Vec<_> =
            loaded.translations.iter().map(|t| if t.locale == locale { saved.clone() } else { t.clone() }).collect();
        Ok(view(principal, &next, &saved, &translations, &loaded.revisions, &locale))
    }
}
