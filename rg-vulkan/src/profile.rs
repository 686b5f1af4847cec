//! Profiling: CPU zones, GPU zones from the passes' timestamps, frame marks, plots and messages,
//! sent to Tracy when the crate is built with the `tracy` feature.
//!
//! The executor owns a [`Profiler`] ([`crate::Executor::profiler`]); callers that compile and
//! present frames (the samples' harness) add their own zones, plots, messages and frame marks
//! through it. Every call can also be kept as a [`ProfileEvent`] ([`Profiler::keep_events`]):
//! the events are pushed by the same code that makes the Tracy calls, so a test that reads them
//! sees what Tracy was sent.
//!
//! Without the feature no Tracy client is compiled, and a profiler asked for Tracy fails with
//! [`crate::Error::NotBuilt`].

#[cfg(feature = "tracy")]
use std::panic::Location;

/// One thing sent to the profiler, kept when [`Profiler::keep_events`] is on.
#[derive(Clone, Debug, PartialEq)]
pub enum ProfileEvent {
    /// A CPU zone began (zones end when their [`Zone`] drops).
    CpuZone {
        name: String,
    },
    /// A pass's GPU zone, with its timestamps in ticks of the device's timestamp period.
    GpuZone {
        name: String,
        queue: String,
        start: u64,
        end: u64,
    },
    /// A GPU context was set up: the queue's name and the CPU/GPU calibration point.
    GpuContext {
        queue: String,
        gpu_timestamp: u64,
        period_ns: f32,
    },
    FrameMark,
    Plot {
        name: &'static str,
        value: f64,
    },
    Message(String),
}

/// An open CPU zone; the zone ends when this drops.
#[must_use = "a zone ends when it is dropped"]
pub struct Zone {
    #[cfg(feature = "tracy")]
    _span: Option<tracy_client::Span>,
}

/// A GPU zone begun at record time, waiting for its timestamps.
pub(crate) struct PendingGpuZone {
    name: std::sync::Arc<str>,
    #[cfg(feature = "tracy")]
    span: Option<tracy_client::GpuSpan>,
}

impl PendingGpuZone {
    /// The pass's commands are recorded.
    pub(crate) fn end(&mut self) {
        #[cfg(feature = "tracy")]
        if let Some(s) = &mut self.span {
            s.end_zone();
        }
    }
}

/// Where profiling goes: Tracy (with the `tracy` feature), a list of events, both or neither.
#[derive(Default)]
pub struct Profiler {
    keep: bool,
    events: Vec<ProfileEvent>,
    queue: String,
    #[cfg(feature = "tracy")]
    tracy: Option<Tracy>,
}

#[cfg(feature = "tracy")]
struct Tracy {
    client: tracy_client::Client,
    gpu: Option<tracy_client::GpuContext>,
    plots: Vec<(&'static str, tracy_client::PlotName)>,
}

/// Whether this build has a Tracy client (the `tracy` feature).
pub const TRACY_BUILT: bool = cfg!(feature = "tracy");

impl Profiler {
    /// A profiler that sends nothing and keeps nothing.
    pub fn off() -> Profiler {
        Profiler::default()
    }

    /// A profiler that sends everything to Tracy.
    ///
    /// # Errors
    /// The crate was built without the `tracy` feature.
    pub fn tracy() -> Result<Profiler, crate::Error> {
        #[cfg(feature = "tracy")]
        {
            let client = tracy_client::Client::start();
            Ok(Profiler {
                tracy: Some(Tracy { client, gpu: None, plots: Vec::new() }),
                ..Profiler::default()
            })
        }
        #[cfg(not(feature = "tracy"))]
        Err(crate::Error::NotBuilt {
            feature: "tracy",
            how: "build with `--features tracy` (for the samples: `cargo run -p rg-samples \
                  --features tracy --bin compute -- --tracy`)",
        })
    }

    /// Whether calls reach a Tracy client.
    pub fn sends_to_tracy(&self) -> bool {
        #[cfg(feature = "tracy")]
        return self.tracy.is_some();
        #[cfg(not(feature = "tracy"))]
        false
    }

    /// Whether GPU zones reach Tracy (a GPU context was set up).
    pub fn has_gpu_context(&self) -> bool {
        #[cfg(feature = "tracy")]
        return self.tracy.as_ref().is_some_and(|t| t.gpu.is_some());
        #[cfg(not(feature = "tracy"))]
        false
    }

    /// Keeps every call as a [`ProfileEvent`] until [`Profiler::take_events`] (for tests and
    /// tools; the list grows every frame, so take it regularly).
    pub fn keep_events(&mut self, keep: bool) {
        self.keep = keep;
    }

    /// The events kept since the last call.
    pub fn take_events(&mut self) -> Vec<ProfileEvent> {
        std::mem::take(&mut self.events)
    }

