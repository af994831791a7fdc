//! `Form`: an HTML form read from a response, filled in and submitted as a
//! browser would.

use std::fmt;

use bytes::Bytes;
use http::Method;

use crate::target::Target;
use crate::{Multipart, RequestBuilder, TestClient};

/// An HTML form of a [`TestResponse`](crate::TestResponse), found with
/// [`form`](crate::TestResponse::form),
/// [`form_at`](crate::TestResponse::form_at) or
/// [`forms`](crate::TestResponse::forms): read and set its fields, then
/// [`submit`](Form::submit) it like a browser, hidden fields included.
///
/// Setters take and return the form, so a fill-in chains; they panic, at
/// the test's line, when the form has no such field or the field has no
/// such choice, listing what it has.
///
/// ```
/// use std::convert::Infallible;
/// use http::Response;
/// use http_body_util::BodyExt;
/// use pastry_testkit::{Body, TestClient};
///
/// let app = tower::service_fn(|req: http::Request<Body>| async move {
///     let page = r#"<form id="prefs" action="save" method="post">
///         <input type="hidden" name="token" value="t0k">
///         <input name="nick" value="anon">
///         <input type="checkbox" name="news" value="yes">
///         <select name="lang"><option>en</option><option value="fr">French</option></select>
///         <textarea name="bio">hi</textarea>
///         <button name="go" value="save">Save</button>
///     </form>"#;
///     let body = if req.method() == "POST" {
///         let body = req.into_body().collect().await.unwrap().to_bytes();
///         String::from_utf8(body.to_vec()).unwrap()
///     } else {
///         page.to_owned()
///     };
///     Ok::<_, Infallible>(Response::new(body))
/// });
/// let client = TestClient::new(app);
/// let page = client.get("/account/prefs").send_blocking();
/// let form = page.form("prefs").set("nick", "pat").check("news").set("lang", "fr");
/// assert_eq!(form.value("nick").as_deref(), Some("pat"));
/// assert_eq!(form.action(), "http://localhost/account/save");
/// let res = form.submit_with("Save").send_blocking();
/// assert_eq!(res.text(), "token=t0k&nick=pat&news=yes&lang=fr&bio=hi&go=save");
/// ```
#[derive(Clone)]
pub struct Form {
    client: Option<TestClient>,
    /// `scheme://authority` of the page, sent as `Origin`.
    origin: String,
    /// Where relative actions resolve: the page's URL or its `<base href>`.
    base: Target,
    index: usize,
    id: Option<String>,
    name: Option<String>,
    action: Option<String>,
    method: Option<String>,
    enctype: Option<String>,
    controls: Vec<Control>,
}

/// One control of a form.
#[derive(Clone, Debug)]
pub(crate) struct Control {
    pub(crate) name: String,
    pub(crate) kind: ControlKind,
    /// The current value (text, textarea, hidden…) or the value a checkbox
    /// or radio sends when checked.
    pub(crate) value: String,
    pub(crate) checked: bool,
    pub(crate) disabled: bool,
    pub(crate) options: Vec<SelectOption>,
    /// A file chosen with [`Form::file`]: name, type, contents.
    pub(crate) file: Option<(String, String, Bytes)>,
    pub(crate) id: Option<String>,
    /// A button's text (or an input button's value).
    pub(crate) label: String,
    pub(crate) formaction: Option<String>,
    pub(crate) formmethod: Option<String>,
    pub(crate) formenctype: Option<String>,
}

/// What kind of control a [`Control`] is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ControlKind {
    /// `<input>` of a text-like type (`text`, `hidden`, `password`,
    /// `email`, …) or `<textarea>`; the type, lowercase.
    Text { kind: String },
    /// A checkbox or radio button.
    Check { radio: bool },
    /// A `<select>`.
    Select { multiple: bool },
    /// `<input type=file>`.
    File,
    /// A submit button (`<button>`, `<input type=submit|image>`).
    Button { image: bool },
}

/// One `<option>` of a select.
#[derive(Clone, Debug)]
pub(crate) struct SelectOption {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
    pub(crate) disabled: bool,
}

