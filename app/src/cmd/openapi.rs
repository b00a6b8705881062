//! `rampart openapi`: print the OpenAPI document.

use std::io::Write;

/// Prints the document that `/openapi.json` serves, byte for byte, to standard output.
///
/// # Errors
/// When standard output cannot be written.
pub(crate) fn run() -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(rampart_http::openapi_json().as_bytes())?;
    stdout.write_all(b"\n")?;
    Ok(())
}
