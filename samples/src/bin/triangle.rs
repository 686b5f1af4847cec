//! `cargo run -p rg-samples --bin triangle -- --help`

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    rg_samples::main_with(&mut rg_samples::triangle::Triangle)
}
