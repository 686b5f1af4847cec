//! `rg-plan`: compiles one of the reference frames and prints its plan.
//!
//! ```text
//! rg-plan [deferred|compute|temporal] [--text|--json|--dot] [--check]
//! ```
//! `--check` also replays the plan through the hazard oracle and fails if it finds anything.

use rg_core::{oracle, print, reference, Compiler, FakeMemory};
use std::process::ExitCode;

const USAGE: &str = "usage: rg-plan [deferred|compute|temporal] [--text|--json|--dot] [--check]";

fn main() -> ExitCode {
    let mut frame = "deferred".to_string();
    let mut format = "text";
    let mut check = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--text" => format = "text",
            "--json" => format = "json",
            "--dot" => format = "dot",
            "--check" => check = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            a if !a.starts_with('-') => frame = a.to_string(),
            a => {
                eprintln!("rg-plan: unknown option `{a}`\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let Some((_, graph)) = reference::all().into_iter().find(|(n, _)| *n == frame) else {
        eprintln!(
            "rg-plan: no reference frame called `{frame}` (try deferred, compute or temporal)"
        );
        return ExitCode::from(2);
    };
    let plan = match Compiler::new().compile(&graph, &FakeMemory::default()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("rg-plan: {e}");
            return ExitCode::FAILURE;
        }
    };
    match format {
        "json" => println!("{}", print::json(&plan)),
        "dot" => print!("{}", print::dot(&plan)),
        _ => print!("{}", print::text(&plan)),
    }
    if check {
        let hazards = oracle::check(&plan);
        if !hazards.is_empty() {
            for h in &hazards {
                eprintln!("hazard: {h}");
            }
            return ExitCode::FAILURE;
        }
        eprintln!("rg-plan: the hazard oracle found nothing in `{frame}`");
    }
    ExitCode::SUCCESS
}
