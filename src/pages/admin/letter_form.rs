//! Writing a letter: every field of a new letter or of an existing one, its translation, and a
//! preview of the Markdown before saving. The form is turned into the same [`LetterFields`] the
//! JSON API fills in, so the service checks both alike.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use entity::{Language, LetterStatus, ListOrder, Moderation, Paper};
use maud::{Markup, PreEscaped, html};
use poem::http::StatusCode;
use poem::web::cookie::CookieJar;
use poem::web::{Data, Form, Path};
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::PageError;
use super::layout::{LetterTab, csrf_field, letter_header, page, redirect_with_notice};
use super::session::Signed;
use crate::domain::{FieldErrors, check_changeable};
use crate::error::AppError;
use crate::i18n;
use crate::pages::markdown::to_safe_html;
use crate::service::access;
use crate::service::delivery::{self, DeliveryFields};
use crate::service::letters::{self, LetterFields, LetterView, TranslationFields};
use crate::state::AppState;

/// The letter form as a browser posts it: text, as typed, so it can be shown again unchanged.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LetterForm {
    organization_id: String,
    slug: String,
    title: String,
    body: String,
    addressees: String,
    language: String,
    deadline_date: String,
    deadline_time: String,
    moderation: String,
    accept_individuals: Option<String>,
    list_order: String,
    paper: String,
    lead_signatories: String,
    retention_days: String,
    translation_title: String,
    translation_body: String,
    translation_addressees: String,
    /// The addressees' email addresses, one a line.
    addressee_emails: String,
    cover_note: String,
    /// The origins that may frame the embeddable form, one per line.
    embed_origins: String,
    /// Which button was pressed: `preview` or `save`.
    action: String,
}

/// A new letter's form starts with the same defaults the service gives an unset field.
impl Default for LetterForm {
    fn default() -> Self {
        Self {
            organization_id: String::new(),
            slug: String::new(),
            title: String::new(),
            body: String::new(),
            addressees: String::new(),
            language: "en".into(),
            deadline_date: String::new(),
            deadline_time: String::new(),
            moderation: wire(Moderation::Auto),
            accept_individuals: None,
            list_order: wire(ListOrder::Alphabetical),
            paper: wire(Paper::Letter),
            lead_signatories: String::new(),
            retention_days: crate::domain::RetentionDays::DEFAULT.days().to_string(),
            translation_title: String::new(),
            translation_body: String::new(),
            translation_addressees: String::new(),
            addressee_emails: String::new(),
            cover_note: String::new(),
            embed_origins: String::new(),
            action: String::new(),
        }
    }
}

/// A setting's name on the wire (`auto`, `a4`, `org_type`...), the one the API uses too.
pub(super) fn wire(value: impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// A choice posted by name; `None` for a value the form never offers.
pub(super) fn choice<T: DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.trim().to_owned())).ok()
}

fn chosen<T: DeserializeOwned>(errors: &mut FieldErrors, field: &str, name: &str) -> Option<T> {
    let value = choice(name);
    if value.is_none() {
        errors.add(field, "Choose one of the options.");
    }
    value
}

fn other_language(language: Language) -> Language {
    match language {
        Language::En => Language::Es,
        Language::Es => Language::En,
    }
}

