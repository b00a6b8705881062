use super::*;

fn fresh_id() -> UploadId {
    UploadId::from_uuid(Uuid::new_v4())
}

#[tokio::test(flavor = "multi_thread")]
async fn written_blob_reads_back() {
    let root = tempfile::tempdir().unwrap();
    let store = FsBlobStore::open(root.path().join("uploads")).unwrap();
    let id = fresh_id();

    store.write(id, b"image bytes".to_vec()).await.unwrap();

    assert_eq!(store.read(id).await.unwrap(), Some(b"image bytes".to_vec()));
}

#[tokio::test(flavor = "multi_thread")]
async fn files_and_directory_are_private() {
    let root = tempfile::tempdir().unwrap();
    let directory = root.path().join("data/uploads");
    let store = FsBlobStore::open(&directory).unwrap();
    let id = fresh_id();

    store.write(id, b"x".to_vec()).await.unwrap();

    let file = std::fs::metadata(directory.join(id.to_string())).unwrap();
    let folder = std::fs::metadata(&directory).unwrap();
    assert_eq!(file.permissions().mode() & 0o777, FILE_MODE);
    assert_eq!(folder.permissions().mode() & 0o777, DIRECTORY_MODE);
}

#[tokio::test(flavor = "multi_thread")]
async fn second_write_of_id_fails() {
    let root = tempfile::tempdir().unwrap();
    let store = FsBlobStore::open(root.path()).unwrap();
    let id = fresh_id();
    store.write(id, b"first".to_vec()).await.unwrap();

    let second = store.write(id, b"second".to_vec()).await;

    assert!(second.is_err(), "second write replaced the blob");
    assert_eq!(store.read(id).await.unwrap(), Some(b"first".to_vec()));
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_blob_reads_as_none() {
    let root = tempfile::tempdir().unwrap();
    let store = FsBlobStore::open(root.path()).unwrap();

    assert_eq!(store.read(fresh_id()).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn remove_reports_whether_blob_existed() {
    let root = tempfile::tempdir().unwrap();
    let store = FsBlobStore::open(root.path()).unwrap();
    let id = fresh_id();
    store.write(id, b"x".to_vec()).await.unwrap();

    let first = store.remove(id).await.unwrap();
    let second = store.remove(id).await.unwrap();

    assert!(first, "remove of a stored blob returned false");
    assert!(!second, "second remove returned true");
    assert_eq!(store.read(id).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_names_only_blobs() {
    let root = tempfile::tempdir().unwrap();
    let store = FsBlobStore::open(root.path()).unwrap();
    let id = fresh_id();
    store.write(id, b"x".to_vec()).await.unwrap();
    std::fs::write(root.path().join("notes.txt"), b"not a blob").unwrap();

    let listed = store.list().await.unwrap();

    assert_eq!(listed, vec![id]);
}

#[tokio::test(flavor = "multi_thread")]
async fn partial_writes_are_removed() {
    let root = tempfile::tempdir().unwrap();
    let store = FsBlobStore::open(root.path()).unwrap();
    let leftover = root.path().join(format!("{TEMP_PREFIX}{}", Uuid::new_v4()));
    std::fs::write(&leftover, b"half a file").unwrap();
    let kept = fresh_id();
    store.write(kept, b"whole file".to_vec()).await.unwrap();

    let removed = store.remove_partial_writes().await.unwrap();

    assert_eq!(removed, 1);
    assert!(!leftover.exists(), "temporary file survived");
    assert_eq!(
        store.read(kept).await.unwrap(),
        Some(b"whole file".to_vec())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn write_leaves_no_temporary_file() {
    let root = tempfile::tempdir().unwrap();
    let store = FsBlobStore::open(root.path()).unwrap();

    store.write(fresh_id(), b"x".to_vec()).await.unwrap();

    let names: Vec<String> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|name| !name.starts_with(TEMP_PREFIX)),
        "{names:?}"
    );
}
