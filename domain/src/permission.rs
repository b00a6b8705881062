//! Permission policies: who may do what to a resource, with the reason for each decision.
//!
//! Each HTTP operation names one [`Policy`]; the policy looks only at the actor, the action and
//! the resource's owner, never at anything the request claims about ownership.

use crate::user::{Role, UserId};

/// Operation a request performs on a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
}

impl Action {
    /// Returns the lower-case name used in logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }

    fn is_read(&self) -> bool {
        *self == Action::Read
    }
}

/// The authenticated user behind a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: UserId,
    pub role: Role,
}

/// The three permission policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Anyone reads; only authenticated users write.
    IsAuthenticatedOrReadOnly,
    /// Anyone reads; only the resource's owner changes or deletes it.
    IsOwnerOrReadOnly,
    /// Anyone reads; only admins write.
    IsAdminOrReadOnly,
}

/// Reason a request was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowReason {
    ReadOnly,
    Authenticated,
    Owner,
    Admin,
}

/// Reason a request was denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    /// No authenticated user: the caller should log in (401).
    NotAuthenticated,
    /// The user does not own the resource (403).
    NotOwner,
    /// The user is not an admin (403).
    NotAdmin,
}

impl DenyReason {
    /// Returns the snake-case reason used in logs and problem details.
    pub fn as_str(&self) -> &'static str {
        match self {
            DenyReason::NotAuthenticated => "not_authenticated",
            DenyReason::NotOwner => "not_owner",
            DenyReason::NotAdmin => "not_admin",
        }
    }
}

/// The outcome of a policy check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow(AllowReason),
    Deny(DenyReason),
}

impl Decision {
    /// Returns whether the request may go on.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }
}

impl Policy {
    /// Decides whether `actor` may perform `action` on a resource owned by `owner`.
    ///
    /// `owner` is `None` for resources without an owner (categories) and for creation.
    pub fn decide(&self, actor: Option<&Actor>, action: Action, owner: Option<UserId>) -> Decision {
        if action.is_read() {
            return Decision::Allow(AllowReason::ReadOnly);
        }
        let Some(actor) = actor else {
            return Decision::Deny(DenyReason::NotAuthenticated);
        };
        match self {
            Policy::IsAuthenticatedOrReadOnly => Decision::Allow(AllowReason::Authenticated),
            Policy::IsOwnerOrReadOnly => match owner {
                Some(owner) if owner == actor.id => Decision::Allow(AllowReason::Owner),
                Some(_) => Decision::Deny(DenyReason::NotOwner),
                None if action == Action::Create => Decision::Allow(AllowReason::Authenticated),
                None => Decision::Deny(DenyReason::NotOwner),
            },
            Policy::IsAdminOrReadOnly if actor.role == Role::Admin => {
                Decision::Allow(AllowReason::Admin)
            }
            Policy::IsAdminOrReadOnly => Decision::Deny(DenyReason::NotAdmin),
        }
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn member() -> Actor {
        Actor {
            id: UserId::from_uuid(Uuid::new_v4()),
            role: Role::Member,
        }
    }

    fn admin() -> Actor {
        Actor {
            id: UserId::from_uuid(Uuid::new_v4()),
            role: Role::Admin,
        }
    }

    #[test]
    fn anyone_reads_under_every_policy() {
        for policy in [
            Policy::IsAuthenticatedOrReadOnly,
            Policy::IsOwnerOrReadOnly,
            Policy::IsAdminOrReadOnly,
        ] {
            assert_eq!(
                policy.decide(None, Action::Read, None),
                Decision::Allow(AllowReason::ReadOnly)
            );
        }
    }

    #[test]
    fn anonymous_write_is_not_authenticated() {
        for policy in [
            Policy::IsAuthenticatedOrReadOnly,
            Policy::IsOwnerOrReadOnly,
            Policy::IsAdminOrReadOnly,
        ] {
            assert_eq!(
                policy.decide(None, Action::Create, None),
                Decision::Deny(DenyReason::NotAuthenticated)
            );
        }
    }

    #[test]
    fn owner_updates_own_resource() {
        let actor = member();

        let decision =
            Policy::IsOwnerOrReadOnly.decide(Some(&actor), Action::Update, Some(actor.id));

        assert_eq!(decision, Decision::Allow(AllowReason::Owner));
    }

    #[test]
    fn other_user_cannot_update() {
        let decision =
            Policy::IsOwnerOrReadOnly.decide(Some(&member()), Action::Update, Some(member().id));

        assert_eq!(decision, Decision::Deny(DenyReason::NotOwner));
    }

    #[test]
    fn admin_is_not_owner_of_others_posts() {
        let decision =
            Policy::IsOwnerOrReadOnly.decide(Some(&admin()), Action::Delete, Some(member().id));

        assert_eq!(decision, Decision::Deny(DenyReason::NotOwner));
    }

    #[test]
    fn member_cannot_write_admin_resource() {
        let decision = Policy::IsAdminOrReadOnly.decide(Some(&member()), Action::Create, None);

        assert_eq!(decision, Decision::Deny(DenyReason::NotAdmin));
    }

    #[test]
    fn admin_writes_admin_resource() {
        let decision = Policy::IsAdminOrReadOnly.decide(Some(&admin()), Action::Delete, None);

        assert_eq!(decision, Decision::Allow(AllowReason::Admin));
    }
}
