//! Enumerations stored as short lowercase strings.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What a staff member may do within their organization.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
#[cfg_attr(feature = "openapi", oai(rename_all = "lowercase"))]
#[serde(rename_all = "lowercase")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    /// Reads letters and signatures and exports them.
    #[sea_orm(string_value = "viewer")]
    Viewer,
    /// Writes letters, moderates and exports.
    #[sea_orm(string_value = "editor")]
    Editor,
    /// Everything an editor does, and manages the organization's members.
    #[sea_orm(string_value = "owner")]
    Owner,
}

/// Where a letter is in its life.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
#[cfg_attr(feature = "openapi", oai(rename_all = "lowercase"))]
#[serde(rename_all = "lowercase")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum LetterStatus {
    /// Being written; invisible to the public.
    #[sea_orm(string_value = "draft")]
    Draft,
    /// Public and taking signatures.
    #[sea_orm(string_value = "open")]
    Open,
    /// Public, no longer taking signatures.
    #[sea_orm(string_value = "closed")]
    Closed,
    /// Sent to its addressees; final.
    #[sea_orm(string_value = "delivered")]
    Delivered,
}

/// The language of a letter, a page or an email.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
#[cfg_attr(feature = "openapi", oai(rename_all = "lowercase"))]
#[serde(rename_all = "lowercase")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(2))")]
pub enum Language {
    /// English.
    #[sea_orm(string_value = "en")]
    En,
    /// Spanish.
    #[sea_orm(string_value = "es")]
    Es,
}

/// Whether verified signatures need a coordinator's approval before they are public.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
#[cfg_attr(feature = "openapi", oai(rename_all = "lowercase"))]
#[serde(rename_all = "lowercase")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Moderation {
    /// Approved as soon as the contact person confirms.
    #[sea_orm(string_value = "auto")]
    Auto,
    /// Approved or rejected by a coordinator.
    #[sea_orm(string_value = "manual")]
    Manual,
}

/// How the signatory list is ordered on the public page and in exports.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
#[cfg_attr(feature = "openapi", oai(rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ListOrder {
    /// By name, in the collation of the letter's language.
    #[sea_orm(string_value = "alphabetical")]
    Alphabetical,
    /// Grouped by country, then by name.
    #[sea_orm(string_value = "country")]
    Country,
    /// Grouped by type of organization, then by name.
    #[sea_orm(string_value = "org_type")]
    OrgType,
}

/// Who signs: an organization or an individual.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
#[cfg_attr(feature = "openapi", oai(rename_all = "lowercase"))]
#[serde(rename_all = "lowercase")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum SignatureKind {
    /// An organization, represented by a contact person.
    #[sea_orm(string_value = "organization")]
    Organization,
    /// A person signing in their own name.
    #[sea_orm(string_value = "individual")]
    Individual,
}

/// Where a signature is in its life; only `approved` is public.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
#[cfg_attr(feature = "openapi", oai(rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum SignatureStatus {
    /// Waiting for the contact person to follow the emailed link.
    #[sea_orm(string_value = "pending_verification")]
    PendingVerification,
    /// The contact person confirmed; waiting for moderation.
    #[sea_orm(string_value = "verified")]
    Verified,
    /// On the public list.
    #[sea_orm(string_value = "approved")]
    Approved,
    /// Refused by a coordinator.
    #[sea_orm(string_value = "rejected")]
    Rejected,
    /// Withdrawn by the signer.
    #[sea_orm(string_value = "withdrawn")]
    Withdrawn,
}

/// How a signature arrived.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
#[cfg_attr(feature = "openapi", oai(rename_all = "lowercase"))]
#[serde(rename_all = "lowercase")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum SignatureSource {
    /// The public sign-on form or API.
    #[sea_orm(string_value = "form")]
    Form,
    /// A CSV import by staff.
    #[sea_orm(string_value = "import")]
    Import,
    /// Added by a staff member directly.
    #[sea_orm(string_value = "staff")]
    Staff,
}

/// What a single-use signature link does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TokenPurpose {
    /// Confirms the contact person's email.
    #[sea_orm(string_value = "verify")]
    Verify,
    /// Withdraws the endorsement.
    #[sea_orm(string_value = "withdraw")]
    Withdraw,
}

/// The paper a letter is printed on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
#[cfg_attr(feature = "openapi", oai(rename_all = "lowercase"))]
#[serde(rename_all = "lowercase")]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Paper {
    /// US Letter, 8.5 × 11 in: the default, for US addressees.
    #[sea_orm(string_value = "letter")]
    Letter,
    /// ISO A4, 210 × 297 mm: most of the world.
    #[sea_orm(string_value = "a4")]
    A4,
}
