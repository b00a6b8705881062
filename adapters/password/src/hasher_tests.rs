//! Tests of the argon2id hasher: results, rehash detection, malformed hashes, the queue and
//! span propagation. Most use tiny costs (64 KiB, 1 iteration) to stay fast.

use std::time::Duration;

use argon2::password_hash::phc;
use tracing_subscriber::layer::SubscriberExt as _;

use super::*;

fn fast() -> Argon2Settings {
    Argon2Settings {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
        queue_capacity: 4,
        threads: 2,
    }
}

fn hasher(settings: Argon2Settings) -> Argon2PasswordHasher {
    Argon2PasswordHasher::new(settings).unwrap()
}

fn password() -> Password {
    Password::new("Violet-Harbor-87")
}

#[tokio::test]
async fn hash_then_verify_is_valid() {
    let hasher = hasher(fast());

    let hash = hasher.hash(&password()).await.unwrap();
    let result = hasher.verify(&password(), &hash).await.unwrap();

    assert_eq!(
        result,
        Verification::Valid {
            needs_rehash: false
        }
    );
}

#[tokio::test]
async fn hash_is_argon2id_phc_with_settings() {
    let hasher = hasher(fast());

    let hash = hasher.hash(&password()).await.unwrap();

    assert!(
        hash.expose().starts_with("$argon2id$v=19$m=64,t=1,p=1$"),
        "{}",
        hash.expose()
    );
}

#[tokio::test]
async fn each_hash_has_fresh_salt() {
    let hasher = hasher(fast());

    let first = hasher.hash(&password()).await.unwrap();
    let second = hasher.hash(&password()).await.unwrap();

    assert_ne!(first.expose(), second.expose());
}

#[tokio::test]
async fn wrong_password_is_invalid() {
    let hasher = hasher(fast());
    let hash = hasher.hash(&password()).await.unwrap();

    let result = hasher
        .verify(&Password::new("Violet-Harbor-88"), &hash)
        .await
        .unwrap();

    assert_eq!(result, Verification::Invalid);
}

#[tokio::test]
async fn repeated_verifies_stay_correct() {
    // Verifications with the configured costs share one buffer per hashing thread.
    let hasher = hasher(fast());
    let hash = hasher.hash(&password()).await.unwrap();
    let wrong = Password::new("Violet-Harbor-88");

    for round in 0..4 {
        let right = hasher.verify(&password(), &hash).await.unwrap();
        let invalid = hasher.verify(&wrong, &hash).await.unwrap();
        assert_eq!(
            right,
            Verification::Valid {
                needs_rehash: false
            },
            "round {round}"
        );
        assert_eq!(invalid, Verification::Invalid, "round {round}");
    }
}

#[tokio::test]
async fn verifies_hash_of_argon2_crate() {
    let params = Params::new(64, 1, 1, None).unwrap();
    let stored = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password().expose().as_bytes())
        .unwrap()
        .to_string();

    let result = hasher(fast())
        .verify(&password(), &PasswordHash::new(stored))
        .await
        .unwrap();

    assert_eq!(
        result,
        Verification::Valid {
            needs_rehash: false
        }
    );
}

#[tokio::test]
async fn argon2_crate_verifies_our_hash() {
    let hasher = hasher(fast());
    let hash = hasher.hash(&password()).await.unwrap();
    let parsed = phc::PasswordHash::new(hash.expose()).unwrap();
    let argon2 = Argon2::default();

    let right =
        argon2::PasswordVerifier::verify_password(&argon2, password().expose().as_bytes(), &parsed);
    let wrong = argon2::PasswordVerifier::verify_password(&argon2, b"Violet-Harbor-88", &parsed);

    assert!(right.is_ok(), "{right:?}");
    assert!(wrong.is_err());
}

#[tokio::test]
async fn decomposed_password_matches_composed() {
    let hasher = hasher(fast());
    let hash = hasher
        .hash(&Password::new("Caf\u{e9}-2024!"))
        .await
        .unwrap();

    let result = hasher
        .verify(&Password::new("Cafe\u{301}-2024!"), &hash)
        .await
        .unwrap();

    assert!(matches!(result, Verification::Valid { .. }));
}

#[tokio::test]
async fn changed_costs_need_rehash() {
    let old = hasher(fast());
    let hash = old.hash(&password()).await.unwrap();

    for settings in [
        Argon2Settings {
            memory_kib: 128,
            ..fast()
        },
        Argon2Settings {
            iterations: 2,
            ..fast()
        },
        Argon2Settings {
            memory_kib: 128,
            parallelism: 2,
            ..fast()
        },
    ] {
        let result = hasher(settings).verify(&password(), &hash).await.unwrap();
        assert_eq!(
            result,
            Verification::Valid { needs_rehash: true },
            "{settings:?}"
        );
    }
}

