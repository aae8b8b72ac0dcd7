//! The report's charts as inline SVG, drawn here so the page needs no JavaScript: grouped bars
//! (throughput, the latency distribution) and a line with gaps (a DORA key over the weeks, a
//! week without a figure leaves a gap rather than a false zero). Only numbers, ISO week names
//! and the caller's fixed labels reach the SVG, never a repository-controlled string.

use std::fmt::Write;

const W: f64 = 640.0;
const H: f64 = 200.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 26.0;
const BOTTOM: f64 = 26.0;

/// A series of bars: legend label, colour, one value per category.
pub struct BarSeries<'a> {
    /// The legend's text (fixed by the caller).
    pub label: &'static str,
    /// A CSS colour.
    pub colour: &'static str,
    /// One value per category.
    pub values: &'a [f64],
}

fn frame(svg: &mut String, title: &str, max: f64, unit: &str) {
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{title}\" \
         xmlns=\"http://www.w3.org/2000/svg\" font-family=\"system-ui, sans-serif\">\
         <title>{title}</title>\
         <rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{}\" height=\"{}\" fill=\"#fafbfc\" stroke=\"#d0d7de\"/>",
        W - LEFT - RIGHT,
        H - TOP - BOTTOM,
    );
    // Three gridlines with their values, so a bar's height can be read.
    for i in 0..=2 {
        let v = max * f64::from(i) / 2.0;
        let y = TOP + (1.0 - v / max) * (H - TOP - BOTTOM);
        let _ = write!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#d0d7de\" \
             stroke-dasharray=\"3 3\"/>\
             <text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#59636e\">{}</text>",
            W - RIGHT,
            LEFT - 4.0,
            y + 4.0,
            num(v),
        );
    }
    if !unit.is_empty() {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\" fill=\"#59636e\">{unit}</text>",
            W - RIGHT,
            TOP - 8.0
        );
    }
}

fn x_labels(svg: &mut String, categories: &[String]) {
    let slot = (W - LEFT - RIGHT) / categories.len().max(1) as f64;
    for (i, c) in categories.iter().enumerate() {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#1f2328\">{c}</text>",
            LEFT + slot * (i as f64 + 0.5),
            H - 8.0
        );
    }
}

fn legend(svg: &mut String, items: &[(&str, &str)]) {
    let mut x = LEFT;
    for (label, colour) in items {
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"8\" width=\"10\" height=\"10\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"17\" font-size=\"12\">{label}</text>",
            x + 14.0
        );
        x += 26.0 + 7.0 * label.len() as f64;
    }
}

/// Grouped bars over `categories`, each bar labelled with its value.
pub fn bars(title: &str, unit: &str, categories: &[String], series: &[BarSeries<'_>]) -> String {
    let max = nice_max(series.iter().flat_map(|s| s.values.iter().copied()));
    let mut svg = String::new();
    frame(&mut svg, title, max, unit);
    let slot = (W - LEFT - RIGHT) / categories.len().max(1) as f64;
    let group = slot * 0.7;
    let bar = group / series.len().max(1) as f64;
    for (si, s) in series.iter().enumerate() {
        for (ci, v) in s.values.iter().enumerate().take(categories.len()) {
            let h = v.max(0.0) / max * (H - TOP - BOTTOM);
            let x = LEFT + slot * ci as f64 + (slot - group) / 2.0 + bar * si as f64;
            let y = H - BOTTOM - h;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>{}: {}</title></rect>",
                (bar - 2.0).max(1.0),
                s.colour,
                s.label,
                num(*v)
            );
            if *v > 0.0 {
                let _ = write!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#1f2328\">{}</text>",
                    x + (bar - 2.0).max(1.0) / 2.0,
                    y - 3.0,
                    num(*v)
                );
            }
        }
    }
    x_labels(&mut svg, categories);
    let items: Vec<(&str, &str)> = series.iter().map(|s| (s.label, s.colour)).collect();
    legend(&mut svg, &items);
    svg.push_str("</svg>");
    svg
}

