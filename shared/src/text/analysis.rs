//! Per-language text analyzers: the one way Frontline turns text into search terms, for
//! knowledge articles and tickets alike.
//!
//! Every analyzer is registered under a fixed name so the schema (index time) and the query
//! builder (search time) run exactly the same pipeline over a field.

use std::borrow::Cow;

use frostem::{Algorithm, Stemmer};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, TextAnalyzer, TextAnalyzerBuilder, Token, TokenFilter,
    TokenStream, Tokenizer, TokenizerManager,
};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

pub const FL_EN: &str = "fl_en";
pub const FL_RU: &str = "fl_ru";
pub const FL_PL: &str = "fl_pl";
pub const FL_HE: &str = "fl_he";
pub const FL_ZH: &str = "fl_zh";
pub const FL_DEFAULT: &str = "fl_default";

/// Words lower-cased with their diacritics folded away ("zalogować" → "zalogowac", "ёлка" →
/// "елка"), unstemmed: what a person types without the right keyboard finds what was written
/// with it, in any Latin or Cyrillic language.
pub const FL_FOLD: &str = "fl_fold";

/// The language analyzers, one per seed language and a catch-all.
pub const ANALYZERS: [&str; 6] = [FL_EN, FL_RU, FL_PL, FL_HE, FL_ZH, FL_DEFAULT];

/// Longer tokens are almost always junk (base64, glued URLs) and bloat the term dictionary.
const MAX_TOKEN_BYTES: usize = 40;

/// Hebrew prefixes can stack (ו+ה+...), but more than three in a row does not occur in real words.
const MAX_HEBREW_PREFIXES: usize = 3;
const MIN_HEBREW_STEM_CHARS: usize = 3;

/// Registers all Frontline analyzers on `manager` (use the index's own manager).
pub fn register_analyzers(manager: &TokenizerManager) {
    manager.register(FL_EN, stemmed(Algorithm::English, None));
    manager.register(FL_RU, stemmed(Algorithm::Russian, Some(fold_yo)));
    manager.register(FL_PL, stemmed(Algorithm::Polish, None));
    manager.register(
        FL_HE,
        lowercased(Script::Hebrew).filter(CharFoldFilter::new(fold_hebrew_final)).filter(HebrewPrefixFilter).build(),
    );
    // No ASCII folding here: it mangles CJK and is not wanted for the other scripts either.
    manager.register(FL_ZH, lowercased(Script::Cjk).build());
    manager.register(FL_DEFAULT, lowercased(Script::Words).build());
    manager.register(
        FL_FOLD,
        lowercased(Script::Words).filter(AsciiFoldingFilter).filter(CharFoldFilter::new(fold_yo)).build(),
    );
}

/// Tokens of `script`, junk-long ones dropped (RemoveLongFilter keeps tokens strictly shorter
/// than its limit), lower-cased: where every analyzer starts.
fn lowercased(script: Script) -> TextAnalyzerBuilder<impl Tokenizer> {
    TextAnalyzer::builder(ScriptTokenizer::new(script))
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES + 1))
        .filter(LowerCaser)
}

/// The language analyzers for a text whose author said it is in `locale` (may be empty or
/// wrong: a ticket's locale is the requester's preference, not a promise about every word):
/// the locale's, and those of the text itself. Its script decides first — Cyrillic is stemmed
/// as Russian, Hebrew and CJK get theirs — and for Latin text, English always (the language
/// support teams share, often mixed into others) plus the language detection finds (whatlang,
/// trigram statistics), which settles untagged text such as tickets from email. A CJK
/// character anywhere brings in the bigram analyzer: a Chinese product name in an English
/// sentence is not what detection reports.
pub fn analyzers_for(locale: &str, text: &str) -> Vec<&'static str> {
    use whatlang::Script;
    let mut chosen = vec![analyzer_for_locale(locale)];
    if let Some(info) = whatlang::detect(text) {
        chosen.push(match info.script() {
            Script::Latin => FL_EN,
            Script::Cyrillic => FL_RU,
            Script::Hebrew => FL_HE,
            Script::Mandarin | Script::Hiragana | Script::Katakana | Script::Hangul => FL_ZH,
            _ => FL_DEFAULT,
        });
        chosen.push(analyzer_for_locale(info.lang().code()));
    }
    if text.chars().any(is_cjk_char) {
        chosen.push(FL_ZH);
    }
    chosen.retain(|&analyzer| analyzer != FL_DEFAULT);
    chosen.sort_unstable();
    chosen.dedup();
    if chosen.is_empty() {
        chosen.push(FL_DEFAULT);
    }
    chosen
}

