//! One ticket as the index holds it, and loading tickets from the database to index them.
use std::collections::HashMap;

use frontline_shared::{database::Database, text::analysis};
use tantivy::{TantivyDocument, Term};

use super::schema::{self, Fields};
use crate::{
    domain::Ticket,
    store::search_source::{self, Conversation, Requester},
};

/// A ticket with what is indexed beside it.
pub struct Source {
    pub ticket: Ticket,
    pub conversation: Conversation,
    pub requester: Requester,
}

/// The term that names a ticket's document, to replace or delete it.
pub fn ticket_term(fields: &Fields, ticket_id: i64) -> Term {
    Term::from_field_u64(fields.ticket_id, ticket_id as u64)
}

/// The ticket's document. Its words are indexed with the analyzer of its locale and of the
/// language its text is in (see [`analysis::analyzers_for`]), and always folded.
pub fn document(fields: &Fields, source: &Source) -> TantivyDocument {
    let ticket = &source.ticket;
    let mut document = TantivyDocument::default();
    document.add_u64(fields.ticket_id, ticket.id as u64);
    for (field, value) in [
        (fields.team, &ticket.team_id),
        (fields.assignee, &ticket.assignee_id),
        (fields.requester, &ticket.requester_id),
        (fields.organization, &ticket.organization_id),
    ] {
        document.add_text(field, if value.is_empty() { schema::NONE } else { value });
    }
    let sample = format!("{}\n{}", ticket.subject, ticket.description);
    let languages = analysis::analyzers_for(&ticket.locale, &sample);
    for analyzer in languages.into_iter().chain([analysis::FL_FOLD]) {
        let text = fields.text[analyzer];
        document.add_text(text.subject, &ticket.subject);
        document.add_text(text.public, &ticket.description);
        for body in &source.conversation.public {
            document.add_text(text.public, body);
        }
        for body in &source.conversation.internal {
            document.add_text(text.internal, body);
        }
    }
    let keys = [&source.requester.name, &ticket.order_reference, &ticket.external_id]
        .into_iter()
        .chain(&source.requester.emails)
        .chain(&ticket.tags);
    for key in keys.filter(|key| !key.is_empty()) {
        document.add_text(fields.keys, key);
    }
    document
}

/// These tickets as they are now, by id: None for one that no longer exists.
pub async fn load(db: &Database, ids: &[i64]) -> anyhow::Result<Vec<(i64, Option<Source>)>> {
    let mut connection = db.reader().acquire().await?;
    let tickets = search_source::tickets(&mut connection, ids).await?;
    let mut conversations = search_source::conversations(&mut connection, ids).await?;
    let mut requester_ids: Vec<&str> = tickets.iter().map(|t| t.requester_id.as_str()).collect();
    requester_ids.sort_unstable();
    requester_ids.dedup();
    let requesters = search_source::requesters(&mut connection, &requester_ids).await?;
    let mut found: HashMap<i64, Source> = tickets
        .into_iter()
        .map(|ticket| {
            let source = Source {
                conversation: conversations.remove(&ticket.id).unwrap_or_default(),
                requester: requesters.get(&ticket.requester_id).cloned().unwrap_or_default(),
                ticket,
            };
            (source.ticket.id, source)
        })
        .collect();
    Ok(ids.iter().map(|id| (*id, found.remove(id))).collect())
}
