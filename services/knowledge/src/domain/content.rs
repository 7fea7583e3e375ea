//! Article bodies: turning stored Markdown or HTML into safe HTML for display and plain text for search, plus slugs.

use std::sync::LazyLock;

use pulldown_cmark::{Options, Parser, html};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// How an article body is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyFormat {
    Markdown,
    Html,
}

/// A body ready for the reader (`html`) and for indexing and snippets (`text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedBody {
    pub html: String,
    pub text: String,
}

const MAX_SLUG_CHARS: usize = 80;

// Built once: a Builder owns several tag/attribute sets that would otherwise be rebuilt on every render.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    // Stated explicitly rather than relying on the default, because dropping it would reopen reverse tabnabbing.
    builder.link_rel(Some("noopener noreferrer"));
    builder
});

pub fn render(body: &str, format: BodyFormat) -> RenderedBody {
    let html = match format {
        BodyFormat::Markdown => {
            let parser = Parser::new_ext(body, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
            let mut raw = String::with_capacity(body.len() * 3 / 2);
            html::push_html(&mut raw, parser);
            // Markdown may embed raw HTML, so its output is as untrusted as an HTML body.
            sanitize_html(&raw)
        }
        BodyFormat::Html => sanitize_html(body),
    };
    let text = html_to_text(&html);
    RenderedBody { html, text }
}

pub fn sanitize_html(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

/// Lowercase, hyphen-joined words; non-Latin letters are kept so that titles in any script get a usable slug.
/// A title with no letters or digits at all gives an empty slug, which the caller must replace.
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    let mut len = 0;
    let mut pending_dash = false;
    for c in title.nfc() {
        // Apostrophes inside words ("don't") would otherwise split them into two slug words.
        if matches!(c, '\'' | '\u{2019}') {
            continue;
        }
        // Combining marks carry vowels and viramas in Indic and Hebrew scripts; treating them as separators
        // would tear words apart.
        if !(c.is_alphanumeric() || is_combining_mark(c)) {
            pending_dash = !slug.is_empty();
            continue;
        }
        if pending_dash {
            if len + 1 >= MAX_SLUG_CHARS {
                break;
            }
            slug.push('-');
            len += 1;
            pending_dash = false;
        }
        let lower: Vec<char> = c.to_lowercase().collect();
        if len + lower.len() > MAX_SLUG_CHARS {
            break;
        }
        slug.extend(lower.iter());
        len += lower.len();
    }
    slug
}

/// Elements whose start and end break the text into separate lines.
fn is_block(tag: &str) -> bool {
    matches!(
        tag,
        "p" | "div"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "pre"
            | "blockquote"
            | "table"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "caption"
            | "hr"
            | "br"
            | "article"
            | "aside"
            | "section"
            | "header"
            | "footer"
            | "nav"
            | "figure"
            | "figcaption"
            | "details"
            | "summary"
            | "hgroup"
    )
}

/// Extracts text from *sanitised* HTML. A full parser is not needed because ammonia's serialiser emits
/// well-formed markup with no comments, scripts or styles, and escapes `<` in text.
fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut pre_depth = 0usize;
    let mut rest = html;
    while !rest.is_empty() {
        if let Some(after_lt) = rest.strip_prefix('<') {
            let end = tag_end(after_lt);
            let tag = &after_lt[..end];
            rest = after_lt.get(end + 1..).unwrap_or("");
            let closing = tag.starts_with('/');
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect();
            if name == "pre" {
                pre_depth = if closing { pre_depth.saturating_sub(1) } else { pre_depth + 1 };
            }
            if is_block(&name) {
                break_line(&mut out);
            } else if matches!(name.as_str(), "td" | "th") && closing {
                // Keeps neighbouring cells from fusing into one word.
                out.push('\t');
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let decoded = decode_entities(&rest[..end]);
            if pre_depth > 0 {
                out.push_str(&decoded);
            } else {
                push_collapsed(&mut out, &decoded);
            }
            rest = &rest[end..];
        }
    }
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    let first = lines.iter().position(|l| !l.trim().is_empty()).unwrap_or(lines.len());
    let last = lines.iter().rposition(|l| !l.trim().is_empty()).map_or(first, |i| i + 1);
    lines[first..last].join("\n")
}

/// Index of the `>` closing a tag, skipping quoted attribute values that may contain `>`.
fn tag_end(s: &str) -> usize {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '>') => return i,
            _ => {}
        }
    }
    s.len()
}

