//! Uploads that succeed: re-encoding, serving headers, clean names, ownership, erasure and crash
//! recovery.

use std::path::Path;

use image::ImageFormat;
use rampart_tests::{TestServer, text};
use serde_json::{Value, json};

use super::upload_files::{EXIF_MARKER, content_type, file_part, image, jpeg_with_exif, multipart};

const ALICE_PASSWORD: &str = "Violet-Harbor-87";
const BOB_PASSWORD: &str = "Granite-Falcon-42";

/// Registers and logs in `username`, and returns the access token.
pub(super) async fn member(server: &TestServer, username: &str, password: &str) -> String {
    let client = server.client();
    server.register(&client, username, password).await;
    text(
        &server.login(&client, username, password).await,
        "access_token",
    )
}

/// Uploads `bytes` as `filename` in a well-formed form.
pub(super) async fn upload(
    server: &TestServer,
    token: &str,
    filename: &str,
    bytes: &[u8],
) -> reqwest::Response {
    server
        .client()
        .post(server.url("/api/v1/uploads"))
        .bearer_auth(token)
        .header("content-type", content_type())
        .body(multipart(&[file_part(filename, bytes)]))
        .send()
        .await
        .unwrap()
}

async fn upload_ok(server: &TestServer, token: &str, filename: &str, bytes: &[u8]) -> Value {
    let response = upload(server, token, filename, bytes).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "upload {filename:?}: {body}");
    body
}

