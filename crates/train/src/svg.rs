//! Inline SVG line charts for the training report (ROC and precision-recall
//! curves): no JavaScript, no external assets, readable in any browser and
//! in a Markdown viewer that renders HTML.

use std::fmt::Write;

const SIZE: f64 = 360.0;
const MARGIN: f64 = 44.0;
const COLORS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
];

/// One line of a chart: a name and its points in the unit square.
pub struct Series<'a> {
    /// Legend text.
    pub name: &'a str,
    /// Points `(x, y)`, both in `0..=1`.
    pub points: &'a [(f64, f64)],
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A square chart of `series` with axes from 0 to 1.
pub fn chart(title: &str, x_label: &str, y_label: &str, series: &[Series<'_>]) -> String {
    let plot = SIZE - 2.0 * MARGIN;
    let px = |x: f64| MARGIN + x.clamp(0.0, 1.0) * plot;
    let py = |y: f64| SIZE - MARGIN - y.clamp(0.0, 1.0) * plot;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}" font-family="sans-serif" font-size="11" role="img" aria-label="{title}">"#,
        title = escape(title)
    );
    let _ = write!(
        s,
        r#"<text x="{}" y="16" text-anchor="middle" font-size="13">{}</text>"#,
        SIZE / 2.0,
        escape(title)
    );
    for i in 0..=5 {
        let v = f64::from(i) / 5.0;
        let _ = write!(
            s,
            r##"<line x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="#ddd"/><line x1="{x}" y1="{y0}" x2="{x}" y2="{y1}" stroke="#ddd"/><text x="{tx}" y="{ty}" text-anchor="end">{v:.1}</text><text x="{x}" y="{bx}" text-anchor="middle">{v:.1}</text>"##,
            x0 = px(0.0),
            x1 = px(1.0),
            y = py(v),
            x = px(v),
            y0 = py(0.0),
            y1 = py(1.0),
            tx = px(0.0) - 4.0,
            ty = py(v) + 4.0,
            bx = py(0.0) + 14.0,
        );
    }
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">{}</text><text transform="translate(12 {}) rotate(-90)" text-anchor="middle">{}</text>"#,
        SIZE / 2.0,
        SIZE - 8.0,
        escape(x_label),
        SIZE / 2.0,
        escape(y_label)
    );
    for (i, line) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let points: Vec<String> = line
            .points
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{}"/>"#,
            points.join(" ")
        );
        let ly = py(0.0) - 8.0 - 14.0 * (series.len() - 1 - i) as f64;
        let _ = write!(
            s,
            r#"<rect x="{}" y="{}" width="10" height="3" fill="{color}"/><text x="{}" y="{}">{}</text>"#,
            px(0.55),
            ly - 4.0,
            px(0.55) + 14.0,
            ly,
            escape(line.name)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_has_one_polyline_per_series_and_escapes_text() {
        let a = [(0.0, 0.0), (0.5, 0.9), (1.0, 1.0)];
        let b = [(0.0, 1.0), (1.0, 0.0)];
        let svg = chart(
            "ROC <test>",
            "FPR",
            "TPR",
            &[
                Series {
                    name: "gbdt",
                    points: &a,
                },
                Series {
                    name: "logreg & co",
                    points: &b,
                },
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("ROC &lt;test&gt;"));
        assert!(svg.contains("logreg &amp; co"));
        // (0.5, 0.9) maps inside the plot area.
        assert!(svg.contains(&format!(
            "{:.1},{:.1}",
            MARGIN + 0.5 * (SIZE - 2.0 * MARGIN),
            SIZE - MARGIN - 0.9 * (SIZE - 2.0 * MARGIN)
        )));
    }
}
