//! An X server of its own for running the windowed path where no display exists (tests, CI):
//! `Xvfb -displayfd` picks a free display and says which once it accepts connections, so runs
//! never collide and never race the server's start.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A running Xvfb, stopped when dropped.
pub struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    /// Starts one with a 1024x768 screen.
    ///
    /// # Errors
    /// Xvfb is missing (`tools/setup.sh` installs it) or did not say its display.
    pub fn start() -> std::io::Result<Xvfb> {
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1024x768x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            BufReader::new(out).read_line(&mut line)?;
        }
        let number = line.trim();
        if number.is_empty() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other("Xvfb did not say which display it took"));
        }
        Ok(Xvfb { display: format!(":{number}"), child })
    }

    /// The server's process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The `DISPLAY` to give a program.
    pub fn display(&self) -> &str {
        &self.display
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        // SIGTERM lets Xvfb remove its lock file and socket.
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}
