//! Shared by the GPU tests: a context with validation and synchronization validation on, or a
//! clear skip (a failure when `RG_REQUIRE_GPU=1`).

use rg_vulkan::{Config, Context, Error, Pass, Recorder};

/// A validated context, or `None` (with the reason printed) when no Vulkan device exists and
/// `RG_REQUIRE_GPU` is not set. With `RG_REQUIRE_GPU=1` a missing device fails the test.
pub fn context(test: &str) -> Option<Context> {
    let config = Config { validation: true, ..Config::default() };
    match Context::new(&config) {
        Ok(ctx) => Some(ctx),
        Err(e) => {
            if std::env::var("RG_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                panic!("{test}: RG_REQUIRE_GPU=1 but no Vulkan device could be set up: {e}");
            }
            eprintln!("{test}: SKIPPED, no Vulkan device: {e} (set RG_REQUIRE_GPU=1 to make this a failure)");
            None
        }
    }
}

/// Fails with every warning or error the validation layers reported.
pub fn assert_clean(ctx: &Context, test: &str) {
    let problems = ctx.problems();
    assert!(
        problems.is_empty(),
        "{test}: {} validation message(s):\n{}",
        problems.len(),
        problems.iter().map(|m| format!("[{}] {}", m.id, m.text)).collect::<Vec<_>>().join("\n")
    );
}

/// A pass's payload: the closure that records it.
#[allow(dead_code)] // not every test binary records passes
pub fn pass(f: impl FnOnce(&mut Recorder<'_>) -> Result<(), Error> + 'static) -> Pass {
    Box::new(f)
}
