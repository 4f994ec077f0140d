//! What the delivery's emails say, in English and Spanish: the letter to its addressees, and
//! the notice to each signatory that it went out.

use entity::Language;
use maud::html;

use super::emails::{ComposedEmail, html_page};

/// What the email to the addressees says.
pub struct AddresseeEmail<'a> {
    /// The letter's language.
    pub language: Language,
    /// The letter's title.
    pub letter_title: &'a str,
    /// The coordinating organizations, as one line.
    pub coordinators: &'a str,
    /// The coordinators' note, blank for none.
    pub cover_note: &'a str,
    /// How many signatories the letter has.
    pub signatories: u64,
    /// The public address of the PDF.
    pub pdf_url: &'a str,
}

/// What a signatory's notice says.
pub struct DeliveryNotice<'a> {
    /// The signer's language.
    pub language: Language,
    /// The letter's title in that language.
    pub letter_title: &'a str,
    /// The coordinating organizations, as one line.
    pub coordinators: &'a str,
    /// The organization or person who signed, as listed.
    pub signatory: &'a str,
    /// Who the email is addressed to.
    pub contact_name: &'a str,
    /// The public address of the PDF, in the signer's language when the letter has it.
    pub pdf_url: &'a str,
}

/// One paragraph: text, and maybe a link after it.
struct Paragraph<'a> {
    text: String,
    link: Option<&'a str>,
}

fn compose(language: Language, subject: String, paragraphs: &[Paragraph<'_>]) -> ComposedEmail {
    let text: String = paragraphs
        .iter()
        .map(|p| match p.link {
            Some(url) => format!("{}\n{url}\n\n", p.text),
            None => format!("{}\n\n", p.text),
        })
        .collect();
    let html = html_page(
        language,
        &subject,
        html! {
            @for p in paragraphs {
                p style="white-space: pre-line" {
                    (p.text)
                    @if let Some(url) = p.link { br; a href=(url) { (url) } }
                }
            }
        },
    );
    ComposedEmail {
        subject,
        text,
        html,
        list_unsubscribe: None,
    }
}

/// The letter to its addressees: the cover note, who sends it, and the PDF (attached when
/// sent, and online).
pub fn to_addressees(email: &AddresseeEmail<'_>) -> ComposedEmail {
    let es = email.language == Language::Es;
    let (title, coordinators, count) = (email.letter_title, email.coordinators, email.signatories);
    let mut paragraphs: Vec<Paragraph<'_>> = email
        .cover_note
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| Paragraph {
            text: p.to_owned(),
            link: None,
        })
        .collect();
    paragraphs.push(Paragraph {
        text: if es {
            format!("En nombre de {coordinators}, adjuntamos en PDF la carta «{title}», con sus firmantes ({count}).")
        } else {
            format!("On behalf of {coordinators}, the letter \"{title}\" is attached as a PDF, with its signatories ({count}).")
        },
        link: None,
    });
    paragraphs.push(Paragraph {
        text: if es {
            "La misma carta está publicada en:".to_owned()
        } else {
            "The same letter is published at:".to_owned()
        },
        link: Some(email.pdf_url),
    });
    compose(email.language, title.to_owned(), &paragraphs)
}

/// The notice that the letter went out, with the link to the delivered PDF.
pub fn notice(email: &DeliveryNotice<'_>) -> ComposedEmail {
    let es = email.language == Language::Es;
    let (title, coordinators, signatory) =
        (email.letter_title, email.coordinators, email.signatory);
    let subject = if es {
        format!("La carta «{title}» fue entregada")
    } else {
        format!("The letter \"{title}\" was delivered")
    };
    let paragraphs = [
        Paragraph {
            text: if es {
                format!("Hola, {}:", email.contact_name)
            } else {
                format!("Hello {},", email.contact_name)
            },
            link: None,
        },
        Paragraph {
            text: if es {
                format!(
                    "{coordinators} entregaron a sus destinatarios la carta «{title}», firmada por {signatory}. Gracias por firmar."
                )
            } else {
                format!(
                    "{coordinators} delivered the letter \"{title}\", signed by {signatory}, to its addressees. Thank you for signing."
                )
            },
            link: None,
        },
        Paragraph {
            text: if es {
                "La carta tal como se entregó, con todas las firmas (PDF):".to_owned()
            } else {
                "The letter as delivered, with every signatory (PDF):".to_owned()
            },
            link: Some(email.pdf_url),
        },
        Paragraph {
            text: if es {
                format!("Recibe este correo una sola vez, porque {signatory} firmó esta carta.")
            } else {
                format!("You get this email once, because {signatory} signed this letter.")
            },
            link: None,
        },
    ];
    compose(email.language, subject, &paragraphs)
}
