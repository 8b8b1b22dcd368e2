//! Sample sets of `benches/team.rs`: latencies in ms, their quantiles,
//! and the table it prints.

/// `/proc/loadavg`'s 1/5/15-minute figures: how busy the machine was (on
/// a 2-core machine other work moves the tails).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".into(),
        |l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

/// Latencies of one path, in ms, and why samples were lost.
pub struct Samples {
    /// What was measured.
    pub name: String,
    /// The kept latencies.
    pub ms: Vec<f64>,
    /// Why samples were lost.
    pub errors: Vec<String>,
}

impl Samples {
    /// No samples yet.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ms: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Keeps a latency (`keep`: past the warm-up) or notes a loss.
    pub fn record(&mut self, keep: bool, r: Result<f64, String>) {
        match r {
            Ok(ms) if keep => self.ms.push(ms),
            Ok(_) => {}
            Err(e) => {
                println!("  {}: lost a sample: {e}", self.name);
                self.errors.push(e);
            }
        }
    }

    /// The `p` quantile (nearest rank), NaN without samples.
    pub fn pct(&self, p: f64) -> f64 {
        let mut s = self.ms.clone();
        s.sort_by(f64::total_cmp);
        s.get(((s.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    }

    /// One table row: p50, p95, p99, max, count, and count over 2 ms.
    pub fn print(&self) {
        if self.ms.is_empty() {
            println!("  {:<46} no samples", self.name);
        } else {
            println!(
                "  {:<46} {:>7.2} ms {:>7.2} ms {:>7.2} ms {:>7.2} ms   (n = {}, {} over 2 ms)",
                self.name,
                self.pct(0.5),
                self.pct(0.95),
                self.pct(0.99),
                self.pct(1.0),
                self.ms.len(),
                self.ms.iter().filter(|&&ms| ms > 2.0).count()
            );
        }
        if let Some(first) = self.errors.first() {
            println!("  {:<46} {} lost; first: {first}", "", self.errors.len());
        }
    }
}

/// The table's header row.
pub fn header() {
    println!(
        "  {:<46} {:>10} {:>10} {:>10} {:>10}",
        "", "p50", "p95", "p99", "max"
    );
}

/// Milliseconds from `t0` to `t1` (`CLOCK_MONOTONIC` ns).
pub fn ms_between(t0: u64, t1: u64) -> f64 {
    t1.saturating_sub(t0) as f64 / 1e6
}
