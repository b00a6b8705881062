//! SQL injection: input that would change the structure of a SQL statement it was pasted into.
//!
//! libinjection (through `libinjectionrs`) tokenizes the value as SQL in each quoting context and
//! matches the token sequence against its fingerprints of known injections, so `O'Brien` and
//! "select a plan" pass while `1' OR '1'='1` does not. The patterns here add forms whose
//! fingerprint libinjection does not list: stacked statements, time delays, quote-then-comment
//! endings, and the functions and catalogs that error-based and out-of-band injections use.
//!
//! One libinjection verdict is narrowed. When the value only matches as unquoted SQL and its
//! fingerprint is a bare chain of operands joined by operators and AND/OR (`1&1`, `nos&s`), it
//! counts only if the text before the first AND/OR is one token. An injection into a numeric
//! context appends a condition to the one value it replaces (`1 AND 2>1`), while prose that
//! chains two comparisons or phrases (`3 < 5 and 5 < 8`, `Quotes like 'this' and "that"`)
//! has more than one token there.

use std::sync::LazyLock;

use libinjectionrs::{SqliFlags, SqliState};
use regex::Regex;

use super::compile;

/// Statement shapes, functions and catalogs that ordinary text does not contain.
static SQL_SHAPE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(concat!(
        r"(?i)",
        // A second statement after a terminator.
        r";\s*(?:drop\s+(?:table|database|schema|user)\b|delete\s+from\s+\S+\s*(?:where\b|;|--|#|$)|insert\s+into\s+\S+\s*(?:\(|values\b|select\b)|update\s+\S+\s+set\s+\S+?\s*=|truncate\s+table\b|alter\s+table\b|create\s+table\s+\S+\s*\(|shutdown\s*(?:--|#|;|$)|exec(?:ute)?\s*(?:\(|master\.|xp_|sp_|@)|declare\s+@|select[\s+(]+(?:\*|\d|null\b|@@|version\b|user\b|\w+\s*(?:\(|,|from\b)))",
        // UNION-based extraction, with comments or plus signs between the words.
        r"|\bunion(?:\s|/\*.*?\*/|\+|\()+(?:all(?:\s|/\*.*?\*/|\+)+|distinct(?:\s|/\*.*?\*/|\+)+)?select\b",
        // Time delays and heavy functions of blind injection.
        r"|\b(?:sleep|pg_sleep|benchmark|randomblob)\s*\(\s*\d|\bwaitfor\s+(?:delay|time)\s+'",
        // Error-based and file or command functions.
        r"|\b(?:extractvalue|updatexml|load_file|xp_cmdshell|sp_executesql|utl_http\.request|dbms_pipe\.receive_message|sys_eval|sys_exec)\s*\(",
        r"|\bprocedure\s+analyse\s*\(\s*\)",
        r"|\binto\s+(?:out|dump)file\b|\binformation_schema\b|\bsysobjects\b|\bpg_catalog\b|\bsqlite_master\b|@@version\b",
        // A closing quote followed by a comment that cuts off the rest of the statement.
        r#"|['"`]\s*(?:--\s*-?|#|/\*)\s*$"#,
        // Tautologies after a closing quote.
        r#"|['"`]\s*(?:or|and|\|\||&&)\s+['"`]?\w+['"`]?\s*(?:=|<|>|like\b|is\b)"#,
        r"|\b(?:or|and)\s+(\d+)\s*=\s*(\d+)\b",
        // Hex or CHAR() strings that spell values without quotes.
        r"|\b(?:char|nchar|chr)\s*\(\s*\d+\s*(?:,\s*\d+\s*)+\)|\bconcat(?:_ws)?\s*\(\s*0x[0-9a-f]+",
    ))
});

/// The first AND/OR between two operands, as a word or as `&&` and `||`.
static LOGIC_OPERATOR: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"(?i)\s(?:and|or|xor|&&|\|\|)\s"));

/// Returns whether `text` (already decoded) would inject into a SQL statement.
pub(crate) fn is_sqli(text: &str) -> bool {
    if SQL_SHAPE.as_ref().is_some_and(|regex| regex.is_match(text)) {
        return true;
    }
    let bytes = text.as_bytes();
    let mut state = SqliState::new(bytes, SqliFlags::FLAG_NONE);
    if !state.detect() {
        return false;
    }
    // `detect` stops at the first context that matches, and tries the unquoted one first.
    let fingerprint = state.get_fingerprint();
    if !is_boolean_chain(&fingerprint) {
        return true;
    }
    let quoted = text.contains(['\'', '"'])
        && libinjectionrs::detect_sqli_with_flags(
            bytes,
            SqliFlags::FLAG_QUOTE_SINGLE | SqliFlags::FLAG_SQL_ANSI,
        )
        .is_injection();
    quoted || leading_operand_is_one_token(text)
}

/// Returns whether a fingerprint is only operands (`1` number, `n` name, `s` string, `v`
/// variable) joined by operators (`o`) and AND/OR (`&`).
fn is_boolean_chain(fingerprint: &str) -> bool {
    fingerprint.contains('&') && fingerprint.chars().all(|c| "1nsvo&".contains(c))
}

fn leading_operand_is_one_token(text: &str) -> bool {
    let operator = LOGIC_OPERATOR.as_ref().and_then(|regex| regex.find(text));
    let leading = match operator {
        Some(found) => text.get(..found.start()).unwrap_or(text),
        None => text,
    };
    !leading.trim().contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile() {
        assert!(SQL_SHAPE.is_some());
        assert!(LOGIC_OPERATOR.is_some());
    }

    #[test]
    fn injections_are_found() {
        for value in [
            "1' OR '1'='1",
            "' OR 1=1--",
            "admin'--",
            "1 UNION SELECT username, password FROM users",
            "1; DROP TABLE users",
            "1 AND SLEEP(5)",
            "1' AND extractvalue(1, concat(0x7e, version()))--",
            "1/**/UNION/**/SELECT/**/1,2",
            "'; WAITFOR DELAY '0:0:5'--",
            "admin' #",
            "1 AND 2>1",
            "-1 OR 1",
            "x' AND 'a'='a",
            "1;select+1",
        ] {
            assert!(is_sqli(value), "{value}");
        }
    }

    #[test]
    fn ordinary_text_passes() {
        for value in [
            "O'Brien",
            "select a plan",
            "drop me a line",
            "Don't stop; update me later",
            "Hurry; select a plan now",
            "Meeting at 3; execute the plan",
            "Open the lid; insert into the slot",
            "Please union the sets and select distinct values",
            "It's 5 o'clock -- time to go",
            "x = 3 and y = 4",
            "Rock 'n' roll",
            "I need sleep (a lot)",
            "3 < 5 and 5 < 8",
            "1 + 1 = 2 and 2 + 2 = 4",
            "Quotes like 'this' and \"that\"",
        ] {
            assert!(!is_sqli(value), "{value}");
        }
    }
}
