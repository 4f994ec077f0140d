//! Every string a signer reads, in English and Spanish. A struct rather than a lookup table,
//! so a string missing in one language is a compile error, not a blank on the page.

use entity::Language;

/// The strings of one language.
pub struct Texts {
    /// The language's own name, for the language switch.
    pub language_name: &'static str,
    /// `<html lang>`.
    pub code: &'static str,
    pub addressed_to: &'static str,
    pub led_by: &'static str,
    pub signatories_count_one: &'static str,
    pub signatories_count_many: &'static str,
    pub see_signatories: &'static str,
    pub sign_heading: &'static str,
    pub letter_closed: &'static str,
    pub letter_delivered: &'static str,
    /// The link to a delivered letter's frozen PDF.
    pub delivered_pdf: &'static str,
    pub deadline_label: &'static str,
    pub not_in_your_language: &'static str,
    pub who_signs: &'static str,
    pub kind_organization: &'static str,
    pub kind_individual: &'static str,
    pub name_organization: &'static str,
    pub name_individual: &'static str,
    pub affiliation: &'static str,
    pub affiliation_hint: &'static str,
    pub org_type: &'static str,
    pub city: &'static str,
    pub region: &'static str,
    pub country: &'static str,
    pub country_none: &'static str,
    pub website: &'static str,
    pub contact_heading: &'static str,
    pub contact_hint: &'static str,
    pub contact_name: &'static str,
    pub contact_title: &'static str,
    pub contact_email: &'static str,
    pub contact_phone: &'static str,
    pub comment: &'static str,
    pub consent: &'static str,
    pub optional: &'static str,
    pub submit: &'static str,
    pub honeypot: &'static str,
    pub fix_errors: &'static str,
    pub did_you_mean: &'static str,
    pub keep_as_typed: &'static str,
    pub check_email_title: &'static str,
    pub check_email_body: &'static str,
    pub check_email_spam: &'static str,
    pub back_to_letter: &'static str,
    pub verify_title: &'static str,
    pub verify_question: &'static str,
    pub verify_button: &'static str,
    pub verified_public: &'static str,
    pub verified_moderated: &'static str,
    pub change_field: &'static str,
    pub change_now: &'static str,
    pub change_after: &'static str,
    pub verify_change_title: &'static str,
    pub verify_change_question: &'static str,
    pub verify_change_button: &'static str,
    pub change_applied: &'static str,
    pub change_in_review: &'static str,
    pub email_change_subject: &'static str,
    pub email_change_intro: &'static str,
    pub email_change_confirm: &'static str,
    pub withdraw_title: &'static str,
    pub withdraw_question: &'static str,
    pub withdraw_button: &'static str,
    pub withdrawn: &'static str,
    pub link_used: &'static str,
    pub link_expired: &'static str,
    pub link_unknown: &'static str,
    pub letter_already_delivered: &'static str,
    pub signature_withdrawn_already: &'static str,
    pub signatories_title: &'static str,
    pub organizations: &'static str,
    pub individuals: &'static str,
    pub affiliation_note: &'static str,
    pub no_signatories: &'static str,
    pub search_label: &'static str,
    pub search_button: &'static str,
    pub search_matches: &'static str,
    pub search_no_match: &'static str,
    pub show_all: &'static str,
    pub pages_label: &'static str,
    pub page_of: &'static str,
    pub previous_page: &'static str,
    pub next_page: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub rate_limited: &'static str,
    pub individuals_not_accepted: &'static str,
    pub email_subject: &'static str,
    pub email_greeting: &'static str,
    pub email_intro: &'static str,
    pub email_confirm: &'static str,
    pub email_withdraw: &'static str,
    pub email_expiry: &'static str,
    pub email_ignore: &'static str,
    /// The embeddable form's link to the letter's own page.
    pub read_full_letter: &'static str,
    /// Said of a link that leaves the embeddable form's frame.
    pub opens_in_new_tab: &'static str,
}

