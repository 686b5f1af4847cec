//! The windowed path: a winit window, a swapchain, resizes, and the frames presented into it.

use super::*;
use raw_window_handle::HasDisplayHandle;
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, EventLoop};
use winit::window::{Window, WindowId};

struct Live {
    // The swapchain is destroyed by hand, then the executor, then the context. The
    // swapchain keeps the window (shared) until its surface is gone.
    swapchain: Option<Swapchain>,
    /// RenderDoc, with `--capture-frame`.
    capture: Option<FrameCapture>,
    ex: Executor,
    ctx: Context,
    window: Arc<Window>,
    compiler: FrameCompiler,
    resize_pending: bool,
}

struct App<'a> {
    sample: &'a mut dyn Sample,
    opts: Options,
    live: Option<Live>,
    report: Report,
    error: Option<Error>,
    frame: u64,
}

/// Opens a window and renders into its swapchain until it closes or `opts.frames` frames
/// were presented.
///
/// # Errors
/// No display connection, no device, a failed frame.
pub fn run(sample: &mut dyn Sample, opts: &Options) -> Result<Report, Error> {
    let event_loop = EventLoop::new().map_err(|e| window_error("cannot open the display", e))?;
    let mut app = App {
        sample,
        opts: opts.clone(),
        live: None,
        report: Report::default(),
        error: None,
        frame: 0,
    };
    event_loop.run_app(&mut app).map_err(|e| window_error("the event loop failed", e))?;
    let problems = app.shut_down();
    if let Some(e) = app.error {
        return Err(e);
    }
    app.report.problems = problems;
    Ok(app.report)
}

/// A windowing failure, as an [`Error`] saying what failed.
fn window_error(what: &'static str, e: impl std::fmt::Display) -> Error {
    Error::Window { what, message: e.to_string() }
}

impl App<'_> {
    fn start(&mut self, el: &ActiveEventLoop) -> Result<(), Error> {
        let attrs = Window::default_attributes()
            .with_title(format!("rg: {}", self.sample.name()))
            .with_inner_size(PhysicalSize::new(self.opts.width, self.opts.height));
        let window = Arc::new(
            el.create_window(attrs).map_err(|e| window_error("cannot create a window", e))?,
        );
        // Only which surface extensions the instance needs is read from it.
        let display =
            window.display_handle().map_err(|e| window_error("no display handle", e))?.as_raw();
        let ctx = Context::new(&Config {
            app_name: self.sample.name().into(),
            display: Some(display),
            validation: self.opts.validation,
        })?;
        let capture = self.opts.capture_frame.map(|_| FrameCapture::new(&ctx)).transpose()?;
        let mut ex = Executor::with_config(&ctx, self.opts.executor_config())?;
        ex.profiler().keep_events(self.opts.keep_profile_events);
        self.sample.prepare(&mut ex)?;
        let size = window.inner_size();
        let swapchain = Swapchain::new(&ctx, &mut ex, window.clone(), size.width, size.height)?;
        self.live = Some(Live {
            swapchain: Some(swapchain),
            capture,
            ex,
            ctx,
            window,
            compiler: FrameCompiler::default(),
            resize_pending: false,
        });
        Ok(())
    }

    fn draw(&mut self) -> Result<bool, Error> {
        let Some(live) = self.live.as_mut() else { return Ok(true) };
        // The captured frame runs from before its acquire to after its present (an acquire
        // that asks for a resize first keeps the capture open for the retry).
        if let Some(c) = live.capture.as_mut() {
            if self.opts.capture_frame == Some(self.frame) && !c.capturing() {
                c.start(&self.opts.capture_out)?;
            }
        }
        let sc = live.swapchain.as_mut().expect("alive until shutdown");
        if live.resize_pending {
            let size = live.window.inner_size();
            sc.recreate(&mut live.ex, size.width, size.height)?;
            live.resize_pending = false;
            self.report.recreated += 1;
        }
        let Some(acquired) = sc.acquire()? else {
            live.resize_pending = true;
            return Ok(true);
        };
        let (w, h) = (acquired.width, acquired.height);
        reload(&mut live.ex, &mut *self.sample, &mut self.report)?;
        let (g, output) = if self.opts.fail_at == Some(self.frame) {
            frame_graph(&mut FailingFrame(&mut *self.sample), acquired.format, w, h, self.frame)
        } else {
            frame_graph(self.sample, acquired.format, w, h, self.frame)
        };
        let compiled = live.compiler.compile(g, &mut live.ex)?;
        self.report.note_plan(compiled.plan());
        let bindings =
            self.sample.bind(Bindings::new().image(output, acquired.image).present(&acquired));
        // A failed frame ends the run with its error. Its image is not presented (an
        // error found before recording submits nothing that would signal the present
        // semaphore); `shut_down` destroys the swapchain, which waits for the queue first.
        self.report.last = live.ex.run(compiled, &bindings)?;
        self.report.note_gpu(live.ex.take_gpu_frames());
        let zone = live.ex.profiler().zone("present");
        if !sc.present(&acquired)? {
            live.resize_pending = true;
        }
        drop(zone);
        if let Some(c) = live.capture.as_mut().filter(|c| c.capturing()) {
            self.report.capture = Some(c.end()?);
        }
        live.ex.profiler().frame_mark();
        self.frame += 1;
        self.report.frames = self.frame;
        self.report.width = w;
        self.report.height = h;
        if self.opts.resize_at == Some(self.frame) {
            let size = live.window.inner_size();
            let _ = live
                .window
                .request_inner_size(PhysicalSize::new(size.width * 3 / 4, size.height * 3 / 4));
        }
        Ok(self.opts.frames.is_none_or(|n| self.frame < n))
    }

    fn shut_down(&mut self) -> Vec<String> {
        let Some(mut live) = self.live.take() else { return Vec::new() };
        // A capture left open by a failed frame is thrown away while the instance lives.
        drop(live.capture.take());
        if let Some(sc) = live.swapchain.take() {
            if let Err(e) = sc.destroy(&mut live.ex) {
                self.error.get_or_insert(e);
            }
        }
        let _ = live.ex.wait_idle();
        self.report.note_gpu(live.ex.take_gpu_frames());
        match self.sample.finish(&mut live.ex) {
            Ok(stats) => self.report.sample_stats = stats,
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self.report.profile = live.ex.profiler().take_events();
        self.report.recompiles = std::mem::take(&mut live.compiler.reasons);
        let p = live.ex.profiler();
        self.report.profiled_with_tracy = p.sends_to_tracy() && p.has_gpu_context();
        let Live { ex, ctx, .. } = live;
        drop(ex);
        let problems = ctx.shutdown();
        problems.iter().map(|m| format!("[{}] {}", m.id, m.text)).collect()
    }
}

impl ApplicationHandler for App<'_> {
    fn resumed(&mut self, el: &ActiveEventLoop) {
        if self.live.is_none() {
            if let Err(e) = self.start(el) {
                self.error = Some(e);
                el.exit();
            }
        }
    }

    fn window_event(&mut self, el: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        match event {
            WindowEvent::CloseRequested => el.exit(),
            WindowEvent::Resized(_) => {
                if let Some(l) = self.live.as_mut() {
                    l.resize_pending = true;
                }
            }
            WindowEvent::RedrawRequested => match self.draw() {
                Ok(true) => {}
                Ok(false) => el.exit(),
                Err(e) => {
                    self.error = Some(e);
                    el.exit();
                }
            },
            _ => {}
        }
    }

    fn about_to_wait(&mut self, _el: &ActiveEventLoop) {
        if let Some(l) = &self.live {
            l.window.request_redraw();
        }
    }
}
