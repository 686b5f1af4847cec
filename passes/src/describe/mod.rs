//! A frame described in a file: passes of this library by type, with their settings, wired by
//! name (`"pass.output"`), checked before anything is declared.
//!
//! The file is TOML: its parser reports every syntax error with its line and column and keeps
//! every key's and value's place, so the checks here point at what is wrong; `[[pass]]` tables
//! keep the order they were written in; comments are allowed; and it is read by people who
//! never saw this project. A description:
//!
//! ```toml
//! output = "tonemap.color"       # the frame's output: a colour image
//!
//! [[pass]]
//! name = "terrain"
//! type = "terrain"
//! side = 128
//!
//! [[pass]]
//! name = "gbuffer"
//! type = "gbuffer"
//!
//! [[pass]]
//! name = "ground"
//! type = "draw_terrain"
//! terrain = "terrain.height"
//! gbuffer = "gbuffer.gbuffer"
//!
//! [[pass]]
//! name = "light"
//! type = "lighting"
//! gbuffer = "ground.gbuffer"
//!
//! [[pass]]
//! name = "tonemap"
//! type = "tonemap"
//! hdr = "light.hdr"
//! ```
//!
//! [`Description::load`] reads and checks a file: syntax, unknown pass types, unknown or
//! ill-typed settings, missing or unknown inputs, an output of the wrong kind for the input it
//! feeds, names used twice, passes that feed each other in a cycle (each with its line); every
//! mistake at once, nothing declared. [`Description::declare`] then declares the passes in an
//! order where each comes after what feeds it. The pass types, their settings, inputs and
//! outputs are in [`types::registry`], and `docs/described-passes.md` is generated from it.

mod parse;
pub mod types;

pub use parse::{parse, Location, Mistake, Mistakes, PassEntry, Setting, Value};
pub use types::{registry, FrameInputs, PassType, PortKind, PortValue};

use parse::sorted;
use rg_core::{Graph, ImageHandle};
use rg_vulkan::Pass;
use std::collections::HashMap;
use std::path::Path;

/// A checked description: every pass's type is known, its settings are of the right kinds and
/// its inputs name outputs of the right kinds, with no cycle.
#[derive(Clone, Debug)]
pub struct Description {
    file: String,
    passes: Vec<PassEntry>,
    /// Indices into `passes`, each after the passes that feed it.
    order: Vec<usize>,
    /// The pass and output that feed the frame's output.
    output: (usize, String),
}

/// A port reference: `pass.output`.
fn split_ref(s: &str) -> Option<(&str, &str)> {
    let (a, b) = s.split_once('.')?;
    (!a.is_empty() && !b.is_empty() && !b.contains('.')).then_some((a, b))
}