impl LetterForm {
    /// The form filled with a letter as it is stored.
    fn of(view: &LetterView) -> Self {
        let letter = &view.letter;
        let translations = view.translations();
        let translation = translations.entries().get(&other_language(letter.language));
        Self {
            organization_id: String::new(),
            slug: letter.slug.clone(),
            title: letter.title.clone(),
            body: letter.body.clone(),
            addressees: letter.addressees.clone(),
            language: wire(letter.language),
            deadline_date: letter
                .deadline
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            deadline_time: letter
                .deadline
                .map(|d| d.format("%H:%M").to_string())
                .unwrap_or_default(),
            moderation: wire(letter.moderation),
            accept_individuals: letter.accept_individuals.then(|| "yes".into()),
            list_order: wire(letter.list_order),
            paper: wire(letter.paper),
            lead_signatories: view.lead_signatories().names().join("\n"),
            retention_days: letter.retention_days.to_string(),
            translation_title: translation.map(|t| t.title.clone()).unwrap_or_default(),
            translation_body: translation.map(|t| t.body.clone()).unwrap_or_default(),
            translation_addressees: translation
                .map(|t| t.addressees.clone())
                .unwrap_or_default(),
            addressee_emails: delivery::addressee_emails(letter)
                .emails()
                .iter()
                .map(|email| email.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            cover_note: letter.cover_note.clone(),
            embed_origins: view.embed_origins().origins().join("\n"),
            action: String::new(),
        }
    }

    fn letter_language(&self) -> Language {
        choice(&self.language).unwrap_or(Language::En)
    }

    /// The fields for the service, and the errors of what the form itself reads (a date, a
    /// number, a choice); the service then checks the rest.
    fn fields(&self) -> (LetterFields, FieldErrors) {
        let mut errors = FieldErrors::default();
        let language = chosen(&mut errors, "language", &self.language);
        let moderation = chosen(&mut errors, "moderation", &self.moderation);
        let list_order = chosen(&mut errors, "list_order", &self.list_order);
        let paper = chosen(&mut errors, "paper", &self.paper);
        let deadline = errors.check(
            "deadline",
            parse_deadline(&self.deadline_date, &self.deadline_time),
        );
        let retention_days = errors.check("retention_days", parse_days(&self.retention_days));
        let fields = LetterFields {
            slug: Some(self.slug.clone()),
            title: Some(self.title.clone()),
            body: Some(self.body.clone()),
            addressees: Some(self.addressees.clone()),
            language,
            deadline,
            moderation,
            accept_individuals: Some(self.accept_individuals.is_some()),
            list_order,
            paper,
            lead_signatories: Some(self.lead_signatories.lines().map(str::to_owned).collect()),
            retention_days,
            translations: Some(self.translations()),
            delivery: DeliveryFields {
                addressee_emails: Some(
                    self.addressee_emails
                        .lines()
                        .map(str::trim)
                        .filter(|line| !line.is_empty())
                        .map(str::to_owned)
                        .collect(),
                ),
                cover_note: Some(self.cover_note.clone()),
            },
            embed_origins: Some(
                self.embed_origins
                    .lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
        };
        (fields, errors)
    }

    /// The translation into the other language; all of it left blank removes it.
    fn translations(&self) -> BTreeMap<String, TranslationFields> {
        let texts = [
            &self.translation_title,
            &self.translation_body,
            &self.translation_addressees,
        ];
        if texts.iter().all(|t| t.trim().is_empty()) {
            return BTreeMap::new();
        }
        let code = i18n::code(other_language(self.letter_language())).to_owned();
        BTreeMap::from([(
            code,
            TranslationFields {
                title: self.translation_title.clone(),
                body: self.translation_body.clone(),
                addressees: self.translation_addressees.clone(),
            },
        )])
    }

    fn organization(&self) -> Option<i64> {
        self.organization_id.trim().parse().ok()
    }

    fn previewing(&self) -> bool {
        self.action == "preview"
    }
}

/// A date and a time of day, in UTC; a date alone means the end of that day. Both blank: no
/// deadline.
fn parse_deadline(date: &str, time: &str) -> Result<Option<DateTime<Utc>>, String> {
    let (date, time) = (date.trim(), time.trim());
    if date.is_empty() && time.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d");
    let time = if time.is_empty() {
        Ok(NaiveTime::from_hms_opt(23, 59, 0).expect("a valid time"))
    } else {
        NaiveTime::parse_from_str(time, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M:%S"))
    };
    match (date, time) {
        (Ok(date), Ok(time)) => Ok(Some(date.and_time(time).and_utc())),
        _ => Err(DEADLINE_FORMAT.into()),
    }
}

const DEADLINE_FORMAT: &str = "Enter a date such as 2030-06-01 and a time such as 17:00.";

fn parse_days(days: &str) -> Result<i64, String> {
    days.trim().parse().map_err(|_| DAYS_FORMAT.to_owned())
}

const DAYS_FORMAT: &str = "Enter a whole number of days, such as 90.";

/// The form's own messages in Spanish; the service's go through [`i18n::field_error`].
fn message_in(message: &str, lang: Language) -> String {
    match (lang, message) {
        (Language::Es, DEADLINE_FORMAT) => {
            "Escriba una fecha como 2030-06-01 y una hora como 17:00.".into()
        }
        (Language::Es, DAYS_FORMAT) => "Escriba un número entero de días, como 90.".into(),
        (Language::Es, "Choose one of the options.") => "Elija una de las opciones.".into(),
        _ => i18n::field_error(message, lang),
    }
}

/// Where a form posts and what it belongs to.
struct Target<'a> {
    /// The letter being edited; `None` for a new one.
    view: Option<&'a LetterView>,
    action: String,
}

/// The form shown again, or for the first time: with the errors marked next to their fields
/// and, when asked, a preview of the text.
fn form_page(
    page_ctx: &Signed,
    target: &Target<'_>,
    form: &LetterForm,
    errors: &FieldErrors,
) -> Markup {
    let ctx = page_ctx;
    let errors: FieldErrors = {
        let mut translated = FieldErrors::default();
        for (field, message) in errors.as_map() {
            translated.add(field, message_in(message, ctx.lang));
        }
        translated
    };
    let marks = Marks { errors: &errors };
    let title = match target.view {
        Some(view) => view.letter.title.clone(),
        None => ctx
            .t("Write a new letter", "Escribir una carta nueva")
            .to_owned(),
    };
    let content = html! {
        @match target.view {
            Some(view) => (letter_header(ctx, &view.letter, LetterTab::Edit)),
            None => {
                p.meta { a href="/admin" { "← " (ctx.t("All letters", "Todas las cartas")) } }
                h1 { (title) }
            }
        }
        @if !errors.is_empty() {
            div.errors role="alert" id="errors" {
                p { strong { (ctx.t("Please correct the marked fields. Nothing was saved.", "Corrija los campos marcados. No se guardó nada.")) } }
                ul { @for (name, message) in errors.as_map() { li { a href=(format!("#{name}")) { (message) } } } }
            }
        }
        @if form.previewing() { (preview(ctx, form)) }
        form method="post" action=(target.action) novalidate {
            (csrf_field(ctx))
            @if target.view.is_none() { (organization_choice(page_ctx, &marks, form)) }
            (text_section(ctx, &marks, form, target))
            (settings_section(ctx, &marks, form))
            (translation_section(ctx, &marks, form))
            (delivery_section(ctx, &marks, form))
            (embed_section(ctx, &marks, form))
            div.actions {
                button.secondary type="submit" name="action" value="preview" { (ctx.t("Preview", "Vista previa")) }
                button type="submit" name="action" value="save" { (ctx.t("Save", "Guardar")) }
            }
        }
    };
    page(ctx, &title, content)
}

/// The fields' errors, to mark each field.
struct Marks<'a> {
    errors: &'a FieldErrors,
}

impl Marks<'_> {
    fn error(&self, name: &str) -> Option<&str> {
        self.errors.as_map().get(name).map(String::as_str)
    }

