//! The emails signon sends, in the signer's language: plain text plus HTML.

use entity::Language;
use maud::html;

use crate::i18n::{fill, texts};

/// An email ready for the outbox.
pub struct ComposedEmail {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

/// What the confirmation email says.
pub struct VerificationEmail<'a> {
    /// The signer's language.
    pub language: Language,
    /// The letter's title in that language.
    pub letter_title: &'a str,
    /// The organization or person signing.
    pub signatory: &'a str,
    /// Who the email is addressed to.
    pub contact_name: &'a str,
    /// The confirmation page.
    pub verify_url: &'a str,
    /// The withdrawal page.
    pub withdraw_url: &'a str,
    /// How long the confirmation link works.
    pub valid_days: i64,
}

/// The email with the confirmation and withdrawal links.
pub fn verification(email: &VerificationEmail<'_>) -> ComposedEmail {
    let t = texts(email.language);
    let days = email.valid_days.to_string();
    let greeting = fill(t.email_greeting, &[("name", email.contact_name)]);
    let intro = fill(
        t.email_intro,
        &[
            ("signatory", email.signatory),
            ("title", email.letter_title),
        ],
    );
    let expiry = fill(t.email_expiry, &[("days", &days)]);
    let text = format!(
        "{greeting}\n\n{intro}\n\n{confirm}\n{verify}\n\n{expiry}\n\n{withdraw}\n{withdraw_url}\n\n{ignore}\n",
        confirm = t.email_confirm,
        verify = email.verify_url,
        withdraw = t.email_withdraw,
        withdraw_url = email.withdraw_url,
        ignore = t.email_ignore,
    );
    let html = html! {
        (maud::DOCTYPE)
        html lang=(t.code) {
            head { meta charset="utf-8"; title { (email.letter_title) } }
            body style="font-family: sans-serif; line-height: 1.5; max-width: 40em" {
                p { (greeting) }
                p { (intro) }
                p { (t.email_confirm) }
                p { a href=(email.verify_url) style="font-weight: bold" { (t.verify_button) } }
                p { (expiry) }
                p { (t.email_withdraw) " " a href=(email.withdraw_url) { (t.withdraw_button) } }
                p style="color: #555" { (t.email_ignore) }
            }
        }
    }
    .into_string();
    ComposedEmail {
        subject: fill(t.email_subject, &[("title", email.letter_title)]),
        text,
        html,
    }
}
