//! The human training report: Markdown (with the curves as linked SVG
//! files) and a self-contained HTML page (curves inline), written beside
//! the model artifacts.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::error::{Result, TrainError};
use crate::svg::{Series, chart};
use crate::train::TrainReport;

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// The comparison table (Markdown), one row per family.
pub fn comparison_table(r: &TrainReport) -> String {
    let mut s = String::from(
        "| model | AUC-ROC | AP | precision | recall | F1 | threshold | recall @1% FPR | card precision @100 (max) | fraud amount caught | train s | predict p50 us | p99 us | batch rows/s | model bytes |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for m in &r.models {
        let t = &m.test;
        let _ = writeln!(
            s,
            "| {}{} | {:.4} | {:.4} | {:.4} | {:.4} | {:.4} | {:.3} | {:.4} | {:.4} ({:.4}) | {:.1}% | {:.1} | {:.2} | {:.2} | {:.0} | {} |",
            m.model,
            if m.model == r.best {
                " (best on validation)"
            } else {
                ""
            },
            t.auc_roc,
            t.average_precision,
            t.precision,
            t.recall,
            t.f1,
            t.threshold,
            t.recall_at_1pct_fpr,
            t.card_precision_at_100,
            t.card_precision_at_100_max,
            t.fraud_amount_caught_pct,
            m.train_seconds,
            m.latency.predict_us_p50,
            m.latency.predict_us_p99,
            m.latency.batch_rows_per_second,
            m.model_bytes
        );
    }
    s
}

fn markdown(r: &TrainReport, roc: &str, pr: &str) -> String {
    let d = &r.data;
    let mut s = String::new();
    let _ = writeln!(s, "# Vigie training report\n");
    let _ = writeln!(
        s,
        "Training data {} .. {} ({} rows fit, {} frauds; validation from {}: {} rows, {} frauds). \
         Test {} .. {}: {} rows, {} frauds. Seed {}. {} features ({}), schema `{}`. \
         Hyper-parameters and thresholds were chosen on the validation period only; the test \
         period was scored once.\n",
        d.train_period.0,
        d.train_period.1,
        d.fit_rows,
        d.fit_frauds,
        d.valid_from,
        d.valid_rows,
        d.valid_frauds,
        d.test_period.0,
        d.test_period.1,
        d.test_rows,
        d.test_frauds,
        r.seed,
        r.features.len(),
        r.feature_set,
        &r.feature_schema_hash[..12]
    );
    let _ = writeln!(s, "## Test period\n\n{}", comparison_table(r));
    let _ = writeln!(s, "![ROC curves]({roc}) ![Precision-recall curves]({pr})\n");
    let _ = writeln!(
        s,
        "## Selection on the validation period\n\n| model | candidate | validation AP | fit s | chosen |\n|---|---|---|---|---|"
    );
    for m in &r.models {
        for c in &m.candidates {
            let _ = writeln!(
                s,
                "| {} | {} | {:.4} | {:.1} | {} |",
                m.model,
                c.label,
                c.valid_average_precision,
                c.train_seconds,
                if c.label == m.chosen { "yes" } else { "" }
            );
        }
    }
    let _ = writeln!(
        s,
        "\n## Thresholds (probability, from validation)\n\n| model | review (best F2) | block (best F1) | validation F1 |\n|---|---|---|---|"
    );
    for m in &r.models {
        let _ = writeln!(
            s,
            "| {} | {:.4} | {:.4} | {:.4} |",
            m.model, m.thresholds.review, m.thresholds.block, m.validation.f1
        );
    }
    if r.models.iter().any(|m| !m.scenarios.is_empty()) {
        let _ = writeln!(
            s,
            "\n## Recall per fraud scenario (test period)\n\n| model | scenario | frauds | caught | recall |\n|---|---|---|---|---|"
        );
        for m in &r.models {
            for sc in &m.scenarios {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} |",
                    m.model,
                    sc.scenario,
                    sc.frauds,
                    sc.caught,
                    pct(sc.caught as f64 / sc.frauds.max(1) as f64)
                );
            }
        }
    }
    let _ = writeln!(
        s,
        "\n## Errors of the best model ({}) on the test period\n\nMissed frauds, by slice (missed / frauds):\n\n| slice | missed | frauds | missed share |\n|---|---|---|---|",
        r.best
    );
    for (slice, (missed, total)) in &r.errors.missed_frauds {
        let _ = writeln!(
            s,
            "| {slice} | {missed} | {total} | {} |",
            pct(*missed as f64 / (*total).max(1) as f64)
        );
    }
    let _ = writeln!(
        s,
        "\nFalse alarms, by slice (flagged / legitimate):\n\n| slice | flagged | legitimate | rate |\n|---|---|---|---|"
    );
    for (slice, (flagged, total)) in &r.errors.false_alarms {
        if *flagged > 0 {
            let _ = writeln!(
                s,
                "| {slice} | {flagged} | {total} | {:.3}% |",
                100.0 * *flagged as f64 / (*total).max(1) as f64
            );
        }
    }
    s
}

