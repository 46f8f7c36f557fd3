//! CloudWatch metric series built minute by minute from simulated events: sums, averages, maxima and p99
//! per one-minute period, written one series per line as metrics.jsonl expects.

use std::collections::BTreeMap;

use super::json::{JsonlWriter, Obj, str_literal};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stat {
    Sum,
    Average,
    Maximum,
    Minimum,
    P99,
}

impl Stat {
    pub fn as_str(self) -> &'static str {
        match self {
            Stat::Sum => "Sum",
            Stat::Average => "Average",
            Stat::Maximum => "Maximum",
            Stat::Minimum => "Minimum",
            Stat::P99 => "p99",
        }
    }
}

/// Handle of one series in a [`Metrics`] store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesId(usize);

#[derive(Debug, Clone, Default)]
struct Cell {
    present: bool,
    sum: f64,
    count: u32,
    max: f64,
    min: f64,
    samples: Vec<f32>,
    /// Set once the minute is closed (p99 computed, samples dropped).
    closed: Option<f64>,
}

#[derive(Debug, Clone)]
struct Series {
    namespace: String,
    name: String,
    dimensions: Vec<(String, String)>,
    stat: Stat,
    unit: &'static str,
    cells: Vec<Cell>,
}

/// All series of one bundle; one cell per series per minute of the simulation.
#[derive(Debug)]
pub struct Metrics {
    start_ms: i64,
    minutes: usize,
    series: Vec<Series>,
    index: BTreeMap<String, usize>,
}

fn series_key(namespace: &str, name: &str, dimensions: &[(&str, &str)], stat: Stat) -> String {
    let mut key = format!("{namespace}|{name}|{}", stat.as_str());
    for (dim, value) in dimensions {
        key.push('|');
        key.push_str(dim);
        key.push('=');
        key.push_str(value);
    }
    key
}

impl Metrics {
    pub fn new(start_ms: i64, minutes: usize) -> Metrics {
        Metrics { start_ms, minutes, series: Vec::new(), index: BTreeMap::new() }
    }

    /// The series with these coordinates, created empty on first use.
    pub fn id(
        &mut self,
        namespace: &str,
        name: &str,
        dimensions: &[(&str, &str)],
        stat: Stat,
        unit: &'static str,
    ) -> SeriesId {
        let key = series_key(namespace, name, dimensions, stat);
        if let Some(index) = self.index.get(&key) {
            return SeriesId(*index);
        }
        self.series.push(Series {
            namespace: namespace.to_string(),
            name: name.to_string(),
            dimensions: dimensions.iter().map(|(d, v)| (d.to_string(), v.to_string())).collect(),
            stat,
            unit,
            cells: vec![Cell::default(); self.minutes],
        });
        self.index.insert(key, self.series.len() - 1);
        SeriesId(self.series.len() - 1)
    }

    pub fn find(&self, namespace: &str, name: &str, dimensions: &[(&str, &str)], stat: Stat) -> Option<SeriesId> {
        self.index.get(&series_key(namespace, name, dimensions, stat)).map(|index| SeriesId(*index))
    }

    /// Adds one observation to the minute's cell (all stats aggregate the same observations).
    pub fn add(&mut self, id: SeriesId, minute: usize, value: f64) {
        let Some(series) = self.series.get_mut(id.0) else { return };
        let stat = series.stat;
        let Some(cell) = series.cells.get_mut(minute) else { return };
        if !cell.present {
            cell.present = true;
            cell.max = value;
            cell.min = value;
        }
        cell.sum += value;
        cell.count += 1;
        cell.max = cell.max.max(value);
        cell.min = cell.min.min(value);
        if stat == Stat::P99 {
            cell.samples.push(value as f32);
        }
    }

    /// Closes a minute: percentiles are computed and their samples released.
    pub fn close_minute(&mut self, minute: usize) {
        for series in &mut self.series {
            let stat = series.stat;
            if let Some(cell) = series.cells.get_mut(minute)
                && cell.present
                && cell.closed.is_none()
            {
                cell.closed = Some(cell_value(cell, stat));
                cell.samples = Vec::new();
            }
        }
    }

    /// `(timestamp, value, sample count)` of every present datapoint.
    pub fn datapoints(&self, id: SeriesId) -> Vec<(i64, f64, u32)> {
        let Some(series) = self.series.get(id.0) else { return Vec::new() };
        series
            .cells
            .iter()
            .enumerate()
            .filter(|(_, cell)| cell.present)
            .map(|(minute, cell)| {
                let value = cell.closed.unwrap_or_else(|| cell_value(cell, series.stat));
                (self.start_ms + minute as i64 * 60_000, round4(value), cell.count)
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.series.len()
    }

    pub fn write(&self, writer: &mut JsonlWriter) -> Result<(), String> {
        for (index, series) in self.series.iter().enumerate() {
            let points = self.datapoints(SeriesId(index));
            if points.is_empty() {
                continue;
            }
            let mut dims = Obj::new();
            for (dim, value) in &series.dimensions {
                dims = dims.str(dim, value);
            }
            let timestamps: Vec<String> = points.iter().map(|(ts, _, _)| ts.to_string()).collect();
            let values: Vec<String> = points.iter().map(|(_, value, _)| format_number(*value)).collect();
            let line = Obj::new()
                .raw("namespace", &str_literal(&series.namespace))
                .raw("metricName", &str_literal(&series.name))
                .raw("dimensions", &dims.finish())
                .str("stat", series.stat.as_str())
                .int("period", 60)
                .str("unit", series.unit)
                .raw("timestamps", &format!("[{}]", timestamps.join(",")))
                .raw("values", &format!("[{}]", values.join(",")))
                .finish();
            writer.line(&line)?;
        }
        Ok(())
    }
}

fn cell_value(cell: &Cell, stat: Stat) -> f64 {
    match stat {
        Stat::Sum => cell.sum,
        Stat::Average => cell.sum / f64::from(cell.count.max(1)),
        Stat::Maximum => cell.max,
        Stat::Minimum => cell.min,
        Stat::P99 => percentile(&cell.samples, 0.99),
    }
}

fn percentile(samples: &[f32], quantile: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f32::total_cmp);
    let rank = ((sorted.len() as f64) * quantile).ceil() as usize;
    f64::from(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn round4(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

/// Integers print without a fraction, like CloudWatch's JSON does for counts.
pub fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 { format!("{}", value as i64) } else { format!("{value}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates_per_minute_and_writes_equal_length_arrays() {
        let mut metrics = Metrics::new(1_000_000_020_000 / 60_000 * 60_000, 3);
        let sum = metrics.id("AWS/Lambda", "Errors", &[("FunctionName", "f")], Stat::Sum, "Count");
        let p99 = metrics.id("AWS/ApiGateway", "Latency", &[("ApiName", "a")], Stat::P99, "Milliseconds");
        for value in 1..=100 {
            metrics.add(p99, 0, f64::from(value));
        }
        metrics.add(sum, 0, 1.0);
        metrics.add(sum, 0, 0.0);
        metrics.add(sum, 2, 4.0);
        metrics.close_minute(0);
        assert_eq!(metrics.datapoints(p99)[0].1, 99.0);
        assert_eq!(metrics.datapoints(sum).iter().map(|p| p.1).collect::<Vec<_>>(), vec![1.0, 4.0]);
        let dir = std::env::temp_dir().join(format!("synth-metrics-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("m.jsonl");
        let mut writer = JsonlWriter::create(&path).unwrap();
        metrics.write(&mut writer).unwrap();
        writer.finish().unwrap();
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(value["timestamps"].as_array().unwrap().len(), value["values"].as_array().unwrap().len());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
