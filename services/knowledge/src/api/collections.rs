//! Collections and their sections.
use frontline_proto::knowledge::v1 as pb;
use frontline_shared::{
    ApiError, ApiResult,
    auth::Principal,
    database::{is_unique_violation, time},
    feed::{self, NewEvent},
    field_mask,
};
use sqlx::AnyConnection;

use super::{KnowledgeApi, convert};
use crate::{
    domain::{
        access,
        model::{Collection, Permissions},
    },
    store::{articles, collections},
};

const UPDATABLE: &[&str] = &["name", "description", "reader_team_ids", "editor_team_ids", "external_id"];

fn validate_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    match name.chars().count() {
        0 => Err(ApiError::invalid("collection.name", "is required")),
        n if n > 200 => Err(ApiError::invalid("collection.name", "must be at most 200 characters")),
        _ => Ok(name.to_owned()),
    }
}

fn team_ids(field: &str, ids: &[String]) -> ApiResult<Vec<String>> {
    let mut cleaned = Vec::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        let id = id.trim();
        if id.is_empty() {
            return Err(ApiError::invalid(format!("{field}[{index}]"), "must not be empty"));
        }
        cleaned.push(id.to_owned());
    }
    cleaned.sort();
    cleaned.dedup();
    Ok(cleaned)
}

