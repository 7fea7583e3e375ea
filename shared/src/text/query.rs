//! The user's search box language and its translation into a tantivy query.
//!
//! We do not use tantivy's `QueryParser`: its fuzziness applies to every term, so short words
//! matched unrelated ones. Syntax: words, `"quoted phrases"`, and a leading `-` to exclude.

use tantivy::Term;
use tantivy::query::{
    BooleanQuery, BoostQuery, DisjunctionMaxQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TokenizerManager;

use super::analysis::{FL_EN, FL_FOLD, FL_HE, FL_PL, FL_RU, is_cjk_analyzer};
use crate::error::{ApiError, ApiResult};

/// What a search box takes: a search of more words than this is not a question but a document,
/// and each word is a clause the index must evaluate (with typo tolerance, several). Its length
/// in characters is the request field's declared limit, checked before the call is decoded.
pub const MAX_WORDS: usize = 32;

/// Parses a search box's text as every search in Frontline takes it: INVALID_ARGUMENT `query`
/// for more than [`MAX_WORDS`] words (before any of it is analysed), or for nothing to look
/// for (empty, or only -exclusions).
pub fn parse_search_box(input: &str) -> ApiResult<UserQuery> {
    if input.split_whitespace().count() > MAX_WORDS {
        return Err(ApiError::invalid("query", format!("has more than {MAX_WORDS} words")));
    }
    let parsed = parse(input);
    if !parsed.has_positive() {
        return Err(ApiError::invalid("query", "needs at least one word to look for (not only -exclusions)"));
    }
    Ok(parsed)
}

/// Shorter words are not fuzzed: one edit on "teh" reaches "the", "tea", "ten"...
const FUZZY_MIN_CHARS: usize = 5;
const FUZZY_TWO_EDITS_MIN_CHARS: usize = 9;
/// Fuzzy matches score a constant `boost`, kept low so exact (BM25) matches rank first.
const FUZZY_BOOST: f32 = 0.3;
const PHRASE_BOOST: f32 = 2.0;
const FIELD_TIE_BREAKER: f32 = 0.1;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    pub clauses: Vec<Clause>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub text: String,
    pub phrase: bool,
    pub excluded: bool,
}

impl UserQuery {
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }

    /// Whether anything could match: a query of exclusions alone selects nothing.
    pub fn has_positive(&self) -> bool {
        self.clauses.iter().any(|c| !c.excluded)
    }
}

/// A field to search, with the analyzer it was indexed with. It must be indexed with positions.
#[derive(Debug, Clone, Copy)]
pub struct SearchField {
    pub field: Field,
    pub analyzer: &'static str,
    pub boost: f32,
}

fn is_open_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '„' | '«')
}

fn is_close_quote(c: char) -> bool {
    matches!(c, '"' | '”' | '“' | '»')
}

/// Parses the search box. Never fails: anything odd is treated as text.
pub fn parse(input: &str) -> UserQuery {
    let chars: Vec<char> = input.chars().collect();
    let mut clauses = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let excluded = chars[i] == '-' && chars.get(i + 1).is_some_and(|c| !c.is_whitespace());
        let start = if excluded { i + 1 } else { i };
        if is_open_quote(chars[start]) {
            // A quote followed by a letter is part of the text (צה"ל), not the end of the phrase.
            let body = start + 1;
            let mut end = body;
            while end < chars.len()
                && !(is_close_quote(chars[end]) && chars.get(end + 1).is_none_or(|c| !c.is_alphanumeric()))
            {
                end += 1;
            }
            let text: String = chars[body..end].iter().collect();
            let text = text.trim();
            if !text.is_empty() {
                clauses.push(Clause { text: text.to_string(), phrase: true, excluded });
            }
            i = end + 1;
        } else {
            let end = (start..chars.len()).find(|&j| chars[j].is_whitespace()).unwrap_or(chars.len());
            clauses.push(Clause { text: chars[start..end].iter().collect(), phrase: false, excluded });
            i = end;
        }
    }
    UserQuery { clauses }
}

