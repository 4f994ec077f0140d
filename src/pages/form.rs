//! The sign-on form: what it shows, and what it keeps when shown again with errors.

use entity::Language;
use maud::{Markup, html};
use serde::Deserialize;

use crate::domain::{CountryCode, FieldErrors, Intake, PartnerCode, SignatureInput};
use crate::i18n::{Texts, fill, texts};

/// A signature form's fields as the browser posts them: the public sign-on form, and the
/// dashboard's forms for adding and editing a signature, which post the same names.
#[derive(Debug, Default, Deserialize)]
pub struct SignForm {
    /// The signature's fields.
    #[serde(flatten)]
    pub input: SignatureInput,
    /// The hidden field people never fill.
    pub fax: Option<String>,
    /// Set when the signer was told about a likely typo and kept the address.
    pub email_checked: Option<String>,
    /// The code of the partner whose link brought the signer (`?ref=` of the page).
    #[serde(rename = "ref")]
    pub partner_ref: Option<String>,
}

impl SignForm {
    /// Whether the hidden field was filled: a robot's mark, recorded for the moderators.
    pub fn honeypot_filled(&self) -> bool {
        self.fax.as_deref().is_some_and(|v| !v.trim().is_empty())
    }
}

/// The form as it is being filled.
#[derive(Debug, Default)]
pub struct FormState {
    /// The values typed so far.
    pub input: SignatureInput,
    /// What is wrong with them.
    pub errors: FieldErrors,
    /// A likely correction of the email's domain.
    pub suggestion: Option<String>,
    /// The partner code the form carries on to the signature, already well formed.
    pub partner_ref: Option<String>,
}

/// A partner code from a link or a form, kept only when well formed: a code in any other shape
/// names no partner, and so is dropped rather than carried into the page.
pub fn partner_ref(raw: Option<&str>) -> Option<String> {
    raw.and_then(|code| PartnerCode::parse(code.trim()).ok())
        .map(|code| code.as_str().to_owned())
}

/// Everything the form needs to know about the letter.
pub struct FormContext<'a> {
    /// Where the form posts.
    pub action: &'a str,
    /// Whether individuals may sign.
    pub accept_individuals: bool,
    /// The page language.
    pub language: Language,
    /// Country options, as (code, name) in the page language's order.
    pub countries: &'a [(String, String)],
    /// Who fills it in: a signer (a contact is required) or staff adding or correcting a
    /// signature they vouch for (the contact is optional).
    pub intake: Intake,
    /// The contact email is given and cannot change (a personal invitation's).
    pub fixed_email: bool,
}

/// The country options: every assigned code, named and ordered for the reader.
pub fn country_options(language: Language) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = CountryCode::all()
        .map(|code| {
            (
                code.as_str().to_owned(),
                crate::domain::countries::name(code.as_str(), language)
                    .unwrap_or(code.as_str())
                    .to_owned(),
            )
        })
        .collect();
    let collator = crate::export::collation::NameCollator::new(language);
    options.sort_by(|a, b| collator.compare(&a.1, &b.1));
    options
}

fn value(field: &Option<String>) -> &str {
    field.as_deref().unwrap_or_default()
}

/// One labelled input, with its error tied to it for screen readers.
fn text_field(
    state: &FormState,
    t: &Texts,
    name: &str,
    label: &str,
    current: &Option<String>,
    input_type: &str,
    required: bool,
    autocomplete: &str,
) -> Markup {
    let error = state.errors.as_map().get(name);
    let error_id = format!("{name}-error");
    html! {
        div.field.invalid[error.is_some()] {
            label for=(name) {
                (label)
                @if !required { " " span.hint style="display:inline" { "(" (t.optional) ")" } }
            }
            @if let Some(error) = error { span.error id=(error_id) { (error) } }
            input type=(input_type) id=(name) name=(name) value=(value(current)) required[required]
                autocomplete=(autocomplete) maxlength="300"
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| error_id.as_str())];
        }
    }
}

/// The sign-on form.
pub fn render(ctx: &FormContext<'_>, state: &FormState) -> Markup {
    let t = texts(ctx.language);
    html! {
        form method="post" action=(ctx.action) novalidate {
            (error_summary(ctx, state))
            (signature_fields(ctx, state))
            @if let Some(code) = &state.partner_ref {
                input type="hidden" name="ref" value=(code);
            }
            div.trap aria-hidden="true" {
                label for="fax" { (t.honeypot) }
                input type="text" id="fax" name="fax" tabindex="-1" autocomplete="off" value="";
            }
            @let consent_error = state.errors.as_map().get("consent");
            div.field.invalid[consent_error.is_some()] {
                @if let Some(error) = consent_error { span.error id="consent-error" { (error) } }
                label.choice for="consent" {
                    input type="checkbox" id="consent" name="consent" value="yes" checked[state.input.consent] required
                        aria-invalid=[consent_error.map(|_| "true")] aria-describedby=[consent_error.map(|_| "consent-error")];
                    (t.consent)
                }
            }
            button type="submit" { (t.submit) }
        }
    }
}

