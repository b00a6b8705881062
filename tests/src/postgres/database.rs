//! One test database with its owner and runtime roles, and psql to reach it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A role name and its random password.
pub(super) struct Credentials {
    pub(super) role: String,
    pub(super) password: String,
}

impl Credentials {
    pub(super) fn new(role: &str) -> Self {
        Self {
            role: role.to_owned(),
            password: uuid::Uuid::new_v4().simple().to_string(),
        }
    }
}

/// One database of a test with its owner role (migrations) and runtime role (the service).
pub struct TestDatabase {
    pub(super) name: String,
    pub(super) owner_url: String,
    pub(super) app_url: String,
    /// The superuser URL of this database.
    pub(super) admin_url: String,
    /// The superuser URL of the `postgres` database, to drop this one.
    pub(super) server_admin_url: String,
    pub(super) psql: PathBuf,
    /// Whether the server takes plain connections only (`DATABASE_URL` with `sslmode=disable`).
    pub(super) plain: bool,
    pub(super) roles: [String; 2],
}

impl TestDatabase {
    /// Returns the database name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the URL of the owner role, which may change the schema.
    pub fn owner_url(&self) -> &str {
        &self.owner_url
    }

    /// Returns the URL of the runtime role, which may only read and write rows.
    pub fn app_url(&self) -> &str {
        &self.app_url
    }

    /// Returns the `RAMPART_DATABASE_*` variables of a server on this database.
    pub fn server_env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("RAMPART_DATABASE_URL".to_owned(), self.app_url.clone()),
            (
                "RAMPART_DATABASE_MIGRATION_URL".to_owned(),
                self.owner_url.clone(),
            ),
        ];
        if self.plain {
            env.push((
                "RAMPART_DATABASE_ALLOW_INSECURE".to_owned(),
                "true".to_owned(),
            ));
        }
        env
    }

    /// Runs `sql` in this database as the superuser and returns the output, one row a line.
    pub fn admin_sql(&self, sql: &str) -> String {
        psql(&self.psql, &self.admin_url, sql)
            .unwrap_or_else(|error| panic!("superuser SQL failed: {error}\n{sql}"))
    }

    /// Runs `sql` in this database as the runtime role; the error is psql's message.
    ///
    /// # Errors
    /// psql's standard error when the statement fails.
    pub fn app_sql(&self, sql: &str) -> Result<String, String> {
        psql(&self.psql, &self.app_url, sql)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let [owner, app] = &self.roles;
        let sql = format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE); DROP ROLE IF EXISTS \"{owner}\", \"{app}\";",
            self.name
        );
        // A stopped cluster keeps the database; the reaper deletes the whole cluster anyway.
        let _ = psql(&self.psql, &self.server_admin_url, &sql);
    }
}

/// Runs `sql` through psql on `url` and returns its unaligned, tuples-only output.
fn psql(program: &Path, url: &str, sql: &str) -> Result<String, String> {
    let output = Command::new(program)
        .args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .env("PGCONNECT_TIMEOUT", "10")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}
