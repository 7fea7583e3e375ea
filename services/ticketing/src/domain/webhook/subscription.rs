//! A webhook: a URL subscribed to some of ticketing's feed event types, and the secret its
//! deliveries are signed with. What a valid one looks like and which events it receives.
use frontline_proto::limits::ticketing as limits;
use std::fmt;

use frontline_shared::{ApiResult, error::Violations};

use super::target::{Host, check_address, parse_target};
use crate::domain::validate::max_chars;

pub const MAX_NAME_CHARS: usize = limits::WEBHOOK_NAME_MAX_CHARS;
pub const MAX_EVENT_TYPES: usize = limits::WEBHOOK_EVENT_TYPES_MAX_ITEMS;
/// Every event is offered to every webhook, so the number of them bounds the enqueuer's work
/// per event.
pub const MAX_WEBHOOKS: i64 = 100;
/// How long a rotated-out secret keeps signing deliveries next to the new one, so receivers
/// can switch without dropping a delivery in between.
pub const PREVIOUS_SECRET_GRACE_MICROS: i64 = 24 * 60 * 60 * 1_000_000;

/// Ticketing's feed event types a webhook may subscribe to, by name or by a `prefix.*` pattern.
///
/// `webhook.*` events are deliberately absent: a webhook told about its own dead deliveries
/// would dead-letter that notice too, and so on without end.
pub const EVENT_TYPES: &[&str] = &[
    "ticket.created",
    "ticket.imported",
    "ticket.updated",
    "ticket.closed_automatically",
    "ticket.commented",
    "ticket.linked",
    "ticket.unlinked",
    "ticket.merged",
    "ticket.rated",
    "ticket.escalated",
    "ticket.deescalated",
    "ticket.sla_warning",
    "ticket.sla_breached",
    "ticket.routed",
    "ticket.rule_notification",
    "ticket.suggestions_attached",
    "ticket.suggestions_unavailable",
    "customer.created",
    "customer.updated",
    "customer.merged",
    "organization.created",
    "organization.updated",
    "custom_field.created",
    "custom_field.updated",
    "calendar.created",
    "calendar.updated",
    "calendar.deleted",
    "sla_policy.created",
    "sla_policy.updated",
    "sla_policy.deleted",
    "sla_policy.reordered",
    "escalation_rule.created",
    "escalation_rule.updated",
    "escalation_rule.deleted",
    "business_rule.created",
    "business_rule.updated",
    "business_rule.deleted",
    "team_routing.set",
];

#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: String,
    pub name: String,
    /// Normalised by [`Webhook::check`]; what is stored and requested.
    pub url: String,
    /// Event types (`ticket.created`) and prefixes (`ticket.*`).
    pub event_types: Vec<String>,
    /// The HMAC key deliveries are signed with.
    pub secret: String,
    /// The secret before the last rotation, while it still signs deliveries too.
    pub previous_secret: Option<RetiringSecret>,
    /// An administrator's choice: deliveries may go to private and loopback addresses.
    pub allow_private_targets: bool,
    /// Inactive webhooks get no new deliveries, and their pending ones wait.
    pub active: bool,
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, PartialEq, Eq)]
pub struct RetiringSecret {
    pub secret: String,
    pub expires_at: i64,
}

// By hand, so that no Debug print (a log line, a failed assertion) shows a secret or the path
// of a URL: both sign or post as the webhook.
impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("url", &redacted_url(&self.url))
            .field("event_types", &self.event_types)
            .field("secret", &masked_secret(&self.secret))
            .field("previous_secret", &self.previous_secret)
            .field("allow_private_targets", &self.allow_private_targets)
            .field("active", &self.active)
            .field("revision", &self.revision)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

