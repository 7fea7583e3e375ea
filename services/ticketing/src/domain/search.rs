//! Full-text search terms for tickets in any language: what [`index_terms`] stores in the
//! `(term, ticket_id)` table and what [`parse_query`] looks up there. Words of alphabetic scripts are
//! stored as written and with diacritics folded away, and are queried folded, as prefixes from three
//! characters on; scripts written without spaces (Chinese, Japanese, Korean, Thai…) are stored as
//! single characters and adjacent pairs, and queried as pairs.
//!
//! Hand-written because the index is an SQL table shared by SQLite and PostgreSQL (transactional with
//! ticket writes, identical on every replica), and no crate offers a term extractor that is storable
//! there, CJK-aware, and consistent between indexing and querying. There is no stemming: "пароль" does
//! not find "пароля", its prefix "парол" does. Terms follow the Unicode tables of std and the two
//! unicode crates, so upgrading those may call for a reindex.

use std::collections::BTreeSet;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_segmentation::UnicodeSegmentation;

/// Longest term stored (in chars); longer words are cut to this.
pub const MAX_TERM_CHARS: usize = 48;

const MAX_QUERY_CHARS: usize = 500;
const MAX_QUERY_TERMS: usize = 32;
/// Shorter words are matched exactly: as prefixes they would match a large part of the index.
const MIN_PREFIX_CHARS: usize = 3;
/// Bounds the rows a long path or URL adds to the index.
const MAX_TOKEN_SUFFIXES: usize = 8;

const NOTHING_TO_SEARCH: &str = "must contain at least one word to search for";

/// One term of a query, matched against stored terms.
///
/// A `prefix` term matches every stored term starting with `term`: look it up with a range scan or an
/// escaped `LIKE`, since terms may contain `%` and `_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryTerm {
    pub term: String,
    pub prefix: bool,
}

/// A parsed search query: every `required` term (or, for a prefix term, some stored term starting with
/// it) must match a ticket; no `excluded` term may.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchQuery {
    pub required: Vec<QueryTerm>,
    pub excluded: Vec<QueryTerm>,
}

/// Terms to store for `text` (subject, description, comment body…): each distinct term once.
///
/// For a word: the word and its diacritic-folded form; for a word with inner punctuation ("jan.kowalski",
/// "don't") also its alphanumeric pieces, so "kowalski" finds it. For a whitespace-delimited token of
/// several words ("A-20931", "fv/10/2026") also the whole token and its suffixes from each word on, so an
/// order number typed as-is matches, even inside "order#A-20931". For a run of a spaceless script: every
/// character and every adjacent pair.
pub fn index_terms(text: &str) -> BTreeSet<String> {
    let mut terms = BTreeSet::new();
    let normalized = normalize(text);
    for chunk in normalized.split_whitespace() {
        for part in parts(chunk) {
            match part {
                Part::Run(run) => index_run(run, &mut terms),
                Part::Span(span) => index_span(span, &mut terms),
            }
        }
    }
    terms
}

/// Parses what a user typed. Err(description) when it holds nothing searchable (empty, only
/// punctuation, only exclusions) or is too long (> 500 chars) or has > 32 terms; the description is
/// shown to the user, e.g. "must contain at least one word to search for".
///
/// Words are queried diacritic-folded, which the index always holds, so "zalogowac" and "zalogować"
/// both find "zalogować". A word with a letter and at least three characters is a prefix term; shorter
/// words and numbers are exact ("502" must not find "5021"). A run of a spaceless script requires each
/// of its adjacent pairs, or its one character. `"quoted phrase"` requires each of its words; their
/// adjacency is not checked. `-word` excludes a word; excluding several terms at once is refused, since
/// excluding each of them would drop tickets that merely share one. Single letters are dropped unless
/// nothing else is left to search for.
pub fn parse_query(query: &str) -> Result<SearchQuery, String> {
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(format!("must be at most {MAX_QUERY_CHARS} characters long"));
    }
    let mut required = Vec::new();
    let mut excluded = Vec::new();
    for group in groups(&normalize(query)) {
        let candidates = group_candidates(&group.text);
        if group.negated {
            excluded.extend(exclusion(candidates, &group.text)?);
        } else {
            required.extend(candidates);
        }
    }
    let required = dedup(without_single_letters(required));
    let excluded = dedup(excluded);
    if required.is_empty() {
        return Err(NOTHING_TO_SEARCH.to_string());
    }
    if required.len() + excluded.len() > MAX_QUERY_TERMS {
        return Err(format!("has too many words: at most {MAX_QUERY_TERMS} search terms"));
    }
    Ok(SearchQuery { required, excluded })
}

