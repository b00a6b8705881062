//! The attack and benign corpora of `tests/data/` through the detector and through the server.
//!
//! Each corpus file opens with a block of `# ` comment lines, one of them `# kind: <name>`. Every
//! later line is one entry, sent exactly as written, so encoded forms stay encoded. Both tests
//! print their rates, so `make test` shows them, and fail below 95% detection for any attack
//! kind or on any false positive.

use std::io::Write;
use std::net::Ipv4Addr;

use rampart_domain::inspection::{AttackKind, Place, inspect};
use rampart_tests::TestServer;
use serde_json::{Value, json};

const ATTACK_FILES: [&str; 3] = [
    "attacks-sqli.txt",
    "attacks-xss.txt",
    "attacks-traversal.txt",
];
const BENIGN_FILE: &str = "benign.txt";
/// The lowest detection rate accepted, per attack kind.
const MIN_DETECTION: f64 = 0.95;
/// Every this many entries of a corpus go through the server.
const SAMPLE_STEP: usize = 8;
/// Attacks sent from one address before the next, below the auto-block threshold of 10.
const ATTACKS_PER_ADDRESS: usize = 9;
/// Ordinary requests sent from one address before the next, far below the request limits.
const REQUESTS_PER_ADDRESS: usize = 20;

struct Corpus {
    kind: String,
    entries: Vec<String>,
}

