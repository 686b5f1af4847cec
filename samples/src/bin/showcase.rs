//! The showcase sample: `cargo run -p rg-samples --release --bin showcase -- --help`.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    rg_samples::showcase::main()
}