#[tokio::test]
async fn other_algorithm_or_version_needs_rehash() {
    let params = Params::new(64, 1, 1, None).unwrap();
    let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x13, params.clone())
        .hash_password(password().expose().as_bytes())
        .unwrap()
        .to_string();
    let old_version = Argon2::new(Algorithm::Argon2id, Version::V0x10, params)
        .hash_password(password().expose().as_bytes())
        .unwrap()
        .to_string();
    let hasher = hasher(fast());

    for stored in [argon2i, old_version] {
        let result = hasher
            .verify(&password(), &PasswordHash::new(stored.clone()))
            .await
            .unwrap();
        assert_eq!(
            result,
            Verification::Valid { needs_rehash: true },
            "{stored}"
        );
    }
}

#[tokio::test]
async fn malformed_hash_is_internal() {
    let hasher = hasher(fast());
    let genuine = hasher.hash(&password()).await.unwrap();
    let without_output = genuine.expose().rsplit_once('$').unwrap().0.to_owned();

    for stored in [
        String::new(),
        "not a hash".to_owned(),
        "$argon2id$".to_owned(),
        without_output,
        "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E"
            .to_owned(),
        genuine.expose().replace("v=19", "v=99"),
        genuine.expose().replace("m=64", "m=4294967295"),
        genuine.expose().replace("t=1", "t=1000000"),
        genuine.expose().replace("p=1", "p=16777215"),
    ] {
        let result = hasher
            .verify(&password(), &PasswordHash::new(stored.clone()))
            .await;
        assert!(
            matches!(result, Err(HashError::Internal(_))),
            "{stored:?} gave {result:?}"
        );
    }
}

#[tokio::test]
async fn dummy_verify_succeeds() {
    let hasher = hasher(fast());

    hasher.verify_dummy(&password()).await.unwrap();
}

#[test]
fn dummy_hash_uses_configured_costs() {
    let hasher = hasher(fast());

    let dummy = phc::PasswordHash::new(&hasher.inner.dummy_hash).unwrap();
    let params = Params::try_from(&dummy).unwrap();

    assert_eq!(dummy.algorithm, ARGON2ID_IDENT);
    assert_eq!(params.m_cost(), 64);
    assert_eq!(params.t_cost(), 1);
    assert!(!hasher.inner.needs_rehash(&dummy, &params));
}

#[tokio::test]
async fn full_queue_is_busy() {
    // Slow enough (64 MiB, 4 passes) that the first hash is still running when the second
    // request arrives.
    let hasher = Arc::new(hasher(Argon2Settings {
        memory_kib: 64 * 1024,
        iterations: 4,
        parallelism: 1,
        queue_capacity: 1,
        threads: 1,
    }));
    let running = Arc::clone(&hasher);
    let first = tokio::spawn(async move { running.hash(&password()).await });
    while hasher.queue.available_permits() > 0 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    let second = hasher.hash(&password()).await;
    let dummy = hasher.verify_dummy(&password()).await;

    assert!(matches!(second, Err(HashError::Busy)), "{second:?}");
    assert!(matches!(dummy, Err(HashError::Busy)), "{dummy:?}");
    assert!(first.await.unwrap().is_ok());
    assert_eq!(hasher.queue.available_permits(), 1);
}

#[tokio::test]
async fn cancelled_caller_keeps_slot_until_done() {
    let hasher = hasher(Argon2Settings {
        memory_kib: 64 * 1024,
        iterations: 4,
        parallelism: 1,
        queue_capacity: 1,
        threads: 1,
    });

    let cancelled = tokio::time::timeout(Duration::from_millis(1), hasher.hash(&password())).await;
    let busy = hasher.hash(&password()).await;

    assert!(cancelled.is_err(), "hash finished within 1 ms");
    assert!(matches!(busy, Err(HashError::Busy)), "{busy:?}");
}

#[tokio::test]
async fn job_runs_in_caller_span() {
    let subscriber = tracing_subscriber::registry().with(tracing_subscriber::fmt::layer());
    let _default = tracing::subscriber::set_default(subscriber);
    let hasher = hasher(fast());
    let span = tracing::info_span!("login", user_id = "u-1");
    let expected = span.id();

    let seen = {
        let _entered = span.enter();
        hasher.run(|_| Ok(Span::current().id())).await.unwrap()
    };

    assert!(expected.is_some());
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn default_settings_hash_and_verify() {
    let hasher = hasher(Argon2Settings::default());

    let hash = hasher.hash(&password()).await.unwrap();
    let valid = hasher.verify(&password(), &hash).await.unwrap();
    let invalid = hasher
        .verify(&Password::new("another-password"), &hash)
        .await
        .unwrap();

    assert!(hash.expose().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert_eq!(
        valid,
        Verification::Valid {
            needs_rehash: false
        }
    );
    assert_eq!(invalid, Verification::Invalid);
}

#[test]
fn debug_hides_dummy_hash() {
    let hasher = hasher(fast());

    assert!(!format!("{hasher:?}").contains(&hasher.inner.dummy_hash));
}
