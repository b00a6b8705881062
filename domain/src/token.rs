//! Token claims, lifetimes and identifiers.
//!
//! The wire format (PASETO) lives in the token adapter; this module holds only what a token
//! says and for how long it is good.

use std::fmt;

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::user::{Role, UserId};

/// Lifetime of an access token: 15 minutes.
pub const ACCESS_TOKEN_TTL: Duration = Duration::minutes(15);
/// Lifetime of a refresh token: 7 days.
pub const REFRESH_TOKEN_TTL: Duration = Duration::days(7);
/// How long after a rotation a second use of the same refresh token counts as a concurrent
/// request (two tabs) and not as theft: 10 seconds.
pub const SUPERSEDED_GRACE: Duration = Duration::seconds(10);

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps an existing UUID.
            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            /// Returns the UUID inside.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// Unique id of one token (the `jti` claim).
    TokenId
);
uuid_id!(
    /// Id of a refresh token family: every token rotated from one login.
    FamilyId
);

/// Claims of an access token. Issuer and audience are fixed by the token codec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    pub user_id: UserId,
    pub role: Role,
    pub token_id: TokenId,
    pub family_id: FamilyId,
    pub issued_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

impl AccessClaims {
    /// Builds the claims of an access token issued at `now`.
    pub fn new(
        user_id: UserId,
        role: Role,
        token_id: TokenId,
        family_id: FamilyId,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            user_id,
            role,
            token_id,
            family_id,
            issued_at: now,
            expires_at: now + ACCESS_TOKEN_TTL,
        }
    }
}

/// Claims of a refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshClaims {
    pub user_id: UserId,
    pub token_id: TokenId,
    pub family_id: FamilyId,
    pub issued_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

impl RefreshClaims {
    /// Builds the claims of a refresh token issued at `now`.
    pub fn new(
        user_id: UserId,
        token_id: TokenId,
        family_id: FamilyId,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            user_id,
            token_id,
            family_id,
            issued_at: now,
            expires_at: now + REFRESH_TOKEN_TTL,
        }
    }
}

/// What presenting a refresh token means for its family, decided from the family's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationDecision {
    /// The token is the family's current one: rotate it.
    Rotate,
    /// The token was rotated less than [`SUPERSEDED_GRACE`] ago by a concurrent request:
    /// reject it and leave the family alone.
    Superseded,
    /// The token was used before, outside the grace period: treat it as stolen and revoke the
    /// whole family.
    Reuse,
    /// The family was already revoked or expired.
    Revoked,
}

/// State of a refresh family as a store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshFamily {
    pub id: FamilyId,
    pub user_id: UserId,
    /// The only refresh token of the family that may still be used.
    pub current_token: TokenId,
    /// The token that `current_token` replaced, and when.
    pub previous_token: Option<(TokenId, OffsetDateTime)>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub revoked: bool,
}

impl RefreshFamily {
    /// Decides what presenting `token` at `now` means for this family.
    pub fn decide(&self, token: TokenId, now: OffsetDateTime) -> RotationDecision {
        if self.revoked || now >= self.expires_at {
            return RotationDecision::Revoked;
        }
        if token == self.current_token {
            return RotationDecision::Rotate;
        }
        match self.previous_token {
            Some((previous, rotated_at))
                if previous == token && now - rotated_at < SUPERSEDED_GRACE =>
            {
                RotationDecision::Superseded
            }
            _ => RotationDecision::Reuse,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family(now: OffsetDateTime) -> RefreshFamily {
        RefreshFamily {
            id: FamilyId::from_uuid(Uuid::new_v4()),
            user_id: UserId::from_uuid(Uuid::new_v4()),
            current_token: TokenId::from_uuid(Uuid::new_v4()),
            previous_token: None,
            created_at: now,
            expires_at: now + REFRESH_TOKEN_TTL,
            revoked: false,
        }
    }

    #[test]
    fn current_token_rotates() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let family = family(now);

        assert_eq!(
            family.decide(family.current_token, now),
            RotationDecision::Rotate
        );
    }

    #[test]
    fn previous_token_within_grace_is_superseded() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let previous = TokenId::from_uuid(Uuid::new_v4());
        let family = RefreshFamily {
            previous_token: Some((previous, now)),
            ..family(now)
        };

        assert_eq!(
            family.decide(previous, now + Duration::seconds(9)),
            RotationDecision::Superseded
        );
    }

    #[test]
    fn previous_token_after_grace_is_reuse() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let previous = TokenId::from_uuid(Uuid::new_v4());
        let family = RefreshFamily {
            previous_token: Some((previous, now)),
            ..family(now)
        };

        assert_eq!(
            family.decide(previous, now + Duration::seconds(10)),
            RotationDecision::Reuse
        );
    }

    #[test]
    fn older_token_is_reuse() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let family = family(now);

        assert_eq!(
            family.decide(TokenId::from_uuid(Uuid::new_v4()), now),
            RotationDecision::Reuse
        );
    }

    #[test]
    fn revoked_family_rejects_current_token() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let family = RefreshFamily {
            revoked: true,
            ..family(now)
        };

        assert_eq!(
            family.decide(family.current_token, now),
            RotationDecision::Revoked
        );
    }

    #[test]
    fn expired_family_rejects_current_token() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let family = family(now);

        assert_eq!(
            family.decide(family.current_token, now + REFRESH_TOKEN_TTL),
            RotationDecision::Revoked
        );
    }
}
