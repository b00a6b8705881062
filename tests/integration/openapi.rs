//! The OpenAPI document: what generated clients rely on.

use std::process::Command;

use rampart_tests::{TestServer, binary};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn cli_prints_served_document() {
    let server = TestServer::start(&[]).await;

    let served = server
        .client()
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let printed = Command::new(binary()).arg("openapi").output().unwrap();

    assert!(printed.status.success());
    assert_eq!(
        String::from_utf8(printed.stdout).unwrap().trim_end(),
        served.trim_end()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn operations_declare_errors_and_security() {
    let output = Command::new(binary()).arg("openapi").output().unwrap();
    let spec: Value = serde_json::from_slice(&output.stdout).unwrap();
    let authenticated = [
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/users/me", "get"),
        ("/api/v1/users/me", "patch"),
        ("/api/v1/users/me", "delete"),
        ("/api/v1/users/me/password", "post"),
        ("/api/v1/users/me/export", "get"),
        ("/api/v1/posts", "post"),
        ("/api/v1/posts/{id}", "patch"),
        ("/api/v1/posts/{id}", "delete"),
        ("/api/v1/categories", "post"),
        ("/api/v1/categories/{id}", "patch"),
        ("/api/v1/categories/{id}", "delete"),
        ("/api/v1/uploads", "post"),
        ("/api/v1/uploads/{id}", "delete"),
    ];
    let paths = spec["paths"].as_object().unwrap();
    let mut operations = 0;

    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let responses = operation["responses"].as_object().unwrap();
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let content = response["content"]
                        .as_object()
                        .unwrap_or_else(|| panic!("{method} {path} {status} has no content"));
                    assert!(
                        content.contains_key("application/problem+json"),
                        "{method} {path} {status}"
                    );
                }
            }
            let needs_auth = authenticated.contains(&(path.as_str(), method.as_str()));
            assert_eq!(
                operation.get("security").is_some(),
                needs_auth,
                "{method} {path} security"
            );
            if needs_auth {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            }
            assert!(
                responses.contains_key("500") || path.starts_with("/health"),
                "{method} {path} lacks 500"
            );
        }
    }
    assert!(operations >= 19, "only {operations} operations");
    assert!(spec["components"]["securitySchemes"]["BearerAuth"].is_object());
}
