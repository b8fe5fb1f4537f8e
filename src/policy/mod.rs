//! The policy snapshot: every object and link as of one revision ([`State`], packed for a
//! million permissions), the [`Change`]s that edit it and how they apply. Plain data in
//! memory, shared by the engine (which decides from it), the service (which checks and
//! commits changes), the stores (which persist them) and every backend (the HTTP and Mage
//! backends build one without any store). Depends on `model` only.

mod apply;
mod change;
mod error;
mod expiry;
mod pairs;
mod perms;
mod sorted;
mod state;

pub(crate) use apply::link_json;
pub(crate) use change::key_audit_json;
pub use change::{Change, Link, Object};
pub use error::{ApplyError, ApplyResult};
pub use expiry::{EXPIRING_KINDS, Expiries, LinkExpiry};
pub use pairs::{PairIter, PairSet};
pub use perms::{PermFields, PermRef, Permissions, PermissionsBuilder};
pub use sorted::Iter as SortedIter;
pub(crate) use sorted::partition_point_from;
pub use state::{Dependents, Effect, State, username_key};
