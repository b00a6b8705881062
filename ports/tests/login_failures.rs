#![cfg(test)]
//! Login failures that must not count, or must not be logged as sent: an unchecked password,
//! an oversized identifier, an unknown account and an account deleted during the login.

mod support;

use rampart_domain::event::{SecurityEvent, SecurityEventKind};
use rampart_domain::lockout::LoginGate;
use rampart_ports::usecases::{Auth, LOGIN_IDENTIFIER_MAX, LoginError};
use rampart_ports::{HashError, LoginKey, StoreError, Verification};

use support::{Mocks, alice, context, login_request};

fn proceed(mocks: &mut Mocks) {
    mocks.login_attempts.expect_admit().returning(|_, _, _| {
        Ok(LoginGate::Proceed {
            locks_on_failure: false,
        })
    });
}

fn known_alice(mocks: &mut Mocks) {
    let user = alice();
    mocks
        .users
        .expect_find_by_username()
        .returning(move |_| Ok(Some(user.clone())));
}

#[tokio::test]
async fn busy_hasher_releases_counted_attempt() {
    let mut mocks = Mocks::default();
    known_alice(&mut mocks);
    proceed(&mut mocks);
    mocks
        .hasher
        .expect_verify()
        .returning(|_, _| Err(HashError::Busy));
    mocks
        .login_attempts
        .expect_release()
        .withf(|key: &LoginKey, _| key.username == "alice")
        .times(1)
        .returning(|_, _| Ok(()));
    mocks.login_attempts.expect_succeed().never();
    mocks.events.expect_record().never();
    let auth = Auth::new(mocks.into_deps());

    let result = auth.login(&context(), login_request("alice")).await;

    assert!(matches!(result, Err(LoginError::Busy)), "{result:?}");
}

#[tokio::test]
async fn hasher_error_releases_counted_attempt() {
    let mut mocks = Mocks::default();
    known_alice(&mut mocks);
    proceed(&mut mocks);
    mocks
        .hasher
        .expect_verify()
        .returning(|_, _| Err(HashError::Internal("malformed stored hash".into())));
    mocks
        .login_attempts
        .expect_release()
        .times(1)
        .returning(|_, _| Ok(()));
    mocks.events.expect_record().never();
    let auth = Auth::new(mocks.into_deps());

    let result = auth.login(&context(), login_request("alice")).await;

    assert!(matches!(result, Err(LoginError::Internal(_))), "{result:?}");
}

#[tokio::test]
async fn busy_dummy_hash_releases_attempt() {
    let mut mocks = Mocks::default();
    mocks
        .users
        .expect_find_by_username()
        .returning(|_| Ok(None));
    proceed(&mut mocks);
    mocks
        .hasher
        .expect_verify_dummy()
        .returning(|_| Err(HashError::Busy));
    mocks
        .login_attempts
        .expect_release()
        .withf(|key: &LoginKey, _| key.username == "nobody")
        .times(1)
        .returning(|_, _| Ok(()));
    mocks.events.expect_record().never();
    let auth = Auth::new(mocks.into_deps());

    let result = auth.login(&context(), login_request("nobody")).await;

    assert!(matches!(result, Err(LoginError::Busy)), "{result:?}");
}

#[tokio::test]
async fn oversized_identifier_is_rejected_first() {
    let mut mocks = Mocks::default();
    mocks.users.expect_find_by_username().never();
    mocks.users.expect_find_by_email().never();
    mocks.login_attempts.expect_admit().never();
    mocks.hasher.expect_verify_dummy().never();
    mocks.events.expect_record().never();
    let auth = Auth::new(mocks.into_deps());
    let identifier = "a".repeat(LOGIN_IDENTIFIER_MAX + 1);

    let result = auth.login(&context(), login_request(&identifier)).await;

    let Err(LoginError::Invalid(errors)) = result else {
        panic!("expected a validation error, got {result:?}");
    };
    assert!(errors.fields().contains_key("username"), "{errors:?}");
}

