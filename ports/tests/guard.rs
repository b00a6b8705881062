#![cfg(test)]
//! The request guard against in-test stores: blocking, auto-block and event limits.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rampart_domain::blocking::{AutoBlockPolicy, BlockingPolicy};
use rampart_domain::event::{SecurityEvent, SecurityEventKind};
use rampart_domain::inspection::{AttackKind, Finding, ValidationMode};
use rampart_domain::network::Cidr;
use rampart_domain::throttle::{RateDecision, SlidingLog};
use rampart_ports::usecases::{Admission, GuardDeps, RequestContext, RequestGuard};
use rampart_ports::{
    Clock, IpBlock, IpBlockStore, MockIpBlockStore, RateCheck, RateLimitStore, SecurityEventSink,
    StoreError,
};
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = OffsetDateTime::UNIX_EPOCH;
const SQLMAP: &str = "sqlmap/1.7.2#stable (https://sqlmap.org)";

struct FixedClock(Mutex<OffsetDateTime>);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

#[derive(Default)]
struct Events(Mutex<Vec<SecurityEvent>>);

impl SecurityEventSink for Events {
    fn record(&self, event: SecurityEvent) {
        self.0.lock().unwrap().push(event);
    }
}

impl Events {
    fn kinds(&self) -> Vec<SecurityEventKind> {
        self.0.lock().unwrap().iter().map(|e| e.kind).collect()
    }
}

#[derive(Default)]
struct Counters(Mutex<HashMap<String, SlidingLog>>);

#[async_trait]
impl RateLimitStore for Counters {
    async fn admit(
        &self,
        checks: &[RateCheck],
        now: OffsetDateTime,
    ) -> Result<Vec<RateDecision>, StoreError> {
        let mut logs = self.0.lock().unwrap();
        Ok(checks
            .iter()
            .map(|check| {
                check
                    .limit
                    .admit(logs.entry(check.key.clone()).or_default(), now)
            })
            .collect())
    }
}

#[derive(Default)]
struct Blocks(Mutex<Vec<IpBlock>>);

#[async_trait]
impl IpBlockStore for Blocks {
    async fn block(&self, block: &IpBlock) -> Result<(), StoreError> {
        self.0.lock().unwrap().push(block.clone());
        Ok(())
    }

    async fn unblock(&self, _range: &Cidr, _now: OffsetDateTime) -> Result<bool, StoreError> {
        Ok(false)
    }

    async fn list(&self, now: OffsetDateTime) -> Result<Vec<IpBlock>, StoreError> {
        let blocks = self.0.lock().unwrap();
        Ok(blocks
            .iter()
            .filter(|b| b.is_active(now))
            .cloned()
            .collect())
    }

    async fn find(&self, ip: IpAddr, now: OffsetDateTime) -> Result<Option<IpBlock>, StoreError> {
        let blocks = self.0.lock().unwrap();
        Ok(blocks
            .iter()
            .find(|b| b.is_active(now) && b.range.contains(ip))
            .cloned())
    }
}

struct Fixture {
    clock: Arc<FixedClock>,
    events: Arc<Events>,
    blocks: Arc<Blocks>,
    guard: RequestGuard,
}

fn fixture(ranges: &[&str], validation: ValidationMode) -> Fixture {
    let clock = Arc::new(FixedClock(Mutex::new(T0)));
    let events = Arc::new(Events::default());
    let blocks = Arc::new(Blocks::default());
    let guard = RequestGuard::new(GuardDeps {
        blocks: blocks.clone(),
        counters: Arc::new(Counters::default()),
        clock: clock.clone(),
        events: events.clone(),
        blocking: BlockingPolicy {
            ranges: ranges.iter().map(|r| r.parse().unwrap()).collect(),
            auto_block: AutoBlockPolicy::default(),
        },
        validation,
    });
    Fixture {
        clock,
        events,
        blocks,
        guard,
    }
}

fn from(ip: &str) -> RequestContext {
    RequestContext {
        client_ip: Some(ip.parse().unwrap()),
        request_id: "req-1".into(),
    }
}

fn sqli_in_query() -> Finding {
    Finding {
        kind: AttackKind::SqlInjection,
        location: "query.q".into(),
    }
}

#[tokio::test]
async fn configured_range_skips_store() {
    let mut store = MockIpBlockStore::new();
    store.expect_find().never();
    let events = Arc::new(Events::default());
    let guard = RequestGuard::new(GuardDeps {
        blocks: Arc::new(store),
        counters: Arc::new(Counters::default()),
        clock: Arc::new(FixedClock(Mutex::new(T0))),
        events: events.clone(),
        blocking: BlockingPolicy {
            ranges: vec!["203.0.113.0/24".parse().unwrap()],
            auto_block: AutoBlockPolicy::default(),
        },
        validation: ValidationMode::Block,
    });

    let admission = guard.admit(&from("203.0.113.9"), None).await;

    assert_eq!(admission, Admission::IpBlocked);
    assert_eq!(events.kinds(), [SecurityEventKind::IpBlocked]);
}