/// English.
pub const EN: Texts = Texts {
    language_name: "English",
    code: "en",
    addressed_to: "To",
    led_by: "Coordinated by",
    signatories_count_one: "1 signatory",
    signatories_count_many: "{n} signatories",
    see_signatories: "See who has signed",
    sign_heading: "Sign this letter",
    letter_closed: "This letter is closed to new signatures.",
    letter_delivered: "This letter was delivered to its addressees.",
    delivered_pdf: "The letter as delivered, with every signatory (PDF)",
    deadline_label: "Signatures close on",
    not_in_your_language: "This letter is not available in English; it is shown in its original language.",
    who_signs: "Who is signing?",
    kind_organization: "An organization",
    kind_individual: "An individual",
    name_organization: "Organization name",
    name_individual: "Full name",
    affiliation: "Institutional affiliation",
    affiliation_hint: "Listed for identification purposes only.",
    org_type: "Type of organization",
    city: "City",
    region: "State or province",
    country: "Country",
    country_none: "International / no single country",
    website: "Website",
    contact_heading: "Contact person",
    contact_hint: "Never published. We email this person a link to confirm the signature.",
    contact_name: "Name",
    contact_title: "Title or position",
    contact_email: "Email",
    contact_phone: "Phone",
    comment: "Message to the coordinators (not published)",
    consent: "I agree that the name above is listed publicly as a signatory of this letter.",
    optional: "optional",
    submit: "Sign the letter",
    honeypot: "Leave this field empty",
    fix_errors: "Please correct the marked fields.",
    did_you_mean: "Did you mean {suggestion}? Check the address, or send the form again to keep it as typed.",
    keep_as_typed: "The address is correct as typed",
    check_email_title: "Check your email",
    check_email_body: "We sent a confirmation link to the contact person's email. The signature counts once it is confirmed; the link works for {days} days.",
    check_email_spam: "Nothing arrived? Look in the spam folder, or sign again to receive a new link.",
    back_to_letter: "Back to the letter",
    verify_title: "Confirm the signature",
    verify_question: "Confirm that {name} signs “{title}”.",
    verify_button: "Confirm the signature",
    verified_public: "Thank you. The signature of {name} is confirmed and appears on the list of signatories.",
    verified_moderated: "Thank you. The signature of {name} is confirmed; it will appear on the list once the coordinators have reviewed it.",
    change_field: "Field",
    change_now: "Listed now",
    change_after: "After the change",
    verify_change_title: "Confirm the change",
    verify_change_question: "Someone asked to change how {name} is listed on “{title}”, with you as the contact person. Confirm only if you asked for this change; otherwise close this page and the entry stays as it is.",
    verify_change_button: "Confirm the change",
    change_applied: "Thank you. The change is confirmed: the letter now lists {name}.",
    change_in_review: "Thank you. The change is confirmed; the coordinators will review it. Until then the letter lists {name} as before.",
    email_change_subject: "Confirm a change to your signature: {title}",
    email_change_intro: "Someone asked to change how {signatory} is listed on the letter “{title}”, with you as the contact person. Nothing changes unless you confirm.",
    email_change_confirm: "To confirm the change, open this link and press the button:",
    withdraw_title: "Withdraw the signature",
    withdraw_question: "Withdraw the signature of {name} from “{title}”?",
    withdraw_button: "Withdraw the signature",
    withdrawn: "The signature of {name} was withdrawn. It no longer appears on the letter.",
    link_used: "This link was already used.",
    link_expired: "This link has expired. Sign the letter again to receive a new one.",
    link_unknown: "This link is not valid. Check that it was copied whole.",
    letter_already_delivered: "This letter was already delivered; its signatures can no longer change.",
    signature_withdrawn_already: "This signature was withdrawn. Sign the letter again to add it back.",
    signatories_title: "Signatories",
    organizations: "Organizations",
    individuals: "Individuals",
    affiliation_note: "Institutional affiliations are listed for identification purposes only.",
    no_signatories: "No signatures yet.",
    search_label: "Search by name, city or country",
    search_button: "Search",
    search_matches: "Signatories matching “{q}”: {n}.",
    search_no_match: "No signatory matches this search.",
    show_all: "Show the whole list",
    pages_label: "Pages of the list",
    page_of: "Page {page} of {pages}",
    previous_page: "Previous page",
    next_page: "Next page",
    not_found_title: "Not found",
    not_found_body: "There is no letter at this address.",
    rate_limited: "Too many submissions from your network. Please wait a minute and try again.",
    individuals_not_accepted: "This letter is signed by organizations only.",
    email_subject: "Confirm your signature: {title}",
    email_greeting: "Hello {name},",
    email_intro: "{signatory} was submitted as a signatory of the letter “{title}”, with you as the contact person.",
    email_confirm: "To confirm the signature, open this link and press the button:",
    email_withdraw: "To withdraw the signature at any time before the letter is delivered:",
    email_expiry: "The confirmation link works for {days} days.",
    email_ignore: "If you did not ask for this, ignore this email: nothing is published without confirmation.",
    read_full_letter: "Read the full letter",
    opens_in_new_tab: "opens in a new tab",
};