/// Returns the names in the upload directory.
pub(super) fn stored_files(server: &TestServer) -> Vec<String> {
    let directory = server.data_dir().join("uploads");
    if !Path::new(&directory).exists() {
        return Vec::new();
    }
    std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn valid_images_are_reencoded() {
    let server = TestServer::start(&[]).await;
    let alice = member(&server, "alice", ALICE_PASSWORD).await;
    let cases = [
        (
            "photo.jpg",
            jpeg_with_exif(),
            "image/jpeg",
            ImageFormat::Jpeg,
        ),
        (
            "diagram.PNG",
            image(ImageFormat::Png),
            "image/png",
            ImageFormat::Png,
        ),
        (
            "sticker.webp",
            image(ImageFormat::WebP),
            "image/webp",
            ImageFormat::WebP,
        ),
        (
            "loop.gif",
            image(ImageFormat::Gif),
            "image/gif",
            ImageFormat::Gif,
        ),
    ];

    for (filename, bytes, mime, format) in cases {
        let created = upload_ok(&server, &alice, filename, &bytes).await;
        let served = server
            .client()
            .get(server.url(&format!("/api/v1/uploads/{}", text(&created, "id"))))
            .send()
            .await
            .unwrap();

        assert_eq!(created["content_type"], mime, "{filename}");
        assert_eq!(served.status(), 200, "{filename}");
        assert_eq!(served.headers()["content-type"], mime, "{filename}");
        let served = served.bytes().await.unwrap();
        assert_eq!(created["size"], served.len(), "{filename}");
        let decoded = image::load_from_memory_with_format(&served, format)
            .unwrap_or_else(|e| panic!("{filename} does not decode: {e}"));
        assert_eq!((decoded.width(), decoded.height()), (32, 24), "{filename}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn jpeg_exif_block_is_stripped() {
    let server = TestServer::start(&[]).await;
    let alice = member(&server, "alice", ALICE_PASSWORD).await;
    let original = jpeg_with_exif();
    assert!(
        original.windows(6).any(|w| w == b"Exif\0\0"),
        "fixture lacks EXIF"
    );

    let created = upload_ok(&server, &alice, "photo.jpg", &original).await;
    let served = server
        .client()
        .get(server.url(&format!("/api/v1/uploads/{}", text(&created, "id"))))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();

    assert!(
        !served.windows(6).any(|w| w == b"Exif\0\0"),
        "served JPEG has an Exif block"
    );
    assert!(
        !served.windows(EXIF_MARKER.len()).any(|w| w == EXIF_MARKER),
        "served JPEG has the EXIF payload"
    );
    assert!(
        !served.windows(2).any(|w| w == [0xff, 0xe1]),
        "APP1 segment left"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn served_upload_has_safe_headers() {
    let server = TestServer::start(&[]).await;
    let alice = member(&server, "alice", ALICE_PASSWORD).await;
    let created = upload_ok(
        &server,
        &alice,
        "Holiday Photo.png",
        &image(ImageFormat::Png),
    )
    .await;

    let served = server
        .client()
        .get(server.url(&format!("/api/v1/uploads/{}", text(&created, "id"))))
        .send()
        .await
        .unwrap();

    let headers = served.headers();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        headers["content-disposition"],
        "inline; filename=\"holiday-photo.png\""
    );
    assert_eq!(
        headers["content-security-policy"],
        "default-src 'none'; sandbox"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_filenames_come_out_clean() {
    let server = TestServer::start(&[]).await;
    let alice = member(&server, "alice", ALICE_PASSWORD).await;
    let png = image(ImageFormat::Png);
    let jpeg = image(ImageFormat::Jpeg);
    let long = format!("{}.png", "x".repeat(300));
    let cases: [(&str, &[u8], &str); 6] = [
        ("../../etc/passwd.png", &png, "passwd.png"),
        ("shell.php.jpg", &jpeg, "shell-php.jpg"),
        ("a%00.png", &png, "a-00.png"),
        ("CON.png", &png, "upload-con.png"),
        ("cafe\u{301} cre\u{300}me.png", &png, "cafe-creme.png"),
        (&long, &png, &format!("{}.png", "x".repeat(96))),
    ];

    for (filename, bytes, expected) in cases {
        let created = upload_ok(&server, &alice, filename, bytes).await;

        assert_eq!(created["filename"], expected, "{filename:?}");
    }
    for name in stored_files(&server) {
        assert!(uuid::Uuid::try_parse(&name).is_ok(), "stored as {name:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nul_in_filename_never_survives() {
    let server = TestServer::start(&[]).await;
    let alice = member(&server, "alice", ALICE_PASSWORD).await;

    let response = upload(&server, &alice, "a\0.png", &image(ImageFormat::Png)).await;

    let status = response.status();
    let body: Value = response.json().await.unwrap();
    match status.as_u16() {
        201 => assert_eq!(body["filename"], "a.png"),
        400 => assert_eq!(body["rule"], "malformed-form"),
        other => panic!("unexpected status {other}: {body}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_owner_deletes_upload() {
    let server = TestServer::start(&[]).await;
    let alice = member(&server, "alice", ALICE_PASSWORD).await;
    let bob = member(&server, "bob", BOB_PASSWORD).await;
    let created = upload_ok(&server, &alice, "photo.png", &image(ImageFormat::Png)).await;
    let path = format!("/api/v1/uploads/{}", text(&created, "id"));
    let client = server.client();

    let by_bob = client
        .delete(server.url(&path))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap();
    let log = server.wait_for_security_log("permission_denied").await;
    let by_alice = client
        .delete(server.url(&path))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    let after = client.get(server.url(&path)).send().await.unwrap();

    assert_eq!(by_bob.status(), 403);
    assert!(log.contains("permission_denied"), "{log}");
    assert_eq!(by_alice.status(), 204);
    assert_eq!(after.status(), 404);
    assert!(
        stored_files(&server).is_empty(),
        "{:?}",
        stored_files(&server)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn post_images_must_be_own_uploads() {
    let server = TestServer::start(&[]).await;
    let alice = member(&server, "alice", ALICE_PASSWORD).await;
    let bob = member(&server, "bob", BOB_PASSWORD).await;
    let hers = text(
        &upload_ok(&server, &alice, "hers.png", &image(ImageFormat::Png)).await,
        "id",
    );
    let client = server.client();
    let create = |token: &str, image_id: &str| {
        client
            .post(server.url("/api/v1/posts"))
            .bearer_auth(token)
            .json(&json!({"title": "With image", "body": "<p>x</p>", "image_id": image_id}))
            .send()
    };

    let bobs_create = create(&bob, &hers).await.unwrap();
    let unknown = create(&bob, &uuid::Uuid::new_v4().to_string())
        .await
        .unwrap();
    let alices: Value = create(&alice, &hers).await.unwrap().json().await.unwrap();
    let bobs_post: Value = client
        .post(server.url("/api/v1/posts"))
        .bearer_auth(&bob)
        .json(&json!({"title": "Plain", "body": "<p>y</p>"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bobs_patch = client
        .patch(server.url(&format!("/api/v1/posts/{}", text(&bobs_post, "id"))))
        .bearer_auth(&bob)
        .json(&json!({"image_id": hers}))
        .send()
        .await
        .unwrap();

    assert_eq!(bobs_create.status(), 403);
    assert_eq!(unknown.status(), 400);
    let unknown: Value = unknown.json().await.unwrap();
    assert!(unknown["errors"]["image_id"].is_array(), "{unknown}");
    assert_eq!(alices["image_id"], hers.as_str());
    assert_eq!(bobs_patch.status(), 403);
    let log = server.wait_for_security_log("attach").await;
    assert!(log.contains(&format!("upload:{hers}")), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn deleted_upload_leaves_posts() {
    let server = TestServer::start(&[]).await;
    let alice = member(&server, "alice", ALICE_PASSWORD).await;
    let id = text(
        &upload_ok(&server, &alice, "photo.png", &image(ImageFormat::Png)).await,
        "id",
    );
    let client = server.client();
    let post: Value = client
        .post(server.url("/api/v1/posts"))
        .bearer_auth(&alice)
        .json(&json!({"title": "Pictured", "body": "<p>x</p>", "image_id": id}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let deleted = client
        .delete(server.url(&format!("/api/v1/uploads/{id}")))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    let after: Value = client
        .get(server.url(&format!("/api/v1/posts/{}", text(&post, "id"))))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert_eq!(deleted.status(), 204);
    assert_eq!(after["image_id"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn erasure_removes_upload_files() {
    let server = TestServer::start(&[]).await;
    let alice = member(&server, "alice", ALICE_PASSWORD).await;
    let bob = member(&server, "bob", BOB_PASSWORD).await;
    let first = text(
        &upload_ok(&server, &alice, "a.png", &image(ImageFormat::Png)).await,
        "id",
    );
    upload_ok(&server, &alice, "b.gif", &image(ImageFormat::Gif)).await;
    let kept = text(
        &upload_ok(&server, &bob, "c.png", &image(ImageFormat::Png)).await,
        "id",
    );
    let client = server.client();
    let export: Value = client
        .get(server.url("/api/v1/users/me/export"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let erased = client
        .delete(server.url("/api/v1/users/me"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    let gone = client
        .get(server.url(&format!("/api/v1/uploads/{first}")))
        .send()
        .await
        .unwrap();

    assert_eq!(
        export["uploads"].as_array().map(Vec::len),
        Some(2),
        "{export}"
    );
    assert_eq!(erased.status(), 204);
    assert_eq!(gone.status(), 404);
    assert_eq!(stored_files(&server), vec![kept]);
}

#[tokio::test(flavor = "multi_thread")]
async fn crash_before_insert_leaves_nothing() {
    let mut server = TestServer::start(&[("RAMPART_TEST_ABORT_BEFORE_UPLOAD_INSERT", "1")]).await;
    let alice = member(&server, "alice", ALICE_PASSWORD).await;

    let crashed = server
        .client()
        .post(server.url("/api/v1/uploads"))
        .bearer_auth(&alice)
        .header("content-type", content_type())
        .body(multipart(&[file_part(
            "photo.png",
            &image(ImageFormat::Png),
        )]))
        .send()
        .await;
    let before_restart = stored_files(&server);
    server.restart_with_env(&[]).await;
    let after_restart = stored_files(&server);
    let export: Value = server
        .client()
        .get(server.url("/api/v1/users/me/export"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    assert!(crashed.is_err(), "the server answered instead of aborting");
    assert_eq!(
        before_restart.len(),
        1,
        "no file was written before the crash"
    );
    assert!(after_restart.is_empty(), "{after_restart:?}");
    assert_eq!(export["uploads"], json!([]), "{export}");
}
