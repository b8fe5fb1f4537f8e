//! The one action table: every key, what it does, where, and whether it writes. It drives the
//! footer hints, the `?` overlay and read-only gating, so they can never disagree.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

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
    /// Delete the selected object.
    Delete,
    /// "Create default roles and permissions" (Roles pane).
    Defaults,
}

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Everywhere (outside text input).
    Global,
    /// In a list.
    List,
    /// In the Roles list only.
    Roles,
}

/// One row of the action table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// Key as shown to humans.
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
    b("?", Action::Help, "help", Context::Global, false, true),
    b("q", Action::Quit, "quit", Context::Global, false, true),
];

/// The action a key asks for, outside text input.
pub fn action_for(key: KeyEvent) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => Action::Quit,
        KeyCode::Char('d') if ctrl => Action::PageDown,
        KeyCode::Char('u') if ctrl => Action::PageUp,
        KeyCode::Char('j') | KeyCode::Down => Action::Down,
        KeyCode::Char('k') | KeyCode::Up => Action::Up,
        KeyCode::Char('g') | KeyCode::Home => Action::Top,
        KeyCode::Char('G') | KeyCode::End => Action::Bottom,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::Tab | KeyCode::Char('l') | KeyCode::Right => Action::NextPane,
        KeyCode::BackTab | KeyCode::Char('h') | KeyCode::Left => Action::PrevPane,
        KeyCode::Enter => Action::Open,
        KeyCode::Esc => Action::Back,
        KeyCode::Char('/') => Action::Filter,
        KeyCode::Char(':') => Action::Command,
        KeyCode::Char('s') => Action::Sort,
        KeyCode::Char('S') => Action::SortReverse,
        KeyCode::Char('n') => Action::New,
        KeyCode::Char('e') => Action::Edit,
        KeyCode::Char('a') => Action::Add,
        KeyCode::Char('x') | KeyCode::Delete => Action::Remove,
        KeyCode::Char('D') => Action::Delete,
        KeyCode::Char('c') => Action::Defaults,
        KeyCode::Char('r') | KeyCode::F(5) => Action::Refresh,
        KeyCode::Char('?') | KeyCode::F(1) => Action::Help,
        KeyCode::Char('q') => Action::Quit,
        _ => return None,
    })
}

/// The binding of an action.
pub fn binding(action: Action) -> Option<&'static Binding> {
    BINDINGS.iter().find(|b| b.action == action)
}
