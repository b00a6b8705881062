#![cfg(test)]
//! Use-case tests with mocks: they check the interactions with the ports (which ones run, how
//! often, with what), not the stores' state.

use std::sync::Arc;

use mockall::predicate::eq;
use rampart_domain::event::{SecurityEvent, SecurityEventKind};
use rampart_domain::lockout::{LockoutPolicy, LoginGate};
use rampart_domain::password::{Password, PasswordPolicy};
use rampart_domain::permission::DenyReason;
use rampart_domain::post::{Post, PostId, PostTitle, SafeHtml};
use rampart_domain::token::{AccessClaims, FamilyId, RefreshClaims, RotationDecision, TokenId};
use rampart_domain::upload_policy::UploadPolicy;
use rampart_domain::user::{Email, PasswordHash, Role, User, UserId, Username};
use rampart_ports::usecases::{
    Auth, Deps, LoginError, LoginRequest, PostChange, PostError, Posts, RefreshError,
    RegisterError, RegisterRequest, RequestContext, Session,
};
use rampart_ports::*;
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

const NOW: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);

/// One mock per port; a test sets the expectations it needs and every other call fails.
#[derive(Default)]
struct Mocks {
    users: MockUserRepository,
    posts: MockPostRepository,
    categories: MockCategoryRepository,
    families: MockRefreshFamilyStore,
    revocations: MockRevocationStore,
    user_stamps: MockUserStampStore,
    login_attempts: MockLoginAttemptStore,
    rate_limits: MockRateLimitStore,
    uploads: MockUploadRepository,
    blobs: MockBlobStore,
    images: MockImageInspector,
    hasher: MockPasswordHasher,
    tokens: MockTokenCodec,
    sanitizer: MockHtmlSanitizer,
    events: MockSecurityEventSink,
}

