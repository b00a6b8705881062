//! `rampart create-admin`: create an admin account.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use rampart_domain::password::Password;
use rampart_domain::user::{Email, Role, User, UserId, Username};
use rampart_ports::StoreError;
use uuid::Uuid;

use crate::config::Config;
use crate::telemetry;
use crate::wiring;

/// Arguments of `create-admin`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Username of the new admin: 3 to 32 of `a-z 0-9 _ . -`.
    #[arg(long)]
    username: String,
    /// Email of the new admin.
    #[arg(long)]
    email: String,
}

/// Reads the password from the first line of standard input, checks it against the password
/// policy, and stores the admin.
///
/// # Errors
/// For an invalid username, email or password, a taken username or email, or a store failure.
pub(crate) async fn run(config: Config, args: Args) -> anyhow::Result<()> {
    telemetry::init_stderr();
    let username =
        Username::parse(&args.username).map_err(|e| anyhow::anyhow!("invalid --username: {e}"))?;
    let email = Email::parse(&args.email).map_err(|e| anyhow::anyhow!("invalid --email: {e}"))?;

    let password = read_password()?;
    let broken = config
        .password_policy
        .violations(&password, username.as_str(), email.as_str());
    if !broken.is_empty() {
        let rules: Vec<String> = broken.iter().map(ToString::to_string).collect();
        bail!("the password {}", rules.join("; it "));
    }

    let database = wiring::Database::open(&config).await?;
    database.prepare_schema().await?;
    let deps = wiring::build_deps(&config, database)?;
    let user = User {
        id: UserId::from_uuid(Uuid::new_v4()),
        username,
        email,
        role: Role::Admin,
        password_hash: deps
            .hasher
            .hash(&password)
            .await
            .context("hashing the password")?,
        created_at: deps.clock.now(),
    };
    match deps.users.insert(&user).await {
        Ok(()) => {}
        Err(StoreError::Conflict { field }) => bail!("an account with this {field} already exists"),
        Err(error) => return Err(error).context("storing the admin"),
    }
    println!("created admin {} ({})", user.username, user.id);
    Ok(())
}

/// Reads one line from standard input, prompting on standard error when it is a terminal.
///
/// NOTE: the terminal still echoes what is typed; turning echo off needs termios calls that
/// this crate does not make. Pipe the password in (`printf '%s' "$PASSWORD" | rampart ...`).
fn read_password() -> anyhow::Result<Password> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password for the new admin (typed text is visible): ");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        bail!(
            "no password on standard input: pipe it in, for example printf '%s' \"$PASSWORD\" | rampart create-admin ..."
        );
    }
    Ok(Password::new(password))
}
