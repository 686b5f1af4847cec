//! `cargo run -p rg-samples --bin compute -- --help`

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    rg_samples::main_with(&mut rg_samples::compute::ComputeChain)
}