#[tokio::test]
async fn attack_tool_agent_is_blocked() {
    let fixture = fixture(&[], ValidationMode::Block);

    let admission = fixture.guard.admit(&from("192.0.2.1"), Some(SQLMAP)).await;
    let browser = fixture
        .guard
        .admit(&from("192.0.2.1"), Some("Mozilla/5.0 Firefox/125.0"))
        .await;

    assert_eq!(admission, Admission::UserAgentBlocked);
    assert_eq!(browser, Admission::Allowed);
    let events = fixture.events.0.lock().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, SecurityEventKind::UserAgentBlocked);
    assert_eq!(events[0].client_ip, Some("192.0.2.1".parse().unwrap()));
}

#[tokio::test]
async fn tenth_attack_blocks_address() {
    let fixture = fixture(&[], ValidationMode::Block);
    let attacker = from("192.0.2.7");
    for _ in 0..5 {
        fixture.guard.admit(&attacker, Some(SQLMAP)).await;
    }
    for _ in 0..4 {
        fixture
            .guard
            .report_finding(&attacker, &sqli_in_query())
            .await;
    }
    let before = fixture.guard.admit(&attacker, None).await;

    fixture
        .guard
        .report_finding(&attacker, &sqli_in_query())
        .await;
    let after = fixture.guard.admit(&attacker, None).await;
    let neighbour = fixture.guard.admit(&from("192.0.2.8"), None).await;

    assert_eq!(before, Admission::Allowed);
    assert_eq!(after, Admission::IpBlocked);
    assert_eq!(neighbour, Admission::Allowed);
    let blocks = fixture.blocks.0.lock().unwrap();
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].until, T0 + Duration::hours(1));
    assert_eq!(blocks[0].range, "192.0.2.7".parse().unwrap());
}

#[tokio::test]
async fn block_expires_after_an_hour() {
    let fixture = fixture(&[], ValidationMode::Block);
    let attacker = from("192.0.2.7");
    for _ in 0..10 {
        fixture.guard.admit(&attacker, Some(SQLMAP)).await;
    }

    *fixture.clock.0.lock().unwrap() = T0 + Duration::hours(1);
    let admission = fixture.guard.admit(&attacker, None).await;

    assert_eq!(admission, Admission::Allowed);
}

#[tokio::test]
async fn blocked_events_are_limited() {
    let fixture = fixture(&["198.51.100.0/24"], ValidationMode::Block);
    let client = from("198.51.100.4");

    for _ in 0..20 {
        fixture.guard.admit(&client, None).await;
    }
    *fixture.clock.0.lock().unwrap() = T0 + Duration::minutes(1);
    fixture.guard.admit(&client, None).await;

    assert_eq!(
        fixture.events.kinds(),
        [SecurityEventKind::IpBlocked, SecurityEventKind::IpBlocked]
    );
}

#[tokio::test]
async fn log_mode_never_blocks() {
    let fixture = fixture(&[], ValidationMode::Log);
    let client = from("192.0.2.9");

    let mut verdicts = Vec::new();
    for _ in 0..30 {
        verdicts.push(
            fixture
                .guard
                .report_finding(&client, &sqli_in_query())
                .await,
        );
    }
    let admission = fixture.guard.admit(&client, None).await;

    assert!(verdicts.iter().all(|v| !v.reject));
    assert_eq!(admission, Admission::Allowed);
    assert!(fixture.blocks.0.lock().unwrap().is_empty());
    assert_eq!(
        fixture.events.kinds().len(),
        10,
        "log-mode events are capped"
    );
}

#[tokio::test]
async fn cors_events_are_limited() {
    let fixture = fixture(&[], ValidationMode::Block);
    let client = from("192.0.2.10");

    for _ in 0..5 {
        fixture
            .guard
            .cors_rejected(&client, "https://evil.example")
            .await;
    }

    let events = fixture.events.0.lock().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, SecurityEventKind::CorsRejected);
    assert!(events[0].reason.contains("https://evil.example"));
}

#[tokio::test]
async fn failing_block_store_lets_through() {
    let mut store = MockIpBlockStore::new();
    store
        .expect_find()
        .returning(|_, _| Err(StoreError::Unavailable("down".into())));
    let guard = RequestGuard::new(GuardDeps {
        blocks: Arc::new(store),
        counters: Arc::new(Counters::default()),
        clock: Arc::new(FixedClock(Mutex::new(T0))),
        events: Arc::new(Events::default()),
        blocking: BlockingPolicy::default(),
        validation: ValidationMode::Block,
    });

    let admission = guard.admit(&from("192.0.2.11"), None).await;

    assert_eq!(admission, Admission::Allowed);
}
