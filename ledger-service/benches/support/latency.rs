//! One latency row of a benchmark's table: p50, p99 and max in milliseconds.

use std::time::Duration;

/// Width of the row's label; the header lines of each bench use the same.
pub const LABEL_WIDTH: usize = 52;

pub fn header() {
    println!("{:<LABEL_WIDTH$} {:>9} {:>9} {:>9}", "", "p50 ms", "p99 ms", "max ms");
}

pub fn report(what: &str, samples: &mut [Duration]) {
    assert!(!samples.is_empty(), "{what}: no samples");
    samples.sort();
    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    let percentile = |p: usize| samples[(samples.len() * p / 100).min(samples.len() - 1)];
    println!(
        "{what:<LABEL_WIDTH$} {:>9.2} {:>9.2} {:>9.2}",
        ms(percentile(50)),
        ms(percentile(99)),
        ms(samples[samples.len() - 1])
    );
}
