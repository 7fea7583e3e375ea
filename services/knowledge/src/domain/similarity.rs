//! Near-duplicate detection between articles of one language, by comparing sets of hashed shingles.

use unicode_normalization::UnicodeNormalization;

const SHINGLE_WORDS: usize = 3;
const CJK_GRAM_CHARS: usize = 3;

// Tags keep a CJK character gram from colliding with a word shingle that happens to have the same bytes.
const WORD_TAG: u8 = b'w';
const CJK_TAG: u8 = b'c';
// A separator that cannot occur inside a word, so ["ab", "c"] and ["a", "bc"] hash differently.
const WORD_SEPARATOR: u8 = 0x1f;

/// The sorted, de-duplicated shingle hashes of a text. Hashes are stable across processes and releases, so
/// fingerprints may be stored and compared later.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fingerprint {
    shingles: Vec<u64>,
}

impl Fingerprint {
    /// Rebuilds a fingerprint from stored hashes, in any order.
    pub fn from_shingles(mut shingles: Vec<u64>) -> Self {
        shingles.sort_unstable();
        shingles.dedup();
        Fingerprint { shingles }
    }

    pub fn shingles(&self) -> &[u64] {
        &self.shingles
    }

    pub fn len(&self) -> usize {
        self.shingles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shingles.is_empty()
    }

    fn common(&self, other: &Fingerprint) -> usize {
        let (a, b) = (&self.shingles, &other.shingles);
        let (mut i, mut j, mut n) = (0, 0, 0);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    n += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        n
    }
}

/// `cjk` selects character grams for runs of Chinese, Japanese or Korean script, which are not split by spaces.
pub fn fingerprint(text: &str, cjk: bool) -> Fingerprint {
    // NFKC folds full-width Latin and compatibility forms, common in CJK text, onto their plain forms.
    let text: String = text.nfkc().flat_map(char::to_lowercase).collect();
    let mut shingles = Vec::new();
    let mut words: Vec<&str> = Vec::new();
    let mut run_start: Option<usize> = None;
    let mut word_start: Option<usize> = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        let in_cjk = cjk && is_cjk(c);
        let in_word = !in_cjk && c.is_alphanumeric();
        if !in_cjk && let Some(start) = run_start.take() {
            cjk_grams(&text[start..i], &mut shingles);
        }
        if !in_word && let Some(start) = word_start.take() {
            words.push(&text[start..i]);
        }
        if in_cjk {
            run_start.get_or_insert(i);
        }
        if in_word {
            word_start.get_or_insert(i);
        }
    }
    word_shingles(&words, &mut shingles);
    Fingerprint::from_shingles(shingles)
}

/// Jaccard index of the two shingle sets. Empty fingerprints carry no evidence, so they never look alike.
pub fn similarity(a: &Fingerprint, b: &Fingerprint) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = a.common(b);
    common as f64 / (a.len() + b.len() - common) as f64
}

/// Share of `a`'s shingles found in `b`: high when `a` is mostly copied into a longer `b`.
pub fn containment(a: &Fingerprint, b: &Fingerprint) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    a.common(b) as f64 / a.len() as f64
}

fn word_shingles(words: &[&str], out: &mut Vec<u64>) {
    if words.len() < SHINGLE_WORDS {
        out.extend(words.iter().map(|w| hash_parts(WORD_TAG, std::slice::from_ref(w))));
        return;
    }
    out.extend(words.windows(SHINGLE_WORDS).map(|window| hash_parts(WORD_TAG, window)));
}

fn cjk_grams(run: &str, out: &mut Vec<u64>) {
    let bounds: Vec<usize> = run.char_indices().map(|(i, _)| i).chain(std::iter::once(run.len())).collect();
    let chars = bounds.len() - 1;
    if chars < CJK_GRAM_CHARS {
        out.push(hash_parts(CJK_TAG, &[run]));
        return;
    }
    for start in 0..=chars - CJK_GRAM_CHARS {
        out.push(hash_parts(CJK_TAG, &[&run[bounds[start]..bounds[start + CJK_GRAM_CHARS]]]));
    }
}