/// NFKC first so full-width, ligature and compatibility forms meet their plain letters.
fn normalize(text: &str) -> String {
    text.nfkc().collect::<String>().to_lowercase()
}

enum Part<'a> {
    /// Letters of a script written without spaces between words.
    Run(&'a str),
    /// Everything else between whitespace and runs: words, numbers, punctuation.
    Span(&'a str),
}

/// Splits a whitespace-free chunk where it switches between spaceless scripts and the rest. Done
/// before UAX#29 because that splits ideographs and Thai into single characters but glues Hangul to
/// adjacent Latin ("한국어abc" is one word), and runs need the same treatment whatever it does.
fn parts(chunk: &str) -> Vec<Part<'_>> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut current: Option<bool> = None;
    for (at, c) in chunk.char_indices() {
        let run = is_run_char(c);
        if let Some(previous) = current.filter(|&previous| previous != run) {
            parts.push(part(&chunk[start..at], previous));
            start = at;
        }
        current = Some(run);
    }
    if let Some(run) = current {
        parts.push(part(&chunk[start..], run));
    }
    parts
}

fn part(text: &str, run: bool) -> Part<'_> {
    if run { Part::Run(text) } else { Part::Span(text) }
}

/// Han, kana and Hangul, plus Thai, Lao, Myanmar and Khmer, which also go without spaces and which
/// UAX#29 without a dictionary splits into single characters anyway.
fn is_run_char(c: char) -> bool {
    let in_script = matches!(c as u32,
        0x0E00..=0x0EFF // Thai, Lao
        | 0x1000..=0x109F // Myanmar
        | 0x1100..=0x11FF // Hangul Jamo
        | 0x1780..=0x17FF // Khmer
        | 0x2E80..=0x2FDF // CJK and Kangxi radicals
        | 0x3005..=0x3007 // iteration mark, closing mark, ideographic zero
        | 0x3021..=0x3029 // Hangzhou numerals
        | 0x3031..=0x3035 // kana repeat marks
        | 0x3038..=0x303C
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x3130..=0x318F // Hangul compatibility jamo
        | 0x31F0..=0x31FF // Katakana phonetic extensions
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xA960..=0xA97F // Hangul Jamo extended A
        | 0xAC00..=0xD7FF // Hangul syllables, Jamo extended B
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0x20000..=0x3FFFF // CJK extensions B and later
    );
    // Blocks also hold punctuation such as the katakana middle dot, which must still split runs.
    in_script && (c.is_alphanumeric() || is_combining_mark(c))
}

/// Grapheme clusters rather than chars so Thai vowel and tone marks stay with their consonant; for
/// Han, kana and Hangul syllables a cluster is one char.
fn run_characters(run: &str) -> Vec<&str> {
    run.graphemes(true).collect()
}

fn index_run(run: &str, terms: &mut BTreeSet<String>) {
    let characters = run_characters(run);
    for character in &characters {
        insert(cut(character), terms);
    }
    for pair in characters.windows(2) {
        insert(cut(&pair.concat()), terms);
    }
}

/// The words of a span, with their byte offsets, as UAX#29 finds them.
fn span_words(span: &str) -> Vec<(usize, &str)> {
    span.split_word_bound_indices().filter(|(_, segment)| segment.chars().any(char::is_alphanumeric)).collect()
}

