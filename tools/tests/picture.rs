//! The plan picture and the DOT export, checked against the plans they draw.

use rg_core::{print, reference, Compiler, FakeMemory, Plan};
use rg_tools::picture::{Picture, BACKGROUND, BARRIER, COLUMN};
use std::process::{Command, Stdio};
use std::sync::Arc;

fn frames() -> Vec<(String, Arc<Plan>)> {
    let memory = FakeMemory::default();
    let mut out: Vec<(String, Arc<Plan>)> = reference::all()
        .into_iter()
        .map(|(n, g)| (n.to_string(), Compiler::new().compile(&g, &memory).expect("compiles")))
        .collect();
    for name in rg_samples::SAMPLES {
        let mut s = rg_samples::by_name(name).expect("listed samples exist");
        let (g, _) = rg_samples::frame_graph(&mut *s, rg_core::Format::Bgra8Srgb, 640, 360, 0);
        out.push((format!("sample:{name}"), Compiler::new().compile(&g, &memory).expect("ok")));
    }
    out
}

#[test]
fn the_png_shows_every_transient_where_the_plan_placed_it() {
    for (name, plan) in frames() {
        let pic = Picture::new(&name, &plan);
        let img = pic.png();
        assert_eq!((img.width(), img.height()), (pic.width, pic.height), "{name}");
        assert!(pic.width >= plan.passes.len() as u32 * COLUMN, "{name}: a column per pass");

        // One bar per placed transient, each visible in its own colour.
        let placed = plan.resources.iter().filter(|r| r.placement.is_some()).count();
        assert_eq!(pic.bars.len(), placed, "{name}: bars");
        for bar in &pic.bars {
            let res = &plan.resources[bar.resource];
            let p = res.placement.as_ref().unwrap();
            let first = res.first_use.unwrap() as u32;
            let last = res.last_use.unwrap() as u32;
            assert_eq!(bar.w + 4, (last - first + 1) * COLUMN, "{name}: {} spans", res.label);
            assert_eq!(bar.heap, p.heap);
            let pixel = img.get_pixel(bar.x + 1, bar.y + 1).0;
            assert_eq!(pixel, bar.fill, "{name}: {} is covered or missing", res.label);
        }
        // Bars that share heap rows must live at different times, as the plan's aliasing says.
        for (i, a) in pic.bars.iter().enumerate() {
            for b in &pic.bars[i + 1..] {
                let rows = a.heap == b.heap && a.y < b.y + b.h && b.y < a.y + a.h;
                let cols = a.x < b.x + b.w && b.x < a.x + a.w;
                let (ra, rb) = (&plan.resources[a.resource], &plan.resources[b.resource]);
                let (pa, pb) = (ra.placement.as_ref().unwrap(), rb.placement.as_ref().unwrap());
                let share = pa.offset < pb.offset + pb.size && pb.offset < pa.offset + pa.size;
                if rows && cols {
                    assert!(
                        !share,
                        "{name}: {} and {} overlap in memory and time",
                        ra.label, rb.label
                    );
                }
            }
        }
        // A red line at every boundary with barriers, and a mark for each pass that has some.
        let with_barriers = plan.passes.iter().filter(|p| !p.barriers.is_empty()).count();
        assert_eq!(pic.barrier_marks.len(), with_barriers, "{name}");
        let marked: usize = pic.barrier_marks.iter().map(|(_, n)| n).sum();
        assert_eq!(marked, plan.barriers.len(), "{name}: every barrier is counted");
        if let Some(bar) = pic.bars.first() {
            for (x, _) in &pic.barrier_marks {
                assert_eq!(img.get_pixel(*x, bar.y).0, BARRIER, "{name}: line at {x}");
            }
        }
        // Not blank: a good part of the picture is drawn, in many colours.
        let drawn = img.pixels().filter(|p| p.0 != BACKGROUND).count();
        assert!(drawn * 25 > img.pixels().len(), "{name}: only {drawn} pixels drawn");
        let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
        colours.sort_unstable();
        colours.dedup();
        assert!(colours.len() >= pic.bars.len() + 3, "{name}: {} colours", colours.len());
    }
}

#[test]
fn aliasing_is_visible_in_the_deferred_frame() {
    let plan = Compiler::new()
        .compile(&reference::deferred_frame(), &FakeMemory::default())
        .expect("compiles");
    let pic = Picture::new("deferred", &plan);
    // Two bars in the same rows of the same heap, side by side in time: shared memory.
    let shared = pic.bars.iter().enumerate().any(|(i, a)| {
        pic.bars[i + 1..].iter().any(|b| {
            a.heap == b.heap
                && a.y < b.y + b.h
                && b.y < a.y + a.h
                && (a.x + a.w <= b.x || b.x + b.w <= a.x)
        })
    });
    assert!(shared, "the deferred frame aliases, so some bars must share rows");
    assert!(plan.stats.transient_bytes < plan.stats.unaliased_bytes);
    let svg = pic.svg();
    let totals = format!("lower bound {}", print::bytes(plan.stats.lower_bound_bytes));
    assert!(svg.contains(&totals), "the totals are written on the picture");
}

