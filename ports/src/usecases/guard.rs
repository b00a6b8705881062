//! The request guard: refuses blocked clients, counts their attacks toward an auto-block, and
//! writes the security events of blocking, request validation and CORS.
//!
//! The rules are the domain's ([`BlockingPolicy`], [`ValidationMode`]). This use case runs them
//! against the IP block store and the rate-limit store, which also counts attacks under
//! `attacks:<ip>`. Events that a client can repeat at will (a blocked client's requests, its
//! cross-origin requests) are written at most once a minute per address and kind, and findings
//! in `log` mode at most ten a minute, so no client can flood the security log.
//!
//! A failing IP block store lets requests through (fail open) with an error in the log: blocks
//! are a layer on top of authentication, throttles and validation, which still run, and an outage
//! of the shared store should not take the whole API down with it.

use std::net::IpAddr;
use std::sync::Arc;

use rampart_domain::blocking::{AttackVerdict, BlockingPolicy, REPEAT_EVENTS, attack_tool};
use rampart_domain::event::{SecurityEvent, SecurityEventKind};
use rampart_domain::inspection::{Finding, InspectionVerdict, ValidationMode};
use rampart_domain::network::Cidr;
use rampart_domain::throttle::RateLimit;
use time::{Duration, OffsetDateTime};

use crate::blocks::{IpBlock, IpBlockStore};
use crate::services::{Clock, SecurityEventSink};
use crate::stores::{RateCheck, RateLimitStore};
use crate::usecases::RequestContext;

/// Findings written per address and kind in `log` mode.
const LOGGED_FINDINGS: RateLimit = RateLimit {
    limit: 10,
    window: Duration::minutes(1),
};

/// The ports and rules the guard runs on.
#[derive(Clone)]
pub struct GuardDeps {
    pub blocks: Arc<dyn IpBlockStore>,
    /// The rate-limit store of the throttles, which also counts attacks and repeated events.
    pub counters: Arc<dyn RateLimitStore>,
    pub clock: Arc<dyn Clock>,
    pub events: Arc<dyn SecurityEventSink>,
    pub blocking: BlockingPolicy,
    pub validation: ValidationMode,
}

/// Whether a client may go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Allowed,
    /// The address is in a configured range or blocked in the store.
    IpBlocked,
    /// The user agent names an attack tool.
    UserAgentBlocked,
}

/// Blocking, auto-block and the security events of request filtering.
#[derive(Clone)]
pub struct RequestGuard {
    deps: Arc<GuardDeps>,
}

impl RequestGuard {
    /// Builds the guard on its ports.
    pub fn new(deps: GuardDeps) -> Self {
        Self {
            deps: Arc::new(deps),
        }
    }

    /// Returns the validation mode, `block` or `log`.
    pub fn validation_mode(&self) -> ValidationMode {
        self.deps.validation
    }

    /// Decides whether a client may go on, before any other check: configured ranges, then the
    /// block store, then the user agent. A user-agent block counts as an attack.
    pub async fn admit(&self, context: &RequestContext, user_agent: Option<&str>) -> Admission {
        let ip = context.ip_or_unspecified();
        let now = self.deps.clock.now();

        if let Some(range) = self.deps.blocking.configured_block(ip) {
            let reason = format!("address in configured range {range}");
            self.rejected_while_blocked(context, now, reason).await;
            return Admission::IpBlocked;
        }
        match self.deps.blocks.find(ip, now).await {
            Ok(Some(block)) => {
                let reason = format!("address blocked until {}: {}", block.until, block.reason);
                self.rejected_while_blocked(context, now, reason).await;
                return Admission::IpBlocked;
            }
            Ok(None) => {}
            Err(error) => {
                tracing::error!(error = %error, client_ip = %ip, "IP block lookup failed; request let through");
            }
        }

        let Some(tool) = user_agent.and_then(attack_tool) else {
            return Admission::Allowed;
        };
        let event = SecurityEvent::new(
            SecurityEventKind::UserAgentBlocked,
            format!("user agent of attack tool {tool}"),
        )
        .target("user-agent", "reject");
        self.record(context, event);
        self.count_attack(context, now).await;
        Admission::UserAgentBlocked
    }

    /// Applies the validation mode to a finding: writes its event, counts it toward the
    /// auto-block in `block` mode, and returns whether the request is rejected.
    pub async fn report_finding(
        &self,
        context: &RequestContext,
        finding: &Finding,
    ) -> InspectionVerdict {
        let verdict = self.deps.validation.judge(finding);
        let now = self.deps.clock.now();
        let action = if verdict.reject { "reject" } else { "log" };
        let event = SecurityEvent::new(
            verdict.event,
            format!(
                "{} pattern in {}",
                finding.kind.describe(),
                finding.location
            ),
        )
        .target(finding.location.clone(), action);

        if verdict.counts_as_attack {
            self.record(context, event);
            self.count_attack(context, now).await;
        } else {
            let key = format!(
                "events:{}:{}",
                verdict.event.as_str(),
                context.ip_or_unspecified()
            );
            self.record_limited(context, event, key, LOGGED_FINDINGS, now)
                .await;
        }
        verdict
    }

