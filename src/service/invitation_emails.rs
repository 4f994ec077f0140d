//! The emails of outreach: a personal invitation to sign, its one reminder before the
//! deadline, and the one reminder to a signer who has not confirmed. Each is bulk email in the
//! sense of RFC 8058: it carries a `List-Unsubscribe` address and the same link in its body.

use entity::Language;
use maud::html;

use super::emails::{ComposedEmail, html_page};
use crate::i18n::pick;

/// What an invitation (or its reminder) says.
pub struct InvitationEmail<'a> {
    /// The invitee's language.
    pub language: Language,
    /// The letter's title in that language.
    pub letter_title: &'a str,
    /// The coordinating organizations, as one line.
    pub coordinators: &'a str,
    /// The invited organization.
    pub organization: &'a str,
    /// Who the email is addressed to.
    pub contact_name: &'a str,
    /// The deadline, written for the reader, if the letter has one.
    pub deadline: Option<&'a str>,
    /// The personal page: the form, pre-filled.
    pub sign_url: &'a str,
    /// The page to decline.
    pub decline_url: &'a str,
    /// The page (and one-click address) that stops email about this letter.
    pub unsubscribe_url: &'a str,
    /// Whether this is the reminder.
    pub reminder: bool,
}

/// One paragraph of an email: text, or text followed by a link.
struct Paragraph<'a> {
    text: String,
    link: Option<(&'a str, String)>,
}

fn compose(
    language: Language,
    subject: String,
    paragraphs: &[Paragraph<'_>],
    unsubscribe_url: &str,
) -> ComposedEmail {
    let text: String = paragraphs
        .iter()
        .map(|p| match &p.link {
            Some((url, _)) => format!("{}\n{url}\n\n", p.text),
            None => format!("{}\n\n", p.text),
        })
        .collect();
    let html = html_page(
        language,
        &subject,
        html! {
            @for p in paragraphs {
                p {
                    (p.text)
                    @if let Some((url, label)) = &p.link { " " a href=(url) style="font-weight: bold" { (label) } }
                }
            }
        },
    );
    ComposedEmail {
        subject,
        text,
        html,
        list_unsubscribe: Some(unsubscribe_url.to_owned()),
    }
}

/// The subject and the first paragraphs: who invites whom to sign what, by when.
fn opening(email: &InvitationEmail<'_>) -> (String, Vec<Paragraph<'static>>) {
    let lang = email.language;
    let es = lang == Language::Es;
    let title = email.letter_title;
    let subject = match (email.reminder, es) {
        (false, false) => format!("Invitation to sign: {title}"),
        (false, true) => format!("Invitación a firmar: {title}"),
        (true, false) => format!("Reminder: will {} sign \"{title}\"?", email.organization),
        (true, true) => format!("Recordatorio: ¿firmará {} «{title}»?", email.organization),
    };
    let greeting = if es {
        format!("Hola, {}:", email.contact_name)
    } else {
        format!("Hello {},", email.contact_name)
    };
    let intro = if es {
        format!(
            "{} invitan a {} a firmar la carta «{title}».",
            email.coordinators, email.organization
        )
    } else {
        format!(
            "{} invite {} to sign the letter \"{title}\".",
            email.coordinators, email.organization
        )
    };
    let deadline = email.deadline.map(|d| {
        if es {
            format!("Se reciben firmas hasta el {d}.")
        } else {
            format!("Signatures are accepted until {d}.")
        }
    });
    let mut paragraphs = vec![
        Paragraph {
            text: greeting,
            link: None,
        },
        Paragraph {
            text: intro,
            link: None,
        },
    ];
    if email.reminder {
        paragraphs.push(Paragraph {
            text: pick(
                lang,
                "We have not heard from you yet; this is the only reminder.",
                "Aún no tenemos su respuesta; este es el único recordatorio.",
            )
            .to_owned(),
            link: None,
        });
    }
    paragraphs.extend(deadline.map(|text| Paragraph { text, link: None }));
    (subject, paragraphs)
}

/// The personal invitation, or its reminder.
pub fn invitation(email: &InvitationEmail<'_>) -> ComposedEmail {
    let lang = email.language;
    let (subject, mut paragraphs) = opening(email);
    paragraphs.push(Paragraph {
        text: pick(lang, "Read the letter and sign it here; the form is already filled in with your details, and no confirmation email is needed:", "Lea la carta y fírmela aquí; el formulario ya tiene sus datos y no hace falta un correo de confirmación:").to_owned(),
        link: Some((email.sign_url, pick(lang, "Read and sign", "Leer y firmar").to_owned())),
    });
    paragraphs.push(Paragraph {
        text: pick(
            lang,
            "Not signing? Tell the coordinators with one click:",
            "¿No firmará? Avise a quienes coordinan con un clic:",
        )
        .to_owned(),
        link: Some((
            email.decline_url,
            pick(lang, "Decline", "Declinar").to_owned(),
        )),
    });
    paragraphs.push(Paragraph {
        text: pick(
            lang,
            "No more email about this letter:",
            "No recibir más correos sobre esta carta:",
        )
        .to_owned(),
        link: Some((
            email.unsubscribe_url,
            pick(lang, "Unsubscribe", "Darse de baja").to_owned(),
        )),
    });
    compose(lang, subject, &paragraphs, email.unsubscribe_url)
}

/// What the reminder to a signer who has not confirmed says.
pub struct ConfirmationReminderEmail<'a> {
    /// The signer's language.
    pub language: Language,
    /// The letter's title in that language.
    pub letter_title: &'a str,
    /// The organization or person signing, as listed.
    pub signatory: &'a str,
    /// Who the email is addressed to.
    pub contact_name: &'a str,
    /// A fresh confirmation page.
    pub verify_url: &'a str,
    /// How long that link works.
    pub valid_days: i64,
    /// The page (and one-click address) that stops email about this letter.
    pub unsubscribe_url: &'a str,
}

