//! [`Reads`]: which of the roles, permissions and users a command reads. A backend that holds
//! everything in memory (the local store, a gatehouse server) answers with its whole state
//! whatever is asked; a Mage server reads only the lists named (each list is a request that
//! Mage answers in tens of milliseconds, the users list the slowest: it works out every user's
//! access), so a command that lists permissions does not wait for the users list.

/// The lists a command's answer is made of. A [`crate::policy::State`] read for a `Reads`
/// holds those objects and every link whose both ends are among them; with users and without
/// roles, the roles the users hold, by name (a Mage users list names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    /// Roles (with their links to permissions).
    pub roles: bool,
    /// Every permission, linked to a role or not.
    pub permissions: bool,
    /// Users (with their links to roles).
    pub users: bool,
}

impl Reads {
    /// Everything: what checks, the console and every write read.
    pub const ALL: Reads = Reads {
        roles: true,
        permissions: true,
        users: true,
    };
    /// Users and the roles they hold (named, not linked to permissions): a user list.
    pub const USERS: Reads = Reads {
        roles: false,
        permissions: false,
        users: true,
    };
    /// Every permission and the roles holding them: a permission list.
    pub const PERMISSIONS: Reads = Reads {
        roles: true,
        permissions: true,
        users: false,
    };

    /// True when everything `other` reads is read here too.
    pub fn covers(self, other: Reads) -> bool {
        (self.roles || !other.roles)
            && (self.permissions || !other.permissions)
            && (self.users || !other.users)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_covers_every_read_and_a_part_covers_only_its_parts() {
        for r in [Reads::ALL, Reads::USERS, Reads::PERMISSIONS] {
            assert!(Reads::ALL.covers(r));
            assert!(r.covers(r));
        }
        assert!(!Reads::USERS.covers(Reads::ALL));
        assert!(!Reads::USERS.covers(Reads::PERMISSIONS));
        assert!(!Reads::PERMISSIONS.covers(Reads::USERS));
    }
}
