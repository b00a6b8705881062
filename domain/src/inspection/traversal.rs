//! Path traversal: `..` steps out of a directory, and names of files an attacker reads.
//!
//! Whether `../` is an attack depends on where it appears. In a URL path, and in a value that is
//! one token (no whitespace, as a file or path parameter is), any parent step is refused:
//!
//! ```text
//!   ../../etc/passwd   ..\..\win.ini   ....//....//etc   ..;/admin   /etc/shadow
//! ```
//!
//! In prose, a writer may mention `../`, `../../notes.md` or `/etc/hosts` in passing, so a token
//! there is refused only when it climbs three or more levels, or climbs toward a
//! [`SENSITIVE_TARGETS`] entry.

/// Files and directories that traversal payloads aim at, in lowercase with forward slashes.
pub(crate) const SENSITIVE_TARGETS: &[&str] = &[
    "etc/passwd",
    "etc/shadow",
    "etc/group",
    "etc/hosts",
    "etc/issue",
    "proc/self/",
    "proc/version",
    "windows/win.ini",
    "windows/system32",
    "winnt/win.ini",
    "boot.ini",
    "win.ini",
    "web-inf/",
    "web.config",
    ".htaccess",
    ".htpasswd",
    ".ssh/",
    ".aws/credentials",
    ".git/config",
    ".env",
    "var/log/",
    "wp-config.php",
];

/// Parent steps in one prose token that count as traversal without a sensitive target.
const PROSE_STEPS: usize = 3;

/// The way a value is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A URL path or a one-token value: any parent step counts.
    PathLike,
    /// Free text: only climbs of three or more levels, and climbs toward sensitive files, count.
    Prose,
}

impl Shape {
    /// Returns the shape of a parameter value: one token is path-like, anything with
    /// whitespace is prose.
    pub(crate) fn of_value(value: &str) -> Self {
        if value.trim().contains(char::is_whitespace) {
            Self::Prose
        } else {
            Self::PathLike
        }
    }
}

/// Returns whether `text` (already decoded) traverses out of a directory, judged as `shape`.
pub(crate) fn is_traversal(text: &str, shape: Shape) -> bool {
    match shape {
        Shape::PathLike => {
            let token = normalize(text.trim());
            parent_steps(&token) > 0 || names_sensitive_absolute(&token)
        }
        Shape::Prose => text.split_whitespace().any(|word| {
            let token = normalize(word);
            let steps = parent_steps(&token);
            steps >= PROSE_STEPS || (steps > 0 && names_sensitive(&token))
        }),
    }
}

/// Lowercases and turns backslashes into slashes.
fn normalize(token: &str) -> String {
    token.to_lowercase().replace('\\', "/")
}

/// Counts the segments of `token` that step to a parent: `..`, and the `...` or `....` of
/// filter evasions when the token has a slash. A `;` starts path parameters (`..;/`).
fn parent_steps(token: &str) -> usize {
    let has_slash = token.contains('/');
    token
        .split('/')
        .map(|segment| segment.split(';').next().unwrap_or_default())
        .filter(|segment| {
            *segment == ".."
                || (has_slash && segment.len() > 2 && segment.bytes().all(|b| b == b'.'))
        })
        .count()
}

fn names_sensitive(token: &str) -> bool {
    SENSITIVE_TARGETS
        .iter()
        .any(|target| token.contains(target))
}

/// Returns whether `token` is an absolute path or file URL naming a sensitive file, such as
/// `/etc/passwd`, `c:/windows/win.ini` or `file:///etc/shadow`.
fn names_sensitive_absolute(token: &str) -> bool {
    let drive =
        matches!(token.as_bytes(), [letter, b':', b'/', ..] if letter.is_ascii_alphabetic());
    let absolute = token.starts_with('/') || token.starts_with("file:") || drive;
    absolute && names_sensitive(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_like_parent_steps_are_found() {
        for value in [
            "../../etc/passwd",
            "..\\..\\windows\\win.ini",
            "....//....//etc/passwd",
            "..;/admin",
            "..",
            "/api/v1/posts/../../secret",
            "images/../../../config.php",
        ] {
            assert!(is_traversal(value, Shape::PathLike), "{value}");
        }
    }

    #[test]
    fn absolute_sensitive_paths_are_found() {
        for value in ["/etc/passwd", "C:\\Windows\\win.ini", "file:///etc/shadow"] {
            assert!(is_traversal(value, Shape::PathLike), "{value}");
        }
    }

    #[test]
    fn ordinary_tokens_pass() {
        for value in [
            "report.pdf",
            "...",
            "wait...",
            "v1.2.3",
            "/api/v1/posts",
            "https://example.com/a/b",
            "C:\\Users\\me\\notes.txt",
        ] {
            assert!(!is_traversal(value, Shape::PathLike), "{value}");
        }
    }

    #[test]
    fn prose_judges_by_depth_and_target() {
        assert!(!is_traversal(
            "open ../notes.txt in the editor",
            Shape::Prose
        ));
        assert!(!is_traversal("edit /etc/hosts with care", Shape::Prose));
        assert!(!is_traversal("and then... / what?", Shape::Prose));
        assert!(!is_traversal(
            "The file ../../notes.md? Ask Bob",
            Shape::Prose
        ));
        assert!(is_traversal("see ../../../etc/passwd now", Shape::Prose));
        assert!(is_traversal("x ../etc/passwd", Shape::Prose));
    }

    #[test]
    fn shape_follows_whitespace() {
        assert_eq!(Shape::of_value("../a"), Shape::PathLike);
        assert_eq!(Shape::of_value(" ../a "), Shape::PathLike);
        assert_eq!(Shape::of_value("go to ../a"), Shape::Prose);
    }
}
