//! The showcase's frame as a description file (`rg_passes::describe`): read, fitted to the
//! scene and the options, checked by declaring and compiling it without a device, and read
//! again while the sample runs whenever the file changes.

use rg_passes::describe::{Description, Mistakes};
use rg_vulkan::shader::{content_hash, Fingerprint};
use std::path::{Path, PathBuf};

/// The description the showcase loads unless `--pipeline FILE` names another.
pub const DEFAULT_PIPELINE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/frames/showcase.toml");

/// A description file in use: what frames declare, and what the file looked like when read.
#[derive(Clone, Debug)]
pub struct Pipeline {
    pub path: PathBuf,
    /// The description as fitted to the scene and the options: what frames declare.
    pub fitted: Description,
    /// The file's fingerprint and content hash when it was last read.
    seen: (Option<Fingerprint>, u64),
}

/// Reads `path` as text, naming it in the error.
fn read(path: &Path) -> Result<(Option<Fingerprint>, String), Mistakes> {
    let fingerprint = Fingerprint::of(path).ok();
    let text = std::fs::read_to_string(path).map_err(|e| {
        Mistakes(vec![rg_passes::describe::Mistake {
            at: rg_passes::describe::Location {
                file: path.display().to_string(),
                line: 1,
                column: 1,
            },
            message: format!("cannot read the file: {e}"),
        }])
    })?;
    Ok((fingerprint, text))
}

impl Pipeline {
    /// Reads and checks the description in `path` (fitted to nothing yet: the host fits
    /// [`Pipeline::fitted`]).
    ///
    /// # Errors
    /// The file cannot be read, or its mistakes, with lines and columns.
    pub fn load(path: &Path) -> Result<Pipeline, Mistakes> {
        let (fingerprint, text) = read(path)?;
        Ok(Pipeline {
            path: path.to_owned(),
            fitted: Description::from_text(&path.display().to_string(), &text)?,
            seen: (fingerprint, content_hash(text.as_bytes())),
        })
    }

    /// The file's new contents when they changed since it was last read: one `stat` when its
    /// fingerprint is unchanged; a file touched or rewritten with the same contents is not a
    /// change; a file that cannot be read (mid-save, say) is tried again next time.
    pub fn changed(&mut self) -> Option<String> {
        let now = Fingerprint::of(&self.path).ok();
        if now.is_some() && now == self.seen.0 {
            return None;
        }
        let (fingerprint, text) = read(&self.path).ok()?;
        let hash = content_hash(text.as_bytes());
        let changed = hash != self.seen.1;
        // Remember what was seen, good or bad, so a bad edit is reported once.
        self.seen = (fingerprint, hash);
        changed.then_some(text)
    }
}
