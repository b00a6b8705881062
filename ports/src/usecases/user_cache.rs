//! Users' records kept in process between requests, each under the stamp its user had when it
//! was loaded.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use rampart_domain::user::{User, UserId};
use time::{Duration, OffsetDateTime};
use tracing::warn;

use super::context::Deps;
use crate::stores::UserStamp;

/// Maximum number of records kept.
const CAPACITY: usize = 4096;

/// Maximum age of a kept record. The stamp decides whether a record is current. The age limit
/// bounds how long an instance can serve a changed record when the store lost the renewal of a
/// stamp, for example because it was down when the record changed.
const MAX_AGE: Duration = Duration::minutes(1);

/// Records of users read by id, each valid while its user's stamp is unchanged.
#[derive(Debug, Default)]
pub(crate) struct UserCache {
    entries: Mutex<HashMap<UserId, Entry>>,
}

#[derive(Debug)]
struct Entry {
    stamp: UserStamp,
    user: User,
    loaded_at: OffsetDateTime,
}

impl UserCache {
    /// Returns the record of `id` kept under `stamp`, unless it is older than [`MAX_AGE`].
    pub(crate) fn get(&self, id: UserId, stamp: UserStamp, now: OffsetDateTime) -> Option<User> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(&id)
            .filter(|entry| entry.stamp == stamp && now - entry.loaded_at < MAX_AGE)
            .map(|entry| entry.user.clone())
    }

    /// Keeps `user`, loaded at `now` after its stamp was read as `stamp`.
    ///
    /// When full, drops the records older than [`MAX_AGE`], and all of them if none is.
    pub(crate) fn put(&self, user: User, stamp: UserStamp, now: OffsetDateTime) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY && !entries.contains_key(&user.id) {
            entries.retain(|_, entry| now - entry.loaded_at < MAX_AGE);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        let entry = Entry {
            stamp,
            user,
            loaded_at: now,
        };
        entries.insert(entry.user.id, entry);
    }

    /// Drops the record of `id`.
    pub(crate) fn forget(&self, id: UserId) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Renews the user's stamp after a write to their record, so that every instance reloads it.
///
/// A failure is logged and not returned, since the write itself succeeded: instances that
/// cached the record may then serve the old one for up to [`MAX_AGE`].
pub(crate) async fn renew_stamp(deps: &Deps, user: UserId) {
    if let Err(error) = deps.user_stamps.renew(user).await {
        warn!(
            user.id = %user,
            error = %error,
            "user stamp renewal failed, so other instances may show the old record for up to a minute"
        );
    }
}

#[cfg(test)]
mod tests {
    use rampart_domain::user::{Email, PasswordHash, Role, Username};
    use time::macros::datetime;
    use uuid::Uuid;

    use super::*;

    const T0: OffsetDateTime = datetime!(2025-01-01 12:00 UTC);

    fn user(name: &str) -> User {
        User {
            id: UserId::from_uuid(Uuid::new_v4()),
            username: Username::parse(name).unwrap(),
            email: Email::parse(&format!("{name}@example.com")).unwrap(),
            role: Role::Member,
            password_hash: PasswordHash::new("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
            created_at: T0,
        }
    }

    #[test]
    fn record_is_served_under_its_stamp() {
        let cache = UserCache::default();
        let alice = user("alice");
        let stamp = UserStamp::from_u64(7);
        cache.put(alice.clone(), stamp, T0);

        assert_eq!(
            cache.get(alice.id, stamp, T0 + Duration::seconds(59)),
            Some(alice)
        );
    }

    #[test]
    fn other_stamp_misses() {
        let cache = UserCache::default();
        let alice = user("alice");
        cache.put(alice.clone(), UserStamp::from_u64(7), T0);

        assert_eq!(cache.get(alice.id, UserStamp::from_u64(8), T0), None);
    }

    #[test]
    fn old_record_misses() {
        let cache = UserCache::default();
        let alice = user("alice");
        let stamp = UserStamp::from_u64(7);
        cache.put(alice.clone(), stamp, T0);

        assert_eq!(cache.get(alice.id, stamp, T0 + MAX_AGE), None);
    }

    #[test]
    fn forgotten_record_misses() {
        let cache = UserCache::default();
        let alice = user("alice");
        let stamp = UserStamp::from_u64(7);
        cache.put(alice.clone(), stamp, T0);
        cache.forget(alice.id);

        assert_eq!(cache.get(alice.id, stamp, T0), None);
    }

    #[test]
    fn full_cache_stays_within_capacity() {
        let cache = UserCache::default();
        let stamp = UserStamp::from_u64(1);
        for index in 0..CAPACITY + 10 {
            cache.put(user(&format!("user{index}")), stamp, T0);
        }

        assert!(cache.len() <= CAPACITY, "{} records kept", cache.len());
    }

    #[test]
    fn full_cache_drops_old_records_first() {
        let cache = UserCache::default();
        let stamp = UserStamp::from_u64(1);
        for index in 0..CAPACITY - 1 {
            cache.put(user(&format!("old{index}")), stamp, T0);
        }
        let recent = user("recent");
        let later = T0 + MAX_AGE;
        cache.put(recent.clone(), stamp, later);
        cache.put(user("newest"), stamp, later);

        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(recent.id, stamp, later), Some(recent));
    }
}
