//! Tests of the key directory: layout, permissions, reloads, rotation and pruning.

use std::os::unix::fs::PermissionsExt;

use tempfile::TempDir;

use super::*;

fn now() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::days(20000)
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn key_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(KEY_EXTENSION))
        .collect();
    names.sort();
    names
}

fn active_name(dir: &Path) -> String {
    fs::read_to_string(dir.join(ACTIVE_FILE))
        .unwrap()
        .trim()
        .to_owned()
}

/// Returns a key directory path inside a new temporary directory, without creating it.
fn fresh() -> (TempDir, KeyDir) {
    let temp = tempfile::tempdir().unwrap();
    let keys = KeyDir::new(temp.path().join("data").join("keys"));
    (temp, keys)
}

#[test]
fn first_load_creates_private_dir_and_key() {
    let (_temp, dir) = fresh();

    let ring = dir.load_or_create(now()).unwrap();

    let files = key_files(dir.path());
    assert_eq!(files.len(), 1);
    assert_eq!(mode(dir.path()), 0o700);
    assert_eq!(mode(&dir.path().join(&files[0])), 0o600);
    assert_eq!(mode(&dir.path().join(ACTIVE_FILE)), 0o600);
    assert_eq!(active_name(dir.path()), files[0]);
    assert_eq!(ring.key_ids().len(), 1);
}

#[test]
fn key_file_contains_paserk_secret() {
    let (_temp, dir) = fresh();
    let ring = dir.load_or_create(now()).unwrap();

    let text = fs::read_to_string(dir.path().join(active_name(dir.path()))).unwrap();
    let key = SecretKey::from_paserk(&text).unwrap();

    assert!(text.starts_with("k4.secret."));
    assert_eq!(key.id(), ring.active_id());
}

#[test]
fn key_file_is_named_after_creation_time() {
    let (_temp, dir) = fresh();
    dir.load_or_create(now()).unwrap();

    let name = active_name(dir.path());

    assert!(name.starts_with("20241004T000000Z-"), "{name}");
    assert_eq!(parse_created_at(&name), Some(now()));
}

#[test]
fn reload_finds_same_key() {
    let (_temp, dir) = fresh();
    let first = dir.load_or_create(now()).unwrap();

    let second = dir.load_or_create(now() + Duration::days(1)).unwrap();
    let third = dir.load().unwrap();

    assert_eq!(second.active_id(), first.active_id());
    assert_eq!(third.active_id(), first.active_id());
    assert_eq!(key_files(dir.path()).len(), 1);
}

#[test]
fn rotation_keeps_old_key_for_verification() {
    let (_temp, dir) = fresh();
    let old = dir.load_or_create(now()).unwrap();

    let new_id = dir.rotate(now() + Duration::days(1)).unwrap();
    let ring = dir.load().unwrap();

    assert_ne!(&new_id, old.active_id());
    assert_eq!(ring.active_id(), &new_id);
    assert!(ring.contains(old.active_id().as_str()));
    assert_eq!(key_files(dir.path()).len(), 2);
}

#[test]
fn rotate_on_empty_dir_creates_key() {
    let (_temp, dir) = fresh();

    let id = dir.rotate(now()).unwrap();

    assert_eq!(dir.load().unwrap().active_id(), &id);
}

#[test]
fn prune_waits_for_retention_after_replacement() {
    let (_temp, dir) = fresh();
    let old = dir.load_or_create(now()).unwrap();
    let rotated_at = now() + Duration::days(30);
    dir.rotate(rotated_at).unwrap();

    let early = dir
        .prune(rotated_at + RETENTION - Duration::seconds(1))
        .unwrap();
    let ring = dir.load().unwrap();

    assert!(early.is_empty());
    assert!(ring.contains(old.active_id().as_str()));
}

#[test]
fn prune_deletes_key_replaced_long_ago() {
    let (_temp, dir) = fresh();
    let old = dir.load_or_create(now()).unwrap();
    let rotated_at = now() + Duration::days(30);
    let new_id = dir.rotate(rotated_at).unwrap();

    let deleted = dir.prune(rotated_at + RETENTION).unwrap();
    let ring = dir.load().unwrap();

    assert_eq!(deleted.len(), 1);
    assert!(!ring.contains(old.active_id().as_str()));
    assert_eq!(ring.active_id(), &new_id);
    assert_eq!(key_files(dir.path()).len(), 1);
}

