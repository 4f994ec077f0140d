//! Emails waiting to be sent, written in the same transaction as the change that causes them.

use sea_orm::entity::prelude::*;

/// One email; `sent_at` is set once it has left.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub signature_id: Option<i64>,
    pub kind: String,
    /// Personal data, like the signature's contact fields.
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub next_attempt_at: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    /// The worker instance holding the lease `locked_until`.
    pub claimed_by: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    /// When the receiving server refused the email for good (an SMTP 5xx): it is not tried again.
    pub failed_at: Option<DateTimeUtc>,
    /// The `List-Unsubscribe` address of a bulk email (an invitation or a reminder): it only
    /// stops further email about one letter, so it is stored in the clear.
    pub list_unsubscribe: Option<String>,
    /// A frozen export (a `letter_snapshots` row) attached when the email is sent: the row
    /// names it, so thousands of emails do not each carry a copy of the file.
    pub attachment_snapshot_id: Option<i64>,
}

impl ActiveModelBehavior for ActiveModel {}
