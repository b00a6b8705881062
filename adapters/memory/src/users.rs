//! [`UserRepository`] on the in-memory records.

use async_trait::async_trait;
use rampart_domain::token::FamilyId;
use rampart_domain::user::{Email, PasswordHash, User, UserId, Username};
use rampart_ports::{StoreError, UserRepository};
use tracing::instrument;

use crate::records::{MemoryRepositories, Records, email_key, post_position};

impl Records {
    /// Returns the field of `user` that another user already holds, if any.
    fn taken_field(&self, user: &User) -> Option<&'static str> {
        let held_by_other = |owner: Option<&UserId>| owner.is_some_and(|owner| *owner != user.id);
        if held_by_other(self.user_ids_by_username.get(user.username.as_str())) {
            return Some("username");
        }
        if held_by_other(self.user_ids_by_email.get(&email_key(&user.email))) {
            return Some("email");
        }
        None
    }
}

#[async_trait]
impl UserRepository for MemoryRepositories {
    #[instrument(level = "debug", skip_all, fields(user_id = %user.id))]
    async fn insert(&self, user: &User) -> Result<(), StoreError> {
        let mut records = self.records()?;
        if let Some(field) = records.taken_field(user) {
            return Err(StoreError::Conflict { field });
        }
        if records.users.contains_key(&user.id) {
            return Err(StoreError::other("insert user", "user id already exists"));
        }
        records
            .user_ids_by_username
            .insert(user.username.as_str().to_owned(), user.id);
        records
            .user_ids_by_email
            .insert(email_key(&user.email), user.id);
        records.users.insert(user.id, user.clone());
        Ok(())
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %id))]
    async fn find_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.records()?.users.get(&id).cloned())
    }

    #[instrument(level = "debug", skip_all)]
    async fn find_by_username(&self, username: &Username) -> Result<Option<User>, StoreError> {
        let records = self.records()?;
        let id = records.user_ids_by_username.get(username.as_str());
        Ok(id.and_then(|id| records.users.get(id)).cloned())
    }

    #[instrument(level = "debug", skip_all)]
    async fn find_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let records = self.records()?;
        let id = records.user_ids_by_email.get(&email_key(email));
        Ok(id.and_then(|id| records.users.get(id)).cloned())
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %user.id))]
    async fn update_profile(&self, user: &User) -> Result<bool, StoreError> {
        let mut records = self.records()?;
        let Some(stored) = records.users.get(&user.id).cloned() else {
            return Ok(false);
        };
        if let Some(field) = records.taken_field(user) {
            return Err(StoreError::Conflict { field });
        }
        records
            .user_ids_by_username
            .remove(stored.username.as_str());
        records.user_ids_by_email.remove(&email_key(&stored.email));
        records
            .user_ids_by_username
            .insert(user.username.as_str().to_owned(), user.id);
        records
            .user_ids_by_email
            .insert(email_key(&user.email), user.id);
        let updated = User {
            username: user.username.clone(),
            email: user.email.clone(),
            role: user.role,
            ..stored
        };
        records.users.insert(user.id, updated);
        Ok(true)
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %id))]
    async fn update_password_hash(
        &self,
        id: UserId,
        hash: &PasswordHash,
    ) -> Result<(), StoreError> {
        if let Some(user) = self.records()?.users.get_mut(&id) {
            user.password_hash = hash.clone();
        }
        Ok(())
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %id))]
    async fn change_password(
        &self,
        id: UserId,
        hash: &PasswordHash,
        keep: Option<FamilyId>,
    ) -> Result<Vec<FamilyId>, StoreError> {
        let mut records = self.records()?;
        let Some(user) = records.users.get_mut(&id) else {
            return Ok(Vec::new());
        };
        user.password_hash = hash.clone();
        let mut revoked = Vec::new();
        for family in records.families.values_mut() {
            if family.user_id == id && !family.revoked && Some(family.id) != keep {
                family.revoked = true;
                revoked.push(family.id);
            }
        }
        Ok(revoked)
    }

    #[instrument(level = "debug", skip_all, fields(user_id = %id))]
    async fn delete(&self, id: UserId) -> Result<Option<Vec<FamilyId>>, StoreError> {
        let mut records = self.records()?;
        let Some(user) = records.users.remove(&id) else {
            return Ok(None);
        };
        records.user_ids_by_username.remove(user.username.as_str());
        records.user_ids_by_email.remove(&email_key(&user.email));

        let owned_posts: Vec<_> = records
            .posts
            .values()
            .filter(|post| post.author_id == id)
            .map(|post| (post.id, post_position(post)))
            .collect();
        for (post_id, position) in owned_posts {
            records.posts.remove(&post_id);
            records.post_order.remove(&position);
        }

        records.uploads.retain(|_, upload| upload.owner_id != id);

        let mut removed = Vec::new();
        records.families.retain(|family_id, family| {
            let owned = family.user_id == id;
            if owned {
                removed.push(*family_id);
            }
            !owned
        });
        Ok(Some(removed))
    }
}