/// Spanish.
pub const ES: Texts = Texts {
    language_name: "Español",
    code: "es",
    addressed_to: "Para",
    led_by: "Coordinan",
    signatories_count_one: "1 firmante",
    signatories_count_many: "{n} firmantes",
    see_signatories: "Ver quiénes han firmado",
    sign_heading: "Firmar esta carta",
    letter_closed: "Esta carta ya no recibe firmas.",
    letter_delivered: "Esta carta fue entregada a sus destinatarios.",
    delivered_pdf: "La carta tal como se entregó, con todas las firmas (PDF)",
    deadline_label: "Se reciben firmas hasta el",
    not_in_your_language: "Esta carta no está disponible en español; se muestra en su idioma original.",
    who_signs: "¿Quién firma?",
    kind_organization: "Una organización",
    kind_individual: "Una persona",
    name_organization: "Nombre de la organización",
    name_individual: "Nombre completo",
    affiliation: "Afiliación institucional",
    affiliation_hint: "Se indica solo con fines de identificación.",
    org_type: "Tipo de organización",
    city: "Ciudad",
    region: "Estado o provincia",
    country: "País",
    country_none: "Internacional / ningún país en particular",
    website: "Sitio web",
    contact_heading: "Persona de contacto",
    contact_hint: "Nunca se publica. Le enviamos un enlace por correo para confirmar la firma.",
    contact_name: "Nombre",
    contact_title: "Cargo",
    contact_email: "Correo electrónico",
    contact_phone: "Teléfono",
    comment: "Mensaje para las organizaciones coordinadoras (no se publica)",
    consent: "Acepto que el nombre indicado aparezca públicamente como firmante de esta carta.",
    optional: "opcional",
    submit: "Firmar la carta",
    honeypot: "Deje este campo vacío",
    fix_errors: "Corrija los campos señalados.",
    did_you_mean: "¿Quiso decir {suggestion}? Revise la dirección, o envíe el formulario de nuevo para dejarla como está.",
    keep_as_typed: "La dirección es correcta tal como está",
    check_email_title: "Revise su correo",
    check_email_body: "Enviamos un enlace de confirmación al correo de la persona de contacto. La firma cuenta una vez confirmada; el enlace vale por {days} días.",
    check_email_spam: "¿No llegó nada? Revise la carpeta de correo no deseado, o firme de nuevo para recibir otro enlace.",
    back_to_letter: "Volver a la carta",
    verify_title: "Confirmar la firma",
    verify_question: "Confirme que {name} firma «{title}».",
    verify_button: "Confirmar la firma",
    verified_public: "Gracias. La firma de {name} está confirmada y aparece en la lista de firmantes.",
    verified_moderated: "Gracias. La firma de {name} está confirmada; aparecerá en la lista cuando las organizaciones coordinadoras la hayan revisado.",
    change_field: "Campo",
    change_now: "Figura ahora",
    change_after: "Tras el cambio",
    verify_change_title: "Confirmar el cambio",
    verify_change_question: "Alguien pidió cambiar cómo figura {name} en «{title}», con usted como persona de contacto. Confirme solo si usted pidió este cambio; si no, cierre esta página y la firma queda como está.",
    verify_change_button: "Confirmar el cambio",
    change_applied: "Gracias. El cambio está confirmado: la carta ahora muestra a {name}.",
    change_in_review: "Gracias. El cambio está confirmado; las organizaciones coordinadoras lo revisarán. Mientras tanto, la carta sigue mostrando a {name} como antes.",
    email_change_subject: "Confirme un cambio en su firma: {title}",
    email_change_intro: "Alguien pidió cambiar cómo figura {signatory} en la carta «{title}», con usted como persona de contacto. Nada cambia sin su confirmación.",
    email_change_confirm: "Para confirmar el cambio, abra este enlace y pulse el botón:",
    withdraw_title: "Retirar la firma",
    withdraw_question: "¿Retirar la firma de {name} de «{title}»?",
    withdraw_button: "Retirar la firma",
    withdrawn: "La firma de {name} fue retirada. Ya no aparece en la carta.",
    link_used: "Este enlace ya fue utilizado.",
    link_expired: "Este enlace ha caducado. Firme la carta de nuevo para recibir otro.",
    link_unknown: "Este enlace no es válido. Verifique que se haya copiado completo.",
    letter_already_delivered: "Esta carta ya fue entregada; sus firmas ya no pueden cambiar.",
    signature_withdrawn_already: "Esta firma fue retirada. Firme la carta de nuevo para volver a sumarla.",
    signatories_title: "Firmantes",
    organizations: "Organizaciones",
    individuals: "Personas",
    affiliation_note: "Las afiliaciones institucionales se indican solo con fines de identificación.",
    no_signatories: "Todavía no hay firmas.",
    search_label: "Buscar por nombre, ciudad o país",
    search_button: "Buscar",
    search_matches: "Firmantes que coinciden con «{q}»: {n}.",
    search_no_match: "Ningún firmante coincide con esta búsqueda.",
    show_all: "Ver la lista completa",
    pages_label: "Páginas de la lista",
    page_of: "Página {page} de {pages}",
    previous_page: "Página anterior",
    next_page: "Página siguiente",
    not_found_title: "No encontrada",
    not_found_body: "No hay ninguna carta en esta dirección.",
    rate_limited: "Demasiados envíos desde su red. Espere un minuto e intente de nuevo.",
    individuals_not_accepted: "Esta carta solo la firman organizaciones.",
    email_subject: "Confirme su firma: {title}",
    email_greeting: "Hola, {name}:",
    email_intro: "Se registró a {signatory} como firmante de la carta «{title}», con usted como persona de contacto.",
    email_confirm: "Para confirmar la firma, abra este enlace y pulse el botón:",
    email_withdraw: "Para retirar la firma en cualquier momento antes de que se entregue la carta:",
    email_expiry: "El enlace de confirmación vale por {days} días.",
    email_ignore: "Si usted no lo pidió, ignore este correo: nada se publica sin confirmación.",
    read_full_letter: "Leer la carta completa",
    opens_in_new_tab: "se abre en otra pestaña",
};