/// A line over `categories`; a `None` leaves a gap and the point is marked "no data".
pub fn line(
    title: &str,
    label: &'static str,
    unit: &str,
    colour: &str,
    categories: &[String],
    values: &[Option<f64>],
) -> String {
    let max = nice_max(values.iter().flatten().copied());
    let mut svg = String::new();
    frame(&mut svg, title, max, unit);
    let slot = (W - LEFT - RIGHT) / categories.len().max(1) as f64;
    let point = |i: usize, v: f64| {
        (LEFT + slot * (i as f64 + 0.5), TOP + (1.0 - v.max(0.0) / max) * (H - TOP - BOTTOM))
    };
    let mut run: Vec<(f64, f64)> = Vec::new();
    let flush = |svg: &mut String, run: &mut Vec<(f64, f64)>| {
        if run.len() > 1 {
            let pts: Vec<String> = run.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
            let _ = write!(
                svg,
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/>",
                pts.join(" ")
            );
        }
        run.clear();
    };
    for (i, v) in values.iter().enumerate().take(categories.len()) {
        match v {
            Some(v) => run.push(point(i, *v)),
            None => flush(&mut svg, &mut run),
        }
    }
    flush(&mut svg, &mut run);
    for (i, v) in values.iter().enumerate().take(categories.len()) {
        match v {
            Some(v) => {
                let (x, y) = point(i, *v);
                let _ = write!(
                    svg,
                    "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"{colour}\"><title>{}</title></circle>\
                     <text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
                    num(*v),
                    y - 6.0,
                    num(*v)
                );
            }
            None => {
                let x = LEFT + slot * (i as f64 + 0.5);
                let _ = write!(
                    svg,
                    "<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#8c959f\">no data</text>",
                    H - BOTTOM - 6.0
                );
            }
        }
    }
    x_labels(&mut svg, categories);
    legend(&mut svg, &[(label, colour)]);
    svg.push_str("</svg>");
    svg
}

/// A round upper bound for the axis, at least 1.
fn nice_max(values: impl Iterator<Item = f64>) -> f64 {
    let max = values.filter(|v| v.is_finite()).fold(0.0_f64, f64::max);
    if max <= 1.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if max <= step * magnitude {
            return step * magnitude;
        }
    }
    max
}

/// A number as printed on a chart: whole numbers without decimals, others with one.
pub fn num(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 { format!("{:.0}", v.round()) } else { format!("{v:.1}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_maxima_are_round() {
        let table = [(0.0, 1.0), (0.4, 1.0), (3.0, 5.0), (7.0, 10.0), (12.0, 20.0), (240.0, 250.0)];
        for (max, nice) in table {
            assert_eq!(nice_max([max].into_iter()), nice, "{max}");
        }
        assert_eq!(num(2.0), "2");
        assert_eq!(num(2.25), "2.2");
    }

    #[test]
    fn a_gap_splits_the_line_and_says_no_data() {
        let weeks: Vec<String> = ["W1", "W2", "W3", "W4"].map(String::from).to_vec();
        let svg =
            line("t", "lead", "h", "#0969da", &weeks, &[Some(1.0), Some(2.0), None, Some(4.0)]);
        assert_eq!(svg.matches("<polyline").count(), 1, "{svg}");
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains(">no data</text>"));
        insta::assert_snapshot!(svg);
    }

    #[test]
    fn bars_are_grouped_per_category() {
        let weeks: Vec<String> = ["W1", "W2"].map(String::from).to_vec();
        let svg = bars(
            "throughput",
            "",
            &weeks,
            &[
                BarSeries { label: "opened", colour: "#0969da", values: &[2.0, 0.0] },
                BarSeries { label: "merged", colour: "#1a7f37", values: &[1.0, 3.0] },
            ],
        );
        assert_eq!(svg.matches("<rect x=").count(), 1 + 4 + 2, "frame, bars, legend");
        insta::assert_snapshot!(svg);
    }
}