impl Description {
    /// Reads and checks the description in `path`.
    ///
    /// # Errors
    /// The file cannot be read, or every mistake in it, with lines and columns.
    pub fn load(path: &Path) -> Result<Description, Mistakes> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Mistakes(vec![Mistake {
                at: Location { file: file.clone(), line: 1, column: 1 },
                message: format!("cannot read the file: {e}"),
            }])
        })?;
        Description::from_text(&file, &text)
    }

    /// Reads and checks a description given as text (`file` names it in messages).
    ///
    /// # Errors
    /// Every mistake in it, with lines and columns.
    pub fn from_text(file: &str, text: &str) -> Result<Description, Mistakes> {
        let parsed = parse(file, text)?;
        check(parsed)
    }

    /// The file it was read from, as messages name it.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Its passes, as written.
    pub fn passes(&self) -> &[PassEntry] {
        &self.passes
    }

    /// Declares the described passes into `g`, the last writing `frame.output`; returns the
    /// output's final version.
    ///
    /// # Errors
    /// What a pass could not declare with what the host gave (the scene, say), with the line of
    /// the pass.
    pub fn declare(
        &self,
        g: &mut Graph<Pass>,
        frame: &FrameInputs,
    ) -> Result<ImageHandle, Mistakes> {
        let types = registry();
        let mut made: HashMap<(usize, String), PortValue> = HashMap::new();
        let index: HashMap<&str, usize> =
            self.passes.iter().enumerate().map(|(i, p)| (p.name.as_str(), i)).collect();
        for &i in &self.order {
            let entry = &self.passes[i];
            let ty = types.iter().find(|t| t.name == entry.kind).expect("checked");
            let mut inputs = HashMap::new();
            for s in &entry.settings {
                if let (Some(_), Value::Text(r)) =
                    (ty.inputs.iter().find(|p| p.name == s.key), &s.value)
                {
                    let (pass, port) = split_ref(r).expect("checked");
                    let value = made[&(index[pass], port.to_owned())];
                    inputs.insert(s.key.clone(), value);
                }
            }
            let args = types::Args { entry, ty, inputs };
            let outputs = (ty.declare)(&args, g, frame).map_err(|message| {
                Mistakes(vec![Mistake {
                    at: entry.at.clone(),
                    message: format!("pass `{}` ({}): {message}", entry.name, entry.kind),
                }])
            })?;
            for (port, value) in outputs {
                made.insert((i, port.to_owned()), value);
            }
        }
        match made.get(&self.output) {
            Some(PortValue::Color(image)) => Ok(*image),
            _ => unreachable!("checked: the output is a colour image"),
        }
    }
}