    /// The ids an input is described by: its hint and its error.
    fn described_by(&self, name: &str, has_hint: bool) -> Option<String> {
        let mut ids = Vec::new();
        if has_hint {
            ids.push(format!("{name}-hint"));
        }
        if self.error(name).is_some() {
            ids.push(format!("{name}-error"));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    }

    fn label_hint_error(&self, name: &str, label: &str, hint: Option<&str>) -> Markup {
        html! {
            label for=(name) { (label) }
            @if let Some(hint) = hint { span.hint id=(format!("{name}-hint")) { (hint) } }
            @if let Some(error) = self.error(name) { span.error id=(format!("{name}-error")) { (error) } }
        }
    }

    fn input(
        &self,
        name: &str,
        label: &str,
        hint: Option<&str>,
        value: &str,
        kind: &str,
        readonly: bool,
    ) -> Markup {
        let invalid = self.error(name).is_some();
        html! {
            div.field.invalid[invalid] {
                (self.label_hint_error(name, label, hint))
                input type=(kind) id=(name) name=(name) value=(value) readonly[readonly]
                    aria-invalid=[invalid.then_some("true")] aria-describedby=[self.described_by(name, hint.is_some())];
            }
        }
    }

    fn textarea(
        &self,
        name: &str,
        label: &str,
        hint: Option<&str>,
        value: &str,
        rows: u32,
    ) -> Markup {
        let invalid = self.error(name).is_some();
        html! {
            div.field.invalid[invalid] {
                (self.label_hint_error(name, label, hint))
                textarea id=(name) name=(name) rows=(rows)
                    aria-invalid=[invalid.then_some("true")] aria-describedby=[self.described_by(name, hint.is_some())] { (value) }
            }
        }
    }

    fn select(
        &self,
        name: &str,
        label: &str,
        hint: Option<&str>,
        options: &[(String, &str)],
        selected: &str,
    ) -> Markup {
        let invalid = self.error(name).is_some();
        html! {
            div.field.invalid[invalid] {
                (self.label_hint_error(name, label, hint))
                select id=(name) name=(name)
                    aria-invalid=[invalid.then_some("true")] aria-describedby=[self.described_by(name, hint.is_some())] {
                    @for (value, text) in options {
                        option value=(value) selected[value == selected] { (text) }
                    }
                }
            }
        }
    }
}

/// The lead organization: a choice only for someone who may write letters in several.
fn organization_choice(ctx: &Signed, marks: &Marks<'_>, form: &LetterForm) -> Markup {
    let eligible: Vec<_> = access::writing_memberships(&ctx.staff).collect();
    match eligible.as_slice() {
        [] => html! {},
        [only] => {
            html! { input type="hidden" name="organization_id" value=(only.organization_id); }
        }
        several => {
            let options: Vec<(String, &str)> = several
                .iter()
                .map(|m| (m.organization_id.to_string(), m.organization_name.as_str()))
                .collect();
            marks.select(
                "organization_id",
                ctx.t("Lead organization", "Organización que encabeza"),
                Some(ctx.t(
                    "You belong to several organizations: which one leads this letter?",
                    "Usted pertenece a varias organizaciones: ¿cuál encabeza esta carta?",
                )),
                &options,
                &form.organization_id,
            )
        }
    }
}

fn text_section(ctx: &Signed, marks: &Marks<'_>, form: &LetterForm, target: &Target<'_>) -> Markup {
    let slug_fixed = target
        .view
        .is_some_and(|v| v.letter.status != LetterStatus::Draft);
    let slug_hint = if slug_fixed {
        ctx.t(
            "The letter has been opened, so its address no longer changes.",
            "La carta ya se abrió, así que su dirección ya no cambia.",
        )
    } else {
        ctx.t("The end of the public address, /l/…: lowercase letters, digits and hyphens, such as mpp-asylum-2019.", "El final de la dirección pública, /l/…: minúsculas, cifras y guiones, como ppm-asilo-2019.")
    };
    html! {
        h2 { (ctx.t("The letter", "La carta")) }
        (marks.input("title", ctx.t("Title", "Título"), None, &form.title, "text", false))
        (marks.input("slug", ctx.t("Short address", "Dirección corta"), Some(slug_hint), &form.slug, "text", slug_fixed))
        (marks.textarea("addressees", ctx.t("Addressed to", "Dirigida a"), Some(ctx.t("One per line.", "Uno por línea.")), &form.addressees, 3))
        (marks.textarea("body", ctx.t("Text", "Texto"), Some(ctx.t(
            "Markdown: a blank line between paragraphs, *italics*, **bold**, lists with -, links as [text](https://…). Press Preview to see it.",
            "Markdown: una línea en blanco entre párrafos, *cursiva*, **negrita**, listas con -, enlaces como [texto](https://…). Pulse Vista previa para verlo.",
        )), &form.body, 14))
        (marks.select("language", ctx.t("Language of the letter", "Idioma de la carta"), None, &[
            ("en".into(), "English"),
            ("es".into(), "Español"),
        ], &form.language))
    }
}

fn settings_section(ctx: &Signed, marks: &Marks<'_>, form: &LetterForm) -> Markup {
    let deadline_error = marks.error("deadline");
    html! {
        h2 { (ctx.t("Settings", "Ajustes")) }
        fieldset #deadline.invalid[deadline_error.is_some()] aria-describedby=[deadline_error.map(|_| "deadline-error")] {
            legend { (ctx.t("Deadline (UTC)", "Fecha límite (UTC)")) }
            span.hint { (ctx.t(
                "The form closes by itself at this moment, in UTC (Mexico City is UTC−6, New York UTC−5 or −4). Leave both blank for no deadline; a date alone means 23:59.",
                "El formulario se cierra solo en este momento, en UTC (Ciudad de México es UTC−6, Nueva York UTC−5 o −4). Deje ambos en blanco si no hay fecha límite; solo una fecha significa las 23:59.",
            )) }
            @if let Some(error) = deadline_error { span.error id="deadline-error" { (error) } }
            div.field {
                label for="deadline_date" { (ctx.t("Date", "Fecha")) }
                input type="date" id="deadline_date" name="deadline_date" value=(form.deadline_date)
                    aria-invalid=[deadline_error.map(|_| "true")] aria-describedby=[deadline_error.map(|_| "deadline-error")];
            }
            div.field {
                label for="deadline_time" { (ctx.t("Time (UTC)", "Hora (UTC)")) }
                input type="time" id="deadline_time" name="deadline_time" value=(form.deadline_time)
                    aria-invalid=[deadline_error.map(|_| "true")] aria-describedby=[deadline_error.map(|_| "deadline-error")];
            }
        }
        fieldset #moderation {
            legend { (ctx.t("Approval of signatures", "Aprobación de las firmas")) }
            label.choice { input type="radio" name="moderation" value="auto" checked[form.moderation == "auto"];
                (ctx.t("Automatic: listed as soon as the contact person confirms by email", "Automática: aparece en cuanto la persona de contacto confirma por correo")) }
            label.choice { input type="radio" name="moderation" value="manual" checked[form.moderation == "manual"];
                (ctx.t("Manual: a coordinator approves each one", "Manual: una persona coordinadora aprueba cada una")) }
        }
        div.field {
            label.choice for="accept_individuals" {
                input type="checkbox" id="accept_individuals" name="accept_individuals" value="yes" checked[form.accept_individuals.is_some()];
                (ctx.t("Individuals may sign too, not only organizations", "También pueden firmar personas, no solo organizaciones"))
            }
        }
        (marks.select("list_order", ctx.t("Order of the signatory list", "Orden de la lista de firmantes"), None, &[
            ("alphabetical".into(), ctx.t("Alphabetical", "Alfabético")),
            ("country".into(), ctx.t("By country", "Por país")),
            ("org_type".into(), ctx.t("By type of organization", "Por tipo de organización")),
        ], &form.list_order))
        (marks.select("paper", ctx.t("Paper of the PDF", "Papel del PDF"), None, &[
            ("letter".into(), ctx.t("US Letter (8.5 × 11 in)", "Carta de EE. UU. (8,5 × 11 pulgadas)")),
            ("a4".into(), "A4 (210 × 297 mm)"),
        ], &form.paper))
        (marks.textarea("lead_signatories", ctx.t("Lead signatories", "Firmantes principales"), Some(ctx.t(
            "Listed first, in this order: one name per line.",
            "Aparecen primero, en este orden: un nombre por línea.",
        )), &form.lead_signatories, 4))
        (marks.input("retention_days", ctx.t("Days to keep contact data after delivery", "Días que se conservan los datos de contacto tras la entrega"), Some(ctx.t(
            "Contact data is erased this many days after delivery, or after closing (or the deadline) if the letter is never delivered, and this many days after a signer withdraws (0 to 3650).",
            "Los datos de contacto se borran estos días después de la entrega, o del cierre (o la fecha límite) si la carta no se entrega, y estos días después de que alguien retire su firma (0 a 3650).",
        )), &form.retention_days, "number", false))
    }
}