fn external_id(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn external_id_taken(error: sqlx::Error) -> ApiError {
    if is_unique_violation(&error) {
        ApiError::AlreadyExists {
            reason: "COLLECTION_EXISTS",
            message: "a collection with that external_id exists".into(),
        }
    } else {
        error.into()
    }
}

/// A collection with the permissions in force for it (its parent's, for a section).
pub(super) async fn with_permissions(
    connection: &mut AnyConnection,
    id: &str,
) -> ApiResult<Option<(Collection, Permissions)>> {
    let Some(collection) = collections::get(connection, id).await? else { return Ok(None) };
    let parent = match &collection.parent_id {
        Some(parent_id) => collections::get(connection, parent_id).await?,
        None => None,
    };
    let permissions = access::effective(&collection, parent.as_ref());
    Ok(Some((collection, permissions)))
}

impl KnowledgeApi {
    pub(super) async fn create_collection(
        &self,
        principal: &Principal,
        request: pb::CreateCollectionRequest,
    ) -> ApiResult<pb::Collection> {
        access::check_administers(principal, "create collections")?;
        let given = request.collection.ok_or_else(|| ApiError::invalid("collection", "is required"))?;
        let now = time::now_micros();
        let collection = Collection {
            id: uuid::Uuid::now_v7().to_string(),
            name: validate_name(&given.name)?,
            description: given.description.trim().to_owned(),
            parent_id: external_id(&given.parent_id),
            permissions: Permissions {
                reader_team_ids: team_ids("collection.reader_team_ids", &given.reader_team_ids)?,
                editor_team_ids: team_ids("collection.editor_team_ids", &given.editor_team_ids)?,
            },
            external_id: external_id(&given.external_id),
            created_at: now,
            updated_at: now,
            revision: 1,
        };
        let mut transaction = self.db.begin().await?;
        if let Some(parent_id) = &collection.parent_id {
            let parent = collections::get(&mut transaction, parent_id)
                .await?
                .ok_or_else(|| ApiError::invalid("collection.parent_id", format!("no collection {parent_id}")))?;
            if parent.parent_id.is_some() {
                return Err(ApiError::FailedPrecondition {
                    reason: "SECTIONS_NEST_ONCE",
                    message: format!("{parent_id} is a section; sections nest one level deep (collection > section)"),
                });
            }
        }
        collections::insert(&mut transaction, &collection).await.map_err(external_id_taken)?;
        self.collection_event(&mut transaction, principal, "collection.created", &collection).await?;
        transaction.commit().await?;
        self.feed.committed();
        Ok(convert::collection(&collection))
    }

    pub(super) async fn get_collection(
        &self,
        principal: &Principal,
        request: pb::GetCollectionRequest,
    ) -> ApiResult<pb::Collection> {
        access::check_reader(principal)?;
        super::required("id", &request.id)?;
        let mut connection = self.db.reader().acquire().await?;
        match with_permissions(&mut connection, &request.id).await? {
            Some((collection, permissions)) if access::reads_collection(principal, &permissions) => {
                Ok(convert::collection(&collection))
            }
            _ => Err(ApiError::not_found("collection", &request.id)),
        }
    }

    pub(super) async fn list_collections(
        &self,
        principal: &Principal,
        request: pb::ListCollectionsRequest,
    ) -> ApiResult<pb::ListCollectionsResponse> {
        access::check_reader(principal)?;
        let mut connection = self.db.reader().acquire().await?;
        let all = collections::all(&mut connection).await?;
        if !request.parent_id.is_empty() && !all.iter().any(|c| c.id == request.parent_id) {
            return Err(ApiError::not_found("collection", &request.parent_id));
        }
        let readable = readable_ids(principal, &all);
        let collections = all
            .iter()
            .filter(|c| readable.contains(&c.id))
            .filter(|c| request.parent_id.is_empty() || c.parent_id.as_deref() == Some(request.parent_id.as_str()))
            .map(convert::collection)
            .collect();
        Ok(pb::ListCollectionsResponse { collections })
    }

    pub(super) async fn update_collection(
        &self,
        principal: &Principal,
        request: pb::UpdateCollectionRequest,
    ) -> ApiResult<pb::Collection> {
        access::check_administers(principal, "change collections")?;
        let given = request.collection.ok_or_else(|| ApiError::invalid("collection", "is required"))?;
        super::required("collection.id", &given.id)?;
        let paths = request.update_mask.map(|mask| mask.paths).unwrap_or_default();
        let paths = field_mask::resolve(&paths, UPDATABLE, |path| match path {
            "name" => !given.name.is_empty(),
            "description" => !given.description.is_empty(),
            "reader_team_ids" => !given.reader_team_ids.is_empty(),
            "editor_team_ids" => !given.editor_team_ids.is_empty(),
            "external_id" => !given.external_id.is_empty(),
            _ => false,
        })?;
        let mut transaction = self.db.begin().await?;
        let current = collections::get(&mut transaction, &given.id)
            .await?
            .ok_or_else(|| ApiError::not_found("collection", &given.id))?;
        if !given.etag.is_empty() && given.etag != current.etag() {
            return Err(ApiError::stale_etag("collection", &given.id));
        }
        let mut next = current.clone();
        for path in &paths {
            match *path {
                "name" => next.name = validate_name(&given.name)?,
                "description" => next.description = given.description.trim().to_owned(),
                "reader_team_ids" => {
                    next.permissions.reader_team_ids = team_ids("collection.reader_team_ids", &given.reader_team_ids)?
                }
                "editor_team_ids" => {
                    next.permissions.editor_team_ids = team_ids("collection.editor_team_ids", &given.editor_team_ids)?
                }
                "external_id" => next.external_id = external_id(&given.external_id),
                _ => unreachable!("field_mask::resolve only returns updatable paths"),
            }
        }
        if next == current {
            return Ok(convert::collection(&current));
        }
        next.updated_at = time::now_micros();
        next.revision += 1;
        let updated =
            collections::update(&mut transaction, &next, current.revision).await.map_err(external_id_taken)?;
        if !updated {
            return Err(ApiError::stale_etag("collection", &given.id));
        }
        self.collection_event(&mut transaction, principal, "collection.updated", &next).await?;
        let tree = collections::with_sections(&mut transaction, &next.id).await?;
        let affected = articles::ids_in_collections(&mut transaction, &tree).await?;
        transaction.commit().await?;
        self.feed.committed();
        // Permissions travel on every article's document: a restriction takes effect in search now.
        self.reindex(&affected).await;
        Ok(convert::collection(&next))
    }

    async fn collection_event(
        &self,
        connection: &mut AnyConnection,
        principal: &Principal,
        event_type: &str,
        collection: &Collection,
    ) -> ApiResult<()> {
        feed::append(
            connection,
            NewEvent {
                event_type,
                aggregate_type: "collection",
                aggregate_id: &collection.id,
                actor: &principal.subject,
                payload: &pb::CollectionChanged { collection: Some(convert::collection(collection)) },
            },
        )
        .await?;
        Ok(())
    }
}

/// The ids of the collections and sections the caller may read.
pub(super) fn readable_ids(principal: &Principal, all: &[Collection]) -> Vec<String> {
    all.iter()
        .filter(|collection| {
            let parent = collection.parent_id.as_ref().and_then(|id| all.iter().find(|c| &c.id == id));
            access::reads_collection(principal, &access::effective(collection, parent))
        })
        .map(|collection| collection.id.clone())
        .collect()
}