impl Mocks {
    fn into_deps(self) -> Deps {
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

fn alice() -> User {
    User {
        id: UserId::from_uuid(Uuid::new_v4()),
        username: Username::parse("alice").unwrap(),
        email: Email::parse("alice@example.com").unwrap(),
        role: Role::Member,
        password_hash: PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        created_at: NOW,
    }
}

fn context() -> RequestContext {
    RequestContext {
        client_ip: Some("127.0.0.1".parse().unwrap()),
        request_id: "test".to_owned(),
    }
}

fn login_request(username: &str) -> LoginRequest {
    LoginRequest {
        username: username.to_owned(),
        password: Password::new("Violet-Harbor-87"),
    }
}

fn expect_event(events: &mut MockSecurityEventSink, kind: SecurityEventKind, times: usize) {
    events
        .expect_record()
        .withf(move |event: &SecurityEvent| event.kind == kind)
        .times(times)
        .return_const(());
}

#[tokio::test]
async fn locked_login_never_verifies_password() {
    let mut mocks = Mocks::default();
    let user = alice();
    mocks
        .users
        .expect_find_by_username()
        .returning(move |_| Ok(Some(user.clone())));
    mocks
        .login_attempts
        .expect_admit()
        .times(1)
        .returning(|_, _, _| {
            Ok(LoginGate::Locked {
                retry_after: time::Duration::minutes(10),
            })
        });
    mocks.hasher.expect_verify().never();
    mocks.hasher.expect_verify_dummy().never();
    let auth = Auth::new(mocks.into_deps());

    let result = auth.login(&context(), login_request("alice")).await;

    assert!(
        matches!(result, Err(LoginError::Locked { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn wrong_password_records_one_failed_login() {
    let mut mocks = Mocks::default();
    let user = alice();
    mocks
        .users
        .expect_find_by_username()
        .returning(move |_| Ok(Some(user.clone())));
    mocks.login_attempts.expect_admit().returning(|_, _, _| {
        Ok(LoginGate::Proceed {
            locks_on_failure: false,
        })
    });
    mocks
        .hasher
        .expect_verify()
        .times(1)
        .returning(|_, _| Ok(Verification::Invalid));
    mocks.login_attempts.expect_succeed().never();
    expect_event(&mut mocks.events, SecurityEventKind::FailedLogin, 1);
    let auth = Auth::new(mocks.into_deps());

    let result = auth.login(&context(), login_request("alice")).await;

    assert!(
        matches!(result, Err(LoginError::InvalidCredentials)),
        "{result:?}"
    );
}

#[tokio::test]
async fn locking_failure_records_account_locked() {
    let mut mocks = Mocks::default();
    let user = alice();
    mocks
        .users
        .expect_find_by_username()
        .returning(move |_| Ok(Some(user.clone())));
    mocks.login_attempts.expect_admit().returning(|_, _, _| {
        Ok(LoginGate::Proceed {
            locks_on_failure: true,
        })
    });
    mocks
        .hasher
        .expect_verify()
        .returning(|_, _| Ok(Verification::Invalid));
    expect_event(&mut mocks.events, SecurityEventKind::FailedLogin, 1);
    expect_event(&mut mocks.events, SecurityEventKind::AccountLocked, 1);
    let auth = Auth::new(mocks.into_deps());

    let result = auth.login(&context(), login_request("alice")).await;

    assert!(
        matches!(result, Err(LoginError::InvalidCredentials)),
        "{result:?}"
    );
}

#[tokio::test]
async fn unknown_user_costs_a_dummy_hash() {
    let mut mocks = Mocks::default();
    mocks
        .users
        .expect_find_by_username()
        .returning(|_| Ok(None));
    mocks
        .login_attempts
        .expect_admit()
        .withf(|key: &LoginKey, _, _| key.username == "nobody")
        .returning(|_, _, _| {
            Ok(LoginGate::Proceed {
                locks_on_failure: false,
            })
        });
    mocks.hasher.expect_verify().never();
    mocks
        .hasher
        .expect_verify_dummy()
        .times(1)
        .returning(|_| Ok(()));
    expect_event(&mut mocks.events, SecurityEventKind::FailedLogin, 1);
    let auth = Auth::new(mocks.into_deps());

    let result = auth.login(&context(), login_request(" NoBody ")).await;

    assert!(
        matches!(result, Err(LoginError::InvalidCredentials)),
        "{result:?}"
    );
}

#[tokio::test]
async fn email_login_counts_under_username() {
    let mut mocks = Mocks::default();
    let user = alice();
    mocks
        .users
        .expect_find_by_email()
        .returning(move |_| Ok(Some(user.clone())));
    mocks
        .login_attempts
        .expect_admit()
        .withf(|key: &LoginKey, _, _| key.username == "alice")
        .times(1)
        .returning(|_, _, _| {
            Ok(LoginGate::Locked {
                retry_after: time::Duration::minutes(1),
            })
        });
    let auth = Auth::new(mocks.into_deps());

    let result = auth
        .login(&context(), login_request("Alice@Example.com"))
        .await;

    assert!(
        matches!(result, Err(LoginError::Locked { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn invalid_registration_never_hashes() {
    let mut mocks = Mocks::default();
    mocks.hasher.expect_hash().never();
    mocks.rate_limits.expect_admit().never();
    mocks.users.expect_insert().never();
    let auth = Auth::new(mocks.into_deps());
    let request = RegisterRequest {
        username: "a b".to_owned(),
        email: "not-an-email".to_owned(),
        password: Password::new("short"),
    };

    let result = auth.register(&context(), request).await;

    let Err(RegisterError::Invalid(errors)) = result else {
        panic!("expected Invalid, got {result:?}");
    };
    assert!(errors.fields().contains_key("username"));
    assert!(errors.fields().contains_key("email"));
    assert!(errors.fields().contains_key("password"));
}

#[tokio::test]
async fn refresh_reuse_revokes_family_and_logs() {
    let mut mocks = Mocks::default();
    let user_id = UserId::from_uuid(Uuid::new_v4());
    let family = FamilyId::from_uuid(Uuid::new_v4());
    let claims = RefreshClaims::new(user_id, TokenId::from_uuid(Uuid::new_v4()), family, NOW);
    mocks
        .tokens
        .expect_verify_refresh()
        .returning(move |_, _| Ok(claims.clone()));
    mocks
        .families
        .expect_rotate()
        .times(1)
        .returning(|_, _, _, _| Ok(RotationDecision::Reuse));
    mocks
        .revocations
        .expect_revoke_families()
        .withf(move |families: &[FamilyId], _| families == [family])
        .times(1)
        .returning(|_, _| Ok(()));
    mocks.tokens.expect_issue_access().never();
    expect_event(&mut mocks.events, SecurityEventKind::RefreshTokenReuse, 1);
    let auth = Auth::new(mocks.into_deps());

    let result = auth.refresh(&context(), "v4.public.token").await;

    assert!(matches!(result, Err(RefreshError::Reused)), "{result:?}");
}

#[tokio::test]
async fn other_users_post_update_is_denied_and_logged() {
    let mut mocks = Mocks::default();
    let post_id = PostId::from_uuid(Uuid::new_v4());
    let post = Post {
        id: post_id,
        title: PostTitle::parse("Owned").unwrap(),
        body: SafeHtml::from_sanitized("<p>x</p>".to_owned()),
        author_id: UserId::from_uuid(Uuid::new_v4()),
        category_id: None,
        image_id: None,
        created_at: NOW,
        updated_at: NOW,
    };
    mocks
        .posts
        .expect_find()
        .with(eq(post_id))
        .returning(move |_| Ok(Some(post.clone())));
    mocks.posts.expect_update().never();
    mocks
        .events
        .expect_record()
        .withf(move |event: &SecurityEvent| {
            event.kind == SecurityEventKind::PermissionDenied
                && event.resource.as_deref() == Some(format!("post:{post_id}").as_str())
                && event.action.as_deref() == Some("update")
                && event.client_ip.is_some()
        })
        .times(1)
        .return_const(());
    let posts = Posts::new(mocks.into_deps());
    let intruder = UserId::from_uuid(Uuid::new_v4());
    let session = Session {
        claims: AccessClaims::new(
            intruder,
            Role::Member,
            TokenId::from_uuid(Uuid::new_v4()),
            FamilyId::from_uuid(Uuid::new_v4()),
            NOW,
        ),
        user_stamp: UserStamp::from_u64(1),
    };

    let result = posts
        .update(&context(), &session, post_id, PostChange::default())
        .await;

    assert!(
        matches!(result, Err(PostError::Forbidden(DenyReason::NotOwner))),
        "{result:?}"
    );
}
