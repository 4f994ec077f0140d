//! Who may see and change which letter: members of a coordinating organization, by role.

use entity::{Role, letter, letter_coordinator};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::accounts::{Membership, Staff};
use crate::error::{AppError, AppResult};

/// The lowest role that sees the contact people's personal data (their names, titles, emails,
/// phones and comments): editors, who moderate and need to reach signers, and owners. Viewers
/// read signatures without it. The one rule for the API, the staff CSV and the dashboard.
pub const SEES_CONTACTS: Role = Role::Editor;

/// Whether a member with `role` on a letter may see its signers' contact data.
pub fn may_see_contacts(role: Role) -> bool {
    role >= SEES_CONTACTS
}

/// The lowest role that approves, rejects, edits, merges and adds signatures; viewers only read.
pub const MODERATES: Role = Role::Editor;

/// Whether a member with `role` on a letter may moderate its signatures.
pub fn may_moderate(role: Role) -> bool {
    role >= MODERATES
}

/// The lowest role that writes letters: creates them, edits them and moves them through their
/// life; viewers only read. The one rule for the API and the dashboard, whose pages offer a
/// letter's forms only to whom it allows.
pub const WRITES_LETTERS: Role = Role::Editor;

/// Whether a member with `role` may write letters.
pub fn may_write_letters(role: Role) -> bool {
    role >= WRITES_LETTERS
}

/// The staff member's organizations where they may write letters: where a new one may be led.
pub fn writing_memberships(staff: &Staff) -> impl Iterator<Item = &Membership> {
    staff
        .memberships
        .iter()
        .filter(|m| may_write_letters(m.role))
}

/// Loads a letter for a staff member who needs at least `needed` in one of its coordinating
/// organizations: 404 when there is no such letter, 403 when it is not theirs or their role
/// is too low.
pub async fn letter_for(
    db: &impl ConnectionTrait,
    staff: &Staff,
    letter_id: i64,
    needed: Role,
) -> AppResult<letter::Model> {
    Ok(letter_and_role(db, staff, letter_id, needed).await?.0)
}

/// [`letter_for`], with the staff member's best role on the letter.
pub async fn letter_and_role(
    db: &impl ConnectionTrait,
    staff: &Staff,
    letter_id: i64,
    needed: Role,
) -> AppResult<(letter::Model, Role)> {
    let letter = letter::Entity::find_by_id(letter_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("There is no letter with id {letter_id}.")))?;
    let best_role = letter_coordinator::Entity::find()
        .filter(letter_coordinator::Column::LetterId.eq(letter_id))
        .all(db)
        .await?
        .iter()
        .filter_map(|c| staff.role_in(c.organization_id))
        .max();
    match best_role {
        None => Err(AppError::Forbidden(
            "This letter belongs to organizations you are not a member of.".into(),
        )),
        Some(role) if role < needed => Err(AppError::Forbidden(format!(
            "Your role here is {}; this needs {} or higher.",
            role_word(role),
            role_word(needed)
        ))),
        Some(role) => Ok((letter, role)),
    }
}

/// Checks that the staff member has at least `needed` in an organization.
pub fn require_role_in(staff: &Staff, organization_id: i64, needed: Role) -> AppResult<()> {
    match staff.role_in(organization_id) {
        None => Err(AppError::Forbidden(
            "You are not a member of this organization.".into(),
        )),
        Some(role) if role < needed => Err(AppError::Forbidden(format!(
            "Your role in this organization is {}; this needs {} or higher.",
            role_word(role),
            role_word(needed)
        ))),
        Some(_) => Ok(()),
    }
}

fn role_word(role: Role) -> &'static str {
    match role {
        Role::Viewer => "viewer",
        Role::Editor => "editor",
        Role::Owner => "owner",
    }
}