#[tokio::test]
async fn identifier_at_limit_is_counted() {
    let mut mocks = Mocks::default();
    mocks.users.expect_find_by_email().returning(|_| Ok(None));
    mocks
        .login_attempts
        .expect_admit()
        .times(1)
        .returning(|_, _, _| {
            Ok(LoginGate::Proceed {
                locks_on_failure: false,
            })
        });
    mocks.hasher.expect_verify_dummy().returning(|_| Ok(()));
    mocks.events.expect_record().times(1).return_const(());
    let auth = Auth::new(mocks.into_deps());
    let identifier = format!("{}@example.com", "a".repeat(LOGIN_IDENTIFIER_MAX - 12));

    let result = auth.login(&context(), login_request(&identifier)).await;

    assert!(
        matches!(result, Err(LoginError::InvalidCredentials)),
        "{result:?}"
    );
}

#[tokio::test]
async fn unknown_account_failure_omits_username() {
    let mut mocks = Mocks::default();
    mocks
        .users
        .expect_find_by_username()
        .returning(|_| Ok(None));
    mocks.login_attempts.expect_admit().returning(|_, _, _| {
        Ok(LoginGate::Proceed {
            locks_on_failure: true,
        })
    });
    mocks.hasher.expect_verify_dummy().returning(|_| Ok(()));
    mocks
        .events
        .expect_record()
        .withf(|event: &SecurityEvent| {
            event.kind == SecurityEventKind::FailedLogin
                && event.reason == "unknown account"
                && event.username.is_none()
                && event.user_id.is_none()
        })
        .times(1)
        .return_const(());
    mocks
        .events
        .expect_record()
        .withf(|event: &SecurityEvent| {
            event.kind == SecurityEventKind::AccountLocked && event.username.is_none()
        })
        .times(1)
        .return_const(());
    let auth = Auth::new(mocks.into_deps());

    let result = auth
        .login(&context(), login_request("Copper-Lantern-19"))
        .await;

    assert!(
        matches!(result, Err(LoginError::InvalidCredentials)),
        "{result:?}"
    );
}

#[tokio::test]
async fn wrong_password_failure_names_account() {
    let mut mocks = Mocks::default();
    let user = alice();
    let user_id = user.id;
    mocks
        .users
        .expect_find_by_username()
        .returning(move |_| Ok(Some(user.clone())));
    proceed(&mut mocks);
    mocks
        .hasher
        .expect_verify()
        .returning(|_, _| Ok(Verification::Invalid));
    mocks
        .events
        .expect_record()
        .withf(move |event: &SecurityEvent| {
            event.kind == SecurityEventKind::FailedLogin
                && event.reason == "invalid credentials"
                && event.username.as_deref() == Some("alice")
                && event.user_id == Some(user_id)
        })
        .times(1)
        .return_const(());
    let auth = Auth::new(mocks.into_deps());

    let result = auth.login(&context(), login_request("ALICE")).await;

    assert!(
        matches!(result, Err(LoginError::InvalidCredentials)),
        "{result:?}"
    );
}

#[tokio::test]
async fn login_of_deleted_account_is_unauthorized() {
    let mut mocks = Mocks::default();
    known_alice(&mut mocks);
    proceed(&mut mocks);
    mocks.hasher.expect_verify().returning(|_, _| {
        Ok(Verification::Valid {
            needs_rehash: false,
        })
    });
    mocks
        .login_attempts
        .expect_succeed()
        .returning(|_, _| Ok(()));
    mocks
        .families
        .expect_create()
        .returning(|_| Err(StoreError::MissingReference { field: "user_id" }));
    let auth = Auth::new(mocks.into_deps());

    let result = auth.login(&context(), login_request("alice")).await;

    assert!(
        matches!(result, Err(LoginError::InvalidCredentials)),
        "{result:?}"
    );
}
