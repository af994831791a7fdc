//! The stack as `pastry check` prints it.

/// One line of the tree and the lines below it.
pub(crate) struct Node {
    label: String,
    children: Vec<Node>,
}

impl Node {
    pub(crate) fn new(label: String) -> Self {
        Node {
            label,
            children: Vec::new(),
        }
    }

    /// `name  key = value, key = value`.
    pub(crate) fn with_settings(name: &str, settings: &[(String, String)]) -> Self {
        let mut label = name.to_owned();
        for (i, (key, value)) in settings.iter().enumerate() {
            label.push_str(if i == 0 { "  " } else { ", " });
            label.push_str(key);
            label.push_str(" = ");
            label.push_str(value);
        }
        Node::new(label)
    }

    pub(crate) fn push(&mut self, child: Node) {
        self.children.push(child);
    }

    pub(crate) fn render(&self) -> String {
        let mut out = format!("{}\n", self.label);
        self.render_children("", &mut out);
        out
    }

    fn render_children(&self, indent: &str, out: &mut String) {
        for (i, child) in self.children.iter().enumerate() {
            let last = i + 1 == self.children.len();
            out.push_str(indent);
            out.push_str(if last { "└─ " } else { "├─ " });
            out.push_str(&child.label);
            out.push('\n');
            child.render_children(
                &format!("{indent}{}", if last { "   " } else { "│  " }),
                out,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn branches_are_drawn_with_their_settings() {
        let mut root = Node::new("pastry.toml".into());
        root.push(Node::with_settings("gzip", &[("level".into(), "9".into())]));
        let mut map = Node::new("url map".into());
        let mut mount = Node::new("/admin → admin".into());
        mount.push(Node::with_settings(
            "require_role",
            &[("role".into(), "\"admin\"".into())],
        ));
        map.push(mount);
        map.push(Node::new("/ → site".into()));
        root.push(map);
        assert_eq!(
            root.render(),
            "pastry.toml\n├─ gzip  level = 9\n└─ url map\n   ├─ /admin → admin\n   │  └─ require_role  role = \"admin\"\n   └─ / → site\n"
        );
    }
}