fn charts(r: &TrainReport) -> (String, String) {
    let names: Vec<String> = r.models.iter().map(|m| m.model.to_string()).collect();
    let roc: Vec<Series<'_>> = r
        .models
        .iter()
        .zip(&names)
        .map(|(m, n)| Series {
            name: n,
            points: &m.curves.roc,
        })
        .collect();
    let pr: Vec<Series<'_>> = r
        .models
        .iter()
        .zip(&names)
        .map(|(m, n)| Series {
            name: n,
            points: &m.curves.pr,
        })
        .collect();
    (
        chart("ROC (test period)", "false-positive rate", "recall", &roc),
        chart("Precision-recall (test period)", "recall", "precision", &pr),
    )
}

/// Paths of the written report files.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReportFiles {
    /// Markdown report.
    pub markdown: PathBuf,
    /// HTML report.
    pub html: PathBuf,
}

/// Writes `report.md`, `report.html`, `roc.svg` and `pr.svg` into `dir`.
pub fn write_report(r: &TrainReport, dir: &Path) -> Result<ReportFiles> {
    let write = |name: &str, text: &str| -> Result<PathBuf> {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|source| TrainError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    };
    let (roc, pr) = charts(r);
    write("roc.svg", &roc)?;
    write("pr.svg", &pr)?;
    let md = markdown(r, "roc.svg", "pr.svg");
    let markdown = write("report.md", &md)?;
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Vigie training report</title><style>body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}td:first-child,th:first-child{text-align:left}</style></head><body>",
    );
    html.push_str(&markdown_to_html(&md.replace(
        "![ROC curves](roc.svg) ![Precision-recall curves](pr.svg)",
        "@@CHARTS@@",
    )));
    let html = html.replace("<p>@@CHARTS@@</p>", &format!("<p>{roc}{pr}</p>")) + "</body></html>";
    let html_path = write("report.html", &html)?;
    Ok(ReportFiles {
        markdown,
        html: html_path,
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn inline(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in escape(text).split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

/// The small Markdown subset this report uses: headings, paragraphs and
/// pipe tables.
fn markdown_to_html(md: &str) -> String {
    let mut out = String::new();
    let mut in_table = false;
    for line in md.lines() {
        let cells = |l: &str| -> Vec<String> {
            l.trim_matches('|')
                .split('|')
                .map(|c| inline(c.trim()))
                .collect()
        };
        if line.starts_with('|') {
            if line.starts_with("|---") {
                continue;
            }
            if !in_table {
                out.push_str("<table><tr>");
                for c in cells(line) {
                    let _ = write!(out, "<th>{c}</th>");
                }
                out.push_str("</tr>");
                in_table = true;
            } else {
                out.push_str("<tr>");
                for c in cells(line) {
                    let _ = write!(out, "<td>{c}</td>");
                }
                out.push_str("</tr>");
            }
            continue;
        }
        if in_table {
            out.push_str("</table>");
            in_table = false;
        }
        if let Some(h) = line.strip_prefix("## ") {
            let _ = write!(out, "<h2>{}</h2>", inline(h));
        } else if let Some(h) = line.strip_prefix("# ") {
            let _ = write!(out, "<h1>{}</h1>", inline(h));
        } else if !line.trim().is_empty() {
            let _ = write!(out, "<p>{}</p>", inline(line));
        }
    }
    if in_table {
        out.push_str("</table>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_subset_renders_tables_headings_and_code() {
        let html = markdown_to_html("# T\n\npara `x<y`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
        assert_eq!(
            html,
            "<h1>T</h1><p>para <code>x&lt;y</code></p><table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>"
        );
    }
}
