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
    /// The frame it was first declared in since it was read (none yet): its first frame, where
    /// temporal state starts.
    pub taken_at: Option<u64>,
    /// The file's fingerprint and content hash when it was last read.
    seen: (Option<Fingerprint>, u64),
    /// Why the file could not be read, once said (said again only when it changes).
    unreadable: Option<String>,
}

/// The shipped description, for a build whose sources are not where it was built.
const SHIPPED: &str = include_str!("../../frames/showcase.toml");

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
        let (fingerprint, text) = match read(path) {
            // The default, moved away with the binary: the copy built in.
            Err(_) if path == Path::new(DEFAULT_PIPELINE) && !path.exists() => {
                (None, SHIPPED.to_owned())
            }
            r => r?,
        };
        Ok(Pipeline {
            path: path.to_owned(),
            fitted: Description::from_text(&path.display().to_string(), &text)?,
            taken_at: None,
            seen: (fingerprint, content_hash(text.as_bytes())),
            unreadable: None,
        })
    }

    /// The file's new contents when they changed since it was last read: one `stat` when its
    /// fingerprint is unchanged; a file touched or rewritten with the same contents is not a
    /// change; a file that changed while it was read (an editor writing in place) is read on
    /// a later call; a file that cannot be read is an error once, then tried again quietly.
    pub fn changed(&mut self) -> Option<Result<String, String>> {
        let now = Fingerprint::of(&self.path).ok();
        if now.is_some() && now == self.seen.0 {
            return None;
        }
        let (fingerprint, text) = match read(&self.path) {
            Ok(read) => read,
            Err(m) => {
                let why = m.to_string();
                if self.unreadable.as_ref() == Some(&why) {
                    return None;
                }
                self.unreadable = Some(why.clone());
                return Some(Err(why));
            }
        };
        self.unreadable = None;
        if fingerprint.is_none() || Fingerprint::of(&self.path).ok() != fingerprint {
            return None;
        }
        let hash = content_hash(text.as_bytes());
        let changed = hash != self.seen.1;
        // Remember what was seen, good or bad, so a bad edit is reported once.
        self.seen = (fingerprint, hash);
        changed.then_some(Ok(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks: the watch sees an edit written in place and one saved by rename, not a rewrite
    /// with the same contents; a file that goes missing is said once, and its return is an
    /// edit again.
    #[test]
    fn the_watch_sees_edits_once_and_a_missing_file_once() {
        let dir = std::env::temp_dir().join(format!("rg-watch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("frame.toml");
        let a = SHIPPED.to_owned();
        let b = SHIPPED.replace("cascades = 4", "cascades = 2");
        std::fs::write(&path, &a).unwrap();
        let mut p = Pipeline::load(&path).expect("the shipped description");
        assert!(p.changed().is_none());
        std::fs::write(&path, &a).unwrap();
        assert!(p.changed().is_none(), "the same contents are no change");
        std::fs::write(&path, &b).unwrap();
        assert_eq!(p.changed(), Some(Ok(b.clone())), "written in place");
        assert!(p.changed().is_none(), "seen once");
        std::fs::write(dir.join("new.toml"), &a).unwrap();
        std::fs::rename(dir.join("new.toml"), &path).unwrap();
        assert_eq!(p.changed(), Some(Ok(a.clone())), "saved by rename");
        std::fs::remove_file(&path).unwrap();
        let gone = p.changed().expect("said").expect_err("missing");
        assert!(gone.contains("frame.toml") && gone.contains("cannot read"), "{gone}");
        assert!(p.changed().is_none(), "said once");
        std::fs::write(&path, &b).unwrap();
        assert_eq!(p.changed(), Some(Ok(b)), "back again");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
