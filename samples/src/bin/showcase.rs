//! The showcase sample: `cargo run -p rg-samples --release --bin showcase -- --help`.

#![forbid(unsafe_code)]

use rg_samples::showcase::{ArgsError, Showcase, USAGE};

fn main() -> std::process::ExitCode {
    match Showcase::from_args(std::env::args().skip(1).collect()) {
        Ok((mut sample, rest)) => rg_samples::main_with_args(&mut sample, rest, USAGE),
        Err(ArgsError::Usage(e)) => {
            eprintln!("showcase: {e}{USAGE}");
            std::process::ExitCode::from(2)
        }
        Err(ArgsError::Gltf(e)) => {
            eprintln!("showcase: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
