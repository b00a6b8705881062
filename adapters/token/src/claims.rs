//! The JSON payloads of access and refresh tokens and their validation at a given time.
//!
//! Times are RFC 3339 strings in UTC, as PASETO's registered claims require. Payloads with
//! unknown, missing or duplicate claims are rejected. This module neither signs nor verifies
//! signatures: it only runs on payloads whose signature [`crate::codec`] has already checked.

use rampart_domain::token::{AccessClaims, FamilyId, RefreshClaims, TokenId};
use rampart_domain::user::{Role, UserId};
use rampart_ports::TokenError;
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, UtcOffset};
use uuid::Uuid;

/// Issuer and audience that every token carries and every verification expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parties {
    pub(crate) issuer: String,
    pub(crate) audience: String,
}

/// Payload of an access token.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AccessPayload {
    iss: String,
    aud: String,
    sub: Uuid,
    role: String,
    jti: Uuid,
    fam: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    iat: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    nbf: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    exp: OffsetDateTime,
}

impl AccessPayload {
    /// Builds the payload of `claims`; the token is valid from its issue time.
    pub(crate) fn new(claims: &AccessClaims, parties: &Parties) -> Self {
        let issued_at = claims.issued_at.to_offset(UtcOffset::UTC);
        Self {
            iss: parties.issuer.clone(),
            aud: parties.audience.clone(),
            sub: claims.user_id.as_uuid(),
            role: claims.role.as_str().to_owned(),
            jti: claims.token_id.as_uuid(),
            fam: claims.family_id.as_uuid(),
            iat: issued_at,
            nbf: issued_at,
            exp: claims.expires_at.to_offset(UtcOffset::UTC),
        }
    }

    /// Checks issuer, audience and validity window at `now`, and returns the claims.
    ///
    /// # Errors
    /// [`TokenError::Expired`] at or past `exp`, [`TokenError::Invalid`] for anything else.
    pub(crate) fn validate(
        self,
        parties: &Parties,
        now: OffsetDateTime,
    ) -> Result<AccessClaims, TokenError> {
        check_registered(
            Registered {
                iss: &self.iss,
                aud: &self.aud,
                iat: self.iat,
                nbf: self.nbf,
                exp: self.exp,
            },
            parties,
            now,
        )?;
        let role = Role::parse(&self.role).ok_or(TokenError::Invalid)?;
        Ok(AccessClaims {
            user_id: UserId::from_uuid(self.sub),
            role,
            token_id: TokenId::from_uuid(self.jti),
            family_id: FamilyId::from_uuid(self.fam),
            issued_at: self.iat,
            expires_at: self.exp,
        })
    }
}

/// Payload of a refresh token.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefreshPayload {
    iss: String,
    aud: String,
    sub: Uuid,
    jti: Uuid,
    fam: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    iat: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    nbf: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    exp: OffsetDateTime,
}

impl RefreshPayload {
    /// Builds the payload of `claims`; the token is valid from its issue time.
    pub(crate) fn new(claims: &RefreshClaims, parties: &Parties) -> Self {
        let issued_at = claims.issued_at.to_offset(UtcOffset::UTC);
        Self {
            iss: parties.issuer.clone(),
            aud: parties.audience.clone(),
            sub: claims.user_id.as_uuid(),
            jti: claims.token_id.as_uuid(),
            fam: claims.family_id.as_uuid(),
            iat: issued_at,
            nbf: issued_at,
            exp: claims.expires_at.to_offset(UtcOffset::UTC),
        }
    }

    /// Checks issuer, audience and validity window at `now`, and returns the claims.
    ///
    /// # Errors
    /// [`TokenError::Expired`] at or past `exp`, [`TokenError::Invalid`] for anything else.
    pub(crate) fn validate(
        self,
        parties: &Parties,
        now: OffsetDateTime,
    ) -> Result<RefreshClaims, TokenError> {
        check_registered(
            Registered {
                iss: &self.iss,
                aud: &self.aud,
                iat: self.iat,
                nbf: self.nbf,
                exp: self.exp,
            },
            parties,
            now,
        )?;
        Ok(RefreshClaims {
            user_id: UserId::from_uuid(self.sub),
            token_id: TokenId::from_uuid(self.jti),
            family_id: FamilyId::from_uuid(self.fam),
            issued_at: self.iat,
            expires_at: self.exp,
        })
    }
}

/// The registered claims both payloads share.
struct Registered<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: OffsetDateTime,
    nbf: OffsetDateTime,
    exp: OffsetDateTime,
}