/// FNV-1a, written out because std's `DefaultHasher` is allowed to change between Rust releases and
/// `RandomState` differs per process, either of which would invalidate stored fingerprints.
fn hash_parts(tag: u8, parts: &[&str]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    let step = |h: u64, byte: u8| (h ^ u64::from(byte)).wrapping_mul(PRIME);
    let mut hash = step(OFFSET, tag);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hash = step(hash, WORD_SEPARATOR);
        }
        hash = part.bytes().fold(hash, step);
    }
    hash
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF       // Hangul Jamo
        | 0x2E80..=0x2FDF     // CJK radicals, Kangxi radicals
        | 0x3040..=0x30FF     // Hiragana, Katakana
        | 0x3100..=0x312F     // Bopomofo
        | 0x3130..=0x318F     // Hangul compatibility Jamo
        | 0x31A0..=0x31FF     // Bopomofo extended, CJK strokes, Katakana extensions
        | 0x3400..=0x4DBF     // CJK extension A
        | 0x4E00..=0x9FFF     // CJK unified ideographs
        | 0xA960..=0xA97F     // Hangul Jamo extended-A
        | 0xAC00..=0xD7FF     // Hangul syllables, Jamo extended-B
        | 0xF900..=0xFAFF     // CJK compatibility ideographs
        | 0xFF66..=0xFF9F     // half-width Katakana
        | 0x20000..=0x3FFFF // supplementary ideographic planes
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &str = "To request a refund, open the Orders page, choose the order you want to return, and press \
        the Refund button. The money is returned to the original payment method within five business days. \
        If the order was paid with a gift card, the refund is issued as store credit instead.";

    #[test]
    fn identical_texts_score_one() {
        let a = fingerprint(ARTICLE, false);
        assert_eq!(similarity(&a, &fingerprint(ARTICLE, false)), 1.0);
        assert_eq!(containment(&a, &a), 1.0);
    }

    #[test]
    fn case_and_punctuation_do_not_matter() {
        let a = fingerprint("Reset your password now.", false);
        let b = fingerprint("reset YOUR password, now!", false);
        assert_eq!(similarity(&a, &b), 1.0);
    }

    #[test]
    fn light_edit_stays_similar() {
        let edited = ARTICLE.replace("five business days", "seven business days").replace("store credit", "credit");
        let s = similarity(&fingerprint(ARTICLE, false), &fingerprint(&edited, false));
        assert!(s > 0.6, "{s}");
        assert!(s < 1.0, "{s}");
    }

    #[test]
    fn unrelated_texts_score_low() {
        let other = "Our office in Lisbon is closed on public holidays. Parking is available behind the building, \
            and visitors should sign in at reception before heading upstairs to the meeting rooms.";
        let s = similarity(&fingerprint(ARTICLE, false), &fingerprint(other, false));
        assert!(s < 0.1, "{s}");
    }

    #[test]
    fn containment_detects_copied_passage() {
        let longer = format!("{ARTICLE} Contact support if the refund has not arrived after ten days.");
        let (a, b) = (fingerprint(ARTICLE, false), fingerprint(&longer, false));
        assert_eq!(containment(&a, &b), 1.0);
        assert!(containment(&b, &a) < 1.0);
    }

    #[test]
    fn short_texts_use_their_words() {
        assert_eq!(fingerprint("refund policy", false).len(), 2);
        assert!(fingerprint("  ?! ", false).is_empty());
        assert_eq!(similarity(&Fingerprint::default(), &Fingerprint::default()), 0.0);
    }

    #[test]
    fn chinese_near_duplicate_is_detected() {
        let a =
            "如需申请退款，请打开订单页面，选择要退货的订单，然后点击退款按钮。款项将在五个工作日内退回原支付方式。";
        let b =
            "如需申请退款，请打开订单页面，选择需要退货的订单，然后点击退款按钮。款项将在七个工作日内退回原支付方式。";
        let c = "我们的办公室在节假日休息，访客请在前台登记后再上楼前往会议室。";
        let (fa, fb, fc) = (fingerprint(a, true), fingerprint(b, true), fingerprint(c, true));
        assert!(similarity(&fa, &fb) > 0.6, "{}", similarity(&fa, &fb));
        assert!(similarity(&fa, &fc) < 0.1, "{}", similarity(&fa, &fc));
    }

    #[test]
    fn mixed_cjk_and_latin_text_uses_both() {
        let a = fingerprint("在 iPhone 15 Pro 上重置密码", true);
        let b = fingerprint("在 iphone 15 pro 上重置密码", true);
        assert_eq!(similarity(&a, &b), 1.0);
        // Latin words form word shingles; the CJK runs form grams ("在" alone, "上重置", "重置密", "置密码").
        assert_eq!(a.len(), 1 + 1 + 3);
    }

    #[test]
    fn stored_fingerprints_compare_equal() {
        let a = fingerprint(ARTICLE, false);
        let mut stored = a.shingles().to_vec();
        stored.reverse();
        assert_eq!(Fingerprint::from_shingles(stored), a);
    }

    #[test]
    fn hash_is_standard_fnv1a() {
        // Published FNV-1a test vectors pin the function, since a change would silently invalidate stored data.
        assert_eq!(hash_parts(b'a', &[]), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash_parts(b'f', &["oobar"]), 0x8594_4171_f739_67e8);
        assert_ne!(hash_parts(WORD_TAG, &["ab", "c"]), hash_parts(WORD_TAG, &["a", "bc"]));
    }
}
