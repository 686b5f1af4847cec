//! The plan as stable text (for people, logs and snapshot tests), JSON (for tools) and Graphviz
//! DOT (for pictures). Nothing here depends on addresses, hash order or declaration sites, so
//! the same plan always prints the same bytes.

use crate::access::ResourceKind;
use crate::graph::{Lifetime, Subresource};
use crate::plan::{Barrier, Plan, TransferHalf, WaitPoint};
use std::fmt::Write;

/// The part of resource `r` that `sub` names, for people (`mip 3`, `layers 0..4`), or `None`
/// when it is all of it: whole-image output reads as it always did. A range that spans every
/// mip level (or layer) leaves that dimension out.
fn part(plan: &Plan, r: usize, sub: Subresource) -> Option<String> {
    let img = plan.resources.get(r)?.image?;
    let (mips, layers) = (img.mip_levels, img.array_layers);
    if sub == Subresource::ALL || sub.is_whole(mips, layers) {
        return None;
    }
    let mut shown = sub;
    if sub.base_mip == 0 && sub.mip_count == mips {
        shown.mip_count = Subresource::REST;
    }
    if sub.base_layer == 0 && sub.layer_count == layers {
        shown.layer_count = Subresource::REST;
    }
    Some(shown.to_string())
}

/// ` mip 3` after a label, or nothing for all of it.
fn part_suffix(plan: &Plan, r: usize, sub: Subresource) -> String {
    part(plan, r, sub).map_or(String::new(), |p| format!(" {p}"))
}

/// Bytes as a short human figure (`12.0 MiB`).
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn barrier_line(plan: &Plan, b: &Barrier) -> String {
    let mut s = format!(
        "`{}`{} {}:{} -> {}:{}",
        plan.resources[b.resource].label,
        part_suffix(plan, b.resource, b.subresource),
        b.src_stages,
        b.src_access,
        b.dst_stages,
        b.dst_access
    );
    if let Some((a, c)) = b.layout {
        let _ = write!(s, " layout {a} -> {c}");
    }
    if b.discard {
        s.push_str(" discard");
    }
    if let Some(t) = b.transfer {
        let half = match t.half {
            TransferHalf::Release => "release",
            TransferHalf::Acquire => "acquire",
        };
        let _ = write!(s, " {half} {} -> {}", t.from, t.to);
    }
    s
}

fn point(p: WaitPoint, plan: &Plan) -> String {
    match p {
        WaitPoint::Prologue => "prologue".into(),
        WaitPoint::Pass(i) => format!("#{i} `{}`", plan.passes[i].label),
    }
}

/// The plan as text.
pub fn text(plan: &Plan) -> String {
    let st = &plan.stats;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "plan: {} passes run, {} culled, {} barriers, {} waits",
        st.passes_run, st.passes_culled, st.barriers, st.waits
    );
    let ratio = if st.lower_bound_bytes > 0 {
        st.transient_bytes as f64 / st.lower_bound_bytes as f64
    } else {
        1.0
    };
    let _ = writeln!(
        s,
        "memory: {} heaps, {} used, {} lower bound ({ratio:.3}x), {} without aliasing",
        plan.heaps.len(),
        bytes(st.transient_bytes),
        bytes(st.lower_bound_bytes),
        bytes(st.unaliased_bytes)
    );
    for b in &plan.prologue {
        let _ = writeln!(s, "prologue [{}]: {}", b.queue, barrier_line(plan, b));
    }
    for (i, p) in plan.passes.iter().enumerate() {
        let _ = writeln!(
            s,
            "#{i} `{}` [{}]{}",
            p.label,
            p.queue,
            if p.signal { " signals" } else { "" }
        );
        for w in plan.waits_of(p) {
            let _ = writeln!(s, "    wait {} {} for {}", w.queue, point(w.point, plan), w.stages);
        }
        for b in plan.barriers_of(p) {
            let _ = writeln!(s, "    barrier {}", barrier_line(plan, b));
        }
        for a in plan.accesses_of(p) {
            let _ = writeln!(
                s,
                "    {} `{}` v{}{}",
                a.access,
                plan.resources[a.resource].label,
                a.version,
                part_suffix(plan, a.resource, a.subresource)
            );
        }
        for b in plan.releases_of(p) {
            let _ = writeln!(s, "    then {}", barrier_line(plan, b));
        }
    }
    for b in &plan.epilogue {
        let _ = writeln!(s, "epilogue [{}]: {}", b.queue, barrier_line(plan, b));
    }
    for (_, label) in &plan.culled {
        let _ = writeln!(s, "culled `{label}`");
    }
    for (h, heap) in plan.heaps.iter().enumerate() {
        let _ = writeln!(
            s,
            "heap {h}: {} (types {:#b}, align {})",
            bytes(heap.size),
            heap.memory_type_bits,
            heap.alignment
        );
        // By offset, then declaration order: the memory as a picture, bottom up.
        let mut members = heap.resources.clone();
        members.sort_by_key(|&r| (plan.resources[r].placement.map(|p| p.offset), r));
        for r in members {
            let res = &plan.resources[r];
            if let (Some(pl), Some(f), Some(l)) = (res.placement, res.first_use, res.last_use) {
                let _ = writeln!(
                    s,
                    "    {:>10} +{:<10} #{f}..#{l} `{}`",
                    pl.offset,
                    bytes(pl.size),
                    res.label
                );
            }
        }
    }
    for r in &plan.resources {
        let what = match (r.image, r.buffer_size) {
            (Some(i), _) => format!(
                "image {:?} {}{}{}",
                i.format,
                i.extent,
                if i.mip_levels > 1 { format!(" mips {}", i.mip_levels) } else { String::new() },
                if i.array_layers > 1 {
                    format!(" layers {}", i.array_layers)
                } else {
                    String::new()
                },
            ),
            (None, Some(b)) => format!("buffer {}", bytes(b)),
            _ => "invalid".into(),
        };
        let life = match r.lifetime {
            Lifetime::Transient => "transient",
            Lifetime::Imported { .. } => "imported",
            Lifetime::Temporal => "temporal",
        };
        let _ = writeln!(s, "resource `{}`: {what}, {life}, usage {}", r.label, r.usage);
    }
    s
}

fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// `,"subresource":"mip 3"` for part of an image, nothing for all of it.
fn json_part(plan: &Plan, r: usize, sub: Subresource) -> String {
    part(plan, r, sub).map_or(String::new(), |p| format!(",\"subresource\":{}", json_str(&p)))
}

fn json_barrier(plan: &Plan, b: &Barrier) -> String {
    let layout = match b.layout {
        Some((a, c)) => format!("[{},{}]", json_str(a.name()), json_str(c.name())),
        None => "null".into(),
    };
    let transfer = match b.transfer {
        Some(t) => format!(
            "{{\"from\":{},\"to\":{},\"half\":{}}}",
            json_str(t.from.name()),
            json_str(t.to.name()),
            json_str(match t.half {
                TransferHalf::Release => "release",
                TransferHalf::Acquire => "acquire",
            })
        ),
        None => "null".into(),
    };
    format!(
        "{{\"resource\":{}{},\"queue\":{},\"src_stages\":{},\"src_access\":{},\"dst_stages\":{},\"dst_access\":{},\"layout\":{layout},\"discard\":{},\"transfer\":{transfer}}}",
        b.resource,
        json_part(plan, b.resource, b.subresource),
        json_str(b.queue.name()),
        json_str(&b.src_stages.names()),
        json_str(&b.src_access.names()),
        json_str(&b.dst_stages.names()),
        json_str(&b.dst_access.names()),
        b.discard
    )
}

fn json_list<T>(items: impl Iterator<Item = T>, f: impl Fn(T) -> String) -> String {
    let v: Vec<String> = items.map(f).collect();
    format!("[{}]", v.join(","))
}