#[test]
fn prune_keeps_active_key_and_newer_keys() {
    let (_temp, dir) = fresh();
    let first = dir.load_or_create(now()).unwrap();
    let second = dir.rotate(now() + Duration::days(1)).unwrap();
    // Point `active` back at the oldest key, as an operator might after a bad rotation.
    let first_file = key_files(dir.path())
        .into_iter()
        .find(|name| name.starts_with("20241004T"))
        .unwrap();
    dir.write_active(&first_file).unwrap();

    let deleted = dir.prune(now() + Duration::days(365)).unwrap();
    let ring = dir.load().unwrap();

    assert!(deleted.is_empty());
    assert_eq!(ring.active_id(), first.active_id());
    assert!(ring.contains(second.as_str()));
}

#[test]
fn prune_keeps_keys_without_timestamp() {
    let (_temp, dir) = fresh();
    dir.load_or_create(now()).unwrap();
    let imported = SecretKey::generate().unwrap();
    write_private_file(
        dir.path(),
        "imported.key",
        imported.to_paserk().unwrap().as_bytes(),
    )
    .unwrap();
    dir.rotate(now() + Duration::days(1)).unwrap();

    dir.prune(now() + Duration::days(365)).unwrap();

    assert!(dir.load().unwrap().contains(imported.id().as_str()));
}

#[test]
fn group_readable_key_is_refused() {
    let (_temp, dir) = fresh();
    dir.load_or_create(now()).unwrap();
    let path = dir.path().join(active_name(dir.path()));
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();

    let error = dir.load().unwrap_err();

    assert!(matches!(error, KeyError::InsecureFile { mode: 0o640, .. }));
    let message = error.to_string();
    assert!(message.contains(path.to_str().unwrap()), "{message}");
    assert!(message.contains("chmod 600"), "{message}");
}

#[test]
fn world_writable_dir_is_refused() {
    let (_temp, dir) = fresh();
    dir.load_or_create(now()).unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();

    let error = dir.load().unwrap_err();

    assert!(matches!(error, KeyError::InsecureDirectory { .. }));
    assert!(error.to_string().contains("chmod 700"));
}

#[test]
fn existing_dir_keeps_its_mode() {
    let (_temp, dir) = fresh();
    fs::create_dir_all(dir.path()).unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o750)).unwrap();

    dir.load_or_create(now()).unwrap();

    assert_eq!(mode(dir.path()), 0o750);
}

#[test]
fn missing_active_with_keys_is_an_error() {
    let (_temp, dir) = fresh();
    dir.load_or_create(now()).unwrap();
    fs::remove_file(dir.path().join(ACTIVE_FILE)).unwrap();

    let error = dir.load_or_create(now()).unwrap_err();

    assert!(matches!(error, KeyError::MissingActive { .. }));
}

#[test]
fn active_naming_missing_key_is_an_error() {
    let (_temp, dir) = fresh();
    dir.load_or_create(now()).unwrap();
    dir.write_active("19700101T000000Z-deadbeef.key").unwrap();

    let error = dir.load().unwrap_err();

    assert!(
        matches!(error, KeyError::UnknownActive { name, .. } if name == "19700101T000000Z-deadbeef.key")
    );
}

#[test]
fn load_without_keys_is_an_error() {
    let (_temp, dir) = fresh();
    fs::create_dir_all(dir.path()).unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700)).unwrap();

    assert!(matches!(dir.load(), Err(KeyError::NoKeys { .. })));
}

#[test]
fn corrupt_key_file_is_an_error_naming_it() {
    let (_temp, dir) = fresh();
    dir.load_or_create(now()).unwrap();
    let zero_seed = format!("k4.secret.{}", "A".repeat(86));
    write_private_file(dir.path(), "broken.key", zero_seed.as_bytes()).unwrap();

    let error = dir.load().unwrap_err();

    assert!(
        matches!(&error, KeyError::InvalidKey { path, .. } if path.ends_with("broken.key")),
        "{error}"
    );
}

#[test]
fn directory_named_key_is_rejected() {
    let (_temp, dir) = fresh();
    dir.load_or_create(now()).unwrap();
    fs::create_dir(dir.path().join("nested.key")).unwrap();

    assert!(matches!(dir.load(), Err(KeyError::NotAFile { .. })));
}

#[test]
fn temporary_files_are_ignored() {
    let (_temp, dir) = fresh();
    let ring = dir.load_or_create(now()).unwrap();
    fs::write(dir.path().join(".leftover.key.tmp"), "partial").unwrap();
    fs::write(dir.path().join("README"), "notes").unwrap();

    assert_eq!(dir.load().unwrap().active_id(), ring.active_id());
}

#[test]
fn prune_keeps_same_second_key() {
    let (_temp, dir) = fresh();
    let first = dir.load_or_create(now()).unwrap();
    dir.rotate(now()).unwrap();

    let deleted = dir.prune(now() + Duration::days(365)).unwrap();

    assert!(deleted.is_empty());
    assert!(dir.load().unwrap().contains(first.active_id().as_str()));
}