/// Whether an exact term occurs in the index: a word that does is taken as meant, and only one
/// that occurs nowhere is looked up with typo tolerance. Fuzzy lookups walk the whole term
/// dictionary of every field, so this keeps them to the rare words that need them.
pub type Known<'a> = &'a dyn Fn(&Term) -> bool;

/// How the words of a query combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    /// Any word may match; BM25 ranks those that match more (a help centre's search box).
    Any,
    /// Every word must match (an agent looking for one ticket among a million).
    All,
}

/// How a word's matches in several fields (and analyzers) make its score.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldScores {
    /// The best field decides, the others only nudge (dis_max with a tie breaker): a word in
    /// title and body is one match. Every match of the query is scored.
    BestField,
    /// Every field's BM25 adds up. A word's query is then a plain union of terms, which tantivy
    /// prunes with block-max WAND: the best matches of a common word among a million documents
    /// are found without scoring every one (dis_max cannot be pruned that way).
    Summed,
}

/// Builds the query over `fields`. `None` when nothing positive is left after analysis (for
/// example only stop characters, or only exclusions), so the caller can show "no query".
pub fn build(
    query: &UserQuery,
    fields: &[SearchField],
    tokenizers: &TokenizerManager,
    known: Known<'_>,
    words: Words,
    scores: FieldScores,
) -> Option<Box<dyn Query>> {
    let mut subqueries: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for clause in &query.clauses {
        let alternatives = clause_alternatives(clause, fields, tokenizers, known, scores);
        if alternatives.is_empty() {
            continue;
        }
        let occur = match (clause.excluded, clause.phrase, words) {
            (true, _, _) => Occur::MustNot,
            (false, true, _) | (false, false, Words::All) => Occur::Must,
            // BM25 ranks the words; a BooleanQuery without MUST needs at least one SHOULD.
            (false, false, Words::Any) => Occur::Should,
        };
        if occur == Occur::Should && scores == FieldScores::Summed {
            // Flattened into the top level, so that words of which any may match stay one union
            // of terms (the shape block-max WAND prunes).
            subqueries.extend(alternatives.into_iter().map(|alternative| (Occur::Should, alternative)));
        } else {
            subqueries.push((occur, any_of(alternatives)));
        }
    }
    if !subqueries.iter().any(|(occur, _)| *occur != Occur::MustNot) {
        return None;
    }
    if subqueries.len() == 1 {
        return subqueries.pop().map(|(_, q)| q);
    }
    Some(Box::new(BooleanQuery::new(subqueries)))
}

/// The queries any of which matches the clause: with [`FieldScores::Summed`], every field's
/// alternatives side by side; with [`FieldScores::BestField`], one dis_max over the fields.
fn clause_alternatives(
    clause: &Clause,
    fields: &[SearchField],
    tokenizers: &TokenizerManager,
    known: Known<'_>,
    scores: FieldScores,
) -> Vec<Box<dyn Query>> {
    let analysed: Vec<(&SearchField, Vec<Slot>)> =
        fields.iter().map(|field| (field, analyze(&clause.text, field.analyzer, tokenizers))).collect();
    let meant_as_typed = analysed.iter().any(|(field, slots)| {
        slots.iter().flat_map(|slot| &slot.terms).any(|text| known(&Term::from_field_text(field.field, text)))
    });
    let per_field = analysed
        .into_iter()
        .map(|(field, slots)| field_alternatives(clause, field, slots, !meant_as_typed))
        .filter(|alternatives| !alternatives.is_empty());
    match scores {
        FieldScores::Summed => per_field.flatten().collect(),
        FieldScores::BestField => {
            let per_field: Vec<Box<dyn Query>> = per_field.map(any_of).collect();
            match per_field.len() {
                0 | 1 => per_field,
                // The best field decides, the others only nudge: a word in title and body is one
                // match.
                _ => vec![Box::new(DisjunctionMaxQuery::with_tie_breaker(per_field, FIELD_TIE_BREAKER))],
            }
        }
    }
}

