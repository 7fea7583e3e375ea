//! Import/export documents: a YAML front matter block followed by a Markdown or HTML body.

use serde::{Deserialize, Serialize};

use super::content::BodyFormat;

const FENCE: &str = "---";

/// Metadata carried in the front matter. Unknown keys are rejected so that a typo such as `titel` is reported
/// instead of silently dropping the value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    /// External id, stable across export and import, so re-importing updates rather than duplicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub article_type: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// External id of the article this one translates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation_of: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_interval: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub front_matter: FrontMatter,
    pub body: String,
    pub format: BodyFormat,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontMatterError {
    #[error("front matter must start with --- on the first line")]
    MissingStart,
    #[error("front matter opened on line 1 is never closed with ---")]
    Unterminated,
    /// `line` counts from the top of the whole document, so an editor can jump straight to it.
    #[error("front matter{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Invalid { field: Option<String>, line: Option<usize>, message: String },
}

impl FrontMatterError {
    /// The offending key, or `"front_matter"` when the problem is not tied to one key.
    pub fn field(&self) -> &str {
        match self {
            FrontMatterError::Invalid { field: Some(field), .. } => field,
            _ => "front_matter",
        }
    }
}

/// Parses a document. `format_hint` (usually from the file extension) wins when given; otherwise a body that
/// starts with `<` is taken as HTML.
pub fn parse(source: &str, format_hint: Option<BodyFormat>) -> Result<Document, FrontMatterError> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let (yaml, body) = split(source)?;
    let front_matter = parse_yaml(yaml)?;
    if front_matter.title.trim().is_empty() {
        return Err(FrontMatterError::Invalid {
            field: Some("title".into()),
            line: None,
            message: "title must not be empty".into(),
        });
    }
    let format = format_hint
        .unwrap_or_else(|| if body.trim_start().starts_with('<') { BodyFormat::Html } else { BodyFormat::Markdown });
    Ok(Document { front_matter, body: body.to_owned(), format })
}

/// Writes a document back in the form [`parse`] reads; `parse(&render(d), Some(d.format))` gives `d` again.
pub fn render(doc: &Document) -> String {
    let yaml = serde_yaml_ng::to_string(&doc.front_matter).expect("a struct of strings always serialises to YAML");
    // The blank line after the fence is for human readers; parse drops exactly one, so bodies round-trip.
    format!("{FENCE}\n{yaml}{FENCE}\n\n{}", doc.body)
}

/// Splits into the YAML between the fences and the body after the closing fence, minus one separating blank line.
fn split(source: &str) -> Result<(&str, &str), FrontMatterError> {
    let (first, after_first) = next_line(source);
    if first.trim_end() != FENCE {
        return Err(FrontMatterError::MissingStart);
    }
    let mut offset = source.len() - after_first.len();
    let mut rest = after_first;
    while !rest.is_empty() {
        let (line, after) = next_line(rest);
        // Only an unindented fence closes the block; YAML block scalars indent theirs.
        if line.trim_end() == FENCE {
            let yaml = &source[source.len() - after_first.len()..offset];
            let body = after.strip_prefix("\r\n").or_else(|| after.strip_prefix('\n')).unwrap_or(after);
            return Ok((yaml, body));
        }
        offset += rest.len() - after.len();
        rest = after;
    }
    Err(FrontMatterError::Unterminated)
}

/// Returns the line without its terminator and the text after the terminator.
fn next_line(s: &str) -> (&str, &str) {
    match s.find('\n') {
        Some(i) => (s[..i].strip_suffix('\r').unwrap_or(&s[..i]), &s[i + 1..]),
        None => (s, ""),
    }
}

fn parse_yaml(yaml: &str) -> Result<FrontMatter, FrontMatterError> {
    // An empty block deserialises as null, whose serde message ("invalid type: unit value") says nothing useful.
    if yaml.trim().is_empty() {
        return Err(FrontMatterError::Invalid {
            field: Some("title".into()),
            line: None,
            message: "missing field `title`".into(),
        });
    }
    serde_yaml_ng::from_str(yaml).map_err(|err| {
        // +1 because the opening fence sits above the YAML.
        let line = err.location().map(|loc| loc.line() + 1);
        let full = err.to_string();
        let message = match full.rfind(" at line ") {
            Some(i) if line.is_some() => full[..i].to_owned(),
            _ => full,
        };
        FrontMatterError::Invalid { field: offending_field(&message), line, message }
    })
}