/// Checks issuer and audience, then that `nbf <= now < exp`, with no clock-skew leeway because
/// the same service issues and verifies.
///
/// Issuer and audience are checked before expiry, so a foreign token is `Invalid` even when it
/// has also expired.
fn check_registered(
    claims: Registered<'_>,
    parties: &Parties,
    now: OffsetDateTime,
) -> Result<(), TokenError> {
    if claims.iss != parties.issuer || claims.aud != parties.audience {
        return Err(TokenError::Invalid);
    }
    if claims.iat > claims.exp || claims.nbf > claims.exp {
        return Err(TokenError::Invalid);
    }
    if now < claims.nbf {
        return Err(TokenError::Invalid);
    }
    if now >= claims.exp {
        return Err(TokenError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::Duration;

    use super::*;

    fn parties() -> Parties {
        Parties {
            issuer: "rampart".to_owned(),
            audience: "rampart-api".to_owned(),
        }
    }

    fn now() -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(20000)
    }

    fn claims() -> AccessClaims {
        AccessClaims::new(
            UserId::from_uuid(Uuid::new_v4()),
            Role::Member,
            TokenId::from_uuid(Uuid::new_v4()),
            FamilyId::from_uuid(Uuid::new_v4()),
            now(),
        )
    }

    #[test]
    fn access_payload_uses_registered_claim_names() {
        let json = serde_json::to_value(AccessPayload::new(&claims(), &parties())).unwrap();

        for name in [
            "iss", "aud", "sub", "role", "jti", "fam", "iat", "nbf", "exp",
        ] {
            assert!(json.get(name).is_some(), "missing {name}");
        }
        assert_eq!(json["role"], "member");
        assert_eq!(json["iat"], json["nbf"]);
    }

    #[test]
    fn times_are_rfc3339_utc() {
        let json = serde_json::to_value(AccessPayload::new(&claims(), &parties())).unwrap();

        assert_eq!(json["iat"], "2024-10-04T00:00:00Z");
    }

    #[test]
    fn subsecond_times_round_trip() {
        let mut claims = claims();
        claims.issued_at += Duration::nanoseconds(123_456_789);
        let text = serde_json::to_string(&AccessPayload::new(&claims, &parties())).unwrap();

        let parsed: AccessPayload = serde_json::from_str(&text).unwrap();
        let back = parsed.validate(&parties(), claims.issued_at).unwrap();

        assert_eq!(back, claims);
    }

    #[test]
    fn unknown_claim_is_rejected() {
        let mut json = serde_json::to_value(AccessPayload::new(&claims(), &parties())).unwrap();
        json["admin"] = serde_json::Value::Bool(true);

        assert!(serde_json::from_value::<AccessPayload>(json).is_err());
    }

    #[test]
    fn duplicate_claim_is_rejected() {
        let text = serde_json::to_string(&AccessPayload::new(&claims(), &parties())).unwrap();
        let duplicated = text.replacen('{', r#"{"role":"admin","#, 1);

        assert!(serde_json::from_str::<AccessPayload>(&duplicated).is_err());
    }

    #[test]
    fn unknown_role_is_invalid() {
        let mut json = serde_json::to_value(AccessPayload::new(&claims(), &parties())).unwrap();
        json["role"] = "root".into();
        let payload: AccessPayload = serde_json::from_value(json).unwrap();

        assert!(matches!(
            payload.validate(&parties(), now()),
            Err(TokenError::Invalid)
        ));
    }

    #[test]
    fn window_bounds() {
        let payload = || AccessPayload::new(&claims(), &parties());
        let expiry = now() + rampart_domain::token::ACCESS_TOKEN_TTL;

        assert!(payload().validate(&parties(), now()).is_ok());
        assert!(
            payload()
                .validate(&parties(), expiry - Duration::nanoseconds(1))
                .is_ok()
        );
        assert!(matches!(
            payload().validate(&parties(), expiry),
            Err(TokenError::Expired)
        ));
        assert!(matches!(
            payload().validate(&parties(), now() - Duration::seconds(1)),
            Err(TokenError::Invalid)
        ));
    }

    #[test]
    fn expired_foreign_token_is_invalid() {
        let other = Parties {
            issuer: "elsewhere".to_owned(),
            ..parties()
        };
        let payload = AccessPayload::new(&claims(), &other);

        assert!(matches!(
            payload.validate(&parties(), now() + Duration::days(1)),
            Err(TokenError::Invalid)
        ));
    }
}