/// Tokens at one position of the analysed clause.
struct Slot {
    /// Position relative to the clause's first token (gaps from dropped tokens are kept).
    offset: usize,
    /// Alternatives at this position in emission order; the last one is the most general
    /// (the Hebrew analyzer emits prefix-stripped forms after the full word).
    terms: Vec<String>,
    /// Letters and digits of the source text this position came from (niqqud and quotes aside).
    source_chars: usize,
}

fn analyze(text: &str, analyzer: &str, tokenizers: &TokenizerManager) -> Vec<Slot> {
    let Some(mut analyzer) = tokenizers.get(analyzer) else { return Vec::new() };
    let mut stream = analyzer.token_stream(text);
    let mut slots: Vec<Slot> = Vec::new();
    let mut first_position = None;
    while let Some(token) = stream.next() {
        let offset = token.position.saturating_sub(*first_position.get_or_insert(token.position));
        match slots.last_mut() {
            Some(slot) if slot.offset == offset => {
                if !slot.terms.contains(&token.text) {
                    slot.terms.push(token.text.clone());
                }
            }
            _ => slots.push(Slot {
                offset,
                terms: vec![token.text.clone()],
                source_chars: text
                    .get(token.offset_from..token.offset_to)
                    .map_or(0, |s| s.chars().filter(|c| c.is_alphanumeric()).count()),
            }),
        }
    }
    slots
}

/// Whether a typo in `word` is worth looking for in a field of `analyzer`: a Cyrillic word in
/// the Russian (and catch-all) fields, a Hebrew one in the Hebrew fields, a Latin one in the
/// English, Polish and catch-all ones. Exact matches still reach every field; this only spares
/// fuzzy walks through dictionaries where the word's alphabet cannot occur misspelt.
fn fuzzy_fits(analyzer: &str, word: &str) -> bool {
    let cyrillic = word.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
    let hebrew = word.chars().any(|c| ('\u{0590}'..='\u{05FF}').contains(&c));
    match analyzer {
        FL_RU => cyrillic,
        FL_HE => hebrew,
        FL_EN | FL_PL => !cyrillic && !hebrew,
        FL_FOLD => !hebrew,
        _ => true,
    }
}

fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(query, boost))
}

fn any_of(mut queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if queries.len() == 1 { queries.pop().expect("one query") } else { Box::new(BooleanQuery::union(queries)) }
}

