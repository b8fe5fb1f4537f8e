//! okdata-style direct grants as they cross the [`Backend`](super::Backend): who a grant goes to
//! and one row of `permissions ls RESOURCE`.

use serde::{Deserialize, Serialize};

/// Who a resource grant goes to (okdata's user types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GrantTo {
    /// A person.
    User,
    /// A team.
    Team,
    /// A machine client (a service user).
    Client,
}

/// One row of `permissions ls RESOURCE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceGrant {
    /// Username or team key.
    pub name: String,
    /// User, team or client.
    pub kind: GrantTo,
    /// Scopes held, sorted.
    pub scopes: Vec<String>,
}