fn stemmed(algorithm: Algorithm, fold: Option<fn(char) -> char>) -> TextAnalyzer {
    let builder = lowercased(Script::Words);
    match fold {
        Some(fold) => builder.filter(CharFoldFilter::new(fold)).filter(SnowballStemFilter::new(algorithm)).build(),
        None => builder.filter(SnowballStemFilter::new(algorithm)).build(),
    }
}

/// Maps a BCP-47 tag (`en`, `en-US`, `pt_BR`, `zh-Hant-TW`...) to an analyzer name by its primary
/// language subtag, case-insensitively. ISO 639-2/3 codes are accepted as well.
pub fn analyzer_for_locale(locale: &str) -> &'static str {
    let primary = locale.trim().split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
    match primary.as_str() {
        "en" | "eng" => FL_EN,
        "ru" | "rus" => FL_RU,
        "pl" | "pol" => FL_PL,
        // `iw` is the deprecated code still sent by old Java/Android clients.
        "he" | "iw" | "heb" => FL_HE,
        "zh" | "ja" | "ko" | "zho" | "chi" | "cmn" | "yue" | "jpn" | "kor" => FL_ZH,
        _ => FL_DEFAULT,
    }
}

/// CJK fields get bigram tokens, so single-token fuzzy matching makes no sense there.
pub fn is_cjk_analyzer(name: &str) -> bool {
    name == FL_ZH
}

// ---------------------------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Script {
    /// Maximal runs of alphanumerics (combining marks included so NFD text stays whole).
    Words,
    /// Words, plus geresh/gershayim joining and niqqud stripping.
    Hebrew,
    /// Words, but runs of CJK characters become overlapping bigrams.
    Cjk,
}

/// Splits text into words; the `Script` decides the Hebrew and CJK special cases.
#[derive(Clone)]
pub struct ScriptTokenizer {
    script: Script,
    token: Token,
}

impl ScriptTokenizer {
    fn new(script: Script) -> Self {
        ScriptTokenizer { script, token: Token::default() }
    }
}

pub struct ScriptTokenStream<'a> {
    text: &'a str,
    /// Byte offset where the next scan starts.
    cursor: usize,
    script: Script,
    /// Remaining bigrams of the current CJK run: (start of next bigram, end of run).
    cjk_run: Option<(usize, usize)>,
    token: &'a mut Token,
}

impl Tokenizer for ScriptTokenizer {
    type TokenStream<'a> = ScriptTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ScriptTokenStream<'a> {
        self.token.reset();
        ScriptTokenStream { text, cursor: 0, script: self.script, cjk_run: None, token: &mut self.token }
    }
}