/// The queries any of which matches the clause in one field: its analysed forms, a typo's
/// neighbours, or for several tokens the phrase and its loose terms. Empty when the analyzer
/// leaves nothing of the clause.
fn field_alternatives(
    clause: &Clause,
    search: &SearchField,
    slots: Vec<Slot>,
    typo_suspected: bool,
) -> Vec<Box<dyn Query>> {
    let term = |text: &str| Term::from_field_text(search.field, text);
    let term_query = |text: &str| {
        boosted(Box::new(TermQuery::new(term(text), IndexRecordOption::WithFreqsAndPositions)), search.boost)
    };
    match slots.as_slice() {
        [] => Vec::new(),
        [slot] => {
            let mut alternatives: Vec<Box<dyn Query>> = slot.terms.iter().map(|t| term_query(t)).collect();
            // Fuzz the analysed term (the index holds stems), and only when both the typed word and
            // its stem are long: "bills" -> "bill" must not reach "will".
            let primary = &slot.terms[0];
            let length = slot.source_chars.min(primary.chars().count());
            let fuzzy_allowed = typo_suspected
                && fuzzy_fits(search.analyzer, primary)
                && !clause.phrase
                && !clause.excluded
                && !is_cjk_analyzer(search.analyzer)
                && length >= FUZZY_MIN_CHARS;
            if fuzzy_allowed {
                let distance = if length >= FUZZY_TWO_EDITS_MIN_CHARS { 2 } else { 1 };
                let fuzzy = FuzzyTermQuery::new(term(primary), distance, true);
                alternatives.push(boosted(Box::new(fuzzy), search.boost * FUZZY_BOOST));
            }
            alternatives
        }
        slots => {
            // One term per position; the most general alternative also matches the others'
            // documents, since the analyzer emits it for them too.
            let terms = slots.iter().filter_map(|s| Some((s.offset, term(s.terms.last()?)))).collect();
            let phrase = boosted(Box::new(PhraseQuery::new_with_offset(terms)), search.boost * PHRASE_BOOST);
            if clause.phrase || clause.excluded {
                return vec![phrase];
            }
            // Unquoted multi-token input (a CJK run, "e-mail"): the phrase ranks exact runs first,
            // the loose terms keep partial overlaps findable.
            let loose = any_of(slots.iter().flat_map(|s| &s.terms).map(|t| term_query(t)).collect());
            vec![phrase, loose]
        }
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::schema::{STORED, Schema, TextFieldIndexing, TextOptions, Value};
    use tantivy::{Index, IndexReader, TantivyDocument, doc};

    use super::super::analysis::{analyzer_for_locale, register_analyzers};
    use super::*;

    const LANGS: [&str; 5] = ["en", "zh", "ru", "pl", "he"];

    // (id, locale, title, body)
    const DOCS: [(u64, &str, &str, &str); 10] = [
        (0, "en", "How to request a refund", "You can request a refund within 30 days. Refunds go back to your card."),
        (
            1,
            "en",
            "Gift card balance",
            "A gift card cannot be refunded for cash. You will see the balance in your account.",
        ),
        (
            2,
            "en",
            "Shipping times",
            "Standard shipping takes 3-5 business days. The tea set ships separately. Change the address any time.",
        ),
        (3, "en", "Payment failed", "If your payment failed, try another card."),
        (
            4,
            "en",
            "Updating a card",
            "We failed to update the payment method: the card expired, so we could not charge it.",
        ),
        (5, "zh", "如何申请退款", "您可以在购买后三十天内申请退款，款项将退回原支付方式。"),
        (6, "zh", "礼品卡余额", "用iPhone付款时，礼品卡余额不能退款。"),
        (7, "ru", "Возврат денег", "Оформить возврат можно в течение 30 дней. Ёлочные игрушки возврату не подлежат."),
        (8, "pl", "Zwrot pieniędzy", "Zwrot pieniędzy jest możliwy w ciągu 30 dni od zakupu."),
        (9, "he", "החזר כספי", "ניתן לבקש החזר לחשבון הבנק תוך 30 יום."),
    ];

    struct Fixture {
        index: Index,
        reader: IndexReader,
        id: Field,
        fields: Vec<SearchField>,
    }

    fn fixture() -> Fixture {
        let mut builder = Schema::builder();
        let id = builder.add_u64_field("id", STORED);
        let mut per_lang = Vec::new();
        for lang in LANGS {
            let analyzer = analyzer_for_locale(lang);
            let options = TextOptions::default().set_stored().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(analyzer)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            );
            let title = builder.add_text_field(&format!("title_{lang}"), options.clone());
            let body = builder.add_text_field(&format!("body_{lang}"), options);
            per_lang.push((lang, analyzer, title, body));
        }
        let index = Index::create_in_ram(builder.build());
        register_analyzers(index.tokenizers());

        let mut writer = index.writer_with_num_threads(1, 20_000_000).unwrap();
        for (doc_id, locale, title, body) in DOCS {
            let (_, _, title_field, body_field) = per_lang.iter().find(|(lang, ..)| *lang == locale).unwrap();
            writer.add_document(doc!(id => doc_id, *title_field => title, *body_field => body)).unwrap();
        }
        writer.commit().unwrap();

        let fields = per_lang
            .iter()
            .flat_map(|&(_, analyzer, title, body)| {
                [SearchField { field: title, analyzer, boost: 2.0 }, SearchField { field: body, analyzer, boost: 1.0 }]
            })
            .collect();
        let reader = index.reader().unwrap();
        Fixture { index, reader, id, fields }
    }

    impl Fixture {
        /// Ids of matching documents, best first. Both ways of scoring fields must agree on
        /// every case here: knowledge ranks by the best field, tickets by the sum.
        fn search(&self, input: &str) -> Vec<u64> {
            let best_field = self.search_scored(input, FieldScores::BestField);
            let summed = self.search_scored(input, FieldScores::Summed);
            assert_eq!(best_field, summed, "{input}: best field and summed scoring disagree");
            best_field
        }

        fn search_scored(&self, input: &str, scores: FieldScores) -> Vec<u64> {
            let searcher = self.reader.searcher();
            let known = |term: &Term| searcher.doc_freq(term).is_ok_and(|n| n > 0);
            let tokenizers = self.index.tokenizers();
            let Some(query) = build(&parse(input), &self.fields, tokenizers, &known, Words::Any, scores) else {
                return Vec::new();
            };
            let hits = searcher.search(&query, &TopDocs::with_limit(20).order_by_score()).unwrap();
            hits.into_iter()
                .map(|(_, address)| {
                    let doc: TantivyDocument = searcher.doc(address).unwrap();
                    doc.get_first(self.id).and_then(|v| v.as_u64()).unwrap()
                })
                .collect()
        }
    }

    fn clause(text: &str, phrase: bool, excluded: bool) -> Clause {
        Clause { text: text.to_string(), phrase, excluded }
    }

    #[test]
    fn parse_terms_phrases_and_exclusions() {
        let query = parse(r#"refund -"gift card" "exact phrase" -shipping"#);
        assert_eq!(
            query.clauses,
            vec![
                clause("refund", false, false),
                clause("gift card", true, true),
                clause("exact phrase", true, false),
                clause("shipping", false, true),
            ]
        );
        assert!(query.has_positive());
    }

    #[test]
    fn parse_edge_cases() {
        assert!(parse("").is_empty());
        assert!(parse("  \t ").is_empty());
        assert_eq!(parse(r#"  "open ended  "#).clauses, vec![clause("open ended", true, false)]);
        assert_eq!(parse("a - b").clauses[1], clause("-", false, false));
        assert_eq!(parse("e-mail").clauses, vec![clause("e-mail", false, false)]);
        assert_eq!(parse("--x").clauses, vec![clause("-x", false, true)]);
        assert_eq!(parse(r#"צה"ל"#).clauses, vec![clause(r#"צה"ל"#, false, false)]);
        assert_eq!(parse(r#""דובר צה"ל""#).clauses, vec![clause(r#"דובר צה"ל"#, true, false)]);
        assert_eq!(parse("«возврат денег»").clauses, vec![clause("возврат денег", true, false)]);
        assert!(parse(r#""""#).is_empty());
        assert!(!parse("-refund").has_positive());
    }

    #[test]
    fn nothing_positive_builds_nothing() {
        let f = fixture();
        let tokenizers = f.index.tokenizers();
        assert!(build(&parse(""), &f.fields, tokenizers, &|_| false, Words::Any, FieldScores::BestField).is_none());
        assert!(
            build(&parse("-refund"), &f.fields, tokenizers, &|_| false, Words::Any, FieldScores::BestField).is_none()
        );
        assert!(
            build(&parse("?! - ..."), &f.fields, tokenizers, &|_| false, Words::Any, FieldScores::BestField).is_none()
        );
        assert!(build(&parse("refund"), &[], tokenizers, &|_| false, Words::Any, FieldScores::BestField).is_none());
    }

    #[test]
    fn inflected_english_word_matches() {
        let f = fixture();
        let hits = f.search("refunds");
        assert_eq!(hits.first(), Some(&0));
        assert!(hits.contains(&1), "refunded stems like refunds: {hits:?}");
    }

    #[test]
    fn excluded_word_removes_documents() {
        let f = fixture();
        assert_eq!(f.search("refund -gift"), vec![0]);
        assert!(!f.search(r#"card -"gift card""#).contains(&1));
        assert!(f.search(r#"card -"gift card""#).contains(&0));
    }

    #[test]
    fn quoted_phrase_must_match_in_order() {
        let f = fixture();
        assert_eq!(f.search(r#""payment failed""#), vec![3]);
        // Unquoted, both documents with both words are found, the in-order one first.
        let loose = f.search("payment failed");
        assert_eq!(loose.first(), Some(&3));
        assert!(loose.contains(&4));
        // A phrase combined with a word: the phrase is required.
        assert_eq!(f.search(r#"card "payment failed""#), vec![3]);
    }

    #[test]
    fn typo_finds_the_word() {
        let f = fixture();
        let hits = f.search("refnud");
        assert!(hits.contains(&0) && hits.contains(&1), "{hits:?}");
        let hits = f.search("shiping");
        assert_eq!(hits, vec![2]);
    }

    #[test]
    fn a_word_the_index_knows_is_taken_as_typed_and_only_unknown_words_are_fuzzed() {
        let f = fixture();
        // "charge" is one edit from "change", but it is a word the index holds: no fuzzing.
        assert_eq!(f.search("charge"), vec![4]);
        assert_eq!(f.search("chagre"), vec![4]);
    }

    #[test]
    fn short_words_are_not_fuzzed() {
        let f = fixture();
        assert!(f.search("bills").is_empty(), "stem 'bill' must not reach 'will'");
    }

    #[test]
    fn short_typed_words_are_not_fuzzed() {
        let f = fixture();
        assert!(f.search("teh").is_empty());
        assert_eq!(f.search("tea"), vec![2]);
    }

    #[test]
    fn chinese_substring_finds_and_ranks_its_document() {
        let f = fixture();
        let hits = f.search("申请退款");
        assert_eq!(hits.first(), Some(&5), "{hits:?}");
        assert!(hits.contains(&6), "partial bigram overlap still matches: {hits:?}");
        assert_eq!(f.search("退回原支付方式"), vec![5]);
        assert_eq!(f.search(r#""礼品卡余额""#), vec![6]);
        assert_eq!(f.search("iphone"), vec![6]);
    }

    #[test]
    fn polish_inflected_query() {
        let f = fixture();
        assert_eq!(f.search("zwrotu pieniędzy").first(), Some(&8));
        assert_eq!(f.search(r#""zwrotu pieniędzy""#), vec![8]);
    }

    #[test]
    fn russian_inflected_query() {
        let f = fixture();
        assert_eq!(f.search("возврата"), vec![7]);
        assert_eq!(f.search("елочные"), vec![7]);
    }

    #[test]
    fn hebrew_prefixed_query() {
        let f = fixture();
        assert_eq!(f.search("בחשבון"), vec![9]);
        assert_eq!(f.search("וְהַחֶזֶר"), vec![9]);
        // The phrase matches although both words carry different prefixes in the document.
        assert_eq!(f.search(r#""בחשבון והבנק""#), vec![9]);
    }

    /// Bad input: the search box takes whatever people paste, in any script, with stray
    /// quotes and dashes. Parsing and searching must answer every string, never panic.
    mod properties {
        use std::sync::LazyLock;

        use proptest::prelude::*;

        use super::*;

        static FIXTURE: LazyLock<Fixture> = LazyLock::new(fixture);

        /// Text rich in the parser's own symbols: quotes of every kind, dashes, spaces.
        const SYMBOLS: &str = r#"[-"“”„«» \t\na-zа-яא-ת退款0-9.?!]{0,40}"#;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]

            #[test]
            fn any_text_parses_into_trimmed_clauses(input in prop_oneof![any::<String>(), SYMBOLS]) {
                for clause in parse(&input).clauses {
                    prop_assert!(!clause.text.is_empty(), "{input:?} gave an empty clause");
                    prop_assert!(clause.phrase || !clause.text.chars().any(char::is_whitespace));
                }
            }

            #[test]
            fn any_text_searches_without_panicking(input in prop_oneof![any::<String>(), SYMBOLS]) {
                // Any text, scored either way; the rankings may differ on gibberish.
                let _ = FIXTURE.search_scored(&input, FieldScores::BestField);
                let _ = FIXTURE.search_scored(&input, FieldScores::Summed);
            }

            /// Plain words separated by spaces read back as themselves.
            #[test]
            fn words_round_trip(words in proptest::collection::vec("[a-zа-я0-9][a-zа-я0-9-]{0,10}", 0..6)) {
                let clauses = parse(&words.join(" ")).clauses;
                let texts: Vec<_> = clauses.iter().map(|c| c.text.clone()).collect();
                prop_assert_eq!(texts, words);
                prop_assert!(clauses.iter().all(|c| !c.phrase && !c.excluded));
            }
        }
    }
}