/// The list of what to correct, each linked to its field; nothing when all is well.
pub fn error_summary(ctx: &FormContext<'_>, state: &FormState) -> Markup {
    let t = texts(ctx.language);
    let error_list: Vec<(&String, &String)> = state.errors.as_map().iter().collect();
    html! {
        @if !error_list.is_empty() {
            div.errors role="alert" tabindex="-1" id="errors" {
                p { strong { (t.fix_errors) } }
                ul { @for (name, message) in &error_list { li { a href=(format!("#{name}")) { (message) } } } }
            }
        }
    }
}

/// A signature's fields, public then contact, each labelled with its error: the sign-on form's
/// and the dashboard's, which post the same names.
pub fn signature_fields(ctx: &FormContext<'_>, state: &FormState) -> Markup {
    let t = texts(ctx.language);
    let SignatureInput {
        kind,
        public,
        contact,
        consent: _,
    } = &state.input;
    let is_individual = kind.as_deref() == Some("individual");
    let public_intake = ctx.intake == Intake::Public;
    let field = |name: &str,
                 label: &str,
                 current: &Option<String>,
                 input_type: &str,
                 required: bool,
                 autocomplete: &str| {
        text_field(
            state,
            t,
            name,
            label,
            current,
            input_type,
            required,
            autocomplete,
        )
    };
    let name_label = if ctx.accept_individuals {
        format!("{} / {}", t.name_organization, t.name_individual)
    } else {
        t.name_organization.to_owned()
    };
    html! {
        @if ctx.accept_individuals {
            fieldset {
                legend { (t.who_signs) }
                label.choice { input type="radio" name="kind" value="organization" checked[!is_individual]; (t.kind_organization) }
                label.choice { input type="radio" name="kind" value="individual" checked[is_individual]; (t.kind_individual) }
            }
        } @else {
            input type="hidden" name="kind" value="organization";
        }
        (field("name", &name_label, &public.name, "text", true, "organization"))
        @if ctx.accept_individuals {
            (field("affiliation", t.affiliation, &public.affiliation, "text", false, "off"))
            p.hint style="margin-top:-.7rem" { (t.affiliation_hint) }
        }
        (field("org_type", t.org_type, &public.org_type, "text", false, "off"))
        (field("city", t.city, &public.city, "text", false, "address-level2"))
        (field("region", t.region, &public.region, "text", false, "address-level1"))
        (country_field(ctx, state))
        (field("website", t.website, &public.website, "url", false, "url"))
        fieldset {
            legend { (t.contact_heading) }
            @if public_intake { p.hint { (t.contact_hint) } }
            (field("contact_name", t.contact_name, &contact.contact_name, "text", public_intake && !is_individual, "name"))
            (field("contact_title", t.contact_title, &contact.contact_title, "text", false, "organization-title"))
            @if ctx.fixed_email {
                div.field {
                    label for="contact_email" { (t.contact_email) }
                    input type="email" id="contact_email" name="contact_email" value=(value(&contact.contact_email)) readonly;
                }
            } @else {
                (field("contact_email", t.contact_email, &contact.contact_email, "email", public_intake, "email"))
            }
            @if let Some(suggestion) = &state.suggestion {
                p.notice { (fill(t.did_you_mean, &[("suggestion", suggestion)])) }
                input type="hidden" name="email_checked" value="1";
            }
            (field("contact_phone", t.contact_phone, &contact.contact_phone, "tel", false, "tel"))
            @let comment_error = state.errors.as_map().get("comment");
            div.field.invalid[comment_error.is_some()] {
                label for="comment" { (t.comment) " " span.hint style="display:inline" { "(" (t.optional) ")" } }
                @if let Some(error) = comment_error { span.error id="comment-error" { (error) } }
                textarea id="comment" name="comment" maxlength="5000" aria-invalid=[comment_error.map(|_| "true")]
                    aria-describedby=[comment_error.map(|_| "comment-error")] { (value(&contact.comment)) }
            }
        }
    }
}

fn country_field(ctx: &FormContext<'_>, state: &FormState) -> Markup {
    let t = texts(ctx.language);
    let current = state.input.public.country.as_deref();
    let country_error = state.errors.as_map().get("country");
    html! {
        div.field.invalid[country_error.is_some()] {
            label for="country" { (t.country) }
            @if let Some(error) = country_error { span.error id="country-error" { (error) } }
            select id="country" name="country" aria-invalid=[country_error.map(|_| "true")]
                aria-describedby=[country_error.map(|_| "country-error")] {
                option value="" { (t.country_none) }
                @for (code, name) in ctx.countries {
                    option value=(code) selected[current.is_some_and(|c| c.eq_ignore_ascii_case(code))] { (name) }
                }
            }
        }
    }
}
