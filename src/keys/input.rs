//! The fixed keys inside text inputs, pickers and the command line (not remappable in
//! `[keys]`: they edit text or move in a list, where letters are typed). Their hints come from
//! this table.

/// A key (or group of keys) inside an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKey {
    /// Ctrl-A / Home: to the start.
    Start,
    /// Ctrl-E / End: to the end.
    End,
    /// Ctrl-U: delete to the start.
    DeleteToStart,
    /// Ctrl-W: delete the word before the cursor.
    DeleteWord,
    /// Ctrl-K: delete to the end.
    DeleteToEnd,
    /// ↑/↓, Ctrl-N/Ctrl-P (and PgUp/PgDn): move in a picker while letters filter.
    PickerMove,
    /// Tab: complete a `:` command (again: the next candidate).
    Complete,
    /// ↑/↓: earlier `:` commands.
    History,
    /// `y`: confirm a dialog that needs no typed name.
    Yes,
    /// `n` / Esc: cancel a dialog.
    No,
    /// `e`: in the confirm dialog of relations added, set when they end.
    Ends,
    /// Enter: take the end typed.
    EndsTake,
    /// Esc: leave the end as it was.
    EndsKeep,
    /// `s`: in "Create default roles and permissions" on a Mage server, run Mage's own seed.
    MageSeed,
}

/// Every input key: what it is called on screen and what it does.
pub const INPUT_KEYS: &[(InputKey, &str, &str)] = &[
    (InputKey::Start, "C-a/Home", "start"),
    (InputKey::End, "C-e/End", "end"),
    (InputKey::DeleteToStart, "C-u", "delete to start"),
    (InputKey::DeleteWord, "C-w", "delete word"),
    (InputKey::DeleteToEnd, "C-k", "delete to end"),
    (InputKey::PickerMove, "↑/↓ C-n/C-p", "move"),
    (InputKey::Complete, "Tab", "complete"),
    (InputKey::History, "↑/↓", "history"),
    (InputKey::Yes, "y", "confirm"),
    (InputKey::No, "n/Esc", "cancel"),
    (InputKey::Ends, "e", "set when it ends"),
    (InputKey::EndsTake, "Enter", "set"),
    (InputKey::EndsKeep, "Esc", "keep"),
    (InputKey::MageSeed, "s", "Mage's own seed (slow)"),
];

/// The hint for some input keys: `Tab complete · ↑/↓ history`.
pub fn input_hint(keys: &[InputKey]) -> String {
    keys.iter()
        .filter_map(|k| INPUT_KEYS.iter().find(|(x, _, _)| x == k))
        .map(|(_, label, what)| format!("{label} {what}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_come_from_the_table() {
        assert_eq!(
            input_hint(&[InputKey::Complete, InputKey::History]),
            "Tab complete · ↑/↓ history"
        );
        assert_eq!(input_hint(&[InputKey::PickerMove]), "↑/↓ C-n/C-p move");
    }
}
