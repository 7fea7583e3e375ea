//! Outbound webhooks, as rules without I/O: what a subscription is and which events it receives
//! ([`subscription`]), how a delivery moves from pending to delivered or dead ([`delivery`]), how
//! deliveries are signed ([`signature`]), when failed ones are retried ([`retry`]) and which URLs
//! and addresses they may be sent to ([`target`]). The enqueuer and the delivery worker in `api`
//! own every side effect, so these rules are tested in isolation.

pub mod delivery;
pub mod retry;
pub mod signature;
pub mod subscription;
pub mod target;

pub use delivery::{AfterAttempt, Attempt, Delivery, DeliveryStatus, after_attempt};
pub use retry::{Outcome, RetryPolicy, classify};
pub use signature::{SIGNATURE_HEADER, SignatureError, new_secret, sign, sign_with_secrets, verify};
pub use subscription::{EVENT_TYPES, RetiringSecret, Webhook};
pub use target::{Host, Scheme, Target, TargetError, check_address, check_resolved, parse_target};