impl Control {
    fn describe(&self) -> String {
        let kind = match &self.kind {
            ControlKind::Text { kind } => kind.clone(),
            ControlKind::Check { radio: false } => format!("checkbox value={:?}", self.value),
            ControlKind::Check { radio: true } => format!("radio value={:?}", self.value),
            ControlKind::Select { .. } => {
                let values: Vec<&str> = self.options.iter().map(|o| o.value.as_str()).collect();
                format!("select of {values:?}")
            }
            ControlKind::File => "file".to_owned(),
            ControlKind::Button { .. } => format!("submit button {:?}", self.label),
        };
        let name = if self.name.is_empty() {
            "(no name)"
        } else {
            &self.name
        };
        let disabled = if self.disabled { ", disabled" } else { "" };
        format!("{name} ({kind}{disabled})")
    }

    fn is_button(&self) -> bool {
        matches!(self.kind, ControlKind::Button { .. })
    }
}

/// Normalises line breaks to CRLF, as form submission does.
fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n")
}

/// How a form's data is encoded.
enum Enctype {
    UrlEncoded,
    Multipart,
    TextPlain,
}

impl Form {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        client: Option<TestClient>,
        origin: String,
        base: Target,
        index: usize,
        id: Option<String>,
        name: Option<String>,
        action: Option<String>,
        method: Option<String>,
        enctype: Option<String>,
    ) -> Self {
        Self {
            client,
            origin,
            base,
            index,
            id,
            name,
            action,
            method,
            enctype,
            controls: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, control: Control) {
        if matches!(control.kind, ControlKind::Check { radio: true }) && control.checked {
            // Checking a radio unchecks the rest of its group.
            for other in &mut self.controls {
                if matches!(other.kind, ControlKind::Check { radio: true })
                    && other.name == control.name
                {
                    other.checked = false;
                }
            }
        }
        self.controls.push(control);
    }

    /// The form's `id`, if it has one.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The form's `name`, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The form's position among the page's forms, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The absolute URL the form submits to: its `action` resolved against
    /// the page's URL (or its `<base href>`); the page's own URL when the
    /// action is absent or empty.
    pub fn action(&self) -> String {
        self.resolve_action(None).to_string()
    }

    /// The method the form submits with: `POST` for `method="post"`,
    /// otherwise `GET` (`method` absent, `get`, or a value browsers do not
    /// know).
    pub fn method(&self) -> Method {
        Self::method_of(self.method.as_deref())
    }

    /// The value `name` would submit now: a text field's text, the checked
    /// checkbox or radio's value, a select's first selected option; `None`
    /// when nothing would be sent under `name` (no such field, unchecked,
    /// disabled).
    pub fn value(&self, name: &str) -> Option<String> {
        self.entries(None)
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// Every `(name, value)` pair the form would submit now without a
    /// button, in document order (file fields give their file name).
    pub fn fields(&self) -> Vec<(String, String)> {
        self.entries(None)
    }

    /// Sets field `name`: a text-like input, hidden input or textarea gets
    /// `value`; a select selects the option with that value (or label); a
    /// radio group checks the radio with that value; a checkbox named
    /// `name` with that value is checked.
    ///
    /// # Panics
    /// If the form has no such field, the field is a button or file input,
    /// or no option, radio or checkbox has that value; the message lists
    /// what there is.
    #[track_caller]
    pub fn set(mut self, name: &str, value: &str) -> Self {
        let indices = self.named(name);
        let first = indices[0];
        match self.controls[first].kind.clone() {
            ControlKind::Text { .. } => {
                let target = indices
                    .iter()
                    .copied()
                    .find(|&i| matches!(self.controls[i].kind, ControlKind::Text { .. }))
                    .unwrap_or(first);
                self.controls[target].value = value.to_owned();
            }
            ControlKind::Select { multiple } => {
                let title = self.title();
                let options = &mut self.controls[first].options;
                let Some(pick) = options
                    .iter()
                    .position(|o| o.value == value)
                    .or_else(|| options.iter().position(|o| o.label == value))
                else {
                    let values: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
                    let what = if multiple {
                        "multiple select"
                    } else {
                        "select"
                    };
                    panic!(
                        "{title}: the {what} `{name}` has no option {value:?}; its options: {values:?}"
                    );
                };
                for (i, option) in options.iter_mut().enumerate() {
                    option.selected = i == pick;
                }
            }
            ControlKind::Check { radio } => {
                let Some(pick) = indices
                    .iter()
                    .copied()
                    .find(|&i| self.controls[i].value == value)
                else {
                    let values: Vec<&str> = indices
                        .iter()
                        .map(|&i| self.controls[i].value.as_str())
                        .collect();
                    let what = if radio { "radio button" } else { "checkbox" };
                    panic!(
                        "{}: no {what} `{name}` has the value {value:?}; their values: {values:?}",
                        self.title()
                    );
                };
                if radio {
                    for &i in &indices {
                        self.controls[i].checked = i == pick;
                    }
                } else {
                    self.controls[pick].checked = true;
                }
            }
            ControlKind::File => panic!(
                "{}: `{name}` is a file input; choose a file with .file({name:?}, filename, content_type, data)",
                self.title()
            ),
            ControlKind::Button { .. } => panic!(
                "{}: `{name}` is a submit button; press it with .submit_with({name:?})",
                self.title()
            ),
        }
        self
    }

    /// Selects exactly these values of a multiple select, or checks exactly
    /// the checkboxes named `name` with these values (unchecking the rest).
    ///
    /// # Panics
    /// If the form has no such select or checkboxes, or one of `values` is
    /// not among their values.
    #[track_caller]
    pub fn set_all(mut self, name: &str, values: &[&str]) -> Self {
        let indices = self.named(name);
        let title = self.title();
        let first = indices[0];
        let offered: Vec<String> = match &self.controls[first].kind {
            ControlKind::Select { .. } => self.controls[first]
                .options
                .iter()
                .map(|o| o.value.clone())
                .collect(),
            ControlKind::Check { radio: false } => indices
                .iter()
                .map(|&i| self.controls[i].value.clone())
                .collect(),
            _ => panic!(
                "{title}: `{name}` is {}, not a multiple select or checkboxes",
                self.controls[first].describe()
            ),
        };
        for value in values {
            if !offered.iter().any(|o| o == value) {
                panic!("{title}: `{name}` has no value {value:?}; its values: {offered:?}");
            }
        }
        if let ControlKind::Select { .. } = self.controls[first].kind {
            for option in &mut self.controls[first].options {
                option.selected = values.contains(&option.value.as_str());
            }
        } else {
            for &i in &indices {
                let checked = values.contains(&self.controls[i].value.as_str());
                self.controls[i].checked = checked;
            }
        }
        self
    }

    /// Checks the checkbox `name` (when several share the name, use
    /// [`set`](Self::set) with the value to check).
    ///
    /// # Panics
    /// If there is no checkbox `name`, or several.
    #[track_caller]
    pub fn check(self, name: &str) -> Self {
        self.checkbox(name, true)
    }

    /// Unchecks every checkbox called `name`.
    ///
    /// # Panics
    /// If there is no checkbox `name`.
    #[track_caller]
    pub fn uncheck(self, name: &str) -> Self {
        self.checkbox(name, false)
    }

    #[track_caller]
    fn checkbox(mut self, name: &str, checked: bool) -> Self {
        let indices: Vec<usize> = self
            .named(name)
            .into_iter()
            .filter(|&i| matches!(self.controls[i].kind, ControlKind::Check { radio: false }))
            .collect();
        match (indices.as_slice(), checked) {
            ([], _) => panic!(
                "{}: `{name}` is no checkbox; the fields: {}",
                self.title(),
                self.describe_fields()
            ),
            ([_, _, ..], true) => {
                let values: Vec<&str> = indices
                    .iter()
                    .map(|&i| self.controls[i].value.as_str())
                    .collect();
                panic!(
                    "{}: several checkboxes are called `{name}` (values {values:?}); \
                     check one with .set({name:?}, value)",
                    self.title()
                )
            }
            _ => {
                for i in indices {
                    self.controls[i].checked = checked;
                }
            }
        }
        self
    }

    /// Chooses a file for the file input `name`: sent as a file part when
    /// the form is `multipart/form-data`, as its file name otherwise.
    ///
    /// # Panics
    /// If there is no file input `name`.
    #[track_caller]
    pub fn file(
        mut self,
        name: &str,
        filename: &str,
        content_type: &str,
        data: impl Into<Bytes>,
    ) -> Self {
        let indices = self.named(name);
        let Some(i) = indices
            .into_iter()
            .find(|&i| self.controls[i].kind == ControlKind::File)
        else {
            panic!(
                "{}: `{name}` is no file input; the fields: {}",
                self.title(),
                self.describe_fields()
            );
        };
        self.controls[i].file = Some((filename.to_owned(), content_type.to_owned(), data.into()));
        self
    }

    /// Submits the form without pressing a button, as pressing Enter in a
    /// field does on a form whose buttons have no name: its method, its
    /// action resolved against the page, its encoding (urlencoded,
    /// `multipart/form-data` or `text/plain`), every enabled field with a
    /// name (hidden ones included, unchecked boxes left out), and the
    /// client's cookie jar. A `GET` puts the fields in the action's query
    /// (replacing its query); other methods send them as the body with an
    /// `Origin` header, as browsers do.
    ///
    /// The request is not sent yet: `.await` it, call `send_blocking`, or
    /// add settings first (`.follow_redirects()`, `.expect_status(303)`).
    ///
    /// # Panics
    /// If the form did not come from a response of a [`TestClient`].
    #[track_caller]
    pub fn submit(&self) -> RequestBuilder {
        self.request(None)
    }

    /// Submits the form by pressing the submit button whose name, id,
    /// value or text is `button`: its `name=value` is sent with the fields,
    /// and its `formaction`, `formmethod` and `formenctype` win over the
    /// form's.
    ///
    /// # Panics
    /// If no submit button matches; the message lists the form's buttons.
    #[track_caller]
    pub fn submit_with(&self, button: &str) -> RequestBuilder {
        let found = self.controls.iter().position(|c| {
            c.is_button()
                && (c.name == button
                    || c.id.as_deref() == Some(button)
                    || c.value == button
                    || c.label == button)
        });
        let Some(i) = found else {
            let buttons: Vec<String> = self
                .controls
                .iter()
                .filter(|c| c.is_button())
                .map(Control::describe)
                .collect();
            panic!(
                "{}: no submit button is called {button:?}; its buttons: {}",
                self.title(),
                if buttons.is_empty() {
                    "(none)".to_owned()
                } else {
                    buttons.join(", ")
                }
            );
        };
        self.request(Some(i))
    }

    #[track_caller]
    fn request(&self, submitter: Option<usize>) -> RequestBuilder {
        let Some(client) = &self.client else {
            panic!(
                "{}: this form has no client to submit it with",
                self.title()
            );
        };
        let button = submitter.map(|i| &self.controls[i]);
        let method = Self::method_of(
            button
                .and_then(|b| b.formmethod.as_deref())
                .or(self.method.as_deref()),
        );
        let enctype = match button
            .and_then(|b| b.formenctype.as_deref())
            .or(self.enctype.as_deref())
            .map(|e| e.trim().to_ascii_lowercase())
            .as_deref()
        {
            Some("multipart/form-data") => Enctype::Multipart,
            Some("text/plain") => Enctype::TextPlain,
            _ => Enctype::UrlEncoded,
        };
        let mut target = self.resolve_action(button.and_then(|b| b.formaction.as_deref()));
        let entries = self.entries(submitter);
        if method == Method::GET {
            if let Some((path, _)) = target.path_and_query.split_once('?') {
                target.path_and_query = path.to_owned();
            }
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (name, value) in &entries {
                ser.append_pair(&crlf(name), &crlf(value));
            }
            target.path_and_query.push('?');
            target.path_and_query.push_str(&ser.finish());
            return client.request(method, target.to_string());
        }
        let req = client
            .request(method, target.to_string())
            .header(http::header::ORIGIN, self.origin.as_str());
        match enctype {
            Enctype::UrlEncoded => {
                let pairs: Vec<(String, String)> =
                    entries.iter().map(|(n, v)| (crlf(n), crlf(v))).collect();
                req.form(&pairs)
            }
            Enctype::TextPlain => {
                let body: String = entries
                    .iter()
                    .map(|(n, v)| format!("{}={}\r\n", crlf(n), crlf(v)))
                    .collect();
                req.header(http::header::CONTENT_TYPE, "text/plain")
                    .body(body)
            }
            Enctype::Multipart => {
                let mut form = Multipart::new();
                for part in self.parts(submitter) {
                    form = match part {
                        Part::Text(name, value) => form.text(crlf(&name), crlf(&value)),
                        Part::File(name, filename, content_type, data) => {
                            form.file(crlf(&name), filename, content_type, data)
                        }
                    };
                }
                req.multipart(form)
            }
        }
    }

    /// The form data set (HTML's "constructing the entry list"), files as
    /// their names.
    fn entries(&self, submitter: Option<usize>) -> Vec<(String, String)> {
        self.parts(submitter)
            .into_iter()
            .map(|part| match part {
                Part::Text(name, value) => (name, value),
                Part::File(name, filename, _, _) => (name, filename),
            })
            .collect()
    }

    fn parts(&self, submitter: Option<usize>) -> Vec<Part> {
        let mut parts = Vec::new();
        for (i, c) in self.controls.iter().enumerate() {
            if c.disabled || c.name.is_empty() {
                continue;
            }
            match &c.kind {
                ControlKind::Button { image } => {
                    if submitter == Some(i) {
                        if *image {
                            parts.push(Part::Text(format!("{}.x", c.name), "0".to_owned()));
                            parts.push(Part::Text(format!("{}.y", c.name), "0".to_owned()));
                        } else {
                            parts.push(Part::Text(c.name.clone(), c.value.clone()));
                        }
                    }
                }
                ControlKind::Check { .. } => {
                    if c.checked {
                        parts.push(Part::Text(c.name.clone(), c.value.clone()));
                    }
                }
                ControlKind::Select { .. } => {
                    for option in c.options.iter().filter(|o| o.selected && !o.disabled) {
                        parts.push(Part::Text(c.name.clone(), option.value.clone()));
                    }
                }
                ControlKind::File => match &c.file {
                    Some((filename, content_type, data)) => parts.push(Part::File(
                        c.name.clone(),
                        filename.clone(),
                        content_type.clone(),
                        data.clone(),
                    )),
                    None => parts.push(Part::File(
                        c.name.clone(),
                        String::new(),
                        "application/octet-stream".to_owned(),
                        Bytes::new(),
                    )),
                },
                ControlKind::Text { .. } => {
                    parts.push(Part::Text(c.name.clone(), c.value.clone()));
                }
            }
        }
        parts
    }

    fn method_of(method: Option<&str>) -> Method {
        match method.map(|m| m.trim().to_ascii_lowercase()).as_deref() {
            Some("post") => Method::POST,
            _ => Method::GET,
        }
    }

    fn resolve_action(&self, formaction: Option<&str>) -> Target {
        let action = formaction
            .or(self.action.as_deref())
            .map(str::trim)
            .unwrap_or("");
        if action.is_empty() {
            return self.base.clone();
        }
        self.base
            .resolve(action)
            .unwrap_or_else(|_| self.base.clone())
    }

    /// The controls called `name`.
    #[track_caller]
    fn named(&self, name: &str) -> Vec<usize> {
        let indices: Vec<usize> = (0..self.controls.len())
            .filter(|&i| self.controls[i].name == name)
            .collect();
        if indices.is_empty() {
            panic!(
                "{}: no field is called `{name}`; the fields: {}",
                self.title(),
                self.describe_fields()
            );
        }
        indices
    }

    /// `form #1 (id="login")`, for messages.
    pub(crate) fn title(&self) -> String {
        let mut title = format!("form #{}", self.index);
        let mut attrs = Vec::new();
        if let Some(id) = &self.id {
            attrs.push(format!("id={id:?}"));
        }
        if let Some(name) = &self.name {
            attrs.push(format!("name={name:?}"));
        }
        if let Some(action) = &self.action {
            attrs.push(format!("action={action:?}"));
        }
        if !attrs.is_empty() {
            title.push_str(&format!(" ({})", attrs.join(" ")));
        }
        title
    }

    fn describe_fields(&self) -> String {
        if self.controls.is_empty() {
            return "(none)".to_owned();
        }
        self.controls
            .iter()
            .map(Control::describe)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One entry of the form data set.
enum Part {
    Text(String, String),
    File(String, String, String, Bytes),
}

impl fmt::Debug for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Form")
            .field("index", &self.index)
            .field("id", &self.id)
            .field("name", &self.name)
            .field("action", &self.action())
            .field("method", &self.method())
            .field("fields", &self.fields())
            .finish_non_exhaustive()
    }
}