fn translation_section(ctx: &Signed, marks: &Marks<'_>, form: &LetterForm) -> Markup {
    let error = marks.error("translations");
    let into = match other_language(form.letter_language()) {
        Language::Es => ctx.t("Spanish", "español"),
        Language::En => ctx.t("English", "inglés"),
    };
    let described = error.map(|_| "translations-error");
    html! {
        fieldset #translations.invalid[error.is_some()] {
            legend { (ctx.t("Translation", "Traducción")) " (" (into) ")" }
            span.hint { (ctx.t(
                "Readers who choose the other language see this text. Leave all three blank for no translation.",
                "Quien elija el otro idioma ve este texto. Deje los tres en blanco si no hay traducción.",
            )) }
            @if let Some(error) = error { span.error id="translations-error" { (error) } }
            div.field {
                label for="translation_title" { (ctx.t("Title", "Título")) }
                input type="text" id="translation_title" name="translation_title" value=(form.translation_title)
                    aria-invalid=[described.map(|_| "true")] aria-describedby=[described];
            }
            div.field {
                label for="translation_addressees" { (ctx.t("Addressed to", "Dirigida a")) }
                textarea id="translation_addressees" name="translation_addressees" rows="3"
                    aria-invalid=[described.map(|_| "true")] aria-describedby=[described] { (form.translation_addressees) }
            }
            div.field {
                label for="translation_body" { (ctx.t("Text", "Texto")) }
                textarea id="translation_body" name="translation_body" rows="14"
                    aria-invalid=[described.map(|_| "true")] aria-describedby=[described] { (form.translation_body) }
            }
        }
    }
}