/// The plan as JSON: `stats`, `passes` (with waits, barriers, accesses and releases),
/// `resources` (with placements), `heaps`, `prologue`, `epilogue` and `culled`.
pub fn json(plan: &Plan) -> String {
    let st = &plan.stats;
    let stats = format!(
        "{{\"passes_declared\":{},\"passes_run\":{},\"passes_culled\":{},\"barriers\":{},\"waits\":{},\"transient_bytes\":{},\"unaliased_bytes\":{},\"lower_bound_bytes\":{}}}",
        st.passes_declared,
        st.passes_run,
        st.passes_culled,
        st.barriers,
        st.waits,
        st.transient_bytes,
        st.unaliased_bytes,
        st.lower_bound_bytes
    );
    let passes = json_list(plan.passes.iter(), |p| {
        format!(
            "{{\"label\":{},\"queue\":{},\"signal\":{},\"waits\":{},\"barriers\":{},\"accesses\":{},\"releases\":{}}}",
            json_str(&p.label),
            json_str(p.queue.name()),
            p.signal,
            json_list(plan.waits_of(p).iter(), |w| format!(
                "{{\"queue\":{},\"point\":{},\"stages\":{}}}",
                json_str(w.queue.name()),
                match w.point {
                    WaitPoint::Prologue => "\"prologue\"".to_string(),
                    WaitPoint::Pass(i) => i.to_string(),
                },
                json_str(&w.stages.names())
            )),
            json_list(plan.barriers_of(p).iter(), |b| json_barrier(plan, b)),
            json_list(plan.accesses_of(p).iter(), |a| format!(
                "{{\"resource\":{}{},\"access\":{},\"version\":{}}}",
                a.resource,
                json_part(plan, a.resource, a.subresource),
                json_str(&a.access.name()),
                a.version
            )),
            json_list(plan.releases_of(p).iter(), |b| json_barrier(plan, b)),
        )
    });
    let resources = json_list(plan.resources.iter(), |r| {
        let placement = match r.placement {
            Some(p) => {
                format!("{{\"heap\":{},\"offset\":{},\"size\":{}}}", p.heap, p.offset, p.size)
            }
            None => "null".into(),
        };
        let opt = |v: Option<usize>| v.map_or("null".to_string(), |v| v.to_string());
        format!(
            "{{\"label\":{},\"kind\":{},\"lifetime\":{},\"usage\":{},\"first_use\":{},\"last_use\":{},\"placement\":{placement}}}",
            json_str(&r.label),
            json_str(r.kind.name()),
            json_str(match r.lifetime {
                Lifetime::Transient => "transient",
                Lifetime::Imported { .. } => "imported",
                Lifetime::Temporal => "temporal",
            }),
            json_str(&r.usage.names()),
            opt(r.first_use),
            opt(r.last_use)
        )
    });
    let heaps = json_list(plan.heaps.iter(), |h| {
        format!(
            "{{\"size\":{},\"alignment\":{},\"memory_type_bits\":{},\"resources\":{}}}",
            h.size,
            h.alignment,
            h.memory_type_bits,
            json_list(h.resources.iter(), |r| r.to_string())
        )
    });
    format!(
        "{{\"stats\":{stats},\"passes\":{passes},\"resources\":{resources},\"heaps\":{heaps},\"prologue\":{},\"epilogue\":{},\"culled\":{}}}",
        json_list(plan.prologue.iter(), |b| json_barrier(plan, b)),
        json_list(plan.epilogue.iter(), |b| json_barrier(plan, b)),
        json_list(plan.culled.iter(), |(_, l)| json_str(l))
    )
}

fn dot_id(s: &str) -> String {
    // Graphviz reads no NUL in a quoted string: it is written as U+FFFD.
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"").replace('\0', "\u{fffd}"))
}

/// The plan as a Graphviz digraph: passes as boxes (coloured by queue, numbered in order),
/// resources as ellipses (transients dashed), edges labelled with the access. Culled passes are
/// not in the plan's pass list; they appear greyed, unconnected, for completeness.
pub fn dot(plan: &Plan) -> String {
    let mut s = String::from("digraph plan {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=8];\n");
    for (i, p) in plan.passes.iter().enumerate() {
        let color = match p.queue {
            crate::QueueKind::Graphics => "#cfe2ff",
            crate::QueueKind::Compute => "#d1e7dd",
            crate::QueueKind::Transfer => "#fff3cd",
        };
        let _ = writeln!(
            s,
            "  p{i} [shape=box, style=filled, fillcolor=\"{color}\", label={}];",
            dot_id(&format!("#{i} {}\n{} queue, {} barriers", p.label, p.queue, p.barriers.len()))
        );
    }
    for (i, (_, label)) in plan.culled.iter().enumerate() {
        let _ = writeln!(
            s,
            "  c{i} [shape=box, style=\"filled,dashed\", fillcolor=\"#eeeeee\", fontcolor=\"#888888\", label={}];",
            dot_id(&format!("{label}\n(culled)"))
        );
    }
    for (r, res) in plan.resources.iter().enumerate() {
        if res.first_use.is_none() {
            continue;
        }
        let style = match res.lifetime {
            Lifetime::Transient => "dashed",
            _ => "solid",
        };
        let shape = if res.kind == ResourceKind::Image { "ellipse" } else { "cylinder" };
        let _ = writeln!(s, "  r{r} [shape={shape}, style={style}, label={}];", dot_id(&res.label));
    }
    for (i, p) in plan.passes.iter().enumerate() {
        for a in plan.accesses_of(p) {
            let label = match part(plan, a.resource, a.subresource) {
                Some(part) => dot_id(&format!("{}\n{part}", a.access.name())),
                None => dot_id(&a.access.name()),
            };
            if a.access.writes() {
                let _ =
                    writeln!(s, "  p{i} -> r{} [label={label}, color=\"#c0392b\"];", a.resource);
            } else {
                let _ = writeln!(s, "  r{} -> p{i} [label={label}];", a.resource);
            }
        }
        for w in plan.waits_of(p) {
            if let WaitPoint::Pass(j) = w.point {
                let _ = writeln!(s, "  p{j} -> p{i} [style=dotted, label=\"wait\"];");
            }
        }
    }
    s.push_str("}\n");
    s
}
