//! Key names, all under the configured prefix.

use std::net::IpAddr;

use rampart_domain::network::canonical;
use rampart_domain::token::{FamilyId, TokenId};
use rampart_domain::user::UserId;

/// Builds every key the stores use.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    prefix: String,
}

impl Keys {
    pub(crate) fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Returns the key of the hash that stores one rate-limit check key's sliding log.
    ///
    /// The name changed from `rate-log:` and then `rate-slots:` with each change of the hash
    /// layout, because a script of one layout misreads a hash of another. Logs under the old
    /// names expire within a window.
    pub(crate) fn rate_log(&self, check_key: &str) -> String {
        format!("{}rate-packed:{check_key}", self.prefix)
    }

    /// The sorted set of failures of a username from every address.
    pub(crate) fn login_user(&self, username: &str) -> String {
        format!("{}login:user:{username}", self.prefix)
    }

    /// The hash of pair states of a username, one field per client IP.
    pub(crate) fn login_pairs(&self, username: &str) -> String {
        format!("{}login:pairs:{username}", self.prefix)
    }

    /// The sorted set of failures from one client IP for every username.
    pub(crate) fn login_ip(&self, ip: IpAddr) -> String {
        format!("{}login:ip:{}", self.prefix, canonical(ip))
    }

    pub(crate) fn revoked_token(&self, token: TokenId) -> String {
        format!("{}revoked:token:{token}", self.prefix)
    }

    pub(crate) fn revoked_family(&self, family: FamilyId) -> String {
        format!("{}revoked:family:{family}", self.prefix)
    }

    /// Returns the key of the string that stores a user's stamp.
    pub(crate) fn user_stamp(&self, user: UserId) -> String {
        format!("{}user-stamp:{user}", self.prefix)
    }

    /// The hash of IP blocks by canonical range.
    pub(crate) fn blocks(&self) -> String {
        format!("{}blocks", self.prefix)
    }
}