impl fmt::Debug for RetiringSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetiringSecret")
            .field("secret", &masked_secret(&self.secret))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl Webhook {
    /// Checks what a caller sets and normalises the URL. Violations name `webhook.<field>`.
    ///
    /// A host written as an address is checked here, so a loopback or metadata address is
    /// refused when it is saved; a host name is checked on every delivery, against what it
    /// resolves to then.
    pub fn check(&mut self) -> ApiResult<()> {
        let mut violations = Violations::new();
        if self.name.trim().is_empty() {
            violations.add("webhook.name", "is required");
        }
        max_chars(&mut violations, "webhook.name", &self.name, MAX_NAME_CHARS);
        if self.url.trim().is_empty() {
            violations.add("webhook.url", "is required");
        } else {
            match parse_target(self.url.trim()) {
                Ok(target) => {
                    if let Host::Ip(address) = target.host
                        && let Err(error) = check_address(address, self.allow_private_targets)
                    {
                        violations.add("webhook.url", format!("the host {error}"));
                    }
                    self.url = target.url.to_string();
                }
                Err(error) => violations.add("webhook.url", error.to_string()),
            }
        }
        if self.event_types.is_empty() {
            violations.add("webhook.event_types", "name at least one event type, such as ticket.created or ticket.*");
        }
        if self.event_types.len() > MAX_EVENT_TYPES {
            violations.add("webhook.event_types", format!("at most {MAX_EVENT_TYPES} event types"));
        }
        for (index, pattern) in self.event_types.iter().enumerate() {
            let field = format!("webhook.event_types[{index}]");
            if let Err(problem) = check_pattern(pattern) {
                violations.add(field, problem);
            } else if self.event_types[..index].contains(pattern) {
                violations.add(field, "is listed twice");
            }
        }
        violations.into_result()
    }

    /// Whether an event of `event_type` goes to this webhook.
    pub fn subscribes_to(&self, event_type: &str) -> bool {
        self.active && self.event_types.iter().any(|pattern| pattern_matches(pattern, event_type))
    }

    /// The keys a delivery at `now` is signed with: the current secret, and the previous one
    /// during its grace period.
    pub fn signing_secrets(&self, now: i64) -> Vec<&[u8]> {
        let mut secrets = vec![self.secret.as_bytes()];
        if let Some(previous) = &self.previous_secret
            && now < previous.expires_at
        {
            secrets.push(previous.secret.as_bytes());
        }
        secrets
    }

    /// Starts signing with `secret`; the old one keeps signing for a grace period unless it is
    /// revoked at once (after a leak).
    pub fn rotate_secret(&mut self, secret: String, revoke_previous: bool, now: i64) {
        let previous = std::mem::replace(&mut self.secret, secret);
        self.previous_secret = (!revoke_previous)
            .then(|| RetiringSecret { secret: previous, expires_at: now.saturating_add(PREVIOUS_SECRET_GRACE_MICROS) });
    }
}

/// The secret as readers see it: enough to tell two apart, never enough to sign.
pub fn masked_secret(secret: &str) -> String {
    let tail: String = secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("{}…{tail}", super::signature::SECRET_PREFIX)
}

/// The URL as everyone but administrators sees it, and as logs and the feed carry it: the
/// scheme, host and port, never the path or query, where receivers such as Slack put the token
/// that lets anyone post (`https://hooks.slack.com/…`).
pub fn redacted_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) if parsed.host_str().is_some() => {
            format!("{}://{}/…", parsed.scheme(), &parsed[url::Position::BeforeHost..url::Position::AfterPort])
        }
        _ => "…".to_string(),
    }
}

/// `ticket.created` matches itself; `ticket.*` matches every `ticket.` event, including ones
/// added after the webhook was saved.
pub fn pattern_matches(pattern: &str, event_type: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => prefix.ends_with('.') && event_type.starts_with(prefix),
        None => pattern == event_type,
    }
}

const KNOWN: &str =
    "subscribe to a known event type such as ticket.created or ticket.sla_breached, or a prefix such as ticket.*";