fn delivery_section(ctx: &Signed, marks: &Marks<'_>, form: &LetterForm) -> Markup {
    html! {
        h2 { (ctx.t("Delivery", "Entrega")) }
        p.hint { (ctx.t(
            "When you mark the letter as delivered, signon emails it (the frozen PDF) to these addresses, and tells every approved signatory that it went out.",
            "Cuando marque la carta como entregada, signon la envía por correo (el PDF fijo) a estas direcciones y avisa a cada firmante aprobado que se entregó.",
        )) }
        (marks.textarea("addressee_emails", ctx.t("Addressees' email addresses", "Correos de los destinatarios"), Some(ctx.t(
            "One per line; they all receive one email together. Leave blank to send the letter yourself. Never shown on public pages.",
            "Uno por línea; todos reciben un mismo correo. Déjelo en blanco si usted misma envía la carta. Nunca aparecen en las páginas públicas.",
        )), &form.addressee_emails, 3))
        (marks.textarea("cover_note", ctx.t("Cover note", "Nota de presentación"), Some(ctx.t(
            "Optional: the coordinators' words above the letter in that email.",
            "Opcional: las palabras de quienes coordinan, antes de la carta, en ese correo.",
        )), &form.cover_note, 5))
    }
}

/// Which partner sites may show the sign-on form in a frame (`/l/{slug}/embed`).
fn embed_section(ctx: &Signed, marks: &Marks<'_>, form: &LetterForm) -> Markup {
    html! {
        h2 { (ctx.t("Form on partner sites", "Formulario en sitios aliados")) }
        (marks.textarea("embed_origins", ctx.t("Sites that may embed the form", "Sitios que pueden insertar el formulario"), Some(ctx.t(
            "One per line, as https:// and the site's host name, with a port if it has one and nothing after: https://www.example.org. Only these sites can show the form in a frame; leave it empty to allow none. The code to paste is on the Partners tab.",
            "Uno por línea, como https:// y el nombre del sitio, con un puerto si lo tiene y nada después: https://www.ejemplo.org. Solo estos sitios pueden mostrar el formulario en un marco; déjelo vacío para no permitir ninguno. El código para pegar está en la pestaña Aliados.",
        )), &form.embed_origins, 3))
    }
}

