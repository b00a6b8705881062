//! One module per subcommand.

pub(crate) mod create_admin;
pub(crate) mod migrate;
pub(crate) mod openapi;
pub(crate) mod serve;