/// The strings of a language.
pub fn texts(language: Language) -> &'static Texts {
    match language {
        Language::En => &EN,
        Language::Es => &ES,
    }
}

/// Fills `{name}`-style placeholders.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_owned(), |text, (key, value)| {
            text.replace(&format!("{{{key}}}"), value)
        })
}

/// Picks the reader's language: an explicit `?lang=` first, then the browser's
/// Accept-Language preferences, then `fallback`.
pub fn negotiate(
    explicit: Option<&str>,
    accept_language: Option<&str>,
    fallback: Language,
) -> Language {
    if let Some(language) = explicit.and_then(parse_code) {
        return language;
    }
    let Some(header) = accept_language else {
        return fallback;
    };
    let mut preferences: Vec<(f32, Language)> = header
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next()?.to_ascii_lowercase();
            parse_code(&primary).map(|language| (quality, language))
        })
        .filter(|(quality, _)| *quality > 0.0)
        .collect();
    // Stable: among equal qualities the header's order wins.
    preferences.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
    preferences
        .first()
        .map(|(_, language)| *language)
        .unwrap_or(fallback)
}

/// A field error or a refusal from the domain or a service (written in English) in the reader's
/// language. The public form and the dashboard show these; API clients get them in English.
pub fn field_error(message: &str, language: Language) -> String {
    if language == Language::En {
        return message.to_owned();
    }
    for (part, parte) in [
        ("title: ", "título: "),
        ("body: ", "texto: "),
        ("addressees: ", "destinatarios: "),
    ] {
        if let Some(rest) = message.strip_prefix(part) {
            return format!("{parte}{}", field_error(rest, language));
        }
    }
    if let Some(max) = message
        .strip_prefix("Must be at most ")
        .and_then(|rest| rest.strip_suffix(" characters."))
    {
        return format!("Debe tener como máximo {max} caracteres.");
    }
    if let Some(spanish) = letter_setting_error(message) {
        return spanish.to_owned();
    }
    match message {
        "This field is required." => "Este campo es obligatorio.",
        "Must not contain control characters." => "No debe contener caracteres de control.",
        "Enter an email address such as name@example.org." => {
            "Escriba una dirección de correo como nombre@ejemplo.org."
        }
        "Choose a country (a two-letter ISO code such as MX or US)." => "Elija un país.",
        "Enter a web address such as https://www.example.org." => {
            "Escriba una dirección web como https://www.ejemplo.org."
        }
        "Enter a phone number such as +52 55 1234 5678." => {
            "Escriba un teléfono como +52 55 1234 5678."
        }
        "Tick the box to agree to be listed as a signatory." => {
            "Marque la casilla para aceptar aparecer como firmante."
        }
        "Choose organization or individual." => "Elija organización o persona.",
        "Use 3 to 80 lowercase letters, digits and single hyphens, such as \"mpp-asylum-2019\"." => {
            "Use de 3 a 80 letras minúsculas, cifras y guiones simples, como \"ppm-asilo-2019\"."
        }
        "Another letter already uses this slug." => "Otra carta ya usa esta dirección.",
        "The slug of a letter that has been opened cannot change: its address is already out there." => {
            "La dirección de una carta ya abierta no puede cambiar: ya circula."
        }
        "The deadline must be in the future." => "La fecha límite debe estar en el futuro.",
        "Must be between 0 and 3650 days." => "Debe estar entre 0 y 3650 días.",
        "A translation must be in a language other than the letter's own." => {
            "La traducción debe estar en un idioma distinto al de la carta."
        }
        "This letter was delivered; it can no longer change." => {
            "Esta carta fue entregada; ya no puede cambiar."
        }
        "This letter was delivered; its status can no longer change." => {
            "Esta carta fue entregada; su estado ya no puede cambiar."
        }
        "Write the letter's body before opening it for signatures." => {
            "Escriba el texto de la carta antes de abrirla a firmas."
        }
        "The deadline has passed: set a later one before reopening." => {
            "La fecha límite ya pasó: fije una posterior antes de reabrir."
        }
        other => other,
    }
    .to_owned()
}

