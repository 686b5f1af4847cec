//! With the `tracy` feature: a frame of the compute sample sends Tracy one CPU zone and one GPU
//! zone per pass, named by the pass labels, plus a frame mark, the per-frame plots and a message
//! when the graph recompiles. What was sent is read back through the profiler's event list,
//! which the same calls that reach the Tracy client fill.
//!
//! Run with `cargo test -p rg-samples --features tracy --test tracy` (tools/test.sh does).
#![cfg(feature = "tracy")]

use rg_samples::{compute::ComputeChain, run_headless, Options};
use rg_vulkan::ProfileEvent;

#[test]
fn a_compute_frame_sends_a_cpu_and_a_gpu_zone_per_pass() {
    let mut o = Options::parse("compute", ["--tracy".to_string()]).expect("--tracy is accepted");
    assert!(o.tracy, "the feature turns Tracy on");
    o.headless = true;
    o.frames = Some(3);
    o.out = std::env::temp_dir().join(format!("rg-tracy-{}.png", std::process::id()));
    o.validation = true;
    o.keep_profile_events = true;
    let report = match run_headless(&mut ComputeChain, &o) {
        Ok(r) => r,
        Err(e) if std::env::var("RG_REQUIRE_GPU").is_ok_and(|v| v == "1") => {
            panic!("RG_REQUIRE_GPU=1 but the run failed: {e}")
        }
        Err(e) => {
            eprintln!("tracy: SKIPPED, no Vulkan device: {e}");
            return;
        }
    };
    std::fs::remove_file(&o.out).ok();
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    assert!(report.profiled_with_tracy, "the Tracy client runs and has a GPU context");
    let labels: Vec<&str> = report.passes.iter().map(|p| &*p.label).collect();
    assert_eq!(labels, ["noise", "blur", "slopes", "shade", "show", "readback"]);
    let events = &report.profile;

    // The GPU context names the queue, once.
    let contexts: Vec<&String> = events
        .iter()
        .filter_map(|e| match e {
            ProfileEvent::GpuContext { queue, period_ns, .. } => {
                assert!(*period_ns > 0.0);
                Some(queue)
            }
            _ => None,
        })
        .collect();
    assert_eq!(contexts.len(), 1, "{contexts:?}");
    assert!(contexts[0].contains("queue"), "{}", contexts[0]);

    // Frames are separated by frame marks; each has the compile, run and submit zones and one
    // CPU zone per pass, in plan order.
    let frames: Vec<&[ProfileEvent]> =
        events.split(|e| *e == ProfileEvent::FrameMark).filter(|f| !f.is_empty()).collect();
    assert_eq!(events.iter().filter(|e| **e == ProfileEvent::FrameMark).count(), 3);
    let mut recompiles = Vec::new();
    for (i, frame) in frames.iter().take(3).enumerate() {
        let cpu: Vec<&str> = frame
            .iter()
            .filter_map(|e| match e {
                ProfileEvent::CpuZone { name } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        let passes: Vec<&str> = cpu.iter().copied().filter(|n| labels.contains(n)).collect();
        assert_eq!(passes, labels, "frame {i}: one CPU zone per pass, in order");
        for zone in ["compile", "executor.run", "executor.transients", "executor.submit"] {
            assert_eq!(cpu.iter().filter(|n| **n == zone).count(), 1, "frame {i}: {zone}");
        }
        let plot = |name: &str| {
            frame.iter().find_map(|e| match e {
                ProfileEvent::Plot { name: n, value } if *n == name => Some(*value),
                _ => None,
            })
        };
        assert_eq!(plot("passes run"), Some(6.0), "frame {i}");
        assert_eq!(plot("passes culled"), Some(0.0), "frame {i}");
        assert_eq!(plot("barriers"), Some(report.last.barriers as f64), "frame {i}");
        assert_eq!(plot("transient bytes"), Some(report.last.transient_bytes as f64));
        assert_eq!(plot("transient lower bound bytes"), Some(report.last.lower_bound_bytes as f64));
        assert_eq!(plot("transient unaliased bytes"), Some(report.last.unaliased_bytes as f64));
        assert!(plot("compile us").is_some_and(|us| us > 0.0), "frame {i}");
        recompiles.extend(frame.iter().filter_map(|e| match e {
            ProfileEvent::Message(m) => Some(m.clone()),
            _ => None,
        }));
    }
    // Only the first frame compiles; the others hit the plan cache.
    assert_eq!(recompiles, ["frame graph recompiled: first frame"]);

    // One GPU zone per pass per frame, named by the pass, on the named queue, with timestamps
    // that go forward.
    let gpu: Vec<(&str, &str, u64, u64)> = events
        .iter()
        .filter_map(|e| match e {
            ProfileEvent::GpuZone { name, queue, start, end } => {
                Some((name.as_str(), queue.as_str(), *start, *end))
            }
            _ => None,
        })
        .collect();
    assert_eq!(gpu.len(), 3 * labels.len(), "{gpu:#?}");
    for (k, (name, queue, start, end)) in gpu.iter().enumerate() {
        assert_eq!(*name, labels[k % labels.len()]);
        assert_eq!(*queue, contexts[0].as_str());
        assert!(start <= end, "{name}: {start} > {end}");
        if k > 0 {
            assert!(gpu[k - 1].3 <= *start, "zones are uploaded in GPU order: {gpu:#?}");
        }
    }
}

/// The Tracy client runs in this process and welcomes a profiler of the protocol the README
/// names (Tracy v0.14.1 speaks protocol 82): the handshake a profiler makes when it connects.
#[test]
fn the_client_welcomes_a_tracy_0_14_profiler() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};
    // Starting a profiler-enabled executor starts the client; without a device the client is
    // still started by the profiler itself.
    let _ = rg_vulkan::Profiler::tracy().expect("the feature is built");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut sock = loop {
        match TcpStream::connect(("127.0.0.1", 8086)) {
            Ok(s) => break s,
            Err(e) if Instant::now() > deadline => panic!("no Tracy client on port 8086: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    sock.write_all(b"TracyPrf").unwrap();
    sock.write_all(&82u32.to_le_bytes()).unwrap();
    let mut status = [0u8; 1];
    sock.read_exact(&mut status).expect("a handshake answer");
    assert_eq!(status[0], 1, "1 is HandshakeWelcome; 2 would be a protocol mismatch");
    // The welcome message: timer and clock fields, then the CPU, the program name and host.
    let mut welcome = vec![0u8; 8 * 8 + 2 + 12 + 4 + 64 + 1024];
    sock.read_exact(&mut welcome).expect("the welcome message");
    let pid = u64::from_le_bytes(welcome[48..56].try_into().unwrap());
    assert_eq!(pid, u64::from(std::process::id()), "the client is this process");
    let name = &welcome[82..82 + 64];
    let name = String::from_utf8_lossy(&name[..name.iter().position(|&b| b == 0).unwrap_or(64)]);
    assert!(name.starts_with("tracy"), "program name {name:?}");
}
