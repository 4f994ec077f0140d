//! The emails signon sends, in the signer's language: plain text plus HTML.

use entity::Language;
use maud::{Markup, html};

use super::changes::{ChangedField, ProposedChange};

use crate::i18n::{fill, texts};

/// An email ready for the outbox.
pub struct ComposedEmail {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
    /// For bulk email (invitations, reminders): the one-click address that stops further email
    /// about the letter, sent as `List-Unsubscribe`.
    pub list_unsubscribe: Option<String>,
}

/// Every email's HTML: the reader's language, a title, and the body in one readable column.
pub fn html_page(language: Language, title: &str, body: Markup) -> String {
    html! {
        (maud::DOCTYPE)
        html lang=(crate::i18n::code(language)) {
            head { meta charset="utf-8"; title { (title) } }
            body style="font-family: sans-serif; line-height: 1.5; max-width: 40em" { (body) }
        }
    }
    .into_string()
}

/// What the confirmation email says.
pub struct VerificationEmail<'a> {
    /// The signer's language.
    pub language: Language,
    /// The letter's title in that language.
    pub letter_title: &'a str,
    /// The organization or person signing, as listed now.
    pub signatory: &'a str,
    /// The change to a confirmed entry this email asks to confirm, if that is what it is for.
    pub change: Option<&'a ProposedChange>,
    /// Who the email is addressed to.
    pub contact_name: &'a str,
    /// The confirmation page.
    pub verify_url: &'a str,
    /// The withdrawal page.
    pub withdraw_url: &'a str,
    /// How long the confirmation link works.
    pub valid_days: i64,
}

/// The email with the confirmation and withdrawal links. For a change to a confirmed entry,
/// it shows the entry as it is and as it would be, so that nobody confirms a change they did
/// not ask for believing it is their own entry.
pub fn verification(email: &VerificationEmail<'_>) -> ComposedEmail {
    let t = texts(email.language);
    let days = email.valid_days.to_string();
    let greeting = fill(t.email_greeting, &[("name", email.contact_name)]);
    let (subject, intro, confirm) = match email.change {
        Some(_) => (
            t.email_change_subject,
            t.email_change_intro,
            t.email_change_confirm,
        ),
        None => (t.email_subject, t.email_intro, t.email_confirm),
    };
    let intro = fill(
        intro,
        &[
            ("signatory", email.signatory),
            ("title", email.letter_title),
        ],
    );
    let change_text = email
        .change
        .map(|change| change_as_text(email.language, change))
        .unwrap_or_default();
    let expiry = fill(t.email_expiry, &[("days", &days)]);
    let text = format!(
        "{greeting}\n\n{intro}\n\n{change_text}{confirm}\n{verify}\n\n{expiry}\n\n{withdraw}\n{withdraw_url}\n\n{ignore}\n",
        verify = email.verify_url,
        withdraw = t.email_withdraw,
        withdraw_url = email.withdraw_url,
        ignore = t.email_ignore,
    );
    let html = html_page(
        email.language,
        email.letter_title,
        html! {
            p { (greeting) }
            p { (intro) }
            @if let Some(change) = email.change {
                (change_table(email.language, change))
            }
            p { (confirm) }
            p { a href=(email.verify_url) style="font-weight: bold" {
                (if email.change.is_some() { t.verify_change_button } else { t.verify_button })
            } }
            p { (expiry) }
            p { (t.email_withdraw) " " a href=(email.withdraw_url) { (t.withdraw_button) } }
            p style="color: #555" { (t.email_ignore) }
        },
    );
    ComposedEmail {
        subject: fill(subject, &[("title", email.letter_title)]),
        text,
        html,
        list_unsubscribe: None,
    }
}

/// A change as a table of its fields, now and after; the values that change are in bold.
/// The email and the Confirm page show this same table.
pub fn change_table(language: Language, change: &ProposedChange) -> Markup {
    let t = texts(language);
    let shown = |value: &Option<String>| value.clone().unwrap_or_else(|| "—".to_owned());
    // Long names and addresses wrap inside their cell on a phone.
    let cell = "padding: .3em .8em .3em 0; overflow-wrap: anywhere; vertical-align: top";
    html! {
        table style="border-collapse: collapse; margin: 1em 0" {
            thead { tr {
                @for heading in [t.change_field, t.change_now, t.change_after] {
                    th scope="col" style="text-align: left; padding: .3em .8em .3em 0; border-bottom: 1px solid #999" { (heading) }
                }
            } }
            tbody {
                @for field in change.fields(language) {
                    tr {
                        th scope="row" style=(format!("text-align: left; font-weight: normal; {cell}")) { (field.label) }
                        td style=(cell) { (shown(&field.now)) }
                        td style=(cell) {
                            @if field.changed() { strong { (shown(&field.after)) } } @else { (shown(&field.after)) }
                        }
                    }
                }
            }
        }
    }
}

