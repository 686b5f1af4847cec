//! Benchmarks live in `benches/`; this library holds what they share.

pub mod callgrind {
    //! Reading callgrind's profiles, for the `instructions` bench.

    use std::collections::HashMap;

    /// What one callgrind run counted: the program's total and each function's inclusive count.
    pub struct Counts {
        pub total: u64,
        pub inclusive: HashMap<String, u64>,
    }

    /// Reads a callgrind profile (one event, instructions): every function's own cost lines plus
    /// the inclusive costs of the calls it makes, and the program total.
    ///
    /// The format: `fn=(id) name` starts a function's block (later `fn=(id)` alone); a line of
    /// numbers is a position and its cost; `calls=COUNT POSITION` is followed by a line whose cost
    /// is everything the call executed. Other `key=value` lines (objects, files) do not matter
    /// here.
    pub fn parse(text: &str) -> Result<Counts, String> {
        let mut names: HashMap<String, String> = HashMap::new();
        let mut inclusive: HashMap<String, u64> = HashMap::new();
        let mut total = None;
        let mut current: Option<String> = None;
        let mut after_calls = false;
        for (i, line) in text.lines().enumerate() {
            let bad = || format!("line {}: cannot read `{line}`", i + 1);
            if let Some(rest) = line.strip_prefix("fn=") {
                current = Some(function_name(rest, &mut names).ok_or_else(bad)?);
                after_calls = false;
            } else if let Some(rest) = line.strip_prefix("cfn=") {
                // Defines the id's name when first seen; the callee's cost follows `calls=`.
                function_name(rest, &mut names).ok_or_else(bad)?;
            } else if line.starts_with("calls=") {
                after_calls = true;
            } else if let Some(rest) =
                line.strip_prefix("summary:").or_else(|| line.strip_prefix("totals:"))
            {
                total = Some(rest.trim().parse::<u64>().map_err(|_| bad())?);
            } else if line.starts_with(|c: char| c.is_ascii_digit() || "+-*".contains(c)) {
                // Position, then the instruction count (absent when zero).
                let cost = match line.split_whitespace().nth(1) {
                    Some(c) => c.parse::<u64>().map_err(|_| bad())?,
                    None => 0,
                };
                let f = current.as_ref().ok_or_else(bad)?;
                *inclusive.entry(f.clone()).or_default() += cost;
                after_calls = false;
            } else if after_calls {
                return Err(bad());
            }
        }
        let total = total.ok_or("no `summary:` or `totals:` line: not a callgrind profile")?;
        Ok(Counts { total, inclusive })
    }

    /// The name that `(id) name` defines or `(id)` refers to.
    fn function_name(s: &str, names: &mut HashMap<String, String>) -> Option<String> {
        let s = s.trim();
        if !s.starts_with('(') {
            return Some(s.to_string());
        }
        let close = s.find(')')?;
        let (id, name) = (&s[..=close], s[close + 1..].trim());
        if name.is_empty() {
            names.get(id).cloned()
        } else {
            names.insert(id.to_string(), name.to_string());
            Some(name.to_string())
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// A profile as callgrind writes one, with compressed names and positions: `main`
        /// calls `phase` twice, `phase` calls `leaf`, and inlined code switches files.
        const PROFILE: &str = "\
version: 1
creator: callgrind-3.19.0
positions: line
events: Ir
summary: 1000

ob=(1) /bin/app
fl=(1) src/main.rs
fn=(1) main
3 10
+1 5
cfl=(1)
cfn=(2) phase
calls=2 20
* 300
cfn=(3) leaf
calls=1 40
-2 7
fn=(2)
20 100
fi=(2) src/inlined.rs
5 40
fe=(1)
cfn=(3)
calls=4 40
+1 160
fn=(3) leaf
40 167
";

        #[test]
        fn inclusive_counts_take_in_the_calls() {
            let c = parse(PROFILE).expect("a valid profile");
            assert_eq!(c.total, 1000);
            // Own lines 10 + 5, calls 300 + 7.
            assert_eq!(c.inclusive["main"], 322);
            // Own lines 100 + 40 (inlined code included), a call of 160.
            assert_eq!(c.inclusive["phase"], 300);
            assert_eq!(c.inclusive["leaf"], 167);
            assert_eq!(c.inclusive.len(), 3);
        }

        #[test]
        fn a_damaged_profile_is_an_error_naming_the_line() {
            let cut = PROFILE.replace("* 300", "* lots");
            let e = parse(&cut).err().expect("a bad cost line");
            assert!(e.contains("line 15") && e.contains("* lots"), "{e}");
            let e = parse("fn=(1) main\n3 10\n").err().expect("no summary");
            assert!(e.contains("summary"), "{e}");
            let e = parse("summary: 5\n3 10\n").err().expect("a cost outside a function");
            assert!(e.contains("line 2"), "{e}");
        }
    }
}

/// The median of some timings (`NaN` for none).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// An output image's state at the start of a bench frame: its contents are not needed.
pub const FRESH: rg_core::ResourceState =
    rg_core::ResourceState::undefined(rg_core::QueueKind::Graphics);
