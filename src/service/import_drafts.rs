//! The dashboard's import in two steps: a file is previewed (a dry run) and kept on the server,
//! then imported when staff confirm. What is imported is the very file that was previewed, not
//! a second upload that may differ: the confirmation names the kept file by a random token, and
//! its SHA-256 is checked again before the import. A draft works once and for a day. The kept
//! file holds contacts, so it is stored sealed, like them (see `contact`).

use chrono::{Duration, Utc};
use entity::import_draft;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use super::accounts::Staff;
use super::contact;
use super::import::{self, ImportOptions, ImportReport};
use super::keys::Keys;
use crate::domain::{Token, TokenHash};
use crate::error::{AppError, AppResult};

/// How long a previewed file waits for its confirmation.
pub const DRAFT_LIFETIME: Duration = Duration::days(1);

/// A previewed file.
pub struct Preview {
    /// What the import would do, row by row.
    pub report: ImportReport,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    /// What the confirmation presents to import the kept file; `None` when there is nothing to
    /// confirm (some row is invalid, so nothing would be written, or no row is new).
    pub token: Option<Token>,
}

/// An import done from a kept file.
pub struct Imported {
    /// What the import did.
    pub report: ImportReport,
    /// Hex SHA-256 of the file that was imported: the one shown at the preview.
    pub sha256: String,
}

fn sha256_hex(content: &[u8]) -> String {
    hex::encode(Sha256::digest(content))
}

/// Runs the dry run of a file for an editor or owner of the letter and, when it can be
/// imported, keeps the file for the confirmation. Drafts past their day are removed here.
pub async fn preview(
    db: &DatabaseConnection,
    keys: &Keys,
    staff: &Staff,
    letter_id: i64,
    content: Vec<u8>,
    max_rows: usize,
) -> AppResult<Preview> {
    let options = ImportOptions {
        dry_run: true,
        max_rows,
    };
    let report =
        import::import_for_staff(db, keys, staff, letter_id, content.clone(), options).await?;
    let sha256 = sha256_hex(&content);
    if report.invalid() > 0 || report.imported() == 0 {
        return Ok(Preview {
            report,
            sha256,
            token: None,
        });
    }
    let token = Token::generate();
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    import_draft::Entity::delete_many()
        .filter(import_draft::Column::CreatedAt.lte(now - DRAFT_LIFETIME))
        .exec(&txn)
        .await?;
    let id = crate::db::reserve_ids::<import_draft::Entity>(&txn, 1).await?[0];
    import_draft::ActiveModel {
        id: Set(id),
        token_hash: Set(token.hash().as_str().to_owned()),
        letter_id: Set(letter_id),
        user_id: Set(staff.user_id),
        content: Set(contact::seal_file(keys, id, &content)),
        sha256: Set(sha256.clone()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Preview {
        report,
        sha256,
        token: Some(token),
    })
}

fn gone() -> AppError {
    AppError::Gone(
        "This preview was already imported, or is more than a day old. Upload the file again to see a new preview."
            .into(),
    )
}

/// Imports the file kept at the preview, through the same import as every other; the draft is
/// claimed first, so a second confirmation (a double click, the back button) imports nothing.
pub async fn confirm(
    db: &DatabaseConnection,
    keys: &Keys,
    staff: &Staff,
    letter_id: i64,
    presented: &str,
    max_rows: usize,
) -> AppResult<Imported> {
    import::letter_for_import(db, staff, letter_id).await?;
    let draft = import_draft::Entity::find()
        .filter(import_draft::Column::TokenHash.eq(TokenHash::of(presented).as_str()))
        .filter(import_draft::Column::LetterId.eq(letter_id))
        .filter(import_draft::Column::UserId.eq(staff.user_id))
        .one(db)
        .await?
        .ok_or_else(gone)?;
    let claimed = import_draft::Entity::delete_many()
        .filter(import_draft::Column::Id.eq(draft.id))
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 || draft.created_at + DRAFT_LIFETIME <= Utc::now() {
        return Err(gone());
    }
    let content = contact::open_file(keys, &draft)?;
    if sha256_hex(&content) != draft.sha256 {
        return Err(AppError::conflict(
            "The kept file no longer matches the one previewed, so nothing was imported. Upload the file again.",
        ));
    }
    let options = ImportOptions {
        dry_run: false,
        max_rows,
    };
    let report = import::import_for_staff(db, keys, staff, letter_id, content, options).await?;
    Ok(Imported {
        report,
        sha256: draft.sha256,
    })
}
