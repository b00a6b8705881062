//! Tests of the codec through the `TokenCodec` port, with keys from real key directories.

use ct_codecs::{Base64UrlSafeNoPadding, Decoder, Encoder};
use pasetors::keys::{Generate, SymmetricKey};
use pasetors::version4::{LocalToken, PublicToken, V4};
use rampart_domain::token::{
    ACCESS_TOKEN_TTL, AccessClaims, FamilyId, REFRESH_TOKEN_TTL, RefreshClaims, TokenId,
};
use rampart_domain::user::{Role, UserId};
use rampart_ports::{TokenCodec, TokenError};
use tempfile::TempDir;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{KeyDir, PasetoTokenCodec};

const ISSUER: &str = "rampart";
const AUDIENCE: &str = "rampart-api";

fn now() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::days(20000)
}

fn access_claims() -> AccessClaims {
    AccessClaims::new(
        UserId::from_uuid(Uuid::new_v4()),
        Role::Admin,
        TokenId::from_uuid(Uuid::new_v4()),
        FamilyId::from_uuid(Uuid::new_v4()),
        now(),
    )
}

fn refresh_claims() -> RefreshClaims {
    RefreshClaims::new(
        UserId::from_uuid(Uuid::new_v4()),
        TokenId::from_uuid(Uuid::new_v4()),
        FamilyId::from_uuid(Uuid::new_v4()),
        now(),
    )
}

/// Builds a codec over a new key directory, which lives as long as the returned `TempDir`.
fn new_codec() -> (TempDir, KeyDir, PasetoTokenCodec) {
    let temp = tempfile::tempdir().unwrap();
    let dir = KeyDir::new(temp.path().join("keys"));
    let ring = dir.load_or_create(now()).unwrap();
    (temp, dir, PasetoTokenCodec::new(ring, ISSUER, AUDIENCE))
}

fn is_invalid<T: std::fmt::Debug>(result: Result<T, TokenError>) -> bool {
    matches!(result, Err(TokenError::Invalid))
}

/// Splits a token into its header, body and footer.
fn parts(token: &str) -> (String, String, String) {
    let pieces: Vec<&str> = token.split('.').collect();
    assert_eq!(pieces.len(), 4, "expected a token with a footer");
    (
        format!("{}.{}.", pieces[0], pieces[1]),
        pieces[2].to_owned(),
        pieces[3].to_owned(),
    )
}

fn b64(bytes: &[u8]) -> String {
    let mut buffer = vec![0u8; bytes.len() * 2 + 4];
    Base64UrlSafeNoPadding::encode_to_str(&mut buffer, bytes)
        .unwrap()
        .to_owned()
}

fn unb64(text: &str) -> Vec<u8> {
    let mut buffer = vec![0u8; text.len()];
    Base64UrlSafeNoPadding::decode(&mut buffer, text, None)
        .unwrap()
        .to_vec()
}

#[test]
fn access_round_trip() {
    let (_temp, _dir, codec) = new_codec();
    let claims = access_claims();

    let token = codec.issue_access(&claims).unwrap();
    let verified = codec.verify_access(&token, now()).unwrap();

    assert!(token.starts_with("v4.public."));
    assert!(token.len() < 1024, "{} bytes", token.len());
    assert_eq!(verified, claims);
}

#[test]
fn refresh_round_trip() {
    let (_temp, _dir, codec) = new_codec();
    let claims = refresh_claims();

    let token = codec.issue_refresh(&claims).unwrap();
    let verified = codec.verify_refresh(&token, now()).unwrap();

    assert_eq!(verified, claims);
}

#[test]
fn footer_names_signing_key() {
    let (_temp, dir, codec) = new_codec();
    let ring = dir.load().unwrap();
    let token = codec.issue_access(&access_claims()).unwrap();

    let (_, _, footer) = parts(&token);
    let footer: serde_json::Value = serde_json::from_slice(&unb64(&footer)).unwrap();

    assert_eq!(footer["kid"], ring.active_id().as_str());
    assert!(ring.active_id().as_str().starts_with("k4.pid."));
}

