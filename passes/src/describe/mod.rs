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
//! order where each comes after what feeds it, with what the host gives ([`FrameInputs`]: the
//! camera, the output, and the scene, lights and particles some types need); a mistake the
//! graph compiler then finds is told at the lines of the passes involved
//! ([`Declared::explain`]). The pass types, their settings, inputs and outputs are in
//! [`types::registry`], and `docs/described-passes.md` is generated from it.
//!
//! A host fits a description to itself before declaring it: [`Description::with_default`]
//! fills in settings the file leaves out (a terrain's square under the host's field),
//! [`Description::with_setting`] overrides them (a command-line switch), and
//! [`Description::without`] leaves out every pass of a type, feeding what they fed from what
//! fed them. Each gives a description checked again.

mod parse;
mod scene_types;
pub mod types;
mod world_types;

pub use parse::{parse, Location, Mistake, Mistakes, PassEntry, Setting, Value};
pub use types::{
    registry, terrain_setup, CulledDraws, FrameInputs, HostParticles, HostScene, PassType,
    PortKind, PortValue,
};

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
    /// The frame's output as written, and where.
    output_ref: (String, Location),
}

/// What [`Description::declare`] declared.
#[derive(Clone, Debug)]
pub struct Declared {
    /// The frame output's final version.
    pub output: ImageHandle,
    /// Every output of every described pass: the pass's name, the output's name, its value.
    pub ports: Vec<(String, &'static str, PortValue)>,
    /// For each described pass (its index in [`Description::passes`]), the labels of the
    /// graph passes it declared.
    pub labels: Vec<(usize, Vec<String>)>,
}

impl Declared {
    /// The outputs of kind `kind`, in the order declared.
    pub fn of_kind(&self, kind: PortKind) -> impl Iterator<Item = PortValue> + '_ {
        self.ports.iter().map(|p| p.2).filter(move |v| v.kind() == kind)
    }

    /// The graph compiler's errors for this frame, each told at the line of every described
    /// pass that declared a graph pass the error names (or at the top of the file when it names
    /// none). Several described passes may declare passes of the same label (two terrain
    /// draws); the error then names each of them, as one of them.
    pub fn explain(&self, d: &Description, errors: &rg_core::CompileErrors) -> Mistakes {
        let mut out = Vec::new();
        for e in errors.iter() {
            let text = e.to_string();
            let mut named: Vec<usize> = Vec::new();
            let mut shared = Vec::new();
            for label in passes_of(e) {
                let from: Vec<usize> = self
                    .labels
                    .iter()
                    .filter(|(_, labels)| labels.contains(&label))
                    .map(|(i, _)| *i)
                    .collect();
                if from.len() > 1 {
                    shared.push(label);
                }
                for i in from {
                    if !named.contains(&i) {
                        named.push(i);
                    }
                }
            }
            named.sort_unstable();
            let passes: Vec<String> = named
                .iter()
                .map(|&i| format!("`{}` (line {})", d.passes[i].name, d.passes[i].at.line))
                .collect();
            let maybe = match shared.is_empty() {
                true => String::new(),
                false => format!(
                    "; {} declared by more than one of them, so not every one may be involved",
                    shared.iter().map(|l| format!("`{l}` is")).collect::<Vec<_>>().join(", ")
                ),
            };
            if named.is_empty() {
                out.push(Mistake {
                    at: Location { file: d.file.clone(), line: 1, column: 1 },
                    message: format!("the frame graph does not compile: {text}"),
                });
            }
            for &i in &named {
                let p = &d.passes[i];
                out.push(Mistake {
                    at: p.at.clone(),
                    message: format!(
                        "pass `{}` ({}): the frame graph does not compile (passes involved: \
                         {}{maybe}): {text}",
                        p.name,
                        p.kind,
                        passes.join(", ")
                    ),
                });
            }
        }
        Mistakes(sorted(out))
    }
}