fn load(file: &str) -> Corpus {
    let path = format!("{}/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines().peekable();
    let mut kind = String::new();
    while let Some(comment) = lines.next_if(|line| line.starts_with("# ")) {
        if let Some(name) = comment.strip_prefix("# kind: ") {
            kind = name.trim().to_owned();
        }
    }
    let entries: Vec<String> = lines
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    assert!(!kind.is_empty(), "{path} has no `# kind:` line");
    Corpus { kind, entries }
}

fn expected_kind(name: &str) -> AttackKind {
    match name {
        "sql_injection" => AttackKind::SqlInjection,
        "xss" => AttackKind::Xss,
        "path_traversal" => AttackKind::PathTraversal,
        other => panic!("unknown corpus kind {other}"),
    }
}

/// Writes a line past the test harness's output capture, so the rates show in every run.
fn print(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    part as f64 / whole as f64
}

#[test]
fn corpus_rates_at_unit_level() {
    let attacks: Vec<Corpus> = ATTACK_FILES.iter().map(|file| load(file)).collect();
    let benign = load(BENIGN_FILE);
    let total: usize = attacks.iter().map(|c| c.entries.len()).sum();
    assert!(total >= 300, "the attack corpus has {total} entries");
    assert!(
        benign.entries.len() >= 300,
        "the benign corpus is too small"
    );
    let mut failures = Vec::new();

    print("attack corpus, unit level (detected / entries, same kind):");
    for place in [Place::JsonString, Place::Parameter] {
        for corpus in &attacks {
            let expected = expected_kind(&corpus.kind);
            let found: Vec<_> = corpus.entries.iter().map(|e| inspect(e, place)).collect();
            let detected = found.iter().filter(|f| f.is_some()).count();
            let same_kind = found.iter().filter(|f| **f == Some(expected)).count();
            let rate = percent(detected, corpus.entries.len());
            print(&format!(
                "  {:<15} as {:<11} {:>3}/{:<3} = {:5.1}%  (same kind {:5.1}%)",
                corpus.kind,
                format!("{place:?}"),
                detected,
                corpus.entries.len(),
                rate * 100.0,
                percent(same_kind, corpus.entries.len()) * 100.0,
            ));
            if rate < MIN_DETECTION {
                failures.push(format!(
                    "{} as {place:?}: {:.1}%",
                    corpus.kind,
                    rate * 100.0
                ));
            }
        }
    }

    print("benign corpus, unit level (false positives / entries):");
    for place in [Place::JsonString, Place::Parameter] {
        let flagged: Vec<_> = benign
            .entries
            .iter()
            .filter_map(|entry| inspect(entry, place).map(|kind| format!("{kind:?}: {entry}")))
            .collect();
        print(&format!(
            "  benign as {:<11} {}/{} = {:.1}%",
            format!("{place:?}"),
            flagged.len(),
            benign.entries.len(),
            percent(flagged.len(), benign.entries.len()) * 100.0
        ));
        failures.extend(
            flagged
                .into_iter()
                .map(|f| format!("false positive as {place:?}: {f}")),
        );
    }

    assert!(failures.is_empty(), "{failures:#?}");
}

/// Sends one value the way the attack or benign sample needs: in a JSON title of an
/// unauthenticated post (401 when it passes) or in a query parameter (200 when it passes).
async fn send(
    server: &TestServer,
    client: &reqwest::Client,
    value: &str,
    as_json: bool,
) -> reqwest::Response {
    if as_json {
        client
            .post(server.url("/api/v1/posts"))
            .json(&json!({"title": value, "body": "text"}))
            .send()
            .await
            .unwrap()
    } else {
        let encoded = percent_encode(value);
        client
            .get(server.url(&format!("/api/v1/posts?q={encoded}")))
            .send()
            .await
            .unwrap()
    }
}

/// Percent-encodes every byte outside the unreserved characters of RFC 3986.
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

async fn is_attack_detected(response: reqwest::Response) -> bool {
    if response.status() != 400 {
        return false;
    }
    let problem: Value = response.json().await.unwrap_or_default();
    problem["type"] == "urn:rampart:problem:attack-detected"
}

#[tokio::test(flavor = "multi_thread")]
async fn corpus_sample_through_server() {
    let server = TestServer::start(&[]).await;
    let mut failures = Vec::new();

    print(&format!(
        "attack corpus, every {SAMPLE_STEP}th entry through the server:"
    ));
    let mut sent = 0;
    for file in ATTACK_FILES {
        let corpus = load(file);
        // Traversal goes in a query parameter, where file names travel; the others alternate.
        let traversal = corpus.kind == "path_traversal";
        let sample: Vec<&String> = corpus.entries.iter().step_by(SAMPLE_STEP).collect();
        let mut missed = Vec::new();
        for (index, entry) in sample.iter().enumerate() {
            let address = u8::try_from(sent / ATTACKS_PER_ADDRESS).unwrap();
            let client = server.client_from(Ipv4Addr::new(127, 0, 2, address + 1));
            let as_json = !traversal && index % 2 == 0;
            let response = send(&server, &client, entry, as_json).await;
            sent += 1;
            if !is_attack_detected(response).await {
                missed.push((*entry).clone());
            }
        }
        let detected = sample.len() - missed.len();
        let rate = percent(detected, sample.len());
        print(&format!(
            "  {:<15} {:>3}/{:<3} = {:5.1}%",
            corpus.kind,
            detected,
            sample.len(),
            rate * 100.0
        ));
        if rate < MIN_DETECTION {
            failures.push(format!(
                "{} detected {:.1}%, missed {missed:?}",
                corpus.kind,
                rate * 100.0
            ));
        }
    }

    let benign = load(BENIGN_FILE);
    let sample: Vec<&String> = benign.entries.iter().step_by(SAMPLE_STEP).collect();
    let mut flagged = 0;
    for (index, entry) in sample.iter().enumerate() {
        let address = u8::try_from(index / REQUESTS_PER_ADDRESS).unwrap();
        let client = server.client_from(Ipv4Addr::new(127, 0, 3, address + 1));
        let as_json = index % 2 == 0;
        let response = send(&server, &client, entry, as_json).await;
        let expected = if as_json { 401 } else { 200 };
        if response.status() != expected {
            flagged += 1;
            failures.push(format!(
                "benign got {} instead of {expected}: {entry}",
                response.status()
            ));
        }
    }
    print(&format!(
        "benign corpus, every {SAMPLE_STEP}th entry through the server: {flagged}/{} false positives",
        sample.len()
    ));

    assert!(failures.is_empty(), "{failures:#?}");
}