fn check_pattern(pattern: &str) -> Result<(), String> {
    if pattern.is_empty() {
        return Err("must not be empty".into());
    }
    if let Some(prefix) = pattern.strip_suffix(".*") {
        let dotted = format!("{prefix}.");
        if prefix.is_empty() || !EVENT_TYPES.iter().any(|event_type| event_type.starts_with(&dotted)) {
            return Err(format!("`{pattern}` matches no event type; {KNOWN}"));
        }
        return Ok(());
    }
    if !EVENT_TYPES.contains(&pattern) {
        return Err(format!("`{pattern}` is not an event type; {KNOWN}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontline_shared::ApiError;

    fn webhook(url: &str, event_types: &[&str]) -> Webhook {
        Webhook {
            id: String::new(),
            name: "CRM".into(),
            url: url.into(),
            event_types: event_types.iter().map(|s| s.to_string()).collect(),
            secret: "whsec_abcd1234".into(),
            previous_secret: None,
            allow_private_targets: false,
            active: true,
            revision: 1,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn fields(result: ApiResult<()>) -> Vec<String> {
        match result {
            Err(ApiError::InvalidArgument(violations)) => violations.into_iter().map(|v| v.field).collect(),
            other => panic!("expected field violations, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_webhook_is_normalised() {
        let mut hook = webhook("HTTPS://Hooks.Example.com/frontline", &["ticket.created", "ticket.*"]);
        hook.check().unwrap();
        assert_eq!(hook.url, "https://hooks.example.com/frontline");
    }

    #[test]
    fn violations_name_each_field() {
        let mut hook = webhook("ftp://example.com/", &["ticket.created", "ticket.exploded", "ticket.created"]);
        hook.name = " ".into();
        assert_eq!(
            fields(hook.check()),
            ["webhook.name", "webhook.url", "webhook.event_types[1]", "webhook.event_types[2]"]
        );
        assert_eq!(fields(webhook("https://u:p@example.com/", &["ticket.*"]).check()), ["webhook.url"]);
        assert_eq!(fields(webhook("https://example.com/", &[]).check()), ["webhook.event_types"]);
    }

    #[test]
    fn literal_private_hosts_need_the_administrators_permission() {
        let mut hook = webhook("http://127.0.0.1:8080/hook", &["ticket.created"]);
        assert_eq!(fields(hook.check()), ["webhook.url"]);
        hook.allow_private_targets = true;
        hook.check().unwrap();
        // Host names are judged when delivering, on what they resolve to then.
        webhook("http://localhost:8080/hook", &["ticket.created"]).check().unwrap();
        // Not even an administrator can aim one at 0.0.0.0.
        let mut unusable = webhook("http://0.0.0.0/", &["ticket.created"]);
        unusable.allow_private_targets = true;
        assert_eq!(fields(unusable.check()), ["webhook.url"]);
    }

    #[test]
    fn patterns() {
        for good in ["ticket.created", "ticket.*", "sla_policy.*", "ticket.sla_breached"] {
            assert_eq!(check_pattern(good), Ok(()), "{good}");
        }
        for bad in ["", "*", ".*", "ticket", "ticket.", "ticket*", "webhook.*", "webhook.delivery_dead", "ticket.**"] {
            assert!(check_pattern(bad).is_err(), "{bad} accepted");
        }
        assert!(pattern_matches("ticket.*", "ticket.sla_breached"));
        assert!(pattern_matches("ticket.*", "ticket.some_future_event"));
        assert!(!pattern_matches("ticket.*", "tickets.created"));
        assert!(!pattern_matches("ticket.created", "ticket.created_twice"));
    }

    #[test]
    fn only_active_webhooks_subscribe() {
        let mut hook = webhook("https://example.com/", &["ticket.escalated", "customer.*"]);
        assert!(hook.subscribes_to("ticket.escalated"));
        assert!(hook.subscribes_to("customer.merged"));
        assert!(!hook.subscribes_to("ticket.created"));
        hook.active = false;
        assert!(!hook.subscribes_to("ticket.escalated"));
    }

    #[test]
    fn a_rotated_secret_signs_alongside_the_new_one_for_a_day() {
        let mut hook = webhook("https://example.com/", &["ticket.*"]);
        hook.rotate_secret("whsec_new".into(), false, 1_000);
        assert_eq!(hook.signing_secrets(1_000), [b"whsec_new".as_slice(), b"whsec_abcd1234"]);
        assert_eq!(hook.signing_secrets(1_000 + PREVIOUS_SECRET_GRACE_MICROS), [b"whsec_new".as_slice()]);
        hook.rotate_secret("whsec_newer".into(), true, 2_000);
        assert_eq!(hook.signing_secrets(2_000), [b"whsec_newer".as_slice()]);
    }

    #[test]
    fn a_redacted_url_keeps_only_scheme_host_and_port() {
        assert_eq!(
            redacted_url("https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(redacted_url("http://127.0.0.1:8080/hooks?token=abc"), "http://127.0.0.1:8080/…");
        assert_eq!(redacted_url("https://[::1]:8443/x"), "https://[::1]:8443/…");
        assert_eq!(redacted_url("not a url"), "…");
    }

    #[test]
    fn debug_shows_neither_the_secret_nor_the_urls_path() {
        let mut hook = webhook("https://hooks.slack.com/services/T000/B000/XXXXXXXX", &["ticket.*"]);
        hook.secret = "whsec_0123456789abcdef".into();
        hook.rotate_secret("whsec_fedcba9876543210".into(), false, 0);
        let shown = format!("{hook:?}");
        for hidden in ["0123456789ab", "fedcba987654", "T000", "XXXXXXXX"] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
        assert!(shown.contains("https://hooks.slack.com/…") && shown.contains("whsec_…3210"), "{shown}");
    }

    #[test]
    fn masking_keeps_only_the_last_four_characters() {
        assert_eq!(masked_secret("whsec_0123456789abcdef"), "whsec_…cdef");
        assert_eq!(masked_secret("ab"), "whsec_…ab");
    }
}