impl ScriptTokenStream<'_> {
    fn is_cjk(&self, c: char) -> bool {
        self.script == Script::Cjk && is_cjk_char(c)
    }

    fn emit(&mut self, from: usize, to: usize) {
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.text.clear();
        self.token.text.push_str(&self.text[from..to]);
    }

    /// Emits the next bigram of the current CJK run, if any is left.
    fn next_bigram(&mut self) -> bool {
        let Some((start, end)) = self.cjk_run else { return false };
        let mut chars = self.text[start..end].chars();
        match (chars.next(), chars.next()) {
            (Some(a), Some(b)) => {
                self.emit(start, start + a.len_utf8() + b.len_utf8());
                self.cjk_run = Some((start + a.len_utf8(), end));
                true
            }
            _ => {
                self.cjk_run = None;
                false
            }
        }
    }

    /// End of the word starting at `start` (a non-CJK alphanumeric).
    fn word_end(&self, start: usize) -> usize {
        let mut prev_base: Option<char> = None;
        let mut iter = self.text[start..].char_indices().peekable();
        while let Some((i, c)) = iter.next() {
            let keep = if is_combining_mark(c) {
                true
            } else if c.is_alphanumeric() {
                !self.is_cjk(c)
            } else {
                // צה"ל, ת״ז: the mark marks an acronym, it does not end the word.
                self.script == Script::Hebrew
                    && is_geresh(c)
                    && prev_base.is_some_and(is_hebrew_letter)
                    && iter.peek().is_some_and(|&(_, next)| is_hebrew_letter(next))
            };
            if !keep {
                return start + i;
            }
            if !is_combining_mark(c) {
                prev_base = Some(c);
            }
        }
        self.text.len()
    }

    fn emit_word(&mut self, from: usize, to: usize) {
        let word = &self.text[from..to];
        if !word.chars().any(|c| is_combining_mark(c) || is_geresh(c)) {
            self.emit(from, to);
            return;
        }
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.text.clear();
        let hebrew = self.script == Script::Hebrew;
        // NFC so a decomposed "й" or "ż" (e.g. pasted from macOS) indexes like the composed one.
        let kept = word.chars().filter(|&c| !(hebrew && (is_hebrew_point(c) || is_geresh(c))));
        self.token.text.extend(kept.nfc());
    }
}

impl TokenStream for ScriptTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.position = self.token.position.wrapping_add(1);
        if self.next_bigram() {
            return true;
        }
        let rest = &self.text[self.cursor..];
        let Some((offset, first)) = rest.char_indices().find(|&(_, c)| c.is_alphanumeric()) else {
            self.cursor = self.text.len();
            return false;
        };
        let start = self.cursor + offset;
        if self.is_cjk(first) {
            let run_end = self.text[start..]
                .char_indices()
                .find(|&(_, c)| !is_cjk_char(c))
                .map_or(self.text.len(), |(i, _)| start + i);
            self.cursor = run_end;
            if start + first.len_utf8() == run_end {
                // A lone CJK character is all we have, so index it as a unigram.
                self.emit(start, run_end);
                return true;
            }
            self.cjk_run = Some((start, run_end));
            return self.next_bigram();
        }
        let end = self.word_end(start);
        self.cursor = end;
        self.emit_word(start, end);
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

fn is_cjk_char(c: char) -> bool {
    c.is_alphanumeric()
        && matches!(c as u32,
            0x1100..=0x11FF       // Hangul Jamo
            | 0x3005..=0x3007     // 々 〆 〇
            | 0x3040..=0x30FF     // Hiragana, Katakana
            | 0x3130..=0x318F     // Hangul compatibility Jamo
            | 0x31F0..=0x31FF     // Katakana phonetic extensions
            | 0x3400..=0x4DBF     // Han extension A
            | 0x4E00..=0x9FFF     // Han
            | 0xA960..=0xA97F     // Hangul Jamo extended A
            | 0xAC00..=0xD7FF     // Hangul syllables, Jamo extended B
            | 0xF900..=0xFAFF     // Han compatibility
            | 0xFF66..=0xFF9F     // half-width Katakana
            | 0x20000..=0x3FFFF   // Han extensions B and later
        )
}

fn is_hebrew_letter(c: char) -> bool {
    matches!(c, '\u{05D0}'..='\u{05EA}' | '\u{05EF}'..='\u{05F2}')
}

/// Niqqud and cantillation. U+05BE (maqaf), U+05C0, U+05C3 and U+05C6 in the same range are
/// punctuation, not marks, so they keep separating words.
fn is_hebrew_point(c: char) -> bool {
    matches!(c, '\u{0591}'..='\u{05BD}' | '\u{05BF}' | '\u{05C1}' | '\u{05C2}' | '\u{05C4}' | '\u{05C5}' | '\u{05C7}')
}