/// The Spanish of the refusals about a letter's settings (coordinators, delivery, embedding,
/// partners), kept apart from [`field_error`]'s general ones.
fn letter_setting_error(message: &str) -> Option<&'static str> {
    let spanish = match message {
        "No organization with this name has an account here; its staff must be added first." => {
            "Ninguna organización con este nombre tiene cuenta aquí; primero hay que agregar a su personal."
        }
        "Reminders go out while the letter takes signatures only." => {
            "Los recordatorios solo se envían mientras la carta recibe firmas."
        }
        "This organization already coordinates this letter." => {
            "Esta organización ya coordina esta carta."
        }
        "Each address must be an email address such as name@example.org." => {
            "Cada dirección debe ser un correo como nombre@ejemplo.org."
        }
        "At most 50 addresses." => "Como máximo 50 direcciones.",
        crate::domain::EmbedOrigins::RULE => {
            "Escriba cada origen como https:// y el nombre del sitio, con un puerto opcional y nada después, como https://www.ejemplo.org."
        }
        "At most 20 origins." => "Como máximo 20 orígenes.",
        crate::domain::PartnerCode::RULE => {
            "Use de 2 a 40 letras, cifras y guiones simples, como \"sin-fronteras\"."
        }
        "This letter already has a partner with this code." => {
            "Esta carta ya tiene una organización aliada con este código."
        }
        _ => return None,
    };
    Some(spanish)
}

/// The English or the Spanish of a text, by the reader's language.
pub fn pick<T>(language: Language, en: T, es: T) -> T {
    match language {
        Language::En => en,
        Language::Es => es,
    }
}

/// `en` or `es`.
pub fn parse_code(code: &str) -> Option<Language> {
    match code.trim() {
        "en" => Some(Language::En),
        "es" => Some(Language::Es),
        _ => None,
    }
}

/// The code of a language.
pub fn code(language: Language) -> &'static str {
    texts(language).code
}

