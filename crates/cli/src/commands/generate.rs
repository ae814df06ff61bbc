//! `vigie generate`.

use std::fs::File;
use std::io::BufWriter;

use anyhow::{Context, Result};
use vigie_synth::{GenerateConfig, generate};
use vigie_types::{Date, FraudScenario};

use super::{print_json, thousands};
use crate::UnusableInput;
use crate::cli::{Cli, GenerateArgs};
use crate::progress;

fn parse_date(flag: &str, text: &str) -> Result<Date> {
    Date::parse(text.as_bytes()).map_err(|e| UnusableInput(format!("--{flag}: {e}")).into())
}

fn parse_scenarios(names: &[String]) -> Result<Vec<FraudScenario>> {
    let mut out = Vec::new();
    for name in names.iter().map(|n| n.trim()) {
        if name == "all" {
            out.extend(FraudScenario::ALL);
            continue;
        }
        let scenario = FraudScenario::parse(name.as_bytes()).map_err(|e| {
            UnusableInput(format!("--scenarios: {e}; choose from classic_episode, card_testing, account_takeover, compromised_merchant, all"))
        })?;
        out.push(scenario);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Runs `vigie generate`.
pub fn run(_cli: &Cli, args: &GenerateArgs) -> Result<()> {
    let from = parse_date("from", &args.from)?;
    let to = parse_date("to", &args.to)?;
    let scenarios = parse_scenarios(&args.scenarios)?;
    let extra = scenarios
        .iter()
        .any(|s| *s != FraudScenario::ClassicEpisode);
    let config = GenerateConfig {
        customers: match args.rows {
            Some(rows) => GenerateConfig::customers_for_rows(rows, from, to),
            None => args.customers,
        },
        from,
        to,
        seed: args.seed,
        scenarios,
        scenario_column: args.scenario_column || extra,
        max_rows: args.rows,
    };
    config
        .validate()
        .map_err(|e| UnusableInput(e.to_string()))?;
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let file =
        File::create(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let bar = progress::bar(args.rows.unwrap_or(0), "rows");
    let summary = generate(&config, BufWriter::with_capacity(1 << 20, file), &|rows| {
        bar.set_position(rows)
    })
    .with_context(|| format!("generating {}", args.out.display()))?;
    bar.finish_and_clear();
    if args.json {
        return print_json(&summary);
    }
    #[allow(clippy::print_stdout)]
    {
        println!(
            "{}: {} rows, {} customers, {} frauds ({:.2}%) in {:.2} s",
            args.out.display(),
            thousands(summary.rows),
            thousands(u64::from(summary.customers)),
            thousands(summary.frauds),
            100.0 * summary.frauds as f64 / summary.rows.max(1) as f64,
            summary.seconds
        );
        for (scenario, n) in &summary.by_scenario {
            println!("  {scenario}: {}", thousands(*n));
        }
    }
    Ok(())
}
