//! `multipart/form-data` request bodies (RFC 7578).

use bytes::{BufMut, Bytes, BytesMut};

/// A `multipart/form-data` body of text fields and files, sent with
/// [`RequestBuilder::multipart`](crate::RequestBuilder::multipart).
///
/// ```
/// use pastry_testkit::Multipart;
///
/// let form = Multipart::new()
///     .boundary("XyZ")
///     .text("title", "Hello")
///     .file("photo", "cat.png", "image/png", vec![0x89, b'P', b'N', b'G']);
/// let (content_type, body) = form.into_parts();
/// assert_eq!(content_type, "multipart/form-data; boundary=XyZ");
/// assert!(body.starts_with(b"--XyZ\r\ncontent-disposition: form-data; name=\"title\"\r\n\r\nHello\r\n"));
/// assert!(body.ends_with(b"--XyZ--\r\n"));
/// ```
#[derive(Clone, Debug)]
pub struct Multipart {
    boundary: String,
    parts: Vec<Part>,
}

#[derive(Clone, Debug)]
struct Part {
    name: String,
    file: Option<(String, String)>,
    data: Bytes,
}

impl Default for Multipart {
    fn default() -> Self {
        Self::new()
    }
}

impl Multipart {
    /// An empty form with a random boundary.
    pub fn new() -> Self {
        Self {
            boundary: format!("pastry-{}", uuid::Uuid::new_v4().simple()),
            parts: Vec::new(),
        }
    }

    /// Uses `boundary` instead of a random one.
    pub fn boundary(mut self, boundary: impl Into<String>) -> Self {
        self.boundary = boundary.into();
        self
    }

    /// Adds a text field.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push(Part {
            name: name.into(),
            file: None,
            data: Bytes::from(value.into()),
        });
        self
    }

    /// Adds a file field.
    pub fn file(
        mut self,
        name: impl Into<String>,
        filename: impl Into<String>,
        content_type: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Self {
        self.parts.push(Part {
            name: name.into(),
            file: Some((filename.into(), content_type.into())),
            data: data.into(),
        });
        self
    }

    /// The `Content-Type` value and the encoded body.
    pub fn into_parts(self) -> (String, Bytes) {
        let mut body = BytesMut::new();
        for part in &self.parts {
            body.put_slice(b"--");
            body.put_slice(self.boundary.as_bytes());
            body.put_slice(b"\r\ncontent-disposition: form-data; name=\"");
            body.put_slice(quote(&part.name).as_bytes());
            body.put_slice(b"\"");
            if let Some((filename, content_type)) = &part.file {
                body.put_slice(b"; filename=\"");
                body.put_slice(quote(filename).as_bytes());
                body.put_slice(b"\"\r\ncontent-type: ");
                body.put_slice(content_type.as_bytes());
            }
            body.put_slice(b"\r\n\r\n");
            body.put_slice(&part.data);
            body.put_slice(b"\r\n");
        }
        body.put_slice(b"--");
        body.put_slice(self.boundary.as_bytes());
        body.put_slice(b"--\r\n");
        (
            format!("multipart/form-data; boundary={}", self.boundary),
            body.freeze(),
        )
    }
}

/// Escapes a quoted-string parameter the way browsers do (RFC 7578 4.2).
fn quote(text: &str) -> String {
    text.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_part_has_filename_and_type() {
        let (_, body) = Multipart::new()
            .boundary("b")
            .file("f", "a\"b.txt", "text/plain", "hi")
            .into_parts();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert_eq!(
            text,
            "--b\r\ncontent-disposition: form-data; name=\"f\"; filename=\"a%22b.txt\"\r\n\
             content-type: text/plain\r\n\r\nhi\r\n--b--\r\n"
        );
    }

    #[test]
    fn random_boundaries_differ() {
        assert_ne!(Multipart::new().boundary, Multipart::new().boundary);
    }
}
