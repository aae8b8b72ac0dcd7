//! Line charts as inline SVG, drawn on the server: each series is a polyline over a fixed time
//! window, with its maximum on the y axis and the window's ends on the x axis. Only numbers and
//! the page's own fixed labels reach the SVG, never a repository-controlled string.

use std::fmt::Write;

/// One series: its label, colour and (time ms, value) points, oldest first.
pub struct Series<'a> {
    /// The legend's text (fixed by the page).
    pub label: &'static str,
    /// A CSS colour.
    pub colour: &'static str,
    /// The points.
    pub points: &'a [(i64, f64)],
}

const W: f64 = 600.0;
const H: f64 = 160.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 20.0;
const TOP: f64 = 18.0;

/// A chart of `series` over `[from, to]` (Unix ms), titled by `title` (fixed by the page).
pub fn chart(title: &'static str, from: i64, to: i64, series: &[Series<'_>]) -> String {
    let span = (to - from).max(1) as f64;
    let max =
        series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).fold(0.0_f64, f64::max).max(1.0);
    let x = |t: i64| LEFT + (t - from) as f64 / span * (W - LEFT - 4.0);
    let y = |v: f64| TOP + (1.0 - v / max) * (H - TOP - BOTTOM);
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{title}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>{title}</title>\
         <rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{}\" height=\"{}\" fill=\"#fafbfc\" stroke=\"#d0d7de\"/>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">0</text>\
         <text x=\"{LEFT}\" y=\"{}\" font-size=\"11\">24 h ago</text>\
         <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">now</text>",
        W - LEFT - 4.0,
        H - TOP - BOTTOM,
        LEFT - 4.0,
        TOP + 10.0,
        fmt_num(max),
        LEFT - 4.0,
        H - BOTTOM,
        H - 4.0,
        W - 4.0,
        H - 4.0,
    );
    let mut legend_x = LEFT;
    for s in series {
        let _ = write!(
            svg,
            "<rect x=\"{legend_x}\" y=\"4\" width=\"10\" height=\"10\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"13\" font-size=\"11\">{}</text>",
            s.colour,
            legend_x + 14.0,
            s.label
        );
        legend_x += 24.0 + 7.0 * s.label.len() as f64;
        if s.points.is_empty() {
            continue;
        }
        let mut pts = String::new();
        for (t, v) in s.points {
            let _ = write!(pts, "{:.1},{:.1} ", x(*t), y(*v));
        }
        if s.points.len() == 1 {
            let (t, v) = s.points[0];
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{}\"/>",
                x(t),
                y(v),
                s.colour
            );
        } else {
            let _ = write!(
                svg,
                "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>",
                s.colour,
                pts.trim_end()
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_each_series_scaled_to_the_maximum() {
        let a = [(0, 0.0), (50, 4.0), (100, 2.0)];
        let b = [(100, 1.0)];
        let svg = chart(
            "queue",
            0,
            100,
            &[
                Series { label: "pending", colour: "#0969da", points: &a },
                Series { label: "dead", colour: "#cf222e", points: &b },
                Series { label: "none", colour: "#000", points: &[] },
            ],
        );
        insta::assert_snapshot!(svg);
    }
}
