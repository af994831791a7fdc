//! Reading an HTML page the way a browser does (with `scraper`, that is
//! html5ever): its forms with their controls, its links and its base URL.

use scraper::{ElementRef, Html, Selector};

use crate::form::{Control, ControlKind, Form, SelectOption};
use crate::target::Target;

/// A link on a page: its text (whitespace collapsed) and its `href` as
/// written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Link {
    pub(crate) text: String,
    pub(crate) href: String,
}

/// A CSS selector from a literal of this module.
fn selector(css: &str) -> Selector {
    match Selector::parse(css) {
        Ok(selector) => selector,
        Err(e) => unreachable!("the selector {css:?} is valid: {e}"),
    }
}

/// Text content with runs of whitespace collapsed to one space, trimmed.
pub(crate) fn collapsed_text(element: ElementRef<'_>) -> String {
    element
        .text()
        .collect::<String>()
        .split_ascii_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The URL relative references on the page resolve against: the first
/// `<base href>` resolved against the page's URL, else the page's URL.
pub(crate) fn base_url(doc: &Html, page: &Target) -> Target {
    doc.select(&selector("base[href]"))
        .next()
        .and_then(|base| base.value().attr("href"))
        .and_then(|href| page.resolve(href.trim()).ok())
        .unwrap_or_else(|| page.clone())
}

/// Every `<a href>` and `<area href>` of the page, in document order.
pub(crate) fn links(doc: &Html) -> Vec<Link> {
    doc.select(&selector("a[href], area[href]"))
        .map(|el| Link {
            text: match el.value().name() {
                "area" => el.value().attr("alt").unwrap_or_default().trim().to_owned(),
                _ => collapsed_text(el),
            },
            href: el
                .value()
                .attr("href")
                .unwrap_or_default()
                .trim()
                .to_owned(),
        })
        .collect()
}

/// Whether a control is disabled: its own `disabled`, or a `disabled`
/// fieldset around it.
fn disabled(el: ElementRef<'_>) -> bool {
    el.value().attr("disabled").is_some()
        || el
            .ancestors()
            .filter_map(ElementRef::wrap)
            .any(|a| a.value().name() == "fieldset" && a.value().attr("disabled").is_some())
}

/// The form a control belongs to: the one its `form` attribute names, else
/// the nearest `<form>` around it.
fn owner<'a>(control: ElementRef<'a>, doc: &'a Html) -> Option<ElementRef<'a>> {
    if let Some(id) = control.value().attr("form") {
        return doc
            .select(&selector("form"))
            .find(|form| form.value().id() == Some(id));
    }
    control
        .ancestors()
        .filter_map(ElementRef::wrap)
        .find(|a| a.value().name() == "form")
}

/// Every form of the page with its controls, in document order; `client`
/// and the page's URL are kept to submit them.
pub(crate) fn forms(doc: &Html, page: &Target, client: Option<crate::TestClient>) -> Vec<Form> {
    let base = base_url(doc, page);
    let form_elements: Vec<ElementRef<'_>> = doc.select(&selector("form")).collect();
    let mut forms: Vec<Form> = form_elements
        .iter()
        .enumerate()
        .map(|(index, el)| {
            let attr = |name: &str| el.value().attr(name).map(str::to_owned);
            Form::new(
                client.clone(),
                page.origin(),
                base.clone(),
                index,
                attr("id"),
                attr("name"),
                attr("action"),
                attr("method"),
                attr("enctype"),
            )
        })
        .collect();
    for el in doc.select(&selector("input, button, select, textarea")) {
        let Some(form) = owner(el, doc) else {
            continue;
        };
        let Some(index) = form_elements.iter().position(|f| f.id() == form.id()) else {
            continue;
        };
        if let Some(control) = control(el) {
            forms[index].push(control);
        }
    }
    forms
}

/// A form control as the page has it.
fn control(el: ElementRef<'_>) -> Option<Control> {
    let value = el.value();
    let attr = |name: &str| value.attr(name).map(str::to_owned);
    let kind = match value.name() {
        "input" => {
            let kind = value.attr("type").unwrap_or("text").to_ascii_lowercase();
            match kind.as_str() {
                "checkbox" | "radio" => ControlKind::Check {
                    radio: kind == "radio",
                },
                "submit" | "image" => ControlKind::Button {
                    image: kind == "image",
                },
                "reset" | "button" => return None,
                "file" => ControlKind::File,
                _ => ControlKind::Text { kind },
            }
        }
        "button" => match value.attr("type").map(str::to_ascii_lowercase).as_deref() {
            None | Some("submit") => ControlKind::Button { image: false },
            Some(other) if other != "reset" && other != "button" => {
                ControlKind::Button { image: false }
            }
            _ => return None,
        },
        "textarea" => ControlKind::Text {
            kind: "textarea".to_owned(),
        },
        "select" => ControlKind::Select {
            multiple: value.attr("multiple").is_some(),
        },
        _ => return None,
    };
    let (default_value, options) = match &kind {
        ControlKind::Text { kind } if kind == "textarea" => {
            (el.text().collect::<String>(), Vec::new())
        }
        ControlKind::Check { .. } => (attr("value").unwrap_or_else(|| "on".to_owned()), Vec::new()),
        ControlKind::Select { multiple } => (String::new(), options(el, *multiple)),
        _ => (attr("value").unwrap_or_default(), Vec::new()),
    };
    let label = match value.name() {
        "button" => collapsed_text(el),
        _ => attr("value").unwrap_or_default(),
    };
    Some(Control {
        name: attr("name").unwrap_or_default(),
        kind,
        value: default_value,
        checked: value.attr("checked").is_some(),
        disabled: disabled(el),
        options,
        file: None,
        id: attr("id"),
        label,
        formaction: attr("formaction"),
        formmethod: attr("formmethod"),
        formenctype: attr("formenctype"),
    })
}

/// A select's options; a single select with none marked `selected` has its
/// first enabled option selected, as browsers show it.
fn options(select: ElementRef<'_>, multiple: bool) -> Vec<SelectOption> {
    let mut options: Vec<SelectOption> = select
        .descendent_elements()
        .filter(|el| el.value().name() == "option")
        .map(|el| {
            let label = collapsed_text(el);
            let in_disabled_group = el
                .ancestors()
                .filter_map(ElementRef::wrap)
                .any(|a| a.value().name() == "optgroup" && a.value().attr("disabled").is_some());
            SelectOption {
                value: el
                    .value()
                    .attr("value")
                    .map_or_else(|| label.clone(), str::to_owned),
                label,
                selected: el.value().attr("selected").is_some(),
                disabled: el.value().attr("disabled").is_some() || in_disabled_group,
            }
        })
        .collect();
    if !multiple {
        // Only the last `selected` counts in a single select.
        if let Some(last) = options.iter().rposition(|o| o.selected) {
            for (i, option) in options.iter_mut().enumerate() {
                option.selected = i == last;
            }
        } else if let Some(first) = options.iter_mut().find(|o| !o.disabled) {
            first.selected = true;
        }
    }
    options
}