/// The text as signers will read it, rendered by the same code as the public page.
fn preview(ctx: &Signed, form: &LetterForm) -> Markup {
    let has_translation = !form.translation_body.trim().is_empty();
    let letter_lang = i18n::code(form.letter_language());
    let translation_lang = i18n::code(other_language(form.letter_language()));
    html! {
        section aria-labelledby="preview-heading" {
            h2 #preview-heading { (ctx.t("Preview (not saved yet)", "Vista previa (aún no se guardó)")) }
            div.sidebyside {
                div.preview lang=(letter_lang) {
                    p { strong { (form.title) } }
                    @if !form.addressees.trim().is_empty() { p.addressees { (form.addressees) } }
                    (PreEscaped(to_safe_html(&form.body)))
                }
                @if has_translation {
                    div.preview lang=(translation_lang) {
                        p { strong { (form.translation_title) } }
                        @if !form.translation_addressees.trim().is_empty() { p.addressees { (form.translation_addressees) } }
                        (PreEscaped(to_safe_html(&form.translation_body)))
                    }
                }
            }
        }
    }
}

/// Shows the form again after the service refused it: field errors next to their fields.
fn refused(
    ctx: &Signed,
    target: &Target<'_>,
    form: &LetterForm,
    err: AppError,
) -> Result<Response, PageError> {
    let (status, errors) = match err {
        AppError::Invalid { fields, .. } => (StatusCode::UNPROCESSABLE_ENTITY, fields),
        AppError::Conflict {
            message,
            field: Some(field),
        } => {
            let mut errors = FieldErrors::default();
            errors.add(&field, message);
            (StatusCode::CONFLICT, errors)
        }
        other => return Err(other.into()),
    };
    Ok((status, form_page(ctx, target, form, &errors)).into_response())
}