fn index_span(span: &str, terms: &mut BTreeSet<String>) {
    let words = span_words(span);
    for (_, word) in &words {
        index_word(word, terms);
    }
    if words.len() < 2 {
        return;
    }
    insert_forms(trim_token(span), terms);
    // The last word alone is already indexed as a word.
    let inner_starts = words.iter().skip(1).take(words.len() - 2).take(MAX_TOKEN_SUFFIXES);
    for (start, _) in inner_starts {
        if let Some(suffix) = span.get(*start..) {
            insert_forms(trim_token(suffix), terms);
        }
    }
}

fn index_word(word: &str, terms: &mut BTreeSet<String>) {
    insert_forms(word, terms);
    if word.chars().any(is_separator) {
        for piece in word.split(is_separator).filter(|piece| piece.chars().any(char::is_alphanumeric)) {
            insert_forms(piece, terms);
        }
    }
}

/// Stored as written and folded; queries use the folded form, which is therefore always present.
fn insert_forms(word: &str, terms: &mut BTreeSet<String>) {
    insert(cut(word), terms);
    insert(cut(&fold(word)), terms);
}

fn insert(term: String, terms: &mut BTreeSet<String>) {
    if !term.is_empty() {
        terms.insert(term);
    }
}

fn cut(term: &str) -> String {
    term.chars().take(MAX_TERM_CHARS).collect()
}

/// Punctuation and symbols; combining marks count as part of the letter they sit on.
fn is_separator(c: char) -> bool {
    !c.is_alphanumeric() && !is_combining_mark(c)
}

fn trim_token(token: &str) -> &str {
    token.trim_matches(is_separator)
}

/// Removes what users leave out when typing: accents, Hebrew and Arabic vowel points, apostrophes,
/// invisible joiners, and letters they replace by a plain one.
fn fold(word: &str) -> String {
    let mut folded = String::with_capacity(word.len());
    for c in word.chars() {
        match explicit_fold(c) {
            Some(replacement) => folded.push_str(replacement),
            None => folded.extend(std::iter::once(c).nfd().filter(|&m| !is_diacritic(m))),
        }
    }
    folded.nfc().collect()
}

fn explicit_fold(c: char) -> Option<&'static str> {
    let replacement = match c {
        // A letter of its own, not и with an accent: "мой" and "мои" are different words.
        'й' => "й",
        'ў' => "ў",
        'ł' => "l",
        'đ' | 'ð' => "d",
        'ø' => "o",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'þ' => "th",
        'ı' => "i",
        'ħ' => "h",
        // Word-final sigma is only a spelling of σ.
        'ς' => "σ",
        // Apostrophes ("don't", "O'Neill", "м'ясо"), soft hyphen, zero-width characters, Arabic tatweel.
        '\''
        | '\u{2019}'
        | '\u{02BC}'
        | '\u{00AD}'
        | '\u{200B}'..='\u{200D}'
        | '\u{2060}'
        | '\u{FEFF}'
        | '\u{0640}' => "",
        _ => return None,
    };
    Some(replacement)
}

/// Only marks of the diacritic, Hebrew and Arabic blocks: vowel signs of Indic scripts are also
/// combining marks, but dropping them would change the word.
fn is_diacritic(c: char) -> bool {
    is_combining_mark(c)
        && matches!(c as u32,
            0x0300..=0x036F
            | 0x0483..=0x0489
            | 0x0591..=0x05C7
            | 0x0610..=0x061A
            | 0x064B..=0x065F
            | 0x0670
            | 0x06D6..=0x06ED
            | 0x1AB0..=0x1AFF
            | 0x1DC0..=0x1DFF
            | 0x20D0..=0x20FF
            | 0xFE20..=0xFE2F
        )
}

/// A bare word, a `-word`, or a quoted phrase, as typed.
struct Group {
    negated: bool,
    text: String,
}

