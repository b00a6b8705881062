#![cfg(test)]
//! The cache of user records behind `Accounts::me`, and the stamp renewals that invalidate it.

mod support;

use rampart_domain::user::User;
use rampart_ports::UserStamp;
use rampart_ports::usecases::{Accounts, ProfileChange};

use support::{Mocks, alice, allowed, context, session_of};

/// Lets profile changes pass the per-user limit and the repository's update, which must
/// happen once.
fn allow_profile_change(mocks: &mut Mocks) {
    mocks
        .rate_limits
        .expect_admit()
        .returning(|_, _| Ok(vec![allowed(10)]));
    mocks
        .users
        .expect_update_profile()
        .times(1)
        .returning(|_| Ok(true));
}

/// Makes the user repository return `user` for its id, exactly `times` times.
fn expect_loads(mocks: &mut Mocks, user: &User, times: usize) {
    let stored = user.clone();
    mocks
        .users
        .expect_find_by_id()
        .withf({
            let id = user.id;
            move |requested| *requested == id
        })
        .times(times)
        .returning(move |_| Ok(Some(stored.clone())));
}

#[tokio::test]
async fn same_stamp_loads_once() {
    let mut mocks = Mocks::default();
    let user = alice();
    expect_loads(&mut mocks, &user, 1);
    let accounts = Accounts::new(mocks.into_deps());
    let session = session_of(&user);

    let first = accounts.me(&session).await.unwrap();
    let second = accounts.me(&session).await.unwrap();

    assert_eq!(first, user);
    assert_eq!(second, user);
}

#[tokio::test]
async fn new_stamp_loads_again() {
    let mut mocks = Mocks::default();
    let user = alice();
    expect_loads(&mut mocks, &user, 2);
    let accounts = Accounts::new(mocks.into_deps());
    let session = session_of(&user);
    let renewed = rampart_ports::usecases::Session {
        user_stamp: UserStamp::from_u64(session.user_stamp.as_u64() + 1),
        ..session.clone()
    };

    accounts.me(&session).await.unwrap();
    accounts.me(&renewed).await.unwrap();
}

#[tokio::test]
async fn profile_change_renews_stamp_and_reloads() {
    let mut mocks = Mocks::default();
    let user = alice();
    // One load for the first read, one for the change, one for the read after it.
    expect_loads(&mut mocks, &user, 3);
    allow_profile_change(&mut mocks);
    let id = user.id;
    mocks
        .user_stamps
        .expect_renew()
        .withf(move |renewed| *renewed == id)
        .times(1)
        .returning(|_| Ok(()));
    let accounts = Accounts::new(mocks.into_deps());
    let session = session_of(&user);
    let change = ProfileChange {
        username: Some("alice2".to_owned()),
        email: None,
    };

    accounts.me(&session).await.unwrap();
    accounts
        .update_profile(&context(), &session, change)
        .await
        .unwrap();
    // The same session still carries the old stamp, yet this instance reloads the record.
    accounts.me(&session).await.unwrap();
}

#[tokio::test]
async fn failed_renewal_still_completes_change() {
    let mut mocks = Mocks::default();
    let user = alice();
    expect_loads(&mut mocks, &user, 1);
    allow_profile_change(&mut mocks);
    mocks.user_stamps.expect_renew().times(1).returning(|_| {
        Err(rampart_ports::StoreError::Unavailable(
            "connection refused".into(),
        ))
    });
    let accounts = Accounts::new(mocks.into_deps());
    let change = ProfileChange {
        username: Some("alice2".to_owned()),
        email: None,
    };

    let updated = accounts
        .update_profile(&context(), &session_of(&user), change)
        .await
        .unwrap();

    assert_eq!(updated.username.as_str(), "alice2");
}
