//! Reading a description file: TOML into passes and settings that remember where they were
//! written. Syntax errors come out all at once, each with its line and column.

use std::fmt;
use toml::de::{DeTable, DeValue};

/// A place in a description file (lines and columns from 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One mistake in a description, where it was made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mistake {
    pub at: Location,
    pub message: String,
}

impl fmt::Display for Mistake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// Every mistake found in a description, in the order of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mistakes(pub Vec<Mistake>);

impl fmt::Display for Mistakes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, m) in self.0.iter().enumerate() {
            if k > 0 {
                writeln!(f)?;
            }
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Mistakes {}

/// A setting's value as written.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Integer(i64),
    Float(f64),
    Bool(bool),
    Text(String),
}

impl Value {
    /// What kind of value it is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Bool(_) => "true or false",
            Value::Text(_) => "a string",
        }
    }
}

/// `key = value` in a pass's table.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub key: String,
    pub value: Value,
    /// Where the key was written.
    pub at: Location,
    /// Where the value was written.
    pub value_at: Location,
}

/// One `[[pass]]` table: its name, its type, the rest of its settings.
#[derive(Clone, Debug, PartialEq)]
pub struct PassEntry {
    pub name: String,
    pub name_at: Location,
    pub kind: String,
    pub kind_at: Location,
    pub settings: Vec<Setting>,
    /// Where the table's first key was written (its `[[pass]]` header is just above).
    pub at: Location,
}

/// A description file as read: its passes in order and what feeds the frame's output.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub file: String,
    pub passes: Vec<PassEntry>,
    /// `output = "pass.port"` at the top of the file.
    pub output: Option<(String, Location)>,
}

/// Line and column (from 1) of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.len(), |n| before.len() - n - 1) + 1;
    (line, column)
}

/// Reads `text` (the contents of `file`) as a description. Every syntax error, and every key
/// that is not `output` or `pass` at the top or not a value in a pass, is reported.
///
/// # Errors
/// Every mistake found, with its line and column.
pub fn parse(file: &str, text: &str) -> Result<Parsed, Mistakes> {
    let at = |offset: usize| {
        let (line, column) = line_column(text, offset);
        Location { file: file.to_owned(), line, column }
    };
    let mut mistakes = Vec::new();
    let (table, errors) = DeTable::parse_recoverable(text);
    for e in errors {
        let offset = e.span().map_or(0, |s| s.start);
        mistakes.push(Mistake { at: at(offset), message: e.message().trim().to_owned() });
    }
    if !mistakes.is_empty() {
        return Err(Mistakes(mistakes));
    }
    let mut parsed = Parsed { file: file.to_owned(), passes: Vec::new(), output: None };
    for (key, value) in table.get_ref() {
        let key_at = at(key.span().start);
        match (key.get_ref().as_ref(), value.get_ref()) {
            ("output", DeValue::String(s)) => {
                parsed.output = Some((s.to_string(), at(value.span().start)));
            }
            ("output", other) => mistakes.push(Mistake {
                at: at(value.span().start),
                message: format!(
                    "`output` names a pass's output as \"pass.output\", not {}",
                    other.type_str()
                ),
            }),
            ("pass", DeValue::Array(passes)) => {
                for pass in passes.iter() {
                    match pass.get_ref() {
                        DeValue::Table(t) => {
                            if let Some(p) =
                                pass_entry(t, at(pass.span().start), &at, &mut mistakes)
                            {
                                parsed.passes.push(p);
                            }
                        }
                        other => mistakes.push(Mistake {
                            at: at(pass.span().start),
                            message: format!(
                                "each pass is a `[[pass]]` table, not {}",
                                other.type_str()
                            ),
                        }),
                    }
                }
            }
            ("pass", _) => mistakes.push(Mistake {
                at: key_at,
                message: "passes are written as `[[pass]]` tables".into(),
            }),
            (other, _) => mistakes.push(Mistake {
                at: key_at,
                message: format!(
                    "unknown key `{other}` at the top of the file (expected `output` or \
                     `[[pass]]` tables)"
                ),
            }),
        }
    }
    if parsed.output.is_none() {
        mistakes.push(Mistake {
            at: at(0),
            message: "the file says nothing of the frame's output: add `output = \"pass.output\"` \
                      at the top"
                .into(),
        });
    }
    if mistakes.is_empty() {
        Ok(parsed)
    } else {
        Err(Mistakes(sorted(mistakes)))
    }
}

