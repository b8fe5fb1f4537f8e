//! Links on a Mage server: role ↔ permission and user ↔ role, each added or removed by
//! replacing the whole set on the role (`permission_ids`) or on the user (`role_ids`), with the
//! 0.9.80 workarounds of `docs/MAGE.md` §5.4. Like every write (`writes.rs`), a link first
//! checks that the objects Mage holds under the integers are the ones read.

use super::client::MageClient;
use super::wire::MageKind;
use super::writes::{check_current, get_role, get_user, int_id, same};
use crate::backend::{Error, Result};
use crate::policy::Link;
use reqwest::Method;
use serde_json::json;

fn edit(ids: &mut Vec<i64>, id: i64, add: bool) {
    ids.retain(|&x| x != id);
    if add {
        ids.push(id);
    }
    ids.sort_unstable();
}

/// Adds (`add`) or removes a role ↔ permission or user ↔ role link, by replacing the set on
/// the role (`permission_ids`) or on the user (`role_ids`).
pub async fn relink(c: &MageClient, link: &Link, add: bool) -> Result<()> {
    match *link {
        Link::RolePermission { role, permission } => {
            let r = int_id(MageKind::Role, &role)?;
            let (cur, p) = tokio::try_join!(
                get_role(c, r),
                check_current(c, MageKind::Permission, &permission)
            )?;
            same(
                MageKind::Role,
                &role,
                r,
                &cur.name,
                cur.created_at.as_deref(),
            )?;
            let mut ids = cur.permission_ids();
            edit(&mut ids, p, add);
            // 0.9.80 empties the role's users when `user_ids` is absent: send them back.
            let users: Vec<i64> = cur.users.iter().flatten().map(|u| u.id).collect();
            c.call(
                Method::PUT,
                &format!("roles/{r}"),
                Some(&json!({"role": {"permission_ids": ids, "user_ids": users}})),
            )
            .await?;
            Ok(())
        }
        Link::UserRole { user, role } => {
            let u = int_id(MageKind::User, &user)?;
            let (cur, r) =
                tokio::try_join!(get_user(c, u), check_current(c, MageKind::Role, &role))?;
            let name = cur.to_model().username;
            same(MageKind::User, &user, u, &name, cur.created_at.as_deref())?;
            let mut ids = cur.role_ids();
            edit(&mut ids, r, add);
            c.write(
                Method::PUT,
                &format!("users/{u}?_format=list"),
                Some(&json!({"user": {"role_ids": ids}})),
            )
            .await
            .map(|_| ())
        }
        _ => Err(Error::invalid(
            "link",
            "Mage links roles to permissions and users to roles only (no teams or direct grants)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_sets_are_edited_without_duplicates() {
        let mut ids = vec![3, 1];
        edit(&mut ids, 2, true);
        edit(&mut ids, 2, true);
        assert_eq!(ids, [1, 2, 3]);
        edit(&mut ids, 1, false);
        assert_eq!(ids, [2, 3]);
    }
}