fn break_line(out: &mut String) {
    while out.ends_with([' ', '\t']) {
        out.pop();
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

fn push_collapsed(out: &mut String, text: &str) {
    for c in text.chars() {
        // A non-breaking space is still a word separator for search purposes.
        if c.is_whitespace() {
            if !(out.is_empty() || out.ends_with([' ', '\n', '\t'])) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|&semi| semi <= 10).and_then(|semi| {
            let entity = &rest[1..semi];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => entity.strip_prefix('#').and_then(|num| {
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => num.parse().ok(),
                    };
                    code.and_then(char::from_u32)
                }),
            };
            c.map(|c| (c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_heading_and_list_render() {
        let body = render("# Refunds\n\n- first\n- second\n", BodyFormat::Markdown);
        assert!(body.html.contains("<h1>Refunds</h1>"), "{}", body.html);
        assert!(body.html.contains("<li>first</li>"), "{}", body.html);
        assert_eq!(body.text, "Refunds\nfirst\nsecond");
    }

    #[test]
    fn markdown_tables_and_strikethrough_are_enabled() {
        let body = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~", BodyFormat::Markdown);
        assert!(body.html.contains("<table>"), "{}", body.html);
        assert!(body.html.contains("<del>old</del>"), "{}", body.html);
        assert!(body.text.contains("1\t2"), "{:?}", body.text);
    }

    #[test]
    fn scripts_and_event_handlers_are_removed() {
        let html = r#"<p>Hi<script>alert(1)</script></p><img src="x.png" onerror="alert(2)">"#;
        let body = render(html, BodyFormat::Html);
        assert!(!body.html.contains("script"), "{}", body.html);
        assert!(!body.html.contains("alert"), "{}", body.html);
        assert!(!body.html.contains("onerror"), "{}", body.html);
        assert!(body.html.contains("<img src=\"x.png\">"), "{}", body.html);
        assert_eq!(body.text, "Hi");
    }

    #[test]
    fn raw_html_inside_markdown_is_sanitised() {
        let body = render("Hello <script>alert(1)</script> <b onclick=\"x()\">bold</b>", BodyFormat::Markdown);
        assert!(!body.html.contains("alert"), "{}", body.html);
        assert!(!body.html.contains("onclick"), "{}", body.html);
        assert!(body.html.contains("<b>bold</b>"), "{}", body.html);
    }

    #[test]
    fn javascript_links_lose_their_href_and_links_get_rel() {
        let clean = sanitize_html(r#"<a href="javascript:alert(1)">bad</a> <a href="https://example.com">good</a>"#);
        assert!(!clean.contains("javascript"), "{clean}");
        assert!(clean.contains(r#"<a href="https://example.com" rel="noopener noreferrer">good</a>"#), "{clean}");
        let md = render("[x](javascript:alert(1))", BodyFormat::Markdown);
        assert!(!md.html.contains("javascript"), "{}", md.html);
    }

    #[test]
    fn chinese_paragraph_text_is_intact() {
        let body = render("<p>如何申请退款？请联系客服。</p>", BodyFormat::Html);
        assert_eq!(body.text, "如何申请退款？请联系客服。");
    }

    #[test]
    fn text_decodes_entities_and_keeps_code_blocks() {
        let body = render("Use `a < b` & more\n\n```\nfn main() {\n    x();\n}\n```\n", BodyFormat::Markdown);
        assert_eq!(body.text, "Use a < b & more\nfn main() {\n    x();\n}");
    }

    #[test]
    fn text_collapses_html_whitespace() {
        let body = render("<div>\n  <p>one\n   two</p>\n<p>three<br>four</p></div>", BodyFormat::Html);
        assert_eq!(body.text, "one two\nthree\nfour");
    }

    #[test]
    fn slug_keeps_cyrillic_letters() {
        assert_eq!(slugify("Как вернуть деньги?"), "как-вернуть-деньги");
    }

    #[test]
    fn slug_handles_other_scripts_and_punctuation() {
        assert_eq!(slugify("  Hello, World!  "), "hello-world");
        assert_eq!(slugify("Don't panic"), "dont-panic");
        assert_eq!(slugify("如何申请退款"), "如何申请退款");
        assert_eq!(slugify("איך מחזירים כסף"), "איך-מחזירים-כסף");
        assert_eq!(slugify("हिन्दी सहायता"), "हिन्दी-सहायता");
        assert_eq!(slugify("?!"), "");
    }

    #[test]
    fn slug_is_capped_at_80_chars_without_trailing_dash() {
        let slug = slugify(&"word ".repeat(40));
        assert!(slug.chars().count() <= 80);
        assert!(!slug.ends_with('-'));
        assert!(slug.starts_with("word-word"));
    }
}
