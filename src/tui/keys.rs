//! The console's side of the key table (`crate::keys`, which the config file also reads):
//! which bindings apply on which pane.

pub use crate::keys::*;

/// Whether a binding of `context` applies on `pane` (`c`, create default roles and
/// permissions, works on the Roles and Permissions panes).
pub fn applies(context: Context, pane: super::view::Pane) -> bool {
    use super::view::Pane;
    match context {
        Context::Global => true,
        Context::List => pane != Pane::Check,
        Context::Roles => matches!(pane, Pane::Roles | Pane::Permissions),
    }
}