fn groups(query: &str) -> Vec<Group> {
    let chars: Vec<char> = query.chars().collect();
    let mut groups = Vec::new();
    let mut current = String::new();
    // Some(negated) while inside quotes.
    let mut phrase: Option<bool> = None;
    for (at, &c) in chars.iter().enumerate() {
        if is_quote_mark(&chars, at) {
            match phrase.take() {
                Some(negated) => groups.push(Group { negated, text: std::mem::take(&mut current) }),
                None => {
                    let negated = current == "-";
                    if !negated {
                        push_token(&mut groups, &current);
                    }
                    current.clear();
                    phrase = Some(negated);
                }
            }
        } else if phrase.is_none() && c.is_whitespace() {
            push_token(&mut groups, &std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    match phrase {
        Some(negated) => groups.push(Group { negated, text: current }),
        None => push_token(&mut groups, &current),
    }
    groups
}

fn push_token(groups: &mut Vec<Group>, token: &str) {
    let (negated, text) = match token.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, token),
    };
    groups.push(Group { negated, text: text.to_string() });
}

/// A quote between two letters belongs to the word: Hebrew abbreviations such as דו"ח use it.
fn is_quote_mark(chars: &[char], at: usize) -> bool {
    let is_alphanumeric_at =
        |index: Option<usize>| index.and_then(|index| chars.get(index)).is_some_and(|c| c.is_alphanumeric());
    let quote = chars.get(at).is_some_and(|c| matches!(c, '"' | '“' | '”' | '„' | '«' | '»'));
    quote && !(is_alphanumeric_at(at.checked_sub(1)) && is_alphanumeric_at(at.checked_add(1)))
}

struct Candidate {
    term: QueryTerm,
    single_letter: bool,
}

fn group_candidates(text: &str) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    for chunk in text.split_whitespace() {
        for part in parts(chunk) {
            match part {
                Part::Run(run) => candidates.extend(run_candidates(run)),
                Part::Span(span) => candidates.extend(span_candidate(span)),
            }
        }
    }
    candidates
}

fn run_candidates(run: &str) -> Vec<Candidate> {
    let characters = run_characters(run);
    let terms: Vec<String> = match characters.as_slice() {
        [single] => vec![cut(single)],
        _ => characters.windows(2).map(|pair| cut(&pair.concat())).collect(),
    };
    terms
        .into_iter()
        .filter(|term| !term.is_empty())
        .map(|term| Candidate { term: QueryTerm { term, prefix: false }, single_letter: false })
        .collect()
}

/// A span of several words is looked up as the whole token, which the index holds; its words alone
/// would also match tickets where they appear apart.
fn span_candidate(span: &str) -> Option<Candidate> {
    let words = span_words(span);
    let text = match words.as_slice() {
        [] => return None,
        [(_, word)] => *word,
        _ => trim_token(span),
    };
    word_candidate(text)
}

fn word_candidate(word: &str) -> Option<Candidate> {
    let term = cut(&fold(word));
    if term.is_empty() {
        return None;
    }
    let length = term.chars().count();
    let has_letter = term.chars().any(char::is_alphabetic);
    Some(Candidate {
        term: QueryTerm { prefix: has_letter && length >= MIN_PREFIX_CHARS, term },
        single_letter: has_letter && length == 1,
    })
}

fn exclusion(candidates: Vec<Candidate>, text: &str) -> Result<Option<QueryTerm>, String> {
    let mut terms: Vec<QueryTerm> =
        candidates.into_iter().filter(|candidate| !candidate.single_letter).map(|candidate| candidate.term).collect();
    match terms.len() {
        0 | 1 => Ok(terms.pop()),
        _ => Err(format!("can exclude only one word (or two CJK characters) at a time, not \"{}\"", text.trim())),
    }
}

/// A single letter matches nearly every ticket; it is kept only when nothing else is left to search for.
fn without_single_letters(candidates: Vec<Candidate>) -> Vec<QueryTerm> {
    let only_letters = candidates.iter().all(|candidate| candidate.single_letter);
    candidates
        .into_iter()
        .filter(|candidate| only_letters || !candidate.single_letter)
        .map(|candidate| candidate.term)
        .collect()
}