/// Geresh/gershayim, including the ASCII quotes people type instead of them.
fn is_geresh(c: char) -> bool {
    matches!(c, '\'' | '"' | '\u{05F3}' | '\u{05F4}')
}

fn fold_yo(c: char) -> char {
    match c {
        'ё' => 'е',
        'Ё' => 'Е',
        _ => c,
    }
}

fn fold_hebrew_final(c: char) -> char {
    match c {
        'ך' => 'כ',
        'ם' => 'מ',
        'ן' => 'נ',
        'ף' => 'פ',
        'ץ' => 'צ',
        _ => c,
    }
}

// ---------------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------------

/// Applies a Snowball stemmer to every token (expects lowercased input).
#[derive(Clone, Copy)]
pub struct SnowballStemFilter {
    stemmer: Stemmer,
}

impl SnowballStemFilter {
    pub fn new(algorithm: Algorithm) -> Self {
        SnowballStemFilter { stemmer: Stemmer::new(algorithm) }
    }
}

impl TokenFilter for SnowballStemFilter {
    type Tokenizer<T: Tokenizer> = SnowballStemTokenizer<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> SnowballStemTokenizer<T> {
        SnowballStemTokenizer { stemmer: self.stemmer, inner }
    }
}

#[derive(Clone)]
pub struct SnowballStemTokenizer<T> {
    stemmer: Stemmer,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for SnowballStemTokenizer<T> {
    type TokenStream<'a> = SnowballStemStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        SnowballStemStream { stemmer: self.stemmer, tail: self.inner.token_stream(text) }
    }
}

pub struct SnowballStemStream<S> {
    stemmer: Stemmer,
    tail: S,
}

