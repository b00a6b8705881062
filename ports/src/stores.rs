//! Store ports: where users, posts, categories, sessions and security counters live.

use std::net::IpAddr;

use async_trait::async_trait;
use rampart_domain::category::{Category, CategoryId};
use rampart_domain::lockout::{LockoutPolicy, LoginGate};
use rampart_domain::page::{Page, PageRequest};
use rampart_domain::post::{Post, PostId};
use rampart_domain::throttle::{RateDecision, RateLimit};
use rampart_domain::token::{AccessClaims, FamilyId, RefreshFamily, RotationDecision, TokenId};
use rampart_domain::user::{Email, PasswordHash, User, UserId, Username};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::error::StoreError;

/// Stores user accounts.
///
/// Every method returns [`StoreError::Unavailable`] when the store cannot be reached and
/// [`StoreError::Other`] for any other failure of the store.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait UserRepository: Send + Sync {
    /// Inserts a new user.
    ///
    /// MUST reject a username or email already taken by another user with
    /// [`StoreError::Conflict`] naming the field (`username` or `email`), and write nothing.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] as above.
    async fn insert(&self, user: &User) -> Result<(), StoreError>;

    /// Finds a user by id.
    ///
    /// # Errors
    /// Store failures only; an unknown id is `Ok(None)`.
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, StoreError>;

    /// Finds a user by normalized username.
    ///
    /// # Errors
    /// Store failures only.
    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, StoreError>;

    /// Finds a user by email; emails compare case-insensitively.
    ///
    /// # Errors
    /// Store failures only.
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, StoreError>;

    /// Replaces the username, email and role of an existing user.
    ///
    /// MUST return `Ok(false)` for an unknown id and MUST reject a username or email taken by
    /// another user with [`StoreError::Conflict`], changing nothing.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] as above.
    async fn update_profile(&self, user: &User) -> Result<bool, StoreError>;

    /// Replaces a user's password hash, keeping every session.
    ///
    /// Used to upgrade a hash with older parameters after a successful login.
    ///
    /// # Errors
    /// Store failures only.
    async fn update_password_hash(&self, id: UserId, hash: &PasswordHash)
    -> Result<(), StoreError>;

    /// Sets a new password hash and revokes every refresh family of the user except `keep`, in
    /// one step, and returns the families it revoked.
    ///
    /// MUST change the hash and revoke the families together or not at all.
    ///
    /// # Errors
    /// Store failures only.
    async fn change_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
        keep: Option<FamilyId>,
    ) -> Result<Vec<FamilyId>, StoreError>;

    /// Erases a user with every post and refresh family they own, in one step, and returns the
    /// families it removed. Returns `Ok(None)` for an unknown id.
    ///
    /// MUST remove the user, their posts and their refresh families together or not at all.
    ///
    /// # Errors
    /// Store failures only.
    async fn delete(&self, id: UserId) -> Result<Option<Vec<FamilyId>>, StoreError>;
}

/// Stores posts.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait PostRepository: Send + Sync {
    /// Inserts a new post.
    ///
    /// MUST reject a post whose author or category does not exist, such as an author deleted a
    /// moment before, with [`StoreError::MissingReference`] naming `author_id` or
    /// `category_id`, and write nothing.
    ///
    /// # Errors
    /// [`StoreError::MissingReference`] as above, and store failures.
    async fn insert(&self, post: &Post) -> Result<(), StoreError>;

    /// Finds a post by id.
    ///
    /// # Errors
    /// Store failures only; an unknown id is `Ok(None)`.
    async fn find(&self, id: PostId) -> Result<Option<Post>, StoreError>;

    /// Lists one page of posts, newest first, with the total count.
    ///
    /// MUST order by `created_at` descending, then by id, so pages never overlap.
    ///
    /// # Errors
    /// Store failures only.
    async fn list(&self, page: PageRequest) -> Result<Page<Post>, StoreError>;

    /// Lists every post of one author, newest first.
    ///
    /// # Errors
    /// Store failures only.
    async fn list_by_author(&self, author: UserId) -> Result<Vec<Post>, StoreError>;

    /// Replaces the title, body, category, image and `updated_at` of an existing post.
    ///
    /// MUST return `Ok(false)` for an unknown id, and MUST NOT change `author_id` or
    /// `created_at`.
    ///
    /// # Errors
    /// Store failures only.
    async fn update(&self, post: &Post) -> Result<bool, StoreError>;

    /// Deletes a post; returns `Ok(false)` for an unknown id.
    ///
    /// # Errors
    /// Store failures only.
    async fn delete(&self, id: PostId) -> Result<bool, StoreError>;
}

