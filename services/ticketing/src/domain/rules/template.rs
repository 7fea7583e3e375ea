//! `{{placeholder}}` text for macro replies, internal notes and webhook bodies: the placeholder list,
//! the save-time check, and rendering against facts. `\{{` writes a literal `{{`.

use serde::{Deserialize, Serialize};

use super::facts::Facts;

/// Where a placeholder's text comes from.
#[derive(Debug, Clone, Copy)]
enum Source {
    Fact(&'static str),
    /// First whitespace-separated word of a name fact, for friendly greetings.
    FirstName(&'static str),
}

const PLACEHOLDER_SOURCES: &[(&str, Source)] = &[
    ("ticket.id", Source::Fact("ticket.id")),
    ("ticket.subject", Source::Fact("subject")),
    ("ticket.status", Source::Fact("status")),
    ("ticket.priority", Source::Fact("priority")),
    ("ticket.team_id", Source::Fact("team_id")),
    ("ticket.locale", Source::Fact("locale")),
    ("requester.name", Source::Fact("requester.name")),
    ("requester.first_name", Source::FirstName("requester.name")),
    ("requester.email", Source::Fact("requester.email")),
    ("assignee.name", Source::Fact("assignee.name")),
    ("assignee.first_name", Source::FirstName("assignee.name")),
];

/// The placeholders templates may use.
pub fn placeholders() -> impl Iterator<Item = &'static str> {
    PLACEHOLDER_SOURCES.iter().map(|(name, _)| *name)
}

/// Why a template cannot be saved; `offset` is the byte offset of the offending `{{`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[error("{reason} (at byte {offset})")]
pub struct TemplateError {
    pub offset: usize,
    pub reason: String,
}

enum Piece<'a> {
    Literal(&'a str),
    Placeholder { name: &'a str, raw: &'a str, offset: usize },
    Unclosed { offset: usize },
}

fn pieces(text: &str) -> Vec<Piece<'_>> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut literal_start = 0;
    let mut index = 0;
    // Only ever slices at ASCII `\` or `{`, so every slice falls on a character boundary.
    while index < bytes.len() {
        if bytes[index..].starts_with(b"\\{{") {
            pieces.push(Piece::Literal(&text[literal_start..index]));
            pieces.push(Piece::Literal("{{"));
            index += 3;
            literal_start = index;
        } else if bytes[index..].starts_with(b"{{") {
            pieces.push(Piece::Literal(&text[literal_start..index]));
            match text[index + 2..].find("}}") {
                Some(length) => {
                    let end = index + 2 + length + 2;
                    let name = text[index + 2..end - 2].trim();
                    pieces.push(Piece::Placeholder { name, raw: &text[index..end], offset: index });
                    index = end;
                }
                None => {
                    pieces.push(Piece::Unclosed { offset: index });
                    pieces.push(Piece::Literal(&text[index..]));
                    index = bytes.len();
                }
            }
            literal_start = index;
        } else {
            index += 1;
        }
    }
    pieces.push(Piece::Literal(&text[literal_start..]));
    pieces
}

fn source(name: &str) -> Option<Source> {
    PLACEHOLDER_SOURCES.iter().find(|(known, _)| *known == name).map(|(_, source)| *source)
}

/// Save-time check: every `{{` is closed and names a known placeholder.
pub fn check(text: &str) -> Result<(), TemplateError> {
    for piece in pieces(text) {
        match piece {
            Piece::Unclosed { offset } => {
                return Err(TemplateError { offset, reason: "unclosed {{ (write \\{{ for a literal {{)".into() });
            }
            Piece::Placeholder { name, offset, .. } if source(name).is_none() => {
                let reason = if name.is_empty() {
                    "empty placeholder".to_string()
                } else {
                    format!("unknown placeholder {{{{{name}}}}}")
                };
                return Err(TemplateError { offset, reason });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Renders against the facts; a known placeholder whose fact is absent renders empty. A template that
/// never passed [`check`] still renders: unknown placeholders stay as written, so the mistake shows.
pub fn render(text: &str, facts: &Facts) -> String {
    let mut rendered = String::with_capacity(text.len());
    for piece in pieces(text) {
        match piece {
            Piece::Literal(literal) => rendered.push_str(literal),
            Piece::Placeholder { name, raw, .. } => match source(name) {
                Some(Source::Fact(field)) => rendered.push_str(&facts.get(field).to_string()),
                Some(Source::FirstName(field)) => {
                    let name = facts.get(field).to_string();
                    rendered.push_str(name.split_whitespace().next().unwrap_or_default());
                }
                None => rendered.push_str(raw),
            },
            Piece::Unclosed { .. } => {}
        }
    }
    rendered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rules::facts::Value;

    fn ticket() -> Facts {
        Facts::new()
            .with("ticket.id", Value::Number(1234))
            .with("requester.name", Value::text("  Ada Lovelace"))
            .with("status", Value::text("open"))
    }

    #[test]
    fn renders_placeholders_with_inner_spaces() {
        let text = "Hi {{requester.first_name}}, ticket #{{ ticket.id }} is {{ticket.status}}.";
        assert_eq!(render(text, &ticket()), "Hi Ada, ticket #1234 is open.");
    }

    #[test]
    fn absent_facts_render_empty() {
        assert_eq!(render("[{{assignee.first_name}}|{{ticket.locale}}]", &ticket()), "[|]");
    }

    #[test]
    fn escaped_braces_stay_literal() {
        assert!(check(r"Use \{{ticket.nope}} in your own templates").is_ok());
        assert_eq!(render(r"\{{ticket.id}} = {{ticket.id}}", &ticket()), "{{ticket.id}} = 1234");
    }

    #[test]
    fn unknown_placeholder_reports_offset() {
        let error = check("Hello {{requester.phone}}").unwrap_err();
        assert_eq!(error.offset, 6);
        assert!(error.reason.contains("requester.phone"), "{}", error.reason);
    }

    #[test]
    fn unclosed_placeholder_reports_offset() {
        let error = check("Ünïcode first, then {{ticket.id").unwrap_err();
        assert_eq!(error.offset, "Ünïcode first, then ".len());
        assert!(error.reason.starts_with("unclosed"));
        assert!(check("{{ }}").unwrap_err().reason.contains("empty"));
    }

    #[test]
    fn unchecked_templates_still_render() {
        assert_eq!(render("a {{nope}} b {{ticket.id", &ticket()), "a {{nope}} b {{ticket.id");
    }

    #[test]
    fn plain_text_and_stray_braces_pass() {
        assert!(check("no placeholders } here }}").is_ok());
        assert!(check("").is_ok());
        assert_eq!(placeholders().count(), 11);
    }
}
