//! The showcase, as `samples/src/bin/showcase.rs` builds it.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    rg_samples::showcase::main()
}