/// A change in plain text: the entry as listed now, then after the change.
fn change_as_text(language: Language, change: &ProposedChange) -> String {
    let t = texts(language);
    let fields = change.fields(language);
    let block = |heading: &str, value: &dyn Fn(&ChangedField) -> &Option<String>| {
        let lines: String = fields
            .iter()
            .map(|field| {
                let shown = value(field).as_deref().unwrap_or("—");
                format!("  {}: {shown}\n", field.label)
            })
            .collect();
        format!("{heading}:\n{lines}\n")
    };
    block(t.change_now, &|field| &field.now) + &block(t.change_after, &|field| &field.after)
}

/// What a password link email says.
pub struct PasswordLinkEmail<'a> {
    /// The staff member's language.
    pub language: Language,
    /// Their display name.
    pub name: &'a str,
    /// The page where they choose the password.
    pub url: &'a str,
    /// For an invitation: who invited them, to which organization.
    pub invitation: Option<(&'a str, &'a str)>,
    /// How long the link works.
    pub valid_hours: i64,
}

/// The email with a link to choose a password: a reset, or a new member's invitation.
pub fn password_link(email: &PasswordLinkEmail<'_>) -> ComposedEmail {
    let es = email.language == Language::Es;
    let pick = |en: String, es_text: String| if es { es_text } else { en };
    let validity = if email.valid_hours >= 48 {
        let days = email.valid_hours / 24;
        pick(format!("{days} days"), format!("{days} días"))
    } else {
        let hours = email.valid_hours;
        pick(
            format!("{hours} hour{}", if hours == 1 { "" } else { "s" }),
            format!("{hours} hora{}", if hours == 1 { "" } else { "s" }),
        )
    };
    let (subject, intro) = match email.invitation {
        Some((inviter, organization)) => (
            pick(
                format!("You are invited to coordinate letters for {organization}"),
                format!("Le invitan a coordinar cartas de {organization}"),
            ),
            pick(
                format!("{inviter} added you to {organization} on signon, where coalition letters are written, signed and delivered. Choose a password to sign in:"),
                format!("{inviter} le agregó a {organization} en signon, donde se escriben, firman y entregan cartas colectivas. Elija una contraseña para entrar:"),
            ),
        ),
        None => (
            pick("Choose a new password for signon".into(), "Elija una nueva contraseña para signon".into()),
            pick(
                "Someone asked to reset the password of your signon account. To choose a new one, open this link:".into(),
                "Alguien pidió restablecer la contraseña de su cuenta de signon. Para elegir una nueva, abra este enlace:".into(),
            ),
        ),
    };
    let greeting = pick(
        format!("Hello {},", email.name),
        format!("Hola, {}:", email.name),
    );
    let expiry = pick(
        format!("The link works once, for {validity}."),
        format!("El enlace funciona una sola vez, durante {validity}."),
    );
    let ignore = pick(
        "If you did not expect this email, ignore it: nothing changes without the link.".into(),
        "Si no esperaba este correo, ignórelo: nada cambia sin el enlace.".into(),
    );
    let text = format!(
        "{greeting}\n\n{intro}\n{url}\n\n{expiry}\n\n{ignore}\n",
        url = email.url
    );
    let html = html_page(
        email.language,
        &subject,
        html! {
            p { (greeting) }
            p { (intro) }
            p { a href=(email.url) style="font-weight: bold" { (email.url) } }
            p { (expiry) }
            p style="color: #555" { (ignore) }
        },
    );
    ComposedEmail {
        subject,
        text,
        html,
        list_unsubscribe: None,
    }
}

/// What the acknowledgement of a signature made through a personal invitation says.
pub struct SignedEmail<'a> {
    /// The signer's language.
    pub language: Language,
    /// The letter's title in that language.
    pub letter_title: &'a str,
    /// The organization or person who signed, as listed.
    pub signatory: &'a str,
    /// Who the email is addressed to.
    pub contact_name: &'a str,
    /// The withdrawal page.
    pub withdraw_url: &'a str,
}

/// The email to a signer who signed through a personal invitation: no confirmation email
/// went to them, so this one carries the way to withdraw.
pub fn signed_through_invitation(email: &SignedEmail<'_>) -> ComposedEmail {
    let es = email.language == Language::Es;
    let (title, signatory, name) = (email.letter_title, email.signatory, email.contact_name);
    let (subject, greeting, intro, withdraw, button) = if es {
        (
            format!("Firma recibida: {title}"),
            format!("Hola, {name}:"),
            format!("{signatory} firmó la carta «{title}». Gracias."),
            "Para retirar la firma en cualquier momento antes de que se entregue la carta:",
            "Retirar la firma",
        )
    } else {
        (
            format!("Signature received: {title}"),
            format!("Hello {name},"),
            format!("{signatory} signed the letter \"{title}\". Thank you."),
            "To withdraw the signature at any time before the letter is delivered:",
            "Withdraw the signature",
        )
    };
    let text = format!(
        "{greeting}\n\n{intro}\n\n{withdraw}\n{url}\n",
        url = email.withdraw_url
    );
    let html = html_page(
        email.language,
        &subject,
        html! {
            p { (greeting) }
            p { (intro) }
            p { (withdraw) " " a href=(email.withdraw_url) { (button) } }
        },
    );
    ComposedEmail {
        subject,
        text,
        html,
        list_unsubscribe: None,
    }
}
