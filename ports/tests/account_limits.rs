#![cfg(test)]
//! The per-user limits of profile and password changes, and what they log.

mod support;

use rampart_domain::event::{SecurityEvent, SecurityEventKind};
use rampart_domain::password::Password;
use rampart_domain::throttle::limits;
use rampart_ports::usecases::{AccountError, Accounts, ProfileChange};
use rampart_ports::{RateCheck, Verification};

use support::{Mocks, alice, allowed, context, expect_event, rejected, session_of};

#[tokio::test]
async fn profile_change_counts_per_user() {
    let mut mocks = Mocks::default();
    let user = alice();
    let session = session_of(&user);
    let expected_key = format!("profile:{}", user.id);
    mocks
        .rate_limits
        .expect_admit()
        .withf(move |checks: &[RateCheck], _| {
            checks.len() == 1
                && checks[0].key == expected_key
                && checks[0].limit == limits::PROFILE_CHANGE
        })
        .times(1)
        .returning(|_, _| Ok(vec![rejected(10)]));
    mocks.users.expect_find_by_id().never();
    mocks.users.expect_update_profile().never();
    expect_event(&mut mocks.events, SecurityEventKind::RateLimit, 1);
    let accounts = Accounts::new(mocks.into_deps());
    let change = ProfileChange {
        username: Some("taken".to_owned()),
        email: None,
    };

    let result = accounts.update_profile(&context(), &session, change).await;

    let Err(AccountError::Throttled { retry_after }) = result else {
        panic!("expected a throttled change, got {result:?}");
    };
    assert_eq!(retry_after, time::Duration::minutes(30));
}

#[tokio::test]
async fn throttled_password_change_never_verifies() {
    let mut mocks = Mocks::default();
    let user = alice();
    let session = session_of(&user);
    let expected_key = format!("password:{}", user.id);
    mocks
        .rate_limits
        .expect_admit()
        .withf(move |checks: &[RateCheck], _| {
            checks.len() == 1
                && checks[0].key == expected_key
                && checks[0].limit == limits::PASSWORD_CHANGE
        })
        .returning(|_, _| Ok(vec![rejected(5)]));
    mocks.hasher.expect_verify().never();
    expect_event(&mut mocks.events, SecurityEventKind::RateLimit, 1);
    let accounts = Accounts::new(mocks.into_deps());

    let result = accounts
        .change_password(
            &context(),
            &session,
            Password::new("Guess-Number-0001"),
            Password::new("Quartz-Meadow-4417"),
        )
        .await;

    assert!(
        matches!(result, Err(AccountError::Throttled { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn wrong_current_password_records_failed_login() {
    let mut mocks = Mocks::default();
    let user = alice();
    let user_id = user.id;
    let session = session_of(&user);
    mocks
        .rate_limits
        .expect_admit()
        .returning(|_, _| Ok(vec![allowed(5)]));
    mocks
        .users
        .expect_find_by_id()
        .returning(move |_| Ok(Some(user.clone())));
    mocks
        .hasher
        .expect_verify()
        .times(1)
        .returning(|_, _| Ok(Verification::Invalid));
    mocks.hasher.expect_hash().never();
    mocks
        .events
        .expect_record()
        .withf(move |event: &SecurityEvent| {
            event.kind == SecurityEventKind::FailedLogin
                && event.reason == "wrong current password"
                && event.user_id == Some(user_id)
        })
        .times(1)
        .return_const(());
    let accounts = Accounts::new(mocks.into_deps());

    let result = accounts
        .change_password(
            &context(),
            &session,
            Password::new("Guess-Number-0001"),
            Password::new("Quartz-Meadow-4417"),
        )
        .await;

    let Err(AccountError::Invalid(errors)) = result else {
        panic!("expected a validation error, got {result:?}");
    };
    assert!(errors.fields().contains_key("current_password"));
}