fn dedup(terms: Vec<QueryTerm>) -> Vec<QueryTerm> {
    let mut seen = BTreeSet::new();
    terms.into_iter().filter(|term| seen.insert(term.term.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn term_matches(stored: &BTreeSet<String>, term: &QueryTerm) -> bool {
        if term.prefix { stored.iter().any(|s| s.starts_with(&term.term)) } else { stored.contains(&term.term) }
    }

    fn evaluate(query: &SearchQuery, text: &str) -> bool {
        let stored = index_terms(text);
        query.required.iter().all(|term| term_matches(&stored, term))
            && !query.excluded.iter().any(|term| term_matches(&stored, term))
    }

    fn matches(text: &str, query: &str) -> bool {
        let parsed = parse_query(query).unwrap_or_else(|error| panic!("query {query:?} rejected: {error}"));
        evaluate(&parsed, text)
    }

    fn exact(term: &str) -> QueryTerm {
        QueryTerm { term: term.to_string(), prefix: false }
    }

    fn prefix(term: &str) -> QueryTerm {
        QueryTerm { term: term.to_string(), prefix: true }
    }

    #[test]
    fn polish_is_found_with_and_without_diacritics() {
        let text = "Nie mogę zalogować się do panelu klienta";
        for query in ["zalogowac", "zalogować", "Zalogować", "panel", "ZALOGOWAĆ panel", "moge", "klient"] {
            assert!(matches(text, query), "{query}");
        }
        assert!(!matches(text, "wylogować"));
        assert!(index_terms(text).contains("zalogować"));
        assert!(index_terms(text).contains("zalogowac"));
    }

    #[test]
    fn ticket_typed_without_diacritics_is_found_by_accented_query() {
        assert!(matches("nie moge sie zalogowac do panelu", "zalogować"));
        assert!(matches("nie moge sie zalogowac do panelu", "mogę"));
    }

    #[test]
    fn polish_l_with_stroke_folds_to_l() {
        assert!(matches("Płatność została odrzucona", "platnosc"));
        assert!(matches("Płatność została odrzucona", "Płatność"));
    }

    #[test]
    fn russian_matches_by_prefix_without_stemming() {
        let text = "Не приходит письмо для сброса пароля";
        for query in ["парол", "пароля", "письмо", "сброс", "ПРИХОДИТ"] {
            assert!(matches(text, query), "{query}");
        }
        // No stemming: the nominative is not a prefix of the genitive.
        assert!(!matches(text, "пароль"));
    }

    #[test]
    fn russian_yo_folds_but_short_i_stays() {
        assert!(matches("Не могу найти счёт за март", "счет"));
        assert!(matches("Не могу найти счёт за март", "счёт"));
        assert!(matches("Мой заказ потерялся", "мой"));
        assert!(!matches("Мой заказ потерялся", "мои"));
    }

    #[test]
    fn hebrew_is_found_with_or_without_points() {
        let text = "החיוב כפול בכרטיס האשראי שלי";
        assert!(matches(text, "כפול"));
        assert!(matches(text, "האשראי"));
        assert!(matches("הַחִיּוּב כָּפוּל", "כפול"));
        // Attached prepositions are part of the word and there is no morphology.
        assert!(!matches(text, "כרטיס"));
    }

    #[test]
    fn hebrew_abbreviation_with_gershayim_stays_one_word() {
        let text = "לא קיבלתי דו\"ח חודשי";
        assert!(matches(text, "דו\"ח"));
        assert!(matches(text, "חודשי"));
    }

    #[test]
    fn spanish_accents_and_tilde_fold() {
        let text = "No puedo acceder a mi cuenta después de cambiar la contraseña";
        for query in ["despues", "después", "contrasena", "contraseña", "CUENTA", "acceder cuenta"] {
            assert!(matches(text, query), "{query}");
        }
    }

    #[test]
    fn english_words_are_prefixes_and_numbers_exact() {
        let text = "API returns 502 when exporting reports";
        for query in ["export", "502", "api", "Reports", "returns 502"] {
            assert!(matches(text, query), "{query}");
        }
        assert!(!matches(text, "50"));
        assert!(!matches(text, "import"));
    }

    #[test]
    fn english_apostrophes_fold_away() {
        assert!(matches("I can’t log in to O'Neill's account", "cant"));
        assert!(matches("I can’t log in to O'Neill's account", "can't"));
        assert!(matches("I can’t log in to O'Neill's account", "oneill"));
    }

    #[test]
    fn chinese_with_order_number() {
        let text = "订单 A-20931 尚未发货";
        for query in ["发货", "订单", "a-20931", "A-20931", "20931", "尚未发货", "货"] {
            assert!(matches(text, query), "{query}");
        }
        assert!(!matches(text, "退款"));
    }

    #[test]
    fn chinese_without_spaces_mixed_with_latin() {
        let text = "订单A-20931尚未发货";
        for query in ["发货", "订单", "A-20931", "订单A-20931"] {
            assert!(matches(text, query), "{query}");
        }
        let terms = index_terms(text);
        assert!(terms.contains("a-20931") && terms.contains("尚未") && terms.contains("未"));
        assert!(!terms.contains("单a"), "runs end at the Latin token");
    }

    #[test]
    fn chinese_queries_need_every_pair() {
        let text = "我无法在手机应用中上传附件";
        for query in ["上传附件", "手机", "机", "无法 上传"] {
            assert!(matches(text, query), "{query}");
        }
        assert!(!matches(text, "附件上传"));
        assert_eq!(parse_query("上传附件").map(|q| q.required), Ok(vec![exact("上传"), exact("传附"), exact("附件")]));
    }

    #[test]
    fn japanese_and_korean() {
        let japanese = "ログインできません。パスワードをリセットしたい";
        assert!(matches(japanese, "パスワード"));
        assert!(matches(japanese, "ﾊﾟｽﾜｰﾄﾞ"), "half-width katakana is normalised");
        assert!(matches(japanese, "ログイン"));
        let korean = "비밀번호를 재설정할 수 없습니다";
        assert!(matches(korean, "비밀번호"), "the particle does not hide the noun");
        assert!(matches(korean, "재설정"));
    }

    #[test]
    fn thai_is_n_grammed_by_grapheme() {
        let text = "ไม่สามารถเข้าสู่ระบบได้";
        assert!(matches(text, "เข้าสู่ระบบ"));
        assert!(!matches(text, "ชำระเงิน"));
    }

    #[test]
    fn mixed_tokens_are_indexed_whole_and_in_pieces() {
        let terms = index_terms("See invoice FV/10/2026, (order #A-20931) and my e-mail jan.kowalski@example.com.");
        for term in ["fv/10/2026", "10/2026", "fv", "2026", "a-20931", "e-mail", "mail", "jan.kowalski@example.com"] {
            assert!(terms.contains(term), "{term}");
        }
        for term in ["kowalski", "example.com", "example"] {
            assert!(terms.contains(term), "{term}");
        }
        assert!(matches("Invoice order#A-20931 attached", "A-20931"));
        assert!(matches("Contact jan.kowalski@example.com", "kowalski"));
        assert_eq!(parse_query("FV/10/2026").map(|q| q.required), Ok(vec![prefix("fv/10/2026")]));
        assert_eq!(parse_query("10/2026").map(|q| q.required), Ok(vec![exact("10/2026")]));
    }

    #[test]
    fn exclusion_removes_matching_tickets() {
        let refund = "Refund requested for order 42";
        let shipped = "Order 42 shipped late";
        assert!(!matches(refund, "order -refund"));
        assert!(matches(shipped, "order -refund"));
        assert!(!matches("Refunded already", "order -refund"), "exclusions are prefixes too");
        assert!(matches("订单已发货", "订单 -退款"));
        assert!(!matches("订单已退款", "订单 -退款"));
    }

    #[test]
    fn lone_minus_and_single_letters_are_ignored() {
        assert_eq!(parse_query("plan - b").map(|q| q.required), Ok(vec![prefix("plan")]));
        assert_eq!(parse_query("x").map(|q| q.required), Ok(vec![exact("x")]));
        assert_eq!(parse_query("plan -b").map(|q| q.excluded), Ok(vec![]));
    }

    #[test]
    fn quoted_phrase_requires_its_words_in_any_order() {
        let text = "Nie mogę zalogować się do panelu klienta";
        assert!(matches(text, "\"panelu klienta\""));
        // Adjacency is not checked.
        assert!(matches(text, "\"klienta panelu\""));
        assert!(matches(text, "„panelu klienta”"));
        assert!(!matches(text, "\"panelu administratora\""));
        assert!(!matches(text, "panelu -\"zalogować\""));
    }

    #[test]
    fn duplicates_are_dropped() {
        let parsed = parse_query("export Export EXPORT 502 502");
        assert_eq!(parsed.map(|q| q.required), Ok(vec![prefix("export"), exact("502")]));
    }

    #[test]
    fn long_words_are_cut_and_still_match() {
        let long = "a".repeat(60);
        let terms = index_terms(&format!("ticket {long}"));
        assert!(terms.iter().all(|term| term.chars().count() <= MAX_TERM_CHARS));
        assert!(matches(&format!("ticket {long}"), &long));
        assert!(matches(&format!("ticket {long}"), &"a".repeat(MAX_TERM_CHARS + 5)));
    }

    #[test]
    fn unsearchable_queries_are_errors() {
        for query in ["", "   ", "!!! ??", "-only", "-", "-refund -export", "🙂"] {
            assert_eq!(parse_query(query), Err(NOTHING_TO_SEARCH.to_string()), "{query:?}");
        }
        assert!(parse_query(&"a".repeat(MAX_QUERY_CHARS + 1)).is_err());
        assert!(parse_query(&"a".repeat(MAX_QUERY_CHARS)).is_ok());
        let many: Vec<String> = (0..=MAX_QUERY_TERMS).map(|n| format!("word{n}")).collect();
        assert!(parse_query(&many.join(" ")).is_err());
        assert!(parse_query(&many[..MAX_QUERY_TERMS].join(" ")).is_ok());
        assert!(parse_query("order -\"credit card\"").is_err());
        assert!(parse_query("order -退款申请").is_err());
    }

    fn ticketish() -> impl Strategy<Value = String> {
        proptest::string::string_regex(
            "[a-zA-Z0-9ąćęłńóśźżĄŁŻéñüßøй\u{301}а-яА-ЯёЁא-ת\u{5b8}订单发货上传附件手机パスワード비밀번호ไทย\\-/.,:'’#_()! ]{0,60}",
        )
        .unwrap_or_else(|error| panic!("bad strategy: {error}"))
    }

    proptest! {
        #[test]
        fn index_terms_are_short_and_non_empty(text in any::<String>()) {
            for term in index_terms(&text) {
                prop_assert!(!term.is_empty());
                prop_assert!(term.chars().count() <= MAX_TERM_CHARS, "{term:?}");
            }
        }

        #[test]
        fn parse_query_never_panics(query in any::<String>()) {
            if let Ok(parsed) = parse_query(&query) {
                prop_assert!(!parsed.required.is_empty());
                let all = parsed.required.iter().chain(&parsed.excluded);
                prop_assert!(all.clone().all(|term| !term.term.is_empty() && term.term.chars().count() <= MAX_TERM_CHARS));
            }
        }

        #[test]
        fn every_token_of_a_ticket_finds_it(text in ticketish()) {
            let tokens = text.split_whitespace().filter(|token| !token.starts_with('-') && !token.contains('"'));
            for token in tokens {
                if let Ok(parsed) = parse_query(token) {
                    prop_assert!(evaluate(&parsed, &text), "{token:?} does not find {text:?}: {parsed:?}");
                }
            }
        }
    }
}