/// `GET /admin/letters/new`: the form, for someone who may write letters; anyone else gets the
/// refusal its post would.
#[handler]
pub fn new_page(page_ctx: Signed) -> Result<Markup, PageError> {
    if access::writing_memberships(&page_ctx.staff)
        .next()
        .is_none()
    {
        return Err(AppError::Forbidden(
            page_ctx
                .t(
                    "Your role lets you read letters but not write them. Ask an editor or an owner of your organization.",
                    "Su rol le permite leer cartas pero no escribirlas. Pida ayuda a alguien con rol de edición o de propietario en su organización.",
                )
                .to_owned(),
        )
        .into());
    }
    let target = Target {
        view: None,
        action: "/admin/letters/new".into(),
    };
    Ok(form_page(
        &page_ctx,
        &target,
        &LetterForm::default(),
        &FieldErrors::default(),
    ))
}

/// `POST /admin/letters/new`: a preview, the form again with its errors, or a new draft.
#[handler]
pub async fn create(
    state: Data<&AppState>,
    page_ctx: Signed,
    jar: &CookieJar,
    Form(form): Form<LetterForm>,
) -> Result<Response, PageError> {
    let target = Target {
        view: None,
        action: "/admin/letters/new".into(),
    };
    if form.previewing() {
        return Ok(form_page(&page_ctx, &target, &form, &FieldErrors::default()).into_response());
    }
    let (fields, mut errors) = form.fields();
    let new = match fields.parse_new(form.organization()) {
        Ok(new) if errors.is_empty() => new,
        Ok(_) => return refused(&page_ctx, &target, &form, AppError::invalid(errors)),
        Err(more) => {
            errors.merge(more);
            return refused(&page_ctx, &target, &form, AppError::invalid(errors));
        }
    };
    match letters::create(&state.db, &page_ctx.staff, new).await {
        Ok(view) => Ok(redirect_with_notice(
            jar,
            &page_ctx,
            &format!("/admin/letters/{}", view.letter.id),
            page_ctx.t(
                "The letter was saved as a draft. Open it for signatures when it is ready.",
                "La carta se guardó como borrador. Ábrala a firmas cuando esté lista.",
            ),
        )),
        Err(err) => refused(&page_ctx, &target, &form, err),
    }
}

