//! Uploads that must be rejected: each gets a 400 or 413 problem naming its rule, writes an
//! `upload_rejected` event, and stores nothing.

use std::time::Duration;

use image::ImageFormat;
use rampart_tests::TestServer;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::upload_files::{
    BOUNDARY, Part, content_type, file_part, gif_with_php_comment, image, jpeg_with_zip, multipart,
    part_head, png_header_only,
};
use super::uploads::{member, stored_files, upload};

const PASSWORD: &str = "Violet-Harbor-87";
const FIVE_MIB: usize = 5 * 1024 * 1024;

const SVG_WITH_SCRIPT: &[u8] =
    b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(document.cookie)</script></svg>";
const HTML_PAGE: &[u8] = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>";

#[tokio::test(flavor = "multi_thread")]
async fn hostile_files_are_rejected() {
    let server = TestServer::start(&[]).await;
    let alice = member(&server, "alice", PASSWORD).await;
    let png = image(ImageFormat::Png);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("renamed.gif", png.clone(), "type-mismatch"),
        ("page.jpg", HTML_PAGE.to_vec(), "forbidden-content"),
        (
            "drawing.svg",
            SVG_WITH_SCRIPT.to_vec(),
            "extension-not-allowed",
        ),
        ("drawing.png", SVG_WITH_SCRIPT.to_vec(), "forbidden-content"),
        ("comment.gif", gif_with_php_comment(), "forbidden-content"),
        ("archive.jpg", jpeg_with_zip(), "forbidden-content"),
        ("truncated.png", png[..24].to_vec(), "malformed-image"),
        ("empty.png", Vec::new(), "empty-file"),
        (
            "huge.png",
            png_header_only(20_000, 20_000),
            "too-many-pixels",
        ),
        (
            "program.png",
            b"MZ\x90\0\x03\0\0\0".to_vec(),
            "forbidden-content",
        ),
        (
            "linux.png",
            b"\x7fELF\x02\x01\x01\0".to_vec(),
            "forbidden-content",
        ),
        ("notes.txt", png.clone(), "extension-not-allowed"),
        (
            "noise.png",
            b"plain text, no signature".to_vec(),
            "not-an-image",
        ),
    ];

    for (filename, bytes, rule) in &cases {
        let response = upload(&server, &alice, filename, bytes).await;

        assert_eq!(response.status(), 400, "{filename}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{filename}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["type"], "urn:rampart:problem:upload-rejected",
            "{filename}"
        );
        assert_eq!(body["rule"], *rule, "{filename}: {body}");
        assert!(body["errors"]["file"].is_array(), "{filename}: {body}");
    }
    let log = server.wait_for_security_log("not-an-image").await;
    for (filename, _, rule) in &cases {
        assert!(
            log.contains(rule),
            "no upload_rejected event for {filename}"
        );
    }
    assert_eq!(
        log.matches("\"event\":\"upload_rejected\"").count(),
        cases.len(),
        "{log}"
    );
    assert!(
        stored_files(&server).is_empty(),
        "{:?}",
        stored_files(&server)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_forms_are_rejected() {
    let server = TestServer::start(&[]).await;
    let alice = member(&server, "alice", PASSWORD).await;
    let png = image(ImageFormat::Png);
    let text_field = Part {
        name: "caption",
        filename: None,
        content: b"hello",
    };
    let two_files = multipart(&[file_part("a.png", &png), file_part("b.png", &png)]);
    let mut truncated = part_head(&file_part("a.png", &png));
    truncated.extend_from_slice(&png[..png.len() / 2]);
    let no_filename = multipart(&[Part {
        name: "file",
        filename: None,
        content: &png,
    }]);
    let cases: Vec<(&str, String, Vec<u8>, &str)> = vec![
        (
            "no file field",
            content_type(),
            multipart(&[text_field]),
            "unexpected-field",
        ),
        ("empty form", content_type(), multipart(&[]), "missing-file"),
        ("two files", content_type(), two_files, "unexpected-field"),
        (
            "missing boundary",
            "multipart/form-data".to_owned(),
            multipart(&[file_part("a.png", &png)]),
            "malformed-form",
        ),
        (
            "json body",
            "application/json".to_owned(),
            b"{}".to_vec(),
            "malformed-form",
        ),
        (
            "truncated body",
            content_type(),
            truncated,
            "malformed-form",
        ),
        (
            "file without name",
            content_type(),
            no_filename,
            "malformed-form",
        ),
    ];

    for (name, content_type, body, rule) in cases {
        let response = server
            .client()
            .post(server.url("/api/v1/uploads"))
            .bearer_auth(&alice)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), 400, "{name}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["rule"], rule, "{name}: {body}");
    }
    assert!(
        stored_files(&server).is_empty(),
        "{:?}",
        stored_files(&server)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_needs_authentication() {
    let server = TestServer::start(&[]).await;

    let response = server
        .client()
        .post(server.url("/api/v1/uploads"))
        .header("content-type", content_type())
        .body(multipart(&[file_part("a.png", &image(ImageFormat::Png))]))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 401);
}

/// Sends the request head of an upload on a raw connection and returns the connection.
async fn send_head(server: &TestServer, token: &str, content_length: usize) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/uploads HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {content_length}\r\n\r\n",
        server.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// Reads until the end of the response head and returns it.
async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut buffer = [0_u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer))
            .await
            .expect("no response within 10 seconds")
            .unwrap();
        assert!(read > 0, "connection closed without a response");
        head.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn declared_oversize_is_rejected_unread() {
    let server = TestServer::start(&[]).await;
    let alice = member(&server, "alice", PASSWORD).await;

    // 50 MiB declared, and not one byte of it sent: the response cannot wait for the body.
    let mut stream = send_head(&server, &alice, 50 * 1024 * 1024).await;
    let head = read_head(&mut stream).await;

    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    let log = server.wait_for_security_log("file-too-large").await;
    assert!(log.contains("upload_rejected"), "{log}");
}

#[tokio::test(flavor = "multi_thread")]
async fn oversize_file_is_rejected_midstream() {
    let server = TestServer::start(&[]).await;
    let alice = member(&server, "alice", PASSWORD).await;
    let file = vec![b'a'; FIVE_MIB + 1];
    let head = part_head(&file_part("big.png", &file));
    let tail = format!("\r\n--{BOUNDARY}--\r\n");
    let length = head.len() + file.len() + tail.len();

    // The length is honest and within the form limit, so only counting the file can stop it.
    // The closing boundary is never sent: a 413 proves that the server responded before the end.
    let mut stream = send_head(&server, &alice, length).await;
    stream.write_all(&head).await.unwrap();
    stream.write_all(&file).await.unwrap();
    let response = read_head(&mut stream).await;

    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    let log = server.wait_for_security_log("file-too-large").await;
    assert!(log.contains("upload_rejected"), "{log}");
    assert!(
        stored_files(&server).is_empty(),
        "{:?}",
        stored_files(&server)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn file_at_limit_is_accepted() {
    let server = TestServer::start(&[]).await;
    let alice = member(&server, "alice", PASSWORD).await;
    let mut file = image(ImageFormat::Png);
    file.resize(FIVE_MIB, 0);

    let response = upload(&server, &alice, "padded.png", &file).await;

    assert_eq!(response.status(), 201);
}