/// Pulls the key out of serde's messages: "unknown field `x`", "missing field `x`", or a "path: ..." prefix.
fn offending_field(message: &str) -> Option<String> {
    for marker in ["unknown field `", "missing field `", "duplicate field `"] {
        if let Some(start) = message.find(marker) {
            let name = &message[start + marker.len()..];
            return name.find('`').map(|end| name[..end].to_owned());
        }
    }
    let (path, _) = message.split_once(": ")?;
    let key = path.split(['.', '[']).next()?;
    let is_key = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    is_key.then(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn doc(title: &str) -> Document {
        Document {
            front_matter: FrontMatter { title: title.into(), ..FrontMatter::default() },
            body: "Body\n".into(),
            format: BodyFormat::Markdown,
        }
    }

    #[test]
    fn parses_all_keys() {
        let src = "---\nid: kb-42\ntitle: Refunds\nlocale: en-US\ntype: faq\ntags: [billing, refunds]\n\
                   collection: Billing\nsection: Payments\nvisibility: public\nstatus: published\n\
                   translation_of: kb-1\nverifier: alice@example.com\nverification_interval: monthly\n---\n\n# Hi\n";
        let d = parse(src, None).unwrap();
        assert_eq!(d.front_matter.id.as_deref(), Some("kb-42"));
        assert_eq!(d.front_matter.article_type.as_deref(), Some("faq"));
        assert_eq!(d.front_matter.tags, vec!["billing", "refunds"]);
        assert_eq!(d.front_matter.translation_of.as_deref(), Some("kb-1"));
        assert_eq!(d.front_matter.verification_interval.as_deref(), Some("monthly"));
        assert_eq!(d.body, "# Hi\n");
        assert_eq!(d.format, BodyFormat::Markdown);
    }

    #[test]
    fn format_comes_from_hint_or_body() {
        let html = "---\ntitle: T\n---\n  <p>x</p>";
        assert_eq!(parse(html, None).unwrap().format, BodyFormat::Html);
        assert_eq!(parse(html, Some(BodyFormat::Markdown)).unwrap().format, BodyFormat::Markdown);
        assert_eq!(parse("---\ntitle: T\n---\nx", Some(BodyFormat::Html)).unwrap().format, BodyFormat::Html);
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let d = parse("\u{feff}---\r\ntitle: T\r\n---\r\n\r\nBody\r\n", None).unwrap();
        assert_eq!(d.front_matter.title, "T");
        assert_eq!(d.body, "Body\r\n");
    }

    #[test]
    fn missing_front_matter_is_an_error() {
        let err = parse("# Just markdown\n", None).unwrap_err();
        assert_eq!(err, FrontMatterError::MissingStart);
        assert_eq!(err.field(), "front_matter");
        assert!(err.to_string().contains("must start with ---"), "{err}");
        assert_eq!(parse("---\ntitle: T\n", None).unwrap_err(), FrontMatterError::Unterminated);
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let err = parse("---\nid: a\ntitel: Oops\n---\nbody", None).unwrap_err();
        assert_eq!(err.field(), "titel");
        let text = err.to_string();
        assert!(text.contains("unknown field `titel`"), "{text}");
        assert!(text.contains("line 3"), "{text}");
    }

    #[test]
    fn missing_or_empty_title_is_reported() {
        for src in ["---\nlocale: en\n---\nx", "---\n---\nx", "---\ntitle: '  '\n---\nx"] {
            let err = parse(src, None).unwrap_err();
            assert_eq!(err.field(), "title", "{src:?}: {err}");
        }
    }

    #[test]
    fn wrong_type_names_the_key() {
        let err = parse("---\ntitle: T\ntags: {a: 1}\n---\nx", None).unwrap_err();
        assert_eq!(err.field(), "tags", "{err}");
    }

    #[test]
    fn malformed_yaml_is_an_error() {
        let err = parse("---\ntitle: [unclosed\n---\nx", None).unwrap_err();
        assert!(matches!(err, FrontMatterError::Invalid { .. }), "{err}");
    }

    #[test]
    fn round_trips_awkward_titles() {
        let titles = [
            "如何申请退款",
            "איך מחזירים כסף?",
            "Refunds: how \"fast\" are they?",
            "It's: 'quoted' — and # not a comment",
            "---",
            "yes",
            "123",
            "null",
            "- list-like",
            "line one\nline two",
            "  padded  ",
        ];
        for title in titles {
            let mut d = doc(title);
            d.front_matter.tags = vec!["a:b".into(), "計費".into()];
            d.front_matter.translation_of = Some("kb-1".into());
            let text = render(&d);
            assert_eq!(parse(&text, Some(d.format)).unwrap(), d, "{text}");
        }
    }

    #[test]
    fn round_trip_preserves_leading_blank_lines_and_html_body() {
        let mut d = doc("T");
        d.body = "\n\n<p>x</p>".into();
        d.format = BodyFormat::Html;
        assert_eq!(parse(&render(&d), Some(BodyFormat::Html)).unwrap(), d);
        assert_eq!(parse(&render(&d), None).unwrap(), d);
    }

    proptest! {
        #[test]
        fn round_trip_any_printable_fields(
            title in "[^\\p{C}]{0,30}[^\\p{C}\\s][^\\p{C}]{0,30}",
            tags in proptest::collection::vec("[^\\p{C}]{1,12}", 0..4),
            id in proptest::option::of("[^\\p{C}]{1,20}"),
            body in "[^\\p{C}]{0,40}(\n[^\\p{C}]{0,40}){0,3}",
        ) {
            let d = Document {
                front_matter: FrontMatter { id, title, tags, ..FrontMatter::default() },
                body,
                format: BodyFormat::Markdown,
            };
            prop_assert_eq!(parse(&render(&d), Some(d.format)).unwrap(), d);
        }
    }
}