/// `GET /admin/letters/{id}/edit`.
#[handler]
pub async fn edit_page(
    state: Data<&AppState>,
    page_ctx: Signed,
    Path(id): Path<i64>,
) -> Result<Markup, PageError> {
    let view = letters::get(&state.db, &page_ctx.staff, id).await?;
    if let Some(reason) = why_not_editable(&page_ctx, &view) {
        return Ok(page(
            &page_ctx,
            &view.letter.title,
            html! { (letter_header(&page_ctx, &view.letter, LetterTab::Edit)) p.notice { (reason) } },
        ));
    }
    let target = Target {
        view: Some(&view),
        action: format!("/admin/letters/{id}/edit"),
    };
    Ok(form_page(
        &page_ctx,
        &target,
        &LetterForm::of(&view),
        &FieldErrors::default(),
    ))
}

/// Why the reader cannot change this letter here, if they cannot; the service checks again.
fn why_not_editable(ctx: &Signed, view: &LetterView) -> Option<&'static str> {
    if check_changeable(view.letter.status).is_err() {
        return Some(ctx.t(
            "This letter was delivered; it can no longer change.",
            "Esta carta fue entregada; ya no puede cambiar.",
        ));
    }
    refused_to_readers(ctx, view)
}

/// Why the reader's role cannot change this letter, if it cannot (`access::may_write_letters`).
pub(super) fn refused_to_readers(ctx: &Signed, view: &LetterView) -> Option<&'static str> {
    (!view.role_of(&ctx.staff).is_some_and(access::may_write_letters)).then(|| {
        ctx.t(
            "Your role lets you read this letter but not change it. Ask an editor or an owner of your organization.",
            "Su rol le permite leer esta carta pero no cambiarla. Pida ayuda a alguien con rol de edición o de propietario en su organización.",
        )
    })
}

/// `POST /admin/letters/{id}/edit`: a preview, the form again with its errors, or the saved letter.
#[handler]
pub async fn update(
    state: Data<&AppState>,
    page_ctx: Signed,
    jar: &CookieJar,
    Path(id): Path<i64>,
    Form(form): Form<LetterForm>,
) -> Result<Response, PageError> {
    let view = letters::get(&state.db, &page_ctx.staff, id).await?;
    let target = Target {
        view: Some(&view),
        action: format!("/admin/letters/{id}/edit"),
    };
    if form.previewing() {
        return Ok(form_page(&page_ctx, &target, &form, &FieldErrors::default()).into_response());
    }
    let (fields, mut errors) = form.fields();
    let changes = match fields.parse() {
        Ok(changes) if errors.is_empty() => changes,
        Ok(_) => return refused(&page_ctx, &target, &form, AppError::invalid(errors)),
        Err(more) => {
            errors.merge(more);
            return refused(&page_ctx, &target, &form, AppError::invalid(errors));
        }
    };
    match letters::update(&state.db, &page_ctx.staff, id, changes).await {
        Ok(_) => Ok(redirect_with_notice(
            jar,
            &page_ctx,
            &format!("/admin/letters/{id}"),
            page_ctx.t("The letter was saved.", "La carta se guardó."),
        )),
        Err(err) => refused(&page_ctx, &target, &form, err),
    }
}