fn pass_entry(
    t: &DeTable<'_>,
    table_at: Location,
    at: &impl Fn(usize) -> Location,
    mistakes: &mut Vec<Mistake>,
) -> Option<PassEntry> {
    let mut name = None;
    let mut kind = None;
    let mut settings = Vec::new();
    let mut first = None::<Location>;
    for (key, value) in t {
        let key_at = at(key.span().start);
        if first.as_ref().is_none_or(|f| (key_at.line, key_at.column) < (f.line, f.column)) {
            first = Some(key_at.clone());
        }
        let value_at = at(value.span().start);
        let v = match value.get_ref() {
            DeValue::String(s) => Value::Text(s.to_string()),
            DeValue::Boolean(b) => Value::Bool(*b),
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                Ok(i) => Value::Integer(i),
                Err(_) => {
                    mistakes.push(Mistake {
                        at: value_at,
                        message: format!("`{}` does not fit in 64 bits", i.as_str()),
                    });
                    continue;
                }
            },
            DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
                Ok(f) => Value::Float(f),
                Err(_) => {
                    mistakes.push(Mistake {
                        at: value_at,
                        message: format!("`{}` is not a number", f.as_str()),
                    });
                    continue;
                }
            },
            other => {
                mistakes.push(Mistake {
                    at: value_at,
                    message: format!(
                        "`{}` is {}; a pass's settings are numbers, true or false, or strings",
                        key.get_ref(),
                        other.type_str()
                    ),
                });
                continue;
            }
        };
        match (key.get_ref().as_ref(), v) {
            ("name", Value::Text(s)) => name = Some((s, value_at)),
            ("type", Value::Text(s)) => kind = Some((s, value_at)),
            (k @ ("name" | "type"), v) => mistakes.push(Mistake {
                at: value_at,
                message: format!("a pass's `{k}` is a string, not {}", v.kind()),
            }),
            (k, v) => settings.push(Setting { key: k.to_owned(), value: v, at: key_at, value_at }),
        }
    }
    let at = first.unwrap_or(table_at);
    let Some((name, name_at)) = name else {
        mistakes.push(Mistake { at, message: "this pass has no `name`".into() });
        return None;
    };
    let Some((kind, kind_at)) = kind else {
        mistakes.push(Mistake { at, message: format!("pass `{name}` has no `type`") });
        return None;
    };
    settings.sort_by_key(|s| (s.at.line, s.at.column));
    Some(PassEntry { name, name_at, kind, kind_at, settings, at })
}

/// Mistakes in the order of the file.
pub(crate) fn sorted(mut m: Vec<Mistake>) -> Vec<Mistake> {
    m.sort_by_key(|m| (m.at.line, m.at.column));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks: lines and columns count from 1, a newline ends a line.
    #[test]
    fn lines_and_columns_count_from_one() {
        let t = "ab\ncd\n\nxyz";
        assert_eq!(line_column(t, 0), (1, 1));
        assert_eq!(line_column(t, 1), (1, 2));
        assert_eq!(line_column(t, 3), (2, 1));
        assert_eq!(line_column(t, 7), (4, 1));
        assert_eq!(line_column(t, 9), (4, 3));
    }

    /// Checks: a good file gives its passes in order with their settings and places; a syntax
    /// error gives the line and column of the fault.
    #[test]
    fn passes_come_in_order_with_their_places() {
        let text = "output = \"b.color\"\n\n[[pass]]\nname = \"a\"\ntype = \"x\"\nsize = 4\n\n\
                    [[pass]]\ntype = \"y\"\nname = \"b\"\nscale = 0.5\non = true\n";
        let p = parse("f.toml", text).expect("parse");
        assert_eq!(p.output.as_ref().map(|o| (o.0.as_str(), o.1.line)), Some(("b.color", 1)));
        assert_eq!(p.passes.len(), 2);
        assert_eq!((p.passes[0].name.as_str(), p.passes[0].name_at.line), ("a", 4));
        assert_eq!(p.passes[0].settings[0].value, Value::Integer(4));
        assert_eq!((p.passes[0].settings[0].at.line, p.passes[0].settings[0].at.column), (6, 1));
        assert_eq!(p.passes[1].kind, "y");
        assert_eq!(p.passes[1].settings[0].value, Value::Float(0.5));
        assert_eq!(p.passes[1].settings[1].value, Value::Bool(true));
        let e = parse("f.toml", "output = \"a.b\"\n[[pass]]\nname = \"a\nsize = 4\n").unwrap_err();
        assert_eq!(e.0[0].at.line, 4 - 1, "{e}");
        assert!(e.to_string().starts_with("f.toml:3:"), "{e}");
    }
}