/// "23 November 2026" or "23 de noviembre de 2026".
pub fn long_date(date: chrono::NaiveDate, language: Language) -> String {
    use chrono::Datelike;
    const EN_MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const ES_MONTHS: [&str; 12] = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ];
    let month = date.month0() as usize;
    match language {
        Language::En => format!("{} {} {}", date.day(), EN_MONTHS[month], date.year()),
        Language::Es => format!("{} de {} de {}", date.day(), ES_MONTHS[month], date.year()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_explicit_choice_wins_then_the_browser_then_the_letter() {
        assert_eq!(
            negotiate(Some("es"), Some("en-US"), Language::En),
            Language::Es
        );
        assert_eq!(
            negotiate(None, Some("es-MX,es;q=0.9,en;q=0.8"), Language::En),
            Language::Es
        );
        assert_eq!(
            negotiate(None, Some("fr-FR, en;q=0.5, es;q=0.7"), Language::En),
            Language::Es
        );
        assert_eq!(negotiate(None, Some("fr"), Language::Es), Language::Es);
        assert_eq!(negotiate(Some("de"), None, Language::En), Language::En);
    }

    #[test]
    fn field_errors_read_in_spanish_on_the_spanish_form() {
        assert_eq!(
            field_error("This field is required.", Language::Es),
            "Este campo es obligatorio."
        );
        assert_eq!(
            field_error("Must be at most 300 characters.", Language::Es),
            "Debe tener como máximo 300 caracteres."
        );
        assert_eq!(
            field_error("This field is required.", Language::En),
            "This field is required."
        );
        let missing = crate::domain::SignatureInput::default();
        let wrong = crate::domain::SignatureInput {
            kind: Some("robot".into()),
            public: crate::domain::PublicFields {
                name: Some("x".repeat(301)),
                city: Some("a\u{0}b".into()),
                country: Some("XX".into()),
                website: Some("not a site".into()),
                ..Default::default()
            },
            contact: crate::domain::ContactFields {
                contact_email: Some("nope".into()),
                contact_phone: Some("call me".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        // Every message the public form can show has its Spanish form here.
        let messages = [missing, wrong].into_iter().flat_map(|input| {
            input
                .parse(crate::domain::Intake::Public)
                .unwrap_err()
                .into_map()
        });
        for (field, message) in messages {
            assert_ne!(
                field_error(&message, Language::Es),
                message,
                "{field}: {message} has a Spanish form"
            );
        }
    }

    #[test]
    fn every_message_the_letter_form_can_show_has_its_spanish_form() {
        use crate::service::letters::{LetterFields, TranslationFields};
        let translation = TranslationFields {
            title: " ".into(),
            body: "a\u{0}b".into(),
            addressees: String::new(),
        };
        let wrong = LetterFields {
            slug: Some("Not a slug!".into()),
            title: Some(String::new()),
            body: Some("a\u{0}b".into()),
            addressees: Some("x".repeat(5001)),
            retention_days: Some(-1),
            translations: Some([("es".to_owned(), translation)].into()),
            ..Default::default()
        };
        let errors = wrong.parse().unwrap_err().into_map();
        assert_eq!(errors.len(), 6, "{errors:?}");
        for (field, message) in errors {
            assert_ne!(
                field_error(&message, Language::Es),
                message,
                "{field}: {message} has a Spanish form"
            );
        }
    }

    #[test]
    fn every_message_of_the_delivery_settings_has_its_spanish_form() {
        use crate::service::delivery::DeliveryFields;
        use crate::service::letters::LetterFields;
        let too_many: Vec<String> = (0..=crate::domain::AddresseeEmails::MAX)
            .map(|n| format!("a{n}@example.org"))
            .collect();
        for addresses in [vec!["not an address".to_owned()], too_many] {
            let wrong = LetterFields {
                delivery: DeliveryFields {
                    addressee_emails: Some(addresses),
                    cover_note: Some("x".repeat(5001)),
                },
                ..Default::default()
            };
            let errors = wrong.parse().unwrap_err().into_map();
            assert_eq!(errors.len(), 2, "{errors:?}");
            for (field, message) in errors {
                assert_ne!(
                    field_error(&message, Language::Es),
                    message,
                    "{field}: {message} has a Spanish form"
                );
            }
        }
    }

    #[test]
    fn dates_read_naturally() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(long_date(date, Language::En), "23 November 2026");
        assert_eq!(long_date(date, Language::Es), "23 de noviembre de 2026");
    }
}