#[test]
fn tampered_payload_is_invalid() {
    let (_temp, _dir, codec) = new_codec();
    let token = codec.issue_access(&access_claims()).unwrap();
    let (header, body, footer) = parts(&token);
    let mut bytes = unb64(&body);
    // Turn "admin" into "admio" inside the signed JSON, leaving the signature in place.
    let at = bytes.windows(5).position(|w| w == b"admin").unwrap();
    bytes[at + 4] = b'o';

    let forged = format!("{header}{}.{footer}", b64(&bytes));

    assert!(is_invalid(codec.verify_access(&forged, now())));
}

#[test]
fn flipped_signature_bit_is_invalid() {
    let (_temp, _dir, codec) = new_codec();
    let token = codec.issue_refresh(&refresh_claims()).unwrap();
    let (header, body, footer) = parts(&token);
    let mut bytes = unb64(&body);
    *bytes.last_mut().unwrap() ^= 1;

    let forged = format!("{header}{}.{footer}", b64(&bytes));

    assert!(is_invalid(codec.verify_refresh(&forged, now())));
}

#[test]
fn tampered_footer_is_invalid() {
    let (_temp, dir, codec) = new_codec();
    let old_token = codec.issue_access(&access_claims()).unwrap();
    dir.rotate(now()).unwrap();
    let codec = PasetoTokenCodec::new(dir.load().unwrap(), ISSUER, AUDIENCE);
    let new_token = codec.issue_access(&access_claims()).unwrap();
    let (header, body, _) = parts(&old_token);
    let (_, _, new_footer) = parts(&new_token);

    // Another known key id: the signature no longer covers the footer.
    let swapped = format!("{header}{body}.{new_footer}");
    // A footer with an extra claim.
    let padded = format!("{header}{body}.{}", b64(br#"{"kid":"k4.pid.x","wpk":"y"}"#));
    // No footer at all.
    let bare = format!("{header}{body}");

    assert!(is_invalid(codec.verify_access(&swapped, now())));
    assert!(is_invalid(codec.verify_access(&padded, now())));
    assert!(is_invalid(codec.verify_access(&bare, now())));
    assert!(codec.verify_access(&old_token, now()).is_ok());
}

#[test]
fn refresh_token_is_not_an_access_token() {
    let (_temp, _dir, codec) = new_codec();
    let token = codec.issue_refresh(&refresh_claims()).unwrap();

    assert!(is_invalid(codec.verify_access(&token, now())));
}

#[test]
fn access_token_is_not_a_refresh_token() {
    let (_temp, _dir, codec) = new_codec();
    let token = codec.issue_access(&access_claims()).unwrap();

    assert!(is_invalid(codec.verify_refresh(&token, now())));
}

#[test]
fn purposes_differ_by_signature_not_only_claims() {
    let (_temp, dir, codec) = new_codec();
    let ring = dir.load().unwrap();
    let token = codec.issue_refresh(&refresh_claims()).unwrap();
    let (_, body, footer) = parts(&token);
    let body = unb64(&body);
    let (message, _) = body.split_at(body.len() - 64);

    // Re-signing the exact refresh payload without the refresh assertion must not verify as a
    // refresh token, so the assertion really is part of the signed message.
    let resigned =
        PublicToken::sign(ring.active().secret(), message, Some(&unb64(&footer)), None).unwrap();

    assert!(is_invalid(codec.verify_refresh(&resigned, now())));
}

#[test]
fn token_of_other_key_dir_is_invalid() {
    let (_temp, _dir, codec) = new_codec();
    let (_other_temp, _other_dir, other) = new_codec();
    let token = other.issue_access(&access_claims()).unwrap();

    assert!(is_invalid(codec.verify_access(&token, now())));
}

#[test]
fn expired_token_is_expired() {
    let (_temp, _dir, codec) = new_codec();
    let access = codec.issue_access(&access_claims()).unwrap();
    let refresh = codec.issue_refresh(&refresh_claims()).unwrap();

    assert!(matches!(
        codec.verify_access(&access, now() + ACCESS_TOKEN_TTL),
        Err(TokenError::Expired)
    ));
    assert!(matches!(
        codec.verify_refresh(&refresh, now() + REFRESH_TOKEN_TTL),
        Err(TokenError::Expired)
    ));
    assert!(
        codec
            .verify_refresh(&refresh, now() + REFRESH_TOKEN_TTL - Duration::seconds(1))
            .is_ok()
    );
}

#[test]
fn not_yet_valid_token_is_invalid() {
    let (_temp, _dir, codec) = new_codec();
    let token = codec.issue_access(&access_claims()).unwrap();

    assert!(is_invalid(
        codec.verify_access(&token, now() - Duration::seconds(1))
    ));
}

#[test]
fn wrong_issuer_is_invalid() {
    let (_temp, dir, codec) = new_codec();
    let foreign = PasetoTokenCodec::new(dir.load().unwrap(), "someone-else", AUDIENCE);
    let token = foreign.issue_access(&access_claims()).unwrap();

    assert!(is_invalid(codec.verify_access(&token, now())));
}

#[test]
fn wrong_audience_is_invalid() {
    let (_temp, dir, codec) = new_codec();
    let foreign = PasetoTokenCodec::new(dir.load().unwrap(), ISSUER, "other-api");
    let token = foreign.issue_refresh(&refresh_claims()).unwrap();

    assert!(is_invalid(codec.verify_refresh(&token, now())));
}

#[test]
fn local_token_is_invalid() {
    let (_temp, _dir, codec) = new_codec();
    let key = SymmetricKey::<V4>::generate().unwrap();
    let genuine = codec.issue_access(&access_claims()).unwrap();
    let (_, body, footer) = parts(&genuine);
    let body = unb64(&body);
    let (message, _) = body.split_at(body.len() - 64);

    let local = LocalToken::encrypt(
        &key,
        message,
        Some(&unb64(&footer)),
        Some(b"rampart:access:v1"),
    )
    .unwrap();

    assert!(local.starts_with("v4.local."));
    assert!(is_invalid(codec.verify_access(&local, now())));
}

#[test]
fn other_versions_are_invalid() {
    let (_temp, _dir, codec) = new_codec();
    let genuine = codec.issue_access(&access_claims()).unwrap();
    let rest = genuine.strip_prefix("v4.public.").unwrap();

    for header in [
        "v2.public.",
        "v3.public.",
        "v2.local.",
        "v4.local.",
        "V4.PUBLIC.",
    ] {
        let token = format!("{header}{rest}");
        assert!(
            is_invalid(codec.verify_access(&token, now())),
            "accepted {header}"
        );
    }
}

#[test]
fn garbage_is_invalid() {
    let (_temp, _dir, codec) = new_codec();

    for token in [
        "",
        "v4.public.",
        "v4.public..",
        "not a token",
        "v4.public.@@@@.@@@@",
    ] {
        assert!(
            is_invalid(codec.verify_access(token, now())),
            "accepted {token:?}"
        );
    }
    assert!(is_invalid(
        codec.verify_access(&"a".repeat(crate::MAX_TOKEN_LEN + 1), now())
    ));
}

#[test]
fn rotation_keeps_old_tokens_valid() {
    let (_temp, dir, codec) = new_codec();
    let old_token = codec.issue_refresh(&refresh_claims()).unwrap();

    let new_id = dir.rotate(now()).unwrap();
    codec.replace_keys(dir.load().unwrap());
    let new_token = codec.issue_refresh(&refresh_claims()).unwrap();
    let (_, _, footer) = parts(&new_token);
    let footer: serde_json::Value = serde_json::from_slice(&unb64(&footer)).unwrap();

    assert!(codec.verify_refresh(&old_token, now()).is_ok());
    assert!(codec.verify_refresh(&new_token, now()).is_ok());
    assert_eq!(footer["kid"], new_id.as_str());
}

#[test]
fn reloaded_keys_verify_earlier_tokens() {
    let (_temp, dir, codec) = new_codec();
    let token = codec.issue_access(&access_claims()).unwrap();

    let reloaded = PasetoTokenCodec::new(dir.load_or_create(now()).unwrap(), ISSUER, AUDIENCE);

    assert!(reloaded.verify_access(&token, now()).is_ok());
}

#[test]
fn pruned_key_no_longer_verifies() {
    let (_temp, dir, codec) = new_codec();
    let old_token = codec.issue_refresh(&refresh_claims()).unwrap();
    let rotated_at = now() + Duration::days(1);
    dir.rotate(rotated_at).unwrap();

    dir.prune(rotated_at + REFRESH_TOKEN_TTL).unwrap();
    codec.replace_keys(dir.load().unwrap());

    assert!(is_invalid(codec.verify_refresh(&old_token, now())));
}

#[test]
fn repeated_access_token_verifies_again() {
    let (_temp, _dir, codec) = new_codec();
    let claims = access_claims();
    let token = codec.issue_access(&claims).unwrap();

    let first = codec.verify_access(&token, now()).unwrap();
    let second = codec
        .verify_access(&token, now() + Duration::minutes(1))
        .unwrap();

    assert_eq!(first, claims);
    assert_eq!(second, claims);
    assert_eq!(codec.verified.len(), 1);
}

#[test]
fn remembered_token_still_expires() {
    let (_temp, _dir, codec) = new_codec();
    let token = codec.issue_access(&access_claims()).unwrap();
    codec.verify_access(&token, now()).unwrap();

    let late = codec.verify_access(&token, now() + ACCESS_TOKEN_TTL);
    let early = codec.verify_access(&token, now() - Duration::seconds(1));

    assert!(matches!(late, Err(TokenError::Expired)), "{late:?}");
    assert!(matches!(early, Err(TokenError::Invalid)), "{early:?}");
}

#[test]
fn tampered_copy_of_remembered_token_is_invalid() {
    let (_temp, _dir, codec) = new_codec();
    let token = codec.issue_access(&access_claims()).unwrap();
    codec.verify_access(&token, now()).unwrap();
    let (header, body, footer) = parts(&token);
    let mut payload = unb64(&body);
    if let Some(byte) = payload.first_mut() {
        *byte ^= 1;
    }
    let tampered = format!("{header}{}.{footer}", b64(&payload));

    assert!(is_invalid(codec.verify_access(&tampered, now())));
}

#[test]
fn replaced_keys_forget_remembered_tokens() {
    let (_temp, dir, codec) = new_codec();
    let token = codec.issue_access(&access_claims()).unwrap();
    codec.verify_access(&token, now()).unwrap();
    let rotated_at = now() + Duration::days(1);
    dir.rotate(rotated_at).unwrap();
    dir.prune(rotated_at + REFRESH_TOKEN_TTL).unwrap();

    codec.replace_keys(dir.load().unwrap());

    assert_eq!(codec.verified.len(), 0);
    assert!(is_invalid(codec.verify_access(&token, now())));
}

#[test]
fn full_store_keeps_verifying() {
    let (_temp, _dir, codec) = new_codec();
    let claims = access_claims();
    let token = codec.issue_access(&claims).unwrap();
    for index in 0..crate::verified::CAPACITY {
        let mut other = access_claims();
        other.expires_at = now() + Duration::minutes(5);
        codec
            .verified
            .insert(&format!("filler-{index}"), &other, now());
    }

    let before = codec.verify_access(&token, now()).unwrap();
    let after_expiry = codec
        .verify_access(&token, now() + Duration::minutes(6))
        .unwrap();

    assert_eq!(before, claims);
    assert_eq!(after_expiry, claims);
    assert_eq!(codec.verified.len(), 1);
}

#[test]
fn debug_output_hides_keys() {
    let (_temp, dir, codec) = new_codec();
    let secret = std::fs::read_to_string(
        dir.path().join(
            std::fs::read_to_string(dir.path().join(crate::ACTIVE_FILE))
                .unwrap()
                .trim(),
        ),
    )
    .unwrap();

    let debug = format!("{codec:?}");

    assert!(!debug.contains(secret.trim()));
    assert!(!debug.contains("k4.secret"));
}