/// Stores categories.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait CategoryRepository: Send + Sync {
    /// Inserts a new category.
    ///
    /// MUST reject a name already taken, compared case-insensitively, with
    /// [`StoreError::Conflict`] on field `name`.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] as above.
    async fn insert(&self, category: &Category) -> Result<(), StoreError>;

    /// Finds a category by id.
    ///
    /// # Errors
    /// Store failures only.
    async fn find(&self, id: CategoryId) -> Result<Option<Category>, StoreError>;

    /// Lists every category ordered by name.
    ///
    /// # Errors
    /// Store failures only.
    async fn list(&self) -> Result<Vec<Category>, StoreError>;

    /// Renames a category; returns `Ok(false)` for an unknown id.
    ///
    /// MUST reject a name taken by another category with [`StoreError::Conflict`].
    ///
    /// # Errors
    /// [`StoreError::Conflict`] as above.
    async fn update(&self, category: &Category) -> Result<bool, StoreError>;

    /// Deletes a category, leaving its posts without a category; returns `Ok(false)` for an
    /// unknown id.
    ///
    /// # Errors
    /// Store failures only.
    async fn delete(&self, id: CategoryId) -> Result<bool, StoreError>;
}

/// Stores refresh token families.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait RefreshFamilyStore: Send + Sync {
    /// Stores a new family.
    ///
    /// MUST reject a family whose user does not exist with [`StoreError::MissingReference`]
    /// naming `user_id`, and write nothing.
    ///
    /// # Errors
    /// [`StoreError::MissingReference`] as above, and store failures.
    async fn create(&self, family: &RefreshFamily) -> Result<(), StoreError>;

    /// Finds a family by id.
    ///
    /// # Errors
    /// Store failures only.
    async fn find(&self, id: FamilyId) -> Result<Option<RefreshFamily>, StoreError>;

    /// Decides what presenting `presented` at `now` means for the family
    /// ([`RefreshFamily::decide`]) and applies it, as one atomic step.
    ///
    /// MUST, on [`RotationDecision::Rotate`], make `next` the current token and remember
    /// `presented` as the previous one with `now`; on [`RotationDecision::Reuse`], mark the family
    /// revoked; otherwise change nothing. MUST let exactly one of two concurrent calls with the
    /// same `presented` token rotate. An unknown family is [`RotationDecision::Revoked`].
    ///
    /// # Errors
    /// Store failures only.
    async fn rotate(
        &self,
        id: FamilyId,
        presented: TokenId,
        next: TokenId,
        now: OffsetDateTime,
    ) -> Result<RotationDecision, StoreError>;

    /// Marks a family revoked; returns `Ok(false)` for an unknown id.
    ///
    /// # Errors
    /// Store failures only.
    async fn revoke(&self, id: FamilyId) -> Result<bool, StoreError>;

    /// Lists every family of a user, revoked ones included, newest first.
    ///
    /// # Errors
    /// Store failures only.
    async fn list_for_user(&self, user: UserId) -> Result<Vec<RefreshFamily>, StoreError>;
}

/// Remembers revoked access tokens and families until their tokens would expire anyway.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait RevocationStore: Send + Sync {
    /// Revokes one access token until `until`, its expiry.
    ///
    /// # Errors
    /// Store failures only.
    async fn revoke_token(&self, token: TokenId, until: OffsetDateTime) -> Result<(), StoreError>;

    /// Revokes every access token of these families until `until`, the latest expiry of a
    /// token they could have issued.
    ///
    /// # Errors
    /// Store failures only.
    async fn revoke_families(
        &self,
        families: &[FamilyId],
        until: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Returns whether the token or its family is revoked at `now`.
    ///
    /// MUST forget an entry once `now` passes its `until`.
    ///
    /// # Errors
    /// Store failures only.
    async fn is_revoked(
        &self,
        token: TokenId,
        family: FamilyId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
}

/// The key of one login attempt: the normalized username and the client IP.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LoginKey {
    pub username: String,
    pub client_ip: IpAddr,
}

