//! The ticket index's fields: per analyzer, the subject, the public text (description and public
//! replies) and the internal notes, kept apart so a reader who may not see notes never matches
//! on them; one field of identifiers (requester, addresses, order reference, tags); and the
//! scope fields (fast fields) that visibility is decided on inside the index.
use std::collections::HashMap;

use frontline_shared::text::analysis::{ANALYZERS, FL_FOLD};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, SchemaBuilder, TextFieldIndexing, TextOptions,
};

/// Bumped whenever the fields or analyzers change: an index written with another version is
/// rebuilt from the database at start.
pub const SCHEMA_VERSION: u32 = 2;

/// The value a scope field holds when the ticket has none (no team: the shared inbox). No id
/// can be it: every request refuses NUL in text before it is read.
pub const NONE: &str = "\u{0}";

/// The text fields of one analyzer.
#[derive(Clone, Copy)]
pub struct TextFields {
    pub subject: Field,
    pub public: Field,
    pub internal: Field,
}

#[derive(Clone)]
pub struct Fields {
    pub ticket_id: Field,
    pub team: Field,
    pub assignee: Field,
    pub requester: Field,
    pub organization: Field,
    /// Requester name and addresses, order reference, external id and tags, folded.
    pub keys: Field,
    /// analyzer name → its text fields
    pub text: HashMap<&'static str, TextFields>,
}

/// Every analyzer a ticket's text is indexed with: the languages', and diacritic folding.
pub fn analyzers() -> impl Iterator<Item = &'static str> {
    ANALYZERS.into_iter().chain([FL_FOLD])
}

pub fn build() -> (Schema, Fields) {
    let mut builder = SchemaBuilder::new();
    let text_options = |analyzer: &str| {
        // Not stored: a hit is shown from the database; the index only finds.
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let mut text = HashMap::new();
    for analyzer in analyzers() {
        let options = text_options(analyzer);
        text.insert(
            analyzer,
            TextFields {
                subject: builder.add_text_field(&format!("subject_{analyzer}"), options.clone()),
                public: builder.add_text_field(&format!("public_{analyzer}"), options.clone()),
                internal: builder.add_text_field(&format!("internal_{analyzer}"), options),
            },
        );
    }
    let fields = Fields {
        ticket_id: builder.add_u64_field("ticket_id", INDEXED | FAST),
        // Fast fields: a search checks each match's scope in these columns.
        team: builder.add_text_field("team", STRING | FAST),
        assignee: builder.add_text_field("assignee", STRING | FAST),
        requester: builder.add_text_field("requester", STRING | FAST),
        organization: builder.add_text_field("organization", STRING | FAST),
        keys: builder.add_text_field("keys", text_options(FL_FOLD)),
        text,
    };
    (builder.build(), fields)
}