impl<S: TokenStream> TokenStream for SnowballStemStream<S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        // `stem` borrows when nothing changes, so only allocate for real rewrites.
        let stemmed = match self.stemmer.stem(&self.tail.token().text) {
            Cow::Owned(stemmed) => Some(stemmed),
            Cow::Borrowed(_) => None,
        };
        if let Some(stemmed) = stemmed {
            self.tail.token_mut().text = stemmed;
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Rewrites every character of a token through a fixed mapping (ё→е, final Hebrew letters).
#[derive(Clone, Copy)]
pub struct CharFoldFilter {
    fold: fn(char) -> char,
}

impl CharFoldFilter {
    pub fn new(fold: fn(char) -> char) -> Self {
        CharFoldFilter { fold }
    }
}

impl TokenFilter for CharFoldFilter {
    type Tokenizer<T: Tokenizer> = CharFoldTokenizer<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> CharFoldTokenizer<T> {
        CharFoldTokenizer { fold: self.fold, inner }
    }
}

#[derive(Clone)]
pub struct CharFoldTokenizer<T> {
    fold: fn(char) -> char,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for CharFoldTokenizer<T> {
    type TokenStream<'a> = CharFoldStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        CharFoldStream { fold: self.fold, tail: self.inner.token_stream(text) }
    }
}

pub struct CharFoldStream<S> {
    fold: fn(char) -> char,
    tail: S,
}

impl<S: TokenStream> TokenStream for CharFoldStream<S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let fold = self.fold;
        let text = &self.tail.token().text;
        if text.chars().any(|c| fold(c) != c) {
            let folded: String = text.chars().map(fold).collect();
            self.tail.token_mut().text = folded;
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// For a word starting with one-letter prefixes (ו ה ב ל מ ש כ), also emits the word without them
/// at the same position, so "והחשבון" and "בחשבון" both reach "חשבון". The shortest form comes
/// last: the query builder relies on that when it has to pick one form per phrase position.
#[derive(Clone, Copy)]
pub struct HebrewPrefixFilter;

impl TokenFilter for HebrewPrefixFilter {
    type Tokenizer<T: Tokenizer> = HebrewPrefixTokenizer<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> HebrewPrefixTokenizer<T> {
        HebrewPrefixTokenizer { inner }
    }
}

#[derive(Clone)]
pub struct HebrewPrefixTokenizer<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for HebrewPrefixTokenizer<T> {
    type TokenStream<'a> = HebrewPrefixStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        HebrewPrefixStream { tail: self.inner.token_stream(text), pending: Vec::new() }
    }
}

pub struct HebrewPrefixStream<S> {
    tail: S,
    /// Stripped forms still to emit for the current token, in reverse order.
    pending: Vec<String>,
}

impl<S: TokenStream> TokenStream for HebrewPrefixStream<S> {
    fn advance(&mut self) -> bool {
        if let Some(stripped) = self.pending.pop() {
            // Position and offsets stay those of the full word.
            self.tail.token_mut().text = stripped;
            return true;
        }
        if !self.tail.advance() {
            return false;
        }
        let text = &self.tail.token().text;
        let char_count = text.chars().count();
        let mut rest = text.as_str();
        for stripped_count in 1..=MAX_HEBREW_PREFIXES {
            let mut chars = rest.chars();
            match chars.next() {
                Some(c) if is_hebrew_prefix(c) && char_count - stripped_count >= MIN_HEBREW_STEM_CHARS => {
                    rest = chars.as_str();
                    self.pending.push(rest.to_string());
                }
                _ => break,
            }
        }
        self.pending.reverse();
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

fn is_hebrew_prefix(c: char) -> bool {
    matches!(c, 'ו' | 'ה' | 'ב' | 'ל' | 'מ' | 'ש' | 'כ')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager() -> TokenizerManager {
        let manager = TokenizerManager::default();
        register_analyzers(&manager);
        manager
    }

    /// (position, text) of every token.
    fn tokens(analyzer: &str, text: &str) -> Vec<(usize, String)> {
        let mut analyzer = manager().get(analyzer).expect("analyzer registered");
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while let Some(token) = stream.next() {
            out.push((token.position, token.text.clone()));
        }
        out
    }

    fn texts(analyzer: &str, text: &str) -> Vec<String> {
        tokens(analyzer, text).into_iter().map(|(_, t)| t).collect()
    }

    fn single(analyzer: &str, word: &str) -> String {
        let out = texts(analyzer, word);
        assert_eq!(out.len(), 1, "{word:?} gave {out:?}");
        out.into_iter().next().unwrap()
    }

    #[test]
    fn all_analyzers_are_registered() {
        let manager = manager();
        for name in ANALYZERS {
            assert!(manager.get(name).is_some(), "{name} missing");
        }
    }

    #[test]
    fn locale_mapping() {
        assert_eq!(analyzer_for_locale("en"), FL_EN);
        assert_eq!(analyzer_for_locale("EN-us"), FL_EN);
        assert_eq!(analyzer_for_locale("ru_RU"), FL_RU);
        assert_eq!(analyzer_for_locale("pl-PL"), FL_PL);
        assert_eq!(analyzer_for_locale("he-IL"), FL_HE);
        assert_eq!(analyzer_for_locale("iw"), FL_HE);
        assert_eq!(analyzer_for_locale("zh-Hant-TW"), FL_ZH);
        assert_eq!(analyzer_for_locale("ja-JP"), FL_ZH);
        assert_eq!(analyzer_for_locale("ko"), FL_ZH);
        assert_eq!(analyzer_for_locale("de-DE"), FL_DEFAULT);
        assert_eq!(analyzer_for_locale(""), FL_DEFAULT);
        assert!(is_cjk_analyzer(FL_ZH));
        assert!(!is_cjk_analyzer(FL_EN));
    }

    #[test]
    fn english_inflections_share_a_stem() {
        let stem = single(FL_EN, "refund");
        assert_eq!(single(FL_EN, "Refunds"), stem);
        assert_eq!(single(FL_EN, "refunding"), stem);
    }

    #[test]
    fn russian_inflections_and_yo() {
        assert_eq!(single(FL_RU, "возврата"), single(FL_RU, "Возврат"));
        assert_eq!(single(FL_RU, "ёлка"), single(FL_RU, "елка"));
        // Decomposed й (и + U+0306) must not split the word.
        assert_eq!(single(FL_RU, "Синии\u{0306}"), single(FL_RU, "синий"));
    }

    #[test]
    fn polish_inflections_and_diacritics() {
        let stem = single(FL_PL, "zwrot");
        assert_eq!(single(FL_PL, "zwrotu"), stem);
        assert_eq!(single(FL_PL, "Zwroty"), stem);
        assert_eq!(texts(FL_PL, "zażółć gęślą jaźń").len(), 3);
        assert_eq!(single(FL_PL, "zwrotów"), stem);
        assert_eq!(single(FL_PL, "zwrotem"), stem);
    }

    #[test]
    fn hebrew_niqqud_is_ignored() {
        assert_eq!(texts(FL_HE, "שָׁלוֹם עוֹלָם"), texts(FL_HE, "שלום עולם"));
    }

    #[test]
    fn hebrew_acronyms_stay_one_token() {
        assert_eq!(texts(FL_HE, "צה\"ל"), vec!["צהל"]);
        assert_eq!(texts(FL_HE, "ת״ז"), vec!["תז"]);
        assert_eq!(texts(FL_HE, "ת'ז"), vec!["תז"]);
        // A quote that is not between two Hebrew letters is punctuation.
        assert_eq!(texts(FL_HE, "\"שלום\""), texts(FL_HE, "שלום"));
    }

    #[test]
    fn hebrew_prefixes_and_final_letters() {
        let bare = texts(FL_HE, "חשבון");
        assert_eq!(bare, vec!["חשבונ"]);
        let prefixed = tokens(FL_HE, "בחשבון");
        assert_eq!(prefixed, vec![(0, "בחשבונ".to_string()), (0, "חשבונ".to_string())]);
        assert!(texts(FL_HE, "והחשבון").contains(&bare[0]));
        // Too short to strip: the remainder would be under three letters.
        assert_eq!(texts(FL_HE, "בית"), vec!["בית"]);
        // Latin inside Hebrew text is lowercased and positions keep counting per word.
        let mixed = tokens(FL_HE, "שלום iPhone");
        assert_eq!(mixed.last(), Some(&(1, "iphone".to_string())));
    }

    #[test]
    fn chinese_bigrams_have_consecutive_positions() {
        let out = tokens(FL_ZH, "如何申请退款");
        let expected = ["如何", "何申", "申请", "请退", "退款"];
        assert_eq!(out.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(), expected);
        assert_eq!(out.iter().map(|(p, _)| *p).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn chinese_mixed_with_latin() {
        assert_eq!(tokens(FL_ZH, "用iPhone付款"), vec![(0, "用".into()), (1, "iphone".into()), (2, "付款".into())]);
        // Punctuation splits runs; a lone character is kept as a unigram.
        assert_eq!(texts(FL_ZH, "退款，是"), vec!["退款", "是"]);
    }

    #[test]
    fn japanese_kana_and_korean_are_bigrammed() {
        assert_eq!(texts(FL_ZH, "ありがとう"), vec!["あり", "りが", "がと", "とう"]);
        assert_eq!(texts(FL_ZH, "カード番号"), vec!["カー", "ード", "ド番", "番号"]);
        assert_eq!(texts(FL_ZH, "환불 요청"), vec!["환불", "요청"]);
    }

    #[test]
    fn default_keeps_words_unstemmed() {
        assert_eq!(texts(FL_DEFAULT, "Rückerstattungen, bitte!"), vec!["rückerstattungen", "bitte"]);
    }

    #[test]
    fn long_tokens_are_dropped() {
        let long = "a".repeat(MAX_TOKEN_BYTES + 1);
        let limit = "b".repeat(MAX_TOKEN_BYTES);
        for name in ANALYZERS {
            let out = texts(name, &format!("{long} {limit}"));
            assert_eq!(out.len(), 1, "{name}: {out:?}");
            assert!(out[0].starts_with('b'), "{name}: {out:?}");
        }
    }
}