/// Keeps failed-login counters and applies the lockout policy to them.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait LoginAttemptStore: Send + Sync {
    /// Runs [`LockoutPolicy::admit`] on the counters of `key` at `now` and stores the result.
    ///
    /// MUST be one atomic step per key: of any number of concurrent calls for one pair, at most
    /// `policy.pair_limit` return [`LoginGate::Proceed`].
    ///
    /// # Errors
    /// Store failures only.
    async fn admit(
        &self,
        key: &LoginKey,
        policy: &LockoutPolicy,
        now: OffsetDateTime,
    ) -> Result<LoginGate, StoreError>;

    /// Runs [`LockoutPolicy::succeed`] on the counters of `key`.
    ///
    /// MUST leave the counters of every other username and IP as they were.
    ///
    /// # Errors
    /// Store failures only.
    async fn succeed(&self, key: &LoginKey, policy: &LockoutPolicy) -> Result<(), StoreError>;

    /// Runs [`LockoutPolicy::release`] on the counters of `key`, taking back the failure that
    /// [`admit`](Self::admit) counted for an attempt whose password could not be checked.
    ///
    /// MUST remove exactly one failure from the pair, username and client IP logs of `key`,
    /// clear the pair's lock only when that failure set it, and leave every other username and
    /// IP as they were.
    ///
    /// # Errors
    /// Store failures only.
    async fn release(&self, key: &LoginKey, policy: &LockoutPolicy) -> Result<(), StoreError>;

    /// Clears every lock and counter of a username, from every IP.
    ///
    /// # Errors
    /// Store failures only.
    async fn clear(&self, username: &str) -> Result<(), StoreError>;
}

/// One rate-limit check: a key such as `register:127.0.0.1` and its limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateCheck {
    pub key: String,
    pub limit: RateLimit,
}

/// Keeps sliding-window rate-limit logs.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Runs [`RateLimit::admit`] for every check at `now`, and returns one decision per check in
    /// order.
    ///
    /// MUST be one atomic step: the request is recorded under every key when all checks pass and
    /// under none otherwise, and of any number of concurrent calls no more than the limit pass.
    /// MUST let each key expire once its window has passed.
    ///
    /// # Errors
    /// Store failures only.
    async fn admit(
        &self,
        checks: &[RateCheck],
        now: OffsetDateTime,
    ) -> Result<Vec<RateDecision>, StoreError>;

    /// Runs [`admit`](Self::admit) for a request that carries a verified access token, and
    /// reports the token's [`TokenStatus`]: whether it or its family is revoked at `now`, as
    /// [`RevocationStore::is_revoked`] would return, and its user's stamp, as
    /// [`UserStampStore::current`] would return.
    ///
    /// A store that also serves the revocations and stamps reads all of it in one round trip
    /// and returns `Some`. The provided method only admits and returns `None`, and so does a
    /// store that could not read them (a fallback during an outage): the caller must then ask
    /// the [`RevocationStore`] and the [`UserStampStore`] itself.
    ///
    /// # Errors
    /// Store failures only.
    async fn admit_with_status(
        &self,
        checks: &[RateCheck],
        claims: &AccessClaims,
        now: OffsetDateTime,
    ) -> Result<(Vec<RateDecision>, Option<TokenStatus>), StoreError> {
        let _ = claims;
        Ok((self.admit(checks, now).await?, None))
    }
}

/// Status of a verified access token in the shared stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenStatus {
    /// Whether the token or its refresh family is revoked.
    pub revoked: bool,
    /// The current stamp of the token's user.
    pub user_stamp: UserStamp,
}

/// A random value that a user keeps until their record changes, so that every copy of the
/// record kept in process can tell whether it is still current.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserStamp(u64);

impl UserStamp {
    /// How long a store keeps a stamp, from the time it creates it. The next read after that
    /// creates a new one, so a cached record is reloaded at least this often.
    pub const LIFETIME: Duration = Duration::hours(1);

    /// Wraps a stamp value read from a store.
    pub const fn from_u64(value: u64) -> Self {
        Self(value)
    }

    /// Returns a new random stamp below 2^62: the 62 random bits of a version 4 UUID's low
    /// half, without its two variant bits.
    pub fn random() -> Self {
        Self(Uuid::new_v4().as_u64_pair().1 & (u64::MAX >> 2))
    }

    /// Returns the stamp's value, for storing.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

/// Keeps one [`UserStamp`] per user for every instance that caches user records.
///
/// Renewing a stamp after each write to a user's record makes every instance reload the record
/// on its next read: a cache entry is current only while its stamp equals the user's.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait UserStampStore: Send + Sync {
    /// Returns the user's stamp, storing a new random one when the user has none.
    ///
    /// MUST return the same stamp until [`renew`](Self::renew) is called for the user or
    /// [`UserStamp::LIFETIME`] has passed since the stamp was stored, and after that a new one.
    ///
    /// # Errors
    /// Store failures only.
    async fn current(&self, user: UserId, now: OffsetDateTime) -> Result<UserStamp, StoreError>;

    /// Drops the user's stamp, so that the next [`current`](Self::current) stores a new one.
    ///
    /// # Errors
    /// Store failures only.
    async fn renew(&self, user: UserId) -> Result<(), StoreError>;
}