    /// Writes a `cors_rejected` event for a request from an unlisted origin, at most once a
    /// minute per address. `origin` is the `Origin` header, cut to 100 characters.
    pub async fn cors_rejected(&self, context: &RequestContext, origin: &str) {
        let now = self.deps.clock.now();
        let printable_origin: String = origin
            .chars()
            .take(100)
            .map(|c| if c.is_ascii_graphic() { c } else { '?' })
            .collect();
        let event = SecurityEvent::new(
            SecurityEventKind::CorsRejected,
            format!("origin {printable_origin} is not in cors.allowed_origins"),
        )
        .target("cors", "omit-headers");
        let key = format!("events:cors_rejected:{}", context.ip_or_unspecified());
        self.record_limited(context, event, key, REPEAT_EVENTS, now)
            .await;
    }

    /// Writes a `csrf_failure` event for a cookie-authenticated request that failed the CSRF
    /// check, at most once a minute per address.
    pub async fn csrf_failure(&self, context: &RequestContext, reason: &str) {
        let now = self.deps.clock.now();
        let event = SecurityEvent::new(SecurityEventKind::CsrfFailure, reason.to_owned())
            .target("session", "reject");
        let key = format!("events:csrf_failure:{}", context.ip_or_unspecified());
        self.record_limited(context, event, key, REPEAT_EVENTS, now)
            .await;
    }

    /// Writes the `ip_blocked` event of a refused request, at most once a minute per address.
    async fn rejected_while_blocked(
        &self,
        context: &RequestContext,
        now: OffsetDateTime,
        reason: String,
    ) {
        let event =
            SecurityEvent::new(SecurityEventKind::IpBlocked, reason).target("request", "reject");
        let key = format!("events:ip_blocked:{}", context.ip_or_unspecified());
        self.record_limited(context, event, key, REPEAT_EVENTS, now)
            .await;
    }

    /// Counts one attack of the client's address and blocks the address when the auto-block
    /// policy decides to.
    async fn count_attack(&self, context: &RequestContext, now: OffsetDateTime) {
        let ip = context.ip_or_unspecified();
        let policy = self.deps.blocking.auto_block;
        let check = RateCheck {
            key: format!("attacks:{ip}"),
            limit: policy.counter(),
        };
        let decision = match self.deps.counters.admit(&[check], now).await {
            Ok(decisions) => decisions.into_iter().next(),
            Err(error) => {
                tracing::error!(error = %error, client_ip = %ip, "attack count failed");
                return;
            }
        };
        let Some(decision) = decision else {
            return;
        };
        if let AttackVerdict::Block { until } = policy.judge(&decision, now) {
            self.block(context, ip, until).await;
        }
    }

    async fn block(&self, context: &RequestContext, ip: IpAddr, until: OffsetDateTime) {
        let policy = self.deps.blocking.auto_block;
        let reason = format!(
            "auto-block: {} attacks within {} minutes",
            policy.threshold,
            policy.window.whole_minutes()
        );
        let Ok(range) = ip.to_string().parse::<Cidr>() else {
            tracing::error!(client_ip = %ip, "address could not be made a block range");
            return;
        };
        let block = IpBlock {
            range,
            until,
            reason: reason.clone(),
        };
        if let Err(error) = self.deps.blocks.block(&block).await {
            tracing::error!(error = %error, client_ip = %ip, "auto-block could not be stored");
            return;
        }
        let event = SecurityEvent::new(
            SecurityEventKind::IpBlocked,
            format!("{reason}; blocked until {until}"),
        )
        .target(format!("ip:{ip}"), "block");
        self.record(context, event);
    }

    fn record(&self, context: &RequestContext, event: SecurityEvent) {
        self.deps.events.record(event.client_ip(context.client_ip));
    }

    /// Writes `event` unless `key` already had `limit` events in its window. When the counter
    /// store fails, the event is written: losing it would hide an attack.
    async fn record_limited(
        &self,
        context: &RequestContext,
        event: SecurityEvent,
        key: String,
        limit: RateLimit,
        now: OffsetDateTime,
    ) {
        let check = RateCheck { key, limit };
        let allowed = match self.deps.counters.admit(&[check], now).await {
            Ok(decisions) => decisions.iter().all(|decision| decision.allowed),
            Err(error) => {
                tracing::warn!(error = %error, "event limit check failed; event written");
                true
            }
        };
        if allowed {
            self.record(context, event);
        } else {
            tracing::debug!(
                event = event.kind.as_str(),
                "repeated security event not written"
            );
        }
    }
}