    fn active(&self) -> bool {
        self.keep || self.sends_to_tracy()
    }

    /// Begins a CPU zone named `name`, ended when the returned [`Zone`] drops. The caller's file
    /// and line are the zone's source location.
    #[track_caller]
    pub fn zone(&mut self, name: &str) -> Zone {
        if self.keep {
            self.events.push(ProfileEvent::CpuZone { name: name.to_string() });
        }
        #[cfg(feature = "tracy")]
        {
            let at = Location::caller();
            let span = self
                .tracy
                .as_ref()
                .map(|t| t.client.clone().span_alloc(Some(name), "", at.file(), at.line(), 0));
            Zone { _span: span }
        }
        #[cfg(not(feature = "tracy"))]
        Zone {}
    }

    /// Marks the end of a frame.
    pub fn frame_mark(&mut self) {
        if self.keep {
            self.events.push(ProfileEvent::FrameMark);
        }
        #[cfg(feature = "tracy")]
        if let Some(t) = &self.tracy {
            t.client.frame_mark();
        }
    }

    /// Adds `value` to the plot `name`.
    pub fn plot(&mut self, name: &'static str, value: f64) {
        if self.keep {
            self.events.push(ProfileEvent::Plot { name, value });
        }
        #[cfg(feature = "tracy")]
        if let Some(t) = &mut self.tracy {
            // Plot names must live for the whole run; each is made (and leaked) once.
            let plot = match t.plots.iter().find(|(n, _)| *n == name) {
                Some((_, p)) => *p,
                None => {
                    let p = tracy_client::PlotName::new_leak(name.to_string());
                    t.plots.push((name, p));
                    p
                }
            };
            t.client.plot(plot, value);
        }
    }

    /// Sends a message to the timeline.
    pub fn message(&mut self, text: &str) {
        if self.keep {
            self.events.push(ProfileEvent::Message(text.to_string()));
        }
        #[cfg(feature = "tracy")]
        if let Some(t) = &self.tracy {
            t.client.message(text, 0);
        }
    }

    /// Whether a GPU context is wanted and not yet set up (it is set up once, on the first frame
    /// that is profiled).
    pub(crate) fn wants_gpu_context(&self) -> bool {
        self.active() && self.queue.is_empty()
    }

    /// Sets up the GPU context of the executor's queue: `gpu_timestamp` was read from the GPU
    /// just now, so that Tracy can place GPU times on its CPU timeline.
    pub(crate) fn gpu_context(&mut self, queue: &str, gpu_timestamp: u64, period_ns: f32) {
        self.queue = queue.to_string();
        if self.keep {
            self.events.push(ProfileEvent::GpuContext {
                queue: queue.to_string(),
                gpu_timestamp,
                period_ns,
            });
        }
        #[cfg(feature = "tracy")]
        if let Some(t) = &mut self.tracy {
            match t.client.clone().new_gpu_context(
                Some(queue),
                tracy_client::GpuContextType::Vulkan,
                gpu_timestamp as i64,
                period_ns,
            ) {
                Ok(ctx) => t.gpu = Some(ctx),
                Err(e) => t.client.message(&format!("no GPU zones: {e}"), 0),
            }
        }
    }

    /// Begins a pass's GPU zone as its commands begin to be recorded (Tracy takes the CPU time
    /// of this call and of [`PendingGpuZone::end`]); the timestamps follow in
    /// [`Profiler::gpu_zone_done`].
    #[track_caller]
    pub(crate) fn gpu_zone_begin(&mut self, name: &std::sync::Arc<str>) -> Option<PendingGpuZone> {
        if !self.active() || self.queue.is_empty() {
            return None;
        }
        #[cfg(feature = "tracy")]
        {
            let at = Location::caller();
            let span = self
                .tracy
                .as_ref()
                .and_then(|t| t.gpu.as_ref())
                .and_then(|g| g.span_alloc(name, "", at.file(), at.line()).ok());
            Some(PendingGpuZone { name: name.clone(), span })
        }
        #[cfg(not(feature = "tracy"))]
        Some(PendingGpuZone { name: name.clone() })
    }

    /// Gives a GPU zone its timestamps once the GPU has written them.
    pub(crate) fn gpu_zone_done(&mut self, zone: PendingGpuZone, start: u64, end: u64) {
        if self.keep {
            self.events.push(ProfileEvent::GpuZone {
                name: zone.name.to_string(),
                queue: self.queue.clone(),
                start,
                end,
            });
        }
        #[cfg(feature = "tracy")]
        if let Some(span) = zone.span {
            span.upload_timestamp_start(start as i64);
            span.upload_timestamp_end(end as i64);
        }
    }
}