/// The one reminder to confirm a signature.
pub fn confirmation_reminder(email: &ConfirmationReminderEmail<'_>) -> ComposedEmail {
    let lang = email.language;
    let es = lang == Language::Es;
    let (title, signatory, name) = (email.letter_title, email.signatory, email.contact_name);
    let days = email.valid_days;
    let (subject, greeting, intro, expiry) = if es {
        (
            format!("Recordatorio: confirme la firma de {signatory}"),
            format!("Hola, {name}:"),
            format!(
                "{signatory} firmó la carta «{title}», pero la firma no cuenta hasta que se confirme el correo. Este es el único recordatorio."
            ),
            format!("El enlace funciona durante {days} días."),
        )
    } else {
        (
            format!("Reminder: confirm {signatory}'s signature"),
            format!("Hello {name},"),
            format!(
                "{signatory} signed the letter \"{title}\", but the signature does not count until the email is confirmed. This is the only reminder."
            ),
            format!("The link works for {days} days."),
        )
    };
    let paragraphs = [
        Paragraph {
            text: greeting,
            link: None,
        },
        Paragraph {
            text: intro,
            link: None,
        },
        Paragraph {
            text: pick(lang, "Confirm here:", "Confirme aquí:").to_owned(),
            link: Some((
                email.verify_url,
                pick(lang, "Confirm", "Confirmar").to_owned(),
            )),
        },
        Paragraph {
            text: expiry,
            link: None,
        },
        Paragraph {
            text: pick(
                lang,
                "No more email about this letter:",
                "No recibir más correos sobre esta carta:",
            )
            .to_owned(),
            link: Some((
                email.unsubscribe_url,
                pick(lang, "Unsubscribe", "Darse de baja").to_owned(),
            )),
        },
    ];
    compose(lang, subject, &paragraphs, email.unsubscribe_url)
}
