//! A picture of a compiled frame: passes along time, every placed transient as a bar at its heap
//! offset over the passes that use it, the barriers between passes, and the memory totals.
//!
//! The picture is first laid out as a list of shapes ([`Picture`]); [`Picture::svg`] and
//! [`Picture::png`] draw the same shapes, so the two files always agree.
//!
//! ```text
//!            labels (rotated), one column per pass in execution order
//!            queue strip (graphics blue, compute green, transfer yellow)
//!            barrier counts; a red line at each boundary that has barriers
//! heap 0   | [transient bars: x = first..last use, y = offset..offset+size ]
//! heap 1   | ...
//! totals and a legend: colour, label, size, passes, heap and offset
//! ```

use crate::font;
use rg_core::{print, Lifetime, Plan, QueueKind};
use std::fmt::Write as _;

/// An sRGB colour.
pub type Rgb = [u8; 3];

/// Font pixels are drawn as squares of this many picture pixels.
pub const SCALE: u32 = 2;
/// The width of one pass's column.
pub const COLUMN: u32 = 28;
const MARGIN: u32 = 16;
const CHAR_W: u32 = font::ADVANCE * SCALE;
const LINE_H: u32 = font::LINE * SCALE;
/// The most characters a pass label shows before it is shortened.
const LABEL_CHARS: usize = 26;
const GUTTER: u32 = 11 * CHAR_W;
const MEMORY_HEIGHT: u32 = 420;
const MIN_HEAP_HEIGHT: u32 = 64;

pub const BACKGROUND: Rgb = [255, 255, 255];
const INK: Rgb = [34, 34, 34];
const FAINT: Rgb = [120, 120, 120];
const HEAP_FILL: Rgb = [236, 240, 245];
const COLUMN_SHADE: Rgb = [226, 231, 238];
pub const BARRIER: Rgb = [192, 57, 43];

/// One shape of the picture, in picture pixels with the origin at the top left.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    Rect {
        x: u32,
        y: u32,
        w: u32,
        h: u32,
        fill: Rgb,
        title: Option<String>,
    },
    /// Text whose first character's cell has its top left at `(x, y)`; `vertical` text runs
    /// upwards from `(x, y)`, which is then the bottom left of the first cell.
    Text {
        x: u32,
        y: u32,
        text: String,
        color: Rgb,
        vertical: bool,
    },
}

/// Where a transient was drawn: the tests and users can check a picture against the plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Index into `Plan::resources`.
    pub resource: usize,
    pub heap: usize,
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    pub fill: Rgb,
}

/// A laid-out picture of one plan.
#[derive(Clone, Debug)]
pub struct Picture {
    pub width: u32,
    pub height: u32,
    pub shapes: Vec<Shape>,
    pub bars: Vec<Bar>,
    /// The x of the boundary before each pass that has barriers, with the count.
    pub barrier_marks: Vec<(u32, usize)>,
}

/// A colour for the `i`th bar: hues spread by the golden angle, saturation alternating so that
/// neighbours in hue still differ, light enough for dark text.
pub fn resource_color(i: usize) -> Rgb {
    let h = (i as f32 * 0.618_034).fract() * 6.0;
    let (s, v) = if i.is_multiple_of(2) { (0.45_f32, 0.95_f32) } else { (0.62, 0.85) };
    let c = v * s;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    [r, g, b].map(|ch| ((ch + m) * 255.0).round() as u8)
}

fn queue_color(q: QueueKind) -> Rgb {
    match q {
        QueueKind::Graphics => [86, 140, 220],
        QueueKind::Compute => [74, 170, 110],
        QueueKind::Transfer => [230, 180, 60],
    }
}

fn shorten(s: &str, chars: usize) -> String {
    if s.chars().count() <= chars {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(chars.saturating_sub(2)).collect();
        t.push_str("..");
        t
    }
}

fn text_width(s: &str) -> u32 {
    s.chars().count() as u32 * CHAR_W
}

