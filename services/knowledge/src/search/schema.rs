//! The index's fields: one pair of text fields (title, body) per analyzer, so each language is
//! tokenised and stemmed its own way on both the index and the query path, and plain string
//! fields for the filters and the permission check.
use std::collections::HashMap;

use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, SchemaBuilder, TextFieldIndexing, TextOptions,
};

use super::analysis::ANALYZERS;

/// Bumped whenever the fields or analyzers change: an index written with another version is
/// rebuilt from the database at start.
pub const SCHEMA_VERSION: u32 = 1;

/// `readers` holds this for articles every reader of the knowledge base may see.
pub const READERS_ALL: &str = "all";

pub fn readers_team(team_id: &str) -> String {
    format!("team:{team_id}")
}

#[derive(Clone)]
pub struct Fields {
    pub doc_key: Field,
    pub article_id: Field,
    pub locale: Field,
    /// The collection or section the article is in.
    pub collection: Field,
    /// That collection and its parent, so a filter on a collection includes its sections.
    pub collection_tree: Field,
    pub tags: Field,
    pub article_type: Field,
    pub status: Field,
    pub visibility: Field,
    pub readers: Field,
    pub verification: Field,
    pub due_at: Field,
    /// analyzer name → (title, body)
    pub text: HashMap<&'static str, (Field, Field)>,
}

impl Fields {
    pub fn text_fields(&self, analyzer: &str) -> (Field, Field) {
        self.text[analyzer]
    }
}

pub fn build() -> (Schema, Fields) {
    let mut builder = SchemaBuilder::new();
    let stored_string = STRING | STORED;
    let mut text = HashMap::new();
    for analyzer in ANALYZERS {
        let options = TextOptions::default().set_stored().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let title = builder.add_text_field(&format!("title_{analyzer}"), options.clone());
        let body = builder.add_text_field(&format!("body_{analyzer}"), options);
        text.insert(analyzer, (title, body));
    }
    let fields = Fields {
        doc_key: builder.add_text_field("doc_key", stored_string.clone()),
        article_id: builder.add_text_field("article_id", stored_string.clone()),
        locale: builder.add_text_field("locale", stored_string.clone()),
        collection: builder.add_text_field("collection", stored_string.clone()),
        collection_tree: builder.add_text_field("collection_tree", STRING),
        tags: builder.add_text_field("tags", stored_string.clone()),
        article_type: builder.add_text_field("article_type", stored_string.clone()),
        status: builder.add_text_field("status", stored_string.clone()),
        visibility: builder.add_text_field("visibility", stored_string.clone()),
        readers: builder.add_text_field("readers", STRING),
        verification: builder.add_text_field("verification", stored_string),
        due_at: builder.add_i64_field("due_at", STORED),
        text,
    };
    (builder.build(), fields)
}