/// The labels of the graph passes a compile error names.
fn passes_of(e: &rg_core::CompileError) -> Vec<String> {
    use rg_core::CompileError::*;
    match e {
        ForeignHandle { pass, .. }
        | AccessMismatch { pass, .. }
        | AccessNotOnQueue { pass, .. }
        | SubresourceOutOfRange { pass, .. }
        | UnwrittenSubresource { pass, .. }
        | ConflictingAccess { pass, .. } => vec![pass.clone()],
        StaleVersion { pass, writer, .. } => vec![pass.clone(), writer.clone()],
        UnorderedWriters { first, second, .. } => vec![first.clone(), second.clone()],
        Cycle { path, .. } => path.iter().map(|(p, _)| p.clone()).collect(),
        StaleExport { writer, .. } => vec![writer.clone()],
        // "pass `x`" or "the export".
        ReadBeforeWrite { by, .. } => by
            .strip_prefix("pass `")
            .and_then(|b| b.strip_suffix('`'))
            .map(String::from)
            .into_iter()
            .collect(),
        InvalidSize { .. } | InvalidOrder { .. } | InvalidState { .. } => Vec::new(),
    }
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

    /// The passes of type `kind`, as written.
    pub fn passes_of_type<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a PassEntry> {
        self.passes.iter().filter(move |p| p.kind == kind)
    }

    /// The description with `key = value` set on every pass of type `kind` (replacing what the
    /// file said), checked again.
    ///
    /// # Errors
    /// The value does not fit the setting.
    pub fn with_setting(&self, kind: &str, key: &str, value: Value) -> Result<Self, Mistakes> {
        self.edited(kind, key, value, true)
    }

    /// The description with `key = value` set on every pass of type `kind` that leaves it to
    /// its default (a host fitting a description to its scene), checked again.
    ///
    /// # Errors
    /// The value does not fit the setting.
    pub fn with_default(&self, kind: &str, key: &str, value: Value) -> Result<Self, Mistakes> {
        self.edited(kind, key, value, false)
    }

    fn edited(&self, kind: &str, key: &str, value: Value, replace: bool) -> Result<Self, Mistakes> {
        let mut passes = self.passes.clone();
        for p in passes.iter_mut().filter(|p| p.kind == kind) {
            match p.settings.iter_mut().find(|s| s.key == key) {
                Some(s) if replace => s.value = value.clone(),
                Some(_) => {}
                None => p.settings.push(parse::Setting {
                    key: key.to_owned(),
                    value: value.clone(),
                    at: p.at.clone(),
                    value_at: p.at.clone(),
                }),
            }
        }
        self.rechecked(passes)
    }

    /// The description without its passes of type `kind`: what they fed is fed instead by
    /// what fed them (an input of the same name and kind: a draw left out passes its G-buffer
    /// on), optional inputs they fed are left out, and passes left with nothing for a needed
    /// input go too. Checked again.
    ///
    /// # Errors
    /// The frame's output would go, or what is left does not check.
    pub fn without(&self, kind: &str) -> Result<Self, Mistakes> {
        let types = registry();
        let mut passes = self.passes.clone();
        let mut output = self.output_ref.clone();
        let mut doomed: Vec<String> =
            passes.iter().filter(|p| p.kind == kind).map(|p| p.name.clone()).collect();
        let mut removed: Vec<String> = Vec::new();
        while let Some(name) = doomed.pop() {
            let Some(i) = passes.iter().position(|p| p.name == name) else { continue };
            let p = passes.remove(i);
            removed.push(p.name.clone());
            let ty = types.iter().find(|t| t.name == p.kind).expect("checked");
            // What fed its input of the same name and kind as its output `port`, if any.
            let through = |port: &str| -> Option<String> {
                let out = ty.outputs.iter().find(|o| o.name == port)?;
                ty.inputs.iter().find(|q| q.name == out.name && q.kind == out.kind)?;
                match &p.settings.iter().find(|s| s.key == port)?.value {
                    // Not what fed it when that is gone too (a pass starved by it).
                    Value::Text(r) => split_ref(r)
                        .filter(|(from, _)| !removed.iter().any(|x| x == from))
                        .map(|_| r.clone()),
                    _ => None,
                }
            };
            // `None`: `r` is not one of its outputs; `Some(None)`: nothing takes its place.
            let rewire = |r: &str| -> Option<Option<String>> {
                let (pass, port) = split_ref(r)?;
                (pass == p.name).then(|| through(port))
            };
            if let Some(to) = rewire(&output.0) {
                let Some(to) = to else {
                    return Err(Mistakes(vec![Mistake {
                        at: output.1.clone(),
                        message: format!(
                            "without the passes of type `{kind}`, nothing is left to feed the \
                             frame's output `{}`",
                            output.0
                        ),
                    }]));
                };
                output.0 = to;
            }
            for q in passes.iter_mut() {
                let qty = types.iter().find(|t| t.name == q.kind).expect("checked");
                let mut starved = false;
                q.settings.retain_mut(|s| {
                    let (Value::Text(r), Some(input)) =
                        (&s.value, qty.inputs.iter().find(|x| x.name == s.key))
                    else {
                        return true;
                    };
                    match rewire(r) {
                        None => true,
                        Some(Some(to)) => {
                            s.value = Value::Text(to);
                            true
                        }
                        Some(None) if input.optional => false,
                        Some(None) => {
                            starved = true;
                            true
                        }
                    }
                });
                if starved && !doomed.contains(&q.name) {
                    doomed.push(q.name.clone());
                }
            }
        }
        let parsed = parse::Parsed { file: self.file.clone(), passes, output: Some(output) };
        check(parsed)
    }

    fn rechecked(&self, passes: Vec<PassEntry>) -> Result<Self, Mistakes> {
        let parsed = parse::Parsed {
            file: self.file.clone(),
            passes,
            output: Some(self.output_ref.clone()),
        };
        check(parsed)
    }

    /// Declares the described passes into `g`, the last writing `frame.output`.
    ///
    /// # Errors
    /// What a pass could not declare with what the host gave (the scene, say), with the line of
    /// the pass.
    pub fn declare(&self, g: &mut Graph<Pass>, frame: &FrameInputs) -> Result<Declared, Mistakes> {
        let types = registry();
        let mut made: HashMap<(usize, String), PortValue> = HashMap::new();
        let (mut ports, mut labels) = (Vec::new(), Vec::new());
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
            let first = g.pass_count();
            let outputs = (ty.declare)(&args, g, frame).map_err(|message| {
                Mistakes(vec![Mistake {
                    at: entry.at.clone(),
                    message: format!("pass `{}` ({}): {message}", entry.name, entry.kind),
                }])
            })?;
            labels.push((i, (first..g.pass_count()).map(|k| g.pass_label(k).to_owned()).collect()));
            for (port, value) in outputs {
                made.insert((i, port.to_owned()), value);
                ports.push((entry.name.clone(), port, value));
            }
        }
        match made.get(&self.output) {
            Some(PortValue::Color(image)) => Ok(Declared { output: *image, ports, labels }),
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
    let output_ref = parsed.output.clone();
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
        output_ref: output_ref.expect("checked"),
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