impl Picture {
    /// Lays out `plan`, titled `name`.
    pub fn new(name: &str, plan: &Plan) -> Picture {
        let mut shapes = Vec::new();
        let text =
            |x, y, t: String, color, vertical| Shape::Text { x, y, text: t, color, vertical };
        let n = plan.passes.len() as u32;
        let s = &plan.stats;
        let title = format!(
            "{name}: {} passes run, {} culled, {} barriers, {} queue waits",
            s.passes_run, s.passes_culled, s.barriers, s.waits
        );
        let x0 = MARGIN + GUTTER;
        let mut y = MARGIN;
        let mut texts = vec![text(MARGIN, y, title.clone(), INK, false)];
        y += LINE_H + 8;

        // Pass labels, rotated, bottom aligned on the queue strip.
        let labels: Vec<String> = plan
            .passes
            .iter()
            .enumerate()
            .map(|(i, p)| shorten(&format!("{i} {}", p.label), LABEL_CHARS))
            .collect();
        let label_chars = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        let labels_bottom = y + label_chars as u32 * CHAR_W + 4;
        for (i, label) in labels.into_iter().enumerate() {
            let x = x0 + i as u32 * COLUMN + (COLUMN - font::GLYPH_H * SCALE) / 2;
            texts.push(text(x, labels_bottom, label, INK, true));
        }
        y = labels_bottom + 4;
        for (i, p) in plan.passes.iter().enumerate() {
            let x = x0 + i as u32 * COLUMN;
            shapes.push(Shape::Rect {
                x: x + 1,
                y,
                w: COLUMN - 2,
                h: 8,
                fill: queue_color(p.queue),
                title: Some(format!("{} on the {} queue", p.label, p.queue)),
            });
        }
        texts.push(text(MARGIN, y - 5, "queue".into(), FAINT, false));
        y += 12;
        texts.push(text(MARGIN, y, "barriers".into(), BARRIER, false));
        let barrier_row = y;
        y += LINE_H + 4;

        // Heaps, stacked, each with a height by its size (but never too thin to read).
        let memory_top = y;
        let total: u64 = plan.heaps.iter().map(|h| h.size).sum::<u64>().max(1);
        let mut heap_rows = Vec::new();
        for (hi, heap) in plan.heaps.iter().enumerate() {
            let h = ((MEMORY_HEIGHT as u64 * heap.size / total) as u32).max(MIN_HEAP_HEIGHT);
            shapes.push(Shape::Rect {
                x: x0,
                y,
                w: (n * COLUMN).max(1),
                h,
                fill: HEAP_FILL,
                title: Some(format!("heap {hi}: {}", print::bytes(heap.size))),
            });
            for i in (1..n).step_by(2) {
                shapes.push(Shape::Rect {
                    x: x0 + i * COLUMN,
                    y,
                    w: COLUMN,
                    h,
                    fill: COLUMN_SHADE,
                    title: None,
                });
            }
            texts.push(text(MARGIN, y, format!("heap {hi}"), INK, false));
            texts.push(text(MARGIN, y + LINE_H, print::bytes(heap.size), FAINT, false));
            heap_rows.push((y, h));
            y += h + 10;
        }
        if plan.heaps.is_empty() {
            texts.push(text(x0, y, "no transient memory".into(), FAINT, false));
            y += LINE_H + 10;
        }
        let memory_bottom = y - 10;

        // Transients. A bar is as tall as its share of the heap, but at least 3 pixels; such
        // inflated bars (small buffers) are laid out after the others and moved up, 3 pixels at
        // a time, off any bar they would cover at the same time, so every transient shows.
        let mut bars: Vec<Bar> = Vec::new();
        // resource, y, height, heap top, heap height, small
        let mut layout: Vec<(usize, u32, u32, u32, u32, bool)> = Vec::new();
        for (r, res) in plan.resources.iter().enumerate() {
            let (Some(p), Some(_), Some(_)) = (&res.placement, res.first_use, res.last_use) else {
                continue;
            };
            if res.lifetime != Lifetime::Transient || p.heap >= heap_rows.len() {
                continue;
            }
            let (top, h) = heap_rows[p.heap];
            let size = plan.heaps[p.heap].size.max(1);
            let y0 = top + (h as u64 * p.offset / size) as u32;
            let y1 = (top + (h as u64 * (p.offset + p.size)).div_ceil(size) as u32).min(top + h);
            layout.push((r, y0, (y1 - y0).max(3), top, h, y1 - y0 < 3));
        }
        layout.sort_by_key(|&(r, _, _, _, _, small)| (small, r));
        let mut small_bar: Vec<bool> = Vec::new();
        for (r, y0, bar_h, top, heap_h, small) in layout {
            let res = &plan.resources[r];
            let (Some(p), Some(first), Some(last)) = (&res.placement, res.first_use, res.last_use)
            else {
                continue;
            };
            let mut bar = Bar {
                resource: r,
                heap: p.heap,
                x: x0 + first as u32 * COLUMN + 2,
                y: y0,
                w: (last - first + 1) as u32 * COLUMN - 4,
                h: bar_h,
                fill: resource_color(bars.len()),
            };
            if small {
                // Free rows: no small bar already there at the same time, and no bar's first
                // pixel (where it shows its colour) under it.
                let (x, w, h) = (bar.x, bar.w, bar.h);
                let clashes = |y: u32| {
                    bars.iter().enumerate().any(|(k, b)| {
                        let cols = x < b.x + b.w && b.x < x + w;
                        let rows = y < b.y + b.h && b.y < y + h;
                        let probe =
                            (x..x + w).contains(&(b.x + 1)) && (y..y + h).contains(&(b.y + 1));
                        b.heap == bar.heap && ((small_bar[k] && cols && rows) || probe)
                    })
                };
                let bottom = top + heap_h;
                let free = (0..=(y0 - top) / 3)
                    .map(|k| y0 - 3 * k)
                    .chain((1..).map(|k| y0 + 3 * k).take_while(|&y| y + h <= bottom))
                    .find(|&y| !clashes(y));
                if let Some(y) = free {
                    bar.y = y;
                }
            }
            shapes.push(Shape::Rect {
                x: bar.x,
                y: bar.y,
                w: bar.w,
                h: bar.h,
                fill: bar.fill,
                title: Some(format!(
                    "{}: {}, passes {first}..{last}, heap {} at {}",
                    res.label,
                    print::bytes(p.size),
                    p.heap,
                    p.offset
                )),
            });
            let label = shorten(&res.label, ((bar.w.saturating_sub(6)) / CHAR_W) as usize);
            if bar.h >= LINE_H && label.chars().count() >= 4 {
                texts.push(text(bar.x + 3, bar.y + 2, label, INK, false));
            }
            bars.push(bar);
            small_bar.push(small);
        }

        // Barriers: a count above the boundary and a line through the memory.
        let mut barrier_marks = Vec::new();
        for (i, p) in plan.passes.iter().enumerate() {
            let count = p.barriers.len();
            if count == 0 {
                continue;
            }
            let x = x0 + i as u32 * COLUMN;
            barrier_marks.push((x, count));
            shapes.push(Shape::Rect {
                x: x - 1,
                y: memory_top - 4,
                w: 2,
                h: memory_bottom - memory_top + 8,
                fill: BARRIER,
                title: Some(format!("{count} barrier(s) before {}", p.label)),
            });
            let digits = count.to_string();
            let cx = (x + COLUMN / 2).saturating_sub(text_width(&digits) / 2);
            texts.push(text(cx, barrier_row, digits, BARRIER, false));
        }

        // Totals and the legend.
        y = memory_bottom + 14;
        let saved = if s.unaliased_bytes > 0 {
            100.0 * (1.0 - s.transient_bytes as f64 / s.unaliased_bytes as f64)
        } else {
            0.0
        };
        let totals = [
            format!(
                "transient memory used {}, lower bound {}, unaliased {} ({saved:.0}% saved)",
                print::bytes(s.transient_bytes),
                print::bytes(s.lower_bound_bytes),
                print::bytes(s.unaliased_bytes)
            ),
            format!("{} heap(s), {} transient(s) placed", plan.heaps.len(), bars.len()),
        ];
        let mut widest = text_width(&title);
        for t in totals {
            widest = widest.max(text_width(&t));
            texts.push(text(MARGIN, y, t, INK, false));
            y += LINE_H;
        }
        y += 6;
        for bar in &bars {
            let res = &plan.resources[bar.resource];
            let p = res.placement.as_ref().expect("bars are placed");
            let line = format!(
                "{}  {}  passes {}-{}  heap {} +{}",
                shorten(&res.label, 32),
                print::bytes(p.size),
                res.first_use.unwrap_or(0),
                res.last_use.unwrap_or(0),
                p.heap,
                print::bytes(p.offset)
            );
            shapes.push(Shape::Rect {
                x: MARGIN,
                y: y + 1,
                w: 14,
                h: 14,
                fill: bar.fill,
                title: None,
            });
            widest = widest.max(20 + text_width(&line));
            texts.push(text(MARGIN + 20, y, line, INK, false));
            y += LINE_H;
        }
        let width = (x0 + n * COLUMN).max(MARGIN + widest) + MARGIN;
        let height = y + MARGIN;
        shapes.extend(texts);
        Picture { width, height, shapes, bars, barrier_marks }
    }

