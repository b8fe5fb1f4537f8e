//! The console's side of the key table (`crate::keys`, which the config file also reads):
//! which bindings apply on which pane.

pub use crate::keys::*;

/// Whether a binding of `context` applies on `pane`, as the pane's registration says: list keys
/// where it has a list, `c` (create default roles and permissions) where it offers it.
pub fn applies(context: Context, pane: super::view::Pane) -> bool {
    let def = super::panes::def(pane);
    match context {
        Context::Global => true,
        Context::List => def.draw.is_none(),
        Context::Roles => def.offers_defaults,
    }
}
