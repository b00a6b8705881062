//! Categories: anyone reads, only admins write.

use rampart_domain::category::{Category, CategoryId, CategoryName};
use rampart_domain::event::{SecurityEvent, SecurityEventKind};
use rampart_domain::permission::{Action, Decision, DenyReason, Policy};
use tracing::{info, instrument};
use uuid::Uuid;

use super::context::{Deps, RequestContext};
use super::fields::FieldErrors;
use super::session::Session;
use crate::error::{BoxError, StoreError};

/// Why a category operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CategoryError {
    #[error("category not found")]
    NotFound,
    #[error("invalid category")]
    Invalid(FieldErrors),
    /// Another category has this name.
    #[error("category name taken")]
    Conflict,
    #[error("permission denied: {}", .0.as_str())]
    Forbidden(DenyReason),
    #[error("category operation failed")]
    Internal(#[source] BoxError),
}

impl From<StoreError> for CategoryError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict { .. } => Self::Conflict,
            other => Self::Internal(other.into()),
        }
    }
}

/// Categories.
#[derive(Clone)]
pub struct Categories {
    deps: Deps,
}

impl Categories {
    /// The permission policy of every category operation.
    pub const POLICY: Policy = Policy::IsAdminOrReadOnly;

    /// Builds the use case on shared ports.
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }

    /// Lists every category by name.
    ///
    /// # Errors
    /// Store failures only.
    pub async fn list(&self) -> Result<Vec<Category>, CategoryError> {
        Ok(self.deps.categories.list().await?)
    }

    /// Creates a category (admins only).
    ///
    /// # Errors
    /// [`CategoryError::Forbidden`] for a member, [`CategoryError::Invalid`] or
    /// [`CategoryError::Conflict`] for the name.
    #[instrument(skip_all, fields(request_id = %context.request_id, user.id = %session.claims.user_id))]
    pub async fn create(
        &self,
        context: &RequestContext,
        session: &Session,
        name: &str,
    ) -> Result<Category, CategoryError> {
        self.authorize(context, session, Action::Create, "category:new")?;
        let name = CategoryName::parse(name)
            .map_err(|e| CategoryError::Invalid(FieldErrors::single("name", e)))?;

        let category = Category {
            id: CategoryId::from_uuid(Uuid::new_v4()),
            name,
            created_at: self.deps.clock.now(),
        };
        self.deps.categories.insert(&category).await?;
        info!(category.id = %category.id, "category created");
        Ok(category)
    }

    /// Renames a category (admins only).
    ///
    /// # Errors
    /// As [`create`](Self::create), plus [`CategoryError::NotFound`].
    #[instrument(skip_all, fields(request_id = %context.request_id, user.id = %session.claims.user_id, category.id = %id))]
    pub async fn rename(
        &self,
        context: &RequestContext,
        session: &Session,
        id: CategoryId,
        name: &str,
    ) -> Result<Category, CategoryError> {
        self.authorize(context, session, Action::Update, &format!("category:{id}"))?;
        let name = CategoryName::parse(name)
            .map_err(|e| CategoryError::Invalid(FieldErrors::single("name", e)))?;

        let mut category = self
            .deps
            .categories
            .find(id)
            .await?
            .ok_or(CategoryError::NotFound)?;
        category.name = name;
        if !self.deps.categories.update(&category).await? {
            return Err(CategoryError::NotFound);
        }
        info!("category renamed");
        Ok(category)
    }

    /// Deletes a category (admins only); its posts keep existing without a category.
    ///
    /// # Errors
    /// [`CategoryError::Forbidden`] or [`CategoryError::NotFound`].
    #[instrument(skip_all, fields(request_id = %context.request_id, user.id = %session.claims.user_id, category.id = %id))]
    pub async fn delete(
        &self,
        context: &RequestContext,
        session: &Session,
        id: CategoryId,
    ) -> Result<(), CategoryError> {
        self.authorize(context, session, Action::Delete, &format!("category:{id}"))?;
        if !self.deps.categories.delete(id).await? {
            return Err(CategoryError::NotFound);
        }
        info!("category deleted");
        Ok(())
    }

    fn authorize(
        &self,
        context: &RequestContext,
        session: &Session,
        action: Action,
        resource: &str,
    ) -> Result<(), CategoryError> {
        match Self::POLICY.decide(Some(&session.actor()), action, None) {
            Decision::Allow(_) => Ok(()),
            Decision::Deny(reason) => {
                self.deps.record(
                    context,
                    SecurityEvent::new(SecurityEventKind::PermissionDenied, reason.as_str())
                        .user(session.claims.user_id)
                        .target(resource, action.as_str()),
                );
                Err(CategoryError::Forbidden(reason))
            }
        }
    }
}