    /// The picture as SVG, with a tooltip on every bar and column.
    pub fn svg(&self) -> String {
        let hex = |c: Rgb| format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">",
            w = self.width,
            h = self.height
        );
        let _ = writeln!(s, "<rect width=\"100%\" height=\"100%\" fill=\"{}\"/>", hex(BACKGROUND));
        let font_size = font::LINE * SCALE - 2;
        for shape in &self.shapes {
            match shape {
                Shape::Rect { x, y, w, h, fill, title } => {
                    let _ = write!(
                        s,
                        "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{}\"",
                        hex(*fill)
                    );
                    match title {
                        Some(t) => {
                            let _ = writeln!(s, "><title>{}</title></rect>", xml_escape(t));
                        }
                        None => s.push_str("/>\n"),
                    }
                }
                Shape::Text { x, y, text, color, vertical } => {
                    let (bx, by) = if *vertical {
                        (x + font::GLYPH_H * SCALE, *y)
                    } else {
                        (*x, y + font::GLYPH_H * SCALE)
                    };
                    let rotate = if *vertical {
                        format!(" transform=\"rotate(-90 {bx} {by})\"")
                    } else {
                        String::new()
                    };
                    let _ = writeln!(
                        s,
                        "<text x=\"{bx}\" y=\"{by}\"{rotate} font-family=\"monospace\" font-size=\"{font_size}\" fill=\"{}\">{}</text>",
                        hex(*color),
                        xml_escape(text)
                    );
                }
            }
        }
        s.push_str("</svg>\n");
        s
    }

    /// The picture as pixels, text drawn with the built-in bitmap font.
    pub fn png(&self) -> image::RgbImage {
        let mut img = image::RgbImage::from_pixel(self.width, self.height, image::Rgb(BACKGROUND));
        let put = |img: &mut image::RgbImage, x: u32, y: u32, c: Rgb| {
            if x < img.width() && y < img.height() {
                img.put_pixel(x, y, image::Rgb(c));
            }
        };
        for shape in &self.shapes {
            match shape {
                Shape::Rect { x, y, w, h, fill, .. } => {
                    for py in *y..y + h {
                        for px in *x..x + w {
                            put(&mut img, px, py, *fill);
                        }
                    }
                }
                Shape::Text { x, y, text, color, vertical } => {
                    for (k, c) in text.chars().enumerate() {
                        let k = k as u32;
                        for gy in 0..font::GLYPH_H {
                            for gx in 0..font::GLYPH_W {
                                if !font::lit(c, gx, gy) {
                                    continue;
                                }
                                for (sx, sy) in
                                    (0..SCALE).flat_map(|a| (0..SCALE).map(move |b| (a, b)))
                                {
                                    let (px, py) = if *vertical {
                                        let along = (k * font::ADVANCE + gx) * SCALE + sx + 1;
                                        (x + gy * SCALE + sy, y.wrapping_sub(along))
                                    } else {
                                        (
                                            x + (k * font::ADVANCE + gx) * SCALE + sx,
                                            y + gy * SCALE + sy,
                                        )
                                    };
                                    put(&mut img, px, py, *color);
                                }
                            }
                        }
                    }
                }
            }
        }
        img
    }
}

/// Text for an SVG attribute or element. XML has no way to write most control characters, so
/// they are shown as U+FFFD.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