/// Checks that every tag is closed in order: enough to catch broken SVG without an XML crate.
fn balanced(xml: &str) -> Result<usize, String> {
    let mut stack: Vec<&str> = Vec::new();
    let mut count = 0;
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').ok_or("unterminated tag")? + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or(format!("`</{name}>` closes nothing"))?;
            if open != name {
                return Err(format!("`<{open}>` closed by `</{name}>`"));
            }
        } else if !tag.ends_with('/') {
            stack.push(tag.split_whitespace().next().unwrap_or(""));
            count += 1;
        } else {
            count += 1;
        }
    }
    if stack.is_empty() {
        Ok(count)
    } else {
        Err(format!("unclosed: {stack:?}"))
    }
}

#[test]
fn the_svg_is_well_formed_and_names_every_pass_and_transient() {
    for (name, plan) in frames() {
        let pic = Picture::new(&name, &plan);
        let svg = pic.svg();
        let header = format!("width=\"{}\" height=\"{}\"", pic.width, pic.height);
        assert!(svg.starts_with("<svg") && svg.contains(&header), "{name}");
        let elements = balanced(&svg).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(elements > pic.bars.len() + plan.passes.len(), "{name}: {elements} elements");
        for p in &plan.passes {
            assert!(svg.contains(&*p.label), "{name}: pass {} missing", p.label);
        }
        for bar in &pic.bars {
            let label = &plan.resources[bar.resource].label;
            assert!(svg.contains(&**label), "{name}: transient {label} missing");
        }
    }
}

#[test]
fn graphviz_parses_the_dot_of_every_frame() {
    for (name, plan) in frames() {
        let dot = print::dot(&plan);
        let mut child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("Graphviz's `dot` runs (bash tools/setup.sh installs graphviz)");
        use std::io::Write;
        child.stdin.take().unwrap().write_all(dot.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && stderr.trim().is_empty(), "{name}: dot says {stderr}");
        let svg = String::from_utf8_lossy(&out.stdout);
        // Every pass, including the culled ones (greyed), is a node of the drawn graph.
        for p in &plan.passes {
            assert!(svg.contains(&*p.label), "{name}: {} not drawn", p.label);
        }
        for (_, label) in &plan.culled {
            assert!(svg.contains(&**label), "{name}: culled {label} not drawn");
        }
    }
}

fn rg_plan(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rg-plan")).args(args).output().expect("rg-plan runs")
}

#[test]
fn the_tool_writes_pictures_and_explains_bad_input() {
    let dir = std::env::temp_dir().join(format!("rg-plan-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("compute.png");
    let svg = dir.join("compute.svg");
    let out = rg_plan(&[
        "sample:compute",
        "--png",
        png.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
        "--check",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let img = image::open(&png).expect("a PNG").to_rgb8();
    assert!(img.width() > 200 && img.height() > 200);
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));

    let out = rg_plan(&["nonsense"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no frame called `nonsense`"));
    let out = rg_plan(&["sample:nonsense"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no sample called `nonsense`"));
    let out = rg_plan(&["--size", "12"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected WIDTHxHEIGHT"));
    let out = rg_plan(&["--png", dir.join("missing/dir/x.png").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write the PNG"));
    let out = rg_plan(&["deferred", "--dot"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("digraph plan {"));
    for (args, want) in [
        (&["compute", "temporal"][..], "two frames named, `compute` and `temporal`"),
        (&["--json", "--dot"][..], "choose one output format"),
        (&["--png", "--json"][..], "`--png` needs a file name"),
    ] {
        let out = rg_plan(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(want), "{args:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Checks: labels with control characters (a NUL among them) give SVG with none of them and
/// DOT that Graphviz reads.
#[test]
fn labels_with_control_characters_are_written_readably() {
    use rg_core::*;
    let mut g: Graph = Graph::new(Extent::new(8, 8));
    let b = g.create_buffer("nul\0and\u{1}bell\u{7}", BufferDesc::new(64));
    let mut p = g.add_pass("pass\0one", QueueKind::Compute);
    let b = p.write(b, Access::StorageWrite(ShaderStages::COMPUTE));
    p.finish();
    g.export(b);
    let plan = Compiler::new().compile(&g, &FakeMemory::default()).expect("compiles");
    let svg = Picture::new("controls", &plan).svg();
    let bad: Vec<char> =
        svg.chars().filter(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')).collect();
    assert!(bad.is_empty(), "control characters in the SVG: {bad:?}");
    balanced(&svg).expect("well-formed");
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Graphviz's `dot` runs");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(print::dot(&plan).as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.trim().is_empty(), "dot says {stderr}");
}

/// Checks: a reader that stops early ends rg-plan quietly; standard output that cannot be
/// written is an error, not a panic; a PNG is a PNG whatever its file is called.
#[test]
fn the_tool_handles_its_output_going_wrong() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rg-plan"))
        .args(["deferred", "--dot"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rg-plan runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    if let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") {
        let out = Command::new(env!("CARGO_BIN_EXE_rg-plan"))
            .args(["deferred", "--json"])
            .stdout(full)
            .output()
            .expect("rg-plan runs");
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("cannot write the plan to standard output"), "{stderr}");
    }
    let path = std::env::temp_dir().join(format!("rg-plan-noext-{}", std::process::id()));
    let out = rg_plan(&["compute", "--png", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(&std::fs::read(&path).unwrap()[..4], b"\x89PNG");
    std::fs::remove_file(&path).ok();
}