/// Checks a parsed description against the registry.
fn check(parsed: parse::Parsed) -> Result<Description, Mistakes> {
    let types = registry();
    let mut mistakes = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, p) in parsed.passes.iter().enumerate() {
        if let Some(&first) = index.get(p.name.as_str()) {
            mistakes.push(Mistake {
                at: p.name_at.clone(),
                message: format!(
                    "the name `{}` is used twice (first at line {})",
                    p.name, parsed.passes[first].name_at.line
                ),
            });
        } else {
            index.insert(&p.name, i);
        }
    }
    // The edges: (feeding pass, fed pass).
    let mut feeds: Vec<Vec<usize>> = vec![Vec::new(); parsed.passes.len()];
    let port_kind = |r: &str| -> Result<(usize, PortKind), String> {
        let Some((pass, port)) = split_ref(r) else {
            return Err(format!("`{r}` is not a pass's output: write it as \"pass.output\""));
        };
        let Some(&i) = index.get(pass) else {
            return Err(format!("no pass is named `{pass}` (in `{r}`)"));
        };
        let kind = &parsed.passes[i].kind;
        let Some(ty) = types.iter().find(|t| t.name == kind) else {
            return Err(format!("`{pass}` is of an unknown type, so `{r}` cannot be checked"));
        };
        match ty.outputs.iter().find(|o| o.name == port) {
            Some(o) => Ok((i, o.kind)),
            None => Err(format!(
                "pass `{pass}` ({kind}) has no output `{port}`; its outputs: {}",
                ty.outputs.iter().map(|o| o.name).collect::<Vec<_>>().join(", ")
            )),
        }
    };
    for (i, p) in parsed.passes.iter().enumerate() {
        let Some(ty) = types.iter().find(|t| t.name == p.kind) else {
            let known: Vec<&str> = types.iter().map(|t| t.name).collect();
            mistakes.push(Mistake {
                at: p.kind_at.clone(),
                message: format!(
                    "unknown pass type `{}`; the types are: {}",
                    p.kind,
                    known.join(", ")
                ),
            });
            continue;
        };
        for s in &p.settings {
            if let Some(param) = ty.params.iter().find(|q| q.name == s.key) {
                if let Err(message) = param.kind.check(&s.value) {
                    mistakes.push(Mistake {
                        at: s.value_at.clone(),
                        message: format!("`{}` of pass `{}`: {message}", s.key, p.name),
                    });
                }
            } else if let Some(input) = ty.inputs.iter().find(|q| q.name == s.key) {
                let Value::Text(r) = &s.value else {
                    mistakes.push(Mistake {
                        at: s.value_at.clone(),
                        message: format!(
                            "input `{}` of pass `{}` names an output as \"pass.output\", not {}",
                            s.key,
                            p.name,
                            s.value.kind()
                        ),
                    });
                    continue;
                };
                match port_kind(r) {
                    Ok((from, kind)) if kind == input.kind => feeds[from].push(i),
                    Ok((_, kind)) => mistakes.push(Mistake {
                        at: s.value_at.clone(),
                        message: format!(
                            "`{r}` is {}, but input `{}` of pass `{}` ({}) takes {}",
                            kind.describe(),
                            s.key,
                            p.name,
                            p.kind,
                            input.kind.describe()
                        ),
                    }),
                    Err(message) => mistakes.push(Mistake { at: s.value_at.clone(), message }),
                }
            } else {
                let names: Vec<&str> = ty
                    .params
                    .iter()
                    .map(|q| q.name)
                    .chain(ty.inputs.iter().map(|q| q.name))
                    .collect();
                mistakes.push(Mistake {
                    at: s.at.clone(),
                    message: format!(
                        "pass type `{}` has no setting or input `{}`; it has: {}",
                        p.kind,
                        s.key,
                        names.join(", ")
                    ),
                });
            }
        }
        for input in ty.inputs.iter().filter(|q| !q.optional) {
            if !p.settings.iter().any(|s| s.key == input.name) {
                mistakes.push(Mistake {
                    at: p.at.clone(),
                    message: format!(
                        "pass `{}` ({}) needs its input `{}` ({}): add `{} = \"pass.output\"`",
                        p.name,
                        p.kind,
                        input.name,
                        input.kind.describe(),
                        input.name
                    ),
                });
            }
        }
    }
    let output = match &parsed.output {
        Some((r, at)) => match port_kind(r) {
            Ok((i, PortKind::Color)) => Some((i, split_ref(r).expect("checked").1.to_owned())),
            Ok((_, kind)) => {
                mistakes.push(Mistake {
                    at: at.clone(),
                    message: format!(
                        "the frame's output must be a colour image, but `{r}` is {}",
                        kind.describe()
                    ),
                });
                None
            }
            Err(message) => {
                mistakes.push(Mistake { at: at.clone(), message });
                None
            }
        },
        None => None,
    };
    if !mistakes.is_empty() {
        return Err(Mistakes(sorted(mistakes)));
    }
    let order = order(&parsed, &feeds)?;
    Ok(Description {
        file: parsed.file,
        passes: parsed.passes,
        order,
        output: output.expect("checked"),
    })
}

/// The passes in an order where each comes after those that feed it (the file's order where
/// it is free), or the passes of a cycle, each with its line.
fn order(parsed: &parse::Parsed, feeds: &[Vec<usize>]) -> Result<Vec<usize>, Mistakes> {
    let n = feeds.len();
    let mut waiting = vec![0usize; n];
    for f in feeds {
        for &j in f {
            waiting[j] += 1;
        }
    }
    let mut order = Vec::with_capacity(n);
    let mut done = vec![false; n];
    while order.len() < n {
        let Some(i) = (0..n).find(|&i| !done[i] && waiting[i] == 0) else {
            let left: Vec<String> = (0..n)
                .filter(|&i| !done[i])
                .map(|i| format!("`{}` (line {})", parsed.passes[i].name, parsed.passes[i].at.line))
                .collect();
            let first = (0..n).find(|&i| !done[i]).expect("some left");
            return Err(Mistakes(vec![Mistake {
                at: parsed.passes[first].at.clone(),
                message: format!(
                    "these passes feed each other in a cycle (or wait on one): {}",
                    left.join(", ")
                ),
            }]));
        };
        done[i] = true;
        order.push(i);
        for &j in &feeds[i] {
            waiting[j] -= 1;
        }
    }
    Ok(order)
}
