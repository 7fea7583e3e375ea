//! Knowledge gaps: grouping searches that found nothing by a normalised form of the query.

use unicode_normalization::UnicodeNormalization;

const MAX_QUERY_CHARS: usize = 200;

/// Folds the trivial differences between queries so "How do I reset my password?" and
/// "how do i reset my password" land in one gap.
pub fn normalize_query(query: &str) -> String {
    // NFKC first: it maps full-width forms (ＡＢＣ, ？) and the Greek question mark onto their plain equivalents.
    let folded: String = query.nfkc().flat_map(char::to_lowercase).collect();
    let trimmed = folded.trim_matches(|c: char| c.is_whitespace() || is_edge_punctuation(c));
    let mut out = String::with_capacity(trimmed.len());
    let mut chars = 0;
    for word in trimmed.split_whitespace() {
        for c in (!out.is_empty()).then_some(' ').into_iter().chain(word.chars()) {
            if chars == MAX_QUERY_CHARS {
                return out.trim_end().to_owned();
            }
            out.push(c);
            chars += 1;
        }
    }
    out
}

/// Sentence punctuation and quotes only: symbols such as `#` or `+` carry meaning at the edge ("c#", "c++").
fn is_edge_punctuation(c: char) -> bool {
    matches!(
        c,
        '?' | '!'
            | '.'
            | ','
            | ';'
            | ':'
            | '"'
            | '\''
            | '`'
            | '¿'
            | '¡'
            | '…'
            | '‽'
            | '⁇'
            | '؟' // Arabic
            | '،'
            | '।' // Devanagari danda
            | '॥'
            | '՞' // Armenian
            | '፧' // Ethiopic
            | '።'
            | '。'
            | '、'
            | '，'
            | '！'
            | '？'
            | '「'
            | '」'
            | '『'
            | '』'
            | '“'
            | '”'
            | '‘'
            | '’'
            | '„'
            | '«'
            | '»'
            | '‹'
            | '›'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_whitespace_and_question_marks() {
        assert_eq!(normalize_query("  How do I   reset\tmy Password?? "), "how do i reset my password");
        assert_eq!(normalize_query("\"refund policy\""), "refund policy");
        assert_eq!(normalize_query("¿Cómo pido un reembolso?"), "cómo pido un reembolso");
    }

    #[test]
    fn strips_question_marks_in_other_scripts() {
        assert_eq!(normalize_query("如何申请退款？"), "如何申请退款");
        assert_eq!(normalize_query("كيف أسترد أموالي؟"), "كيف أسترد أموالي");
        assert_eq!(normalize_query("Как вернуть деньги?"), "как вернуть деньги");
        assert_eq!(normalize_query("「退款」"), "退款");
    }

    #[test]
    fn keeps_inner_punctuation_and_meaningful_symbols() {
        assert_eq!(normalize_query("What's new in C#?"), "what's new in c#");
        assert_eq!(normalize_query("c++"), "c++");
        assert_eq!(normalize_query("node.js install"), "node.js install");
    }

    #[test]
    fn full_width_forms_are_folded() {
        assert_eq!(normalize_query("ｉＰｈｏｎｅ　设置"), "iphone 设置");
    }

    #[test]
    fn empty_and_punctuation_only_queries_become_empty() {
        assert_eq!(normalize_query(""), "");
        assert_eq!(normalize_query(" ?? !! "), "");
    }

    #[test]
    fn long_queries_are_cut_at_200_chars() {
        let long = "退".repeat(250);
        assert_eq!(normalize_query(&long).chars().count(), 200);
        let words = "ab ".repeat(100);
        let cut = normalize_query(&words);
        assert!(cut.chars().count() <= 200);
        assert!(!cut.ends_with(' '));
    }
}
