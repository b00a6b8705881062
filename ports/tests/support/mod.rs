//! Mocks of every port and the values that the use-case tests share.

#![allow(
    dead_code,
    reason = "each test file uses its own subset of these helpers"
)]

use std::sync::Arc;

use rampart_domain::event::{SecurityEvent, SecurityEventKind};
use rampart_domain::lockout::LockoutPolicy;
use rampart_domain::password::{Password, PasswordPolicy};
use rampart_domain::throttle::RateDecision;
use rampart_domain::token::{AccessClaims, FamilyId, TokenId};
use rampart_domain::upload_policy::UploadPolicy;
use rampart_domain::user::{Email, PasswordHash, Role, User, UserId, Username};
use rampart_ports::usecases::{Deps, LoginRequest, RequestContext, Session};
use rampart_ports::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub(crate) const NOW: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);

/// One mock per port; a test sets the expectations it needs and every other call fails.
#[derive(Default)]
pub(crate) struct Mocks {
    pub(crate) users: MockUserRepository,
    pub(crate) posts: MockPostRepository,
    pub(crate) categories: MockCategoryRepository,
    pub(crate) families: MockRefreshFamilyStore,
    pub(crate) revocations: MockRevocationStore,
    pub(crate) user_stamps: MockUserStampStore,
    pub(crate) login_attempts: MockLoginAttemptStore,
    pub(crate) rate_limits: MockRateLimitStore,
    pub(crate) uploads: MockUploadRepository,
    pub(crate) blobs: MockBlobStore,
    pub(crate) images: MockImageInspector,
    pub(crate) hasher: MockPasswordHasher,
    pub(crate) tokens: MockTokenCodec,
    pub(crate) sanitizer: MockHtmlSanitizer,
    pub(crate) events: MockSecurityEventSink,
}

impl Mocks {
    pub(crate) fn into_deps(self) -> Deps {
        let mut clock = MockClock::new();
        clock.expect_now().return_const(NOW);
        Deps {
            users: Arc::new(self.users),
            posts: Arc::new(self.posts),
            categories: Arc::new(self.categories),
            families: Arc::new(self.families),
            revocations: Arc::new(self.revocations),
            user_stamps: Arc::new(self.user_stamps),
            login_attempts: Arc::new(self.login_attempts),
            rate_limits: Arc::new(self.rate_limits),
            uploads: Arc::new(self.uploads),
            blobs: Arc::new(self.blobs),
            images: Arc::new(self.images),
            hasher: Arc::new(self.hasher),
            tokens: Arc::new(self.tokens),
            sanitizer: Arc::new(self.sanitizer),
            clock: Arc::new(clock),
            events: Arc::new(self.events),
            password_policy: PasswordPolicy::Classic,
            lockout_policy: LockoutPolicy::default(),
            upload_policy: UploadPolicy::default(),
        }
    }
}

pub(crate) fn alice() -> User {
    User {
        id: UserId::from_uuid(Uuid::new_v4()),
        username: Username::parse("alice").unwrap(),
        email: Email::parse("alice@example.com").unwrap(),
        role: Role::Member,
        password_hash: PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        created_at: NOW,
    }
}

pub(crate) fn context() -> RequestContext {
    RequestContext {
        client_ip: Some("127.0.0.1".parse().unwrap()),
        request_id: "test".to_owned(),
    }
}

pub(crate) fn login_request(username: &str) -> LoginRequest {
    LoginRequest {
        username: username.to_owned(),
        password: Password::new("Violet-Harbor-87"),
    }
}

/// Returns a session of `user` issued at [`NOW`].
pub(crate) fn session_of(user: &User) -> Session {
    Session {
        claims: AccessClaims::new(
            user.id,
            user.role,
            TokenId::from_uuid(Uuid::new_v4()),
            FamilyId::from_uuid(Uuid::new_v4()),
            NOW,
        ),
        user_stamp: UserStamp::from_u64(1),
    }
}

/// Returns the decision of a rate limit of `limit` that is used up for another half hour.
pub(crate) fn rejected(limit: u32) -> RateDecision {
    RateDecision {
        allowed: false,
        limit,
        remaining: 0,
        reset_after: Duration::minutes(30),
        retry_after: Some(Duration::minutes(30)),
    }
}

/// Returns the decision of a rate limit of `limit` with room left.
pub(crate) fn allowed(limit: u32) -> RateDecision {
    RateDecision {
        allowed: true,
        limit,
        remaining: limit - 1,
        reset_after: Duration::minutes(30),
        retry_after: None,
    }
}

pub(crate) fn expect_event(
    events: &mut MockSecurityEventSink,
    kind: SecurityEventKind,
    times: usize,
) {
    events
        .expect_record()
        .withf(move |event: &SecurityEvent| event.kind == kind)
        .times(times)
        .return_const(());
}
