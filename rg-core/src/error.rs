//! Compile errors: the user's graph is wrong. Each names the pass, the resource and the
//! `file:line` where the offending thing was declared; `compile()` returns all of them at once.

use crate::graph::Site;
use std::fmt;

/// One mistake in a declared graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CompileError {
    /// A handle that belongs to another graph, or names a resource or version that does not exist.
    ForeignHandle { pass: String, detail: String, site: Site },
    /// A read of contents nobody wrote: version 0 of a transient, or of an import whose entry
    /// layout is `Undefined`; `by` is "pass `x`" or "the export".
    ReadBeforeWrite { by: String, resource: String, created: Site, site: Site },
    /// A read through a handle that an earlier-declared pass already wrote a newer version of.
    StaleVersion {
        pass: String,
        resource: String,
        version: u32,
        writer: String,
        writer_site: Site,
        site: Site,
    },
    /// Two passes write the same version, so nothing orders them.
    UnorderedWriters {
        resource: String,
        version: u32,
        first: String,
        first_site: Site,
        second: String,
        second_site: Site,
    },
    /// The dependencies loop; `path` lists the passes around the loop (the first again at the
    /// end) and `via` what links each to the next.
    Cycle { path: Vec<(String, Site)>, via: Vec<String> },
    /// An access that does not fit the resource (a depth access to a colour image, a read-only
    /// access given to `write`, …).
    AccessMismatch { pass: String, resource: String, access: String, reason: String, site: Site },
    /// An access the pass's queue kind cannot make (a colour attachment on a compute queue).
    AccessNotOnQueue { pass: String, queue: String, resource: String, access: String, site: Site },
    /// An access names mip levels or layers that the image does not have (or none at all):
    /// `range` is the selection as written, `mips` and `layers` what the image has.
    SubresourceOutOfRange {
        pass: String,
        resource: String,
        access: String,
        range: String,
        mips: u32,
        layers: u32,
        site: Site,
    },
    /// A read of mip levels or layers of an image that no pass wrote before it, although others
    /// were written (a read of nothing written at all is a [`CompileError::ReadBeforeWrite`]).
    UnwrittenSubresource {
        pass: String,
        resource: String,
        range: String,
        version: u32,
        created: Site,
        site: Site,
    },
    /// One pass touches a resource twice in ways that cannot both hold (two layouts, or a write
    /// and another access) in mip levels and layers that both name.
    ConflictingAccess { pass: String, resource: String, first: String, second: String, site: Site },
    /// A size that is zero, over the device limit, or relative to something it cannot be.
    InvalidSize { resource: String, reason: String, site: Site },
    /// An explicit order between passes that cannot be (a pass before itself, an unknown pass).
    InvalidOrder { reason: String, site: Site },
    /// An import's entry or exit state (`which`) that no resource of its kind can be in: an
    /// image state without a layout, a buffer state with one, an exit in `Undefined`, accesses
    /// with no pipeline stage, stages its queue does not have, accesses none of its stages
    /// makes.
    InvalidState { resource: String, which: &'static str, reason: String, site: Site },
    /// An exported version that a pass which runs writes over before the frame ends, so the
    /// contents the export asks for are gone.
    StaleExport { resource: String, version: u32, writer: String, writer_site: Site, site: Site },
}

struct At(Site);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.0.file(), self.0.line())
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CompileError::*;
        match self {
            ForeignHandle { pass, detail, site } => {
                write!(f, "pass `{pass}` ({}) uses {detail}", At(site))
            }
            ReadBeforeWrite { by, resource, created, site } => write!(
                f,
                "{by} ({}) reads `{resource}` v0, but nothing writes it before and it holds no \
                 contents at the start of the frame (created at {})",
                At(site),
                At(created)
            ),
            StaleVersion { pass, resource, version, writer, writer_site, site } => write!(
                f,
                "pass `{pass}` ({}) reads `{resource}` v{version}, but pass `{writer}` ({}) \
                 already wrote a newer version; read the handle that write returned",
                At(site),
                At(writer_site)
            ),
            UnorderedWriters { resource, version, first, first_site, second, second_site } => {
                write!(
                    f,
                    "passes `{first}` ({}) and `{second}` ({}) both write `{resource}` from v{version}, \
                     with no order between them; the second should write the handle the first returned",
                    At(first_site),
                    At(second_site)
                )
            }
            Cycle { path, via } => {
                write!(f, "the passes depend on each other in a cycle: ")?;
                for (i, (p, s)) in path.iter().enumerate() {
                    if i > 0 {
                        write!(f, " -> ")?;
                    }
                    write!(f, "`{p}` ({})", At(s))?;
                    if let Some(v) = via.get(i) {
                        write!(f, " [{v}]")?;
                    }
                }
                Ok(())
            }
            AccessMismatch { pass, resource, access, reason, site } => write!(
                f,
                "pass `{pass}` ({}) accesses `{resource}` as {access}, which {reason}",
                At(site)
            ),
            SubresourceOutOfRange { pass, resource, access, range, mips, layers, site } => {
                let has = |n: u32, one: &str, many: &str| {
                    format!("{n} {}", if n == 1 { one } else { many })
                };
                write!(
                    f,
                    "pass `{pass}` ({}) accesses {range} of `{resource}` as {access}, but the image \
                     has {} and {}",
                    At(site),
                    has(*mips, "mip level", "mip levels"),
                    has(*layers, "layer", "layers"),
                )
            }
            UnwrittenSubresource { pass, resource, range, version, created, site } => write!(
                f,
                "pass `{pass}` ({}) reads {range} of `{resource}` v{version}, but no pass writes \
                 that part before it and the image holds no contents at the start of the frame \
                 (created at {})",
                At(site),
                At(created)
            ),
            AccessNotOnQueue { pass, queue, resource, access, site } => write!(
                f,
                "pass `{pass}` ({}) runs on the {queue} queue, which cannot access `{resource}` as {access}",
                At(site)
            ),
            ConflictingAccess { pass, resource, first, second, site } => write!(
                f,
                "pass `{pass}` ({}) accesses `{resource}` both as {first} and as {second}; where \
                 the mip levels and layers it names overlap, a pass may read a resource several \
                 ways in one layout, or write it once",
                At(site)
            ),
            InvalidSize { resource, reason, site } => {
                write!(f, "resource `{resource}` ({}) has an invalid size: {reason}", At(site))
            }
            InvalidOrder { reason, site } => write!(f, "order ({}): {reason}", At(site)),
            InvalidState { resource, which, reason, site } => write!(
                f,
                "import `{resource}` ({}) has an invalid {which} state: {reason}",
                At(site)
            ),
            StaleExport { resource, version, writer, writer_site, site } => write!(
                f,
                "the export ({}) keeps `{resource}` v{version}, but pass `{writer}` ({}) writes \
                 over it before the frame ends; export the handle that write returns",
                At(site),
                At(writer_site)
            ),
        }
    }
}

impl std::error::Error for CompileError {}

/// Every mistake found in one compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileErrors(pub Vec<CompileError>);

impl CompileErrors {
    pub fn iter(&self) -> std::slice::Iter<'_, CompileError> {
        self.0.iter()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for CompileErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the frame graph has {} error(s):", self.0.len())?;
        for e in &self.0 {
            write!(f, "\n  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CompileErrors {}
