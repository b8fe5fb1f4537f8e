//! The one action table: every action, what it does, where, and whether it writes; and the
//! [`Keymap`] from keys to actions (the defaults, remapped by `[keys]` in the config file).
//! They drive the footer hints, the `?` overlay and read-only gating, so they can never
//! disagree. Its own module, below both the config file (which remaps it) and the console.

mod config;
pub mod key;
mod keymap;

pub use config::{KeyList, KeysConfig};
pub use keymap::{CTRL_C, DEFAULT_KEYS, Keymap, KeymapError, action_for, install, label};

/// Something the user can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Move the selection up one row.
    Up,
    /// Move the selection down one row.
    Down,
    /// First row.
    Top,
    /// Last row.
    Bottom,
    /// One page up.
    PageUp,
    /// One page down.
    PageDown,
    /// Next pane.
    NextPane,
    /// Previous pane.
    PrevPane,
    /// Open the selected row.
    Open,
    /// Close the overlay, clear the filter, go back.
    Back,
    /// Filter the list as you type.
    Filter,
    /// The `:` command line.
    Command,
    /// Sort by the next column.
    Sort,
    /// Reverse the sort.
    SortReverse,
    /// Reload from the backend.
    Refresh,
    /// The help overlay.
    Help,
    /// Quit.
    Quit,
    /// Create a new object.
    New,
    /// Edit the selected object.
    Edit,
    /// Add a relation.
    Add,
    /// Remove a relation.
    Remove,
    /// Change when the selected relation ends (its `expires_at`).
    Expire,
    /// Delete the selected object.
    Delete,
    /// "Create default roles and permissions" (Roles and Permissions panes).
    Defaults,
    /// The message log (every status message and error, whole).
    Messages,
}

impl Action {
    /// Every action, in the order of [`BINDINGS`].
    pub const ALL: [Action; 25] = [
        Action::Down,
        Action::Up,
        Action::Top,
        Action::Bottom,
        Action::PageDown,
        Action::PageUp,
        Action::NextPane,
        Action::PrevPane,
        Action::Open,
        Action::Back,
        Action::Filter,
        Action::Command,
        Action::Sort,
        Action::SortReverse,
        Action::New,
        Action::Edit,
        Action::Add,
        Action::Remove,
        Action::Expire,
        Action::Delete,
        Action::Defaults,
        Action::Refresh,
        Action::Messages,
        Action::Help,
        Action::Quit,
    ];

    /// The name used in the config file's `[keys]` (snake_case: `page_down`).
    pub fn name(self) -> &'static str {
        match self {
            Action::Up => "up",
            Action::Down => "down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::NextPane => "next_pane",
            Action::PrevPane => "prev_pane",
            Action::Open => "open",
            Action::Back => "back",
            Action::Filter => "filter",
            Action::Command => "command",
            Action::Sort => "sort",
            Action::SortReverse => "sort_reverse",
            Action::Refresh => "refresh",
            Action::Help => "help",
            Action::Quit => "quit",
            Action::New => "new",
            Action::Edit => "edit",
            Action::Add => "add",
            Action::Remove => "remove",
            Action::Expire => "expire",
            Action::Delete => "delete",
            Action::Defaults => "defaults",
            Action::Messages => "messages",
        }
    }

    /// The action a config name stands for.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Everywhere (outside text input).
    Global,
    /// In a list.
    List,
    /// In the Roles and Permissions lists only.
    Roles,
}

/// One row of the action table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// The default keys as shown to humans (see [`label`] for the keys in force).
    pub label: &'static str,
    /// What it does.
    pub action: Action,
    /// One line of help.
    pub description: &'static str,
    /// Where it applies.
    pub context: Context,
    /// True when it changes data (disabled when read-only).
    pub mutating: bool,
    /// Shown in the footer (the rest only in `?`).
    pub footer: bool,
}

const fn b(
    label: &'static str,
    action: Action,
    description: &'static str,
    context: Context,
    mutating: bool,
    footer: bool,
) -> Binding {
    Binding {
        label,
        action,
        description,
        context,
        mutating,
        footer,
    }
}

/// Every binding, in help order.
pub const BINDINGS: &[Binding] = &[
    b(
        "j/↓",
        Action::Down,
        "move down",
        Context::List,
        false,
        false,
    ),
    b("k/↑", Action::Up, "move up", Context::List, false, false),
    b("g", Action::Top, "first row", Context::List, false, false),
    b("G", Action::Bottom, "last row", Context::List, false, false),
    b(
        "PgDn",
        Action::PageDown,
        "page down",
        Context::List,
        false,
        false,
    ),
    b(
        "PgUp",
        Action::PageUp,
        "page up",
        Context::List,
        false,
        false,
    ),
    b(
        "Tab",
        Action::NextPane,
        "next pane",
        Context::Global,
        false,
        false,
    ),
    b(
        "S-Tab",
        Action::PrevPane,
        "previous pane",
        Context::Global,
        false,
        false,
    ),
    b("Enter", Action::Open, "open", Context::List, false, true),
    b(
        "Esc",
        Action::Back,
        "back / clear filter",
        Context::Global,
        false,
        false,
    ),
    b("/", Action::Filter, "filter", Context::List, false, true),
    b(
        ":",
        Action::Command,
        "command (:roles, :users alice, :q)",
        Context::Global,
        false,
        true,
    ),
    b(
        "s",
        Action::Sort,
        "sort by next column",
        Context::List,
        false,
        false,
    ),
    b(
        "S",
        Action::SortReverse,
        "reverse sort",
        Context::List,
        false,
        false,
    ),
    b("n", Action::New, "new", Context::List, true, true),
    b("e", Action::Edit, "edit", Context::List, true, true),
    b("a", Action::Add, "add relation", Context::List, true, false),
    b(
        "x",
        Action::Remove,
        "remove relation",
        Context::List,
        true,
        false,
    ),
    b(
        "E",
        Action::Expire,
        "change when a relation ends",
        Context::List,
        true,
        false,
    ),
    b("D", Action::Delete, "delete", Context::List, true, true),
    b(
        "c",
        Action::Defaults,
        "create default roles and permissions",
        Context::Roles,
        true,
        true,
    ),
    b(
        "r",
        Action::Refresh,
        "refresh",
        Context::Global,
        false,
        false,
    ),
    b(
        "M/F2",
        Action::Messages,
        "message log (:messages; F2 in forms)",
        Context::Global,
        false,
        false,
    ),
    b("?", Action::Help, "help", Context::Global, false, true),
    b("q", Action::Quit, "quit", Context::Global, false, true),
];

/// The binding of an action.
pub fn binding(action: Action) -> Option<&'static Binding> {
    BINDINGS.iter().find(|b| b.action == action)
}

pub mod input;
