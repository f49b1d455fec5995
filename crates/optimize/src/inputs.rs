//! The optimizer's figures from what a tenant reported ([`tenant::QueueMetrics`]): the closed
//! interval to model (the busiest of the window, or their mean), the staffing snapshot, and
//! where each figure came from ([`InputSource`], shown under `inputs`).
//!
//! A queue without traffic in the window gets no figures, only its source with
//! `noTraffic: true`: the proposal then says so and changes nothing (never a guess).

use crate::metrics::{Metrics, MetricsRow, QueueMetrics};
pub use crate::source::{InputSource, IntervalStat};

/// The figures of each queue the tenant reported, as the optimizer reads them.
pub fn from_tenant(figures: &[tenant::QueueMetrics], stat: IntervalStat) -> Metrics {
    Metrics {
        rows: figures
            .iter()
            .map(|m| MetricsRow {
                queue: m.name.clone(),
                origin: format!("tenant: queue {:?}", m.name),
                metrics: figures_of(m, stat),
            })
            .collect(),
    }
}

/// One queue's figures from its intervals and staffing.
pub fn figures_of(m: &tenant::QueueMetrics, stat: IntervalStat) -> QueueMetrics {
    let closed = &m.intervals;
    let offered_in_window: f64 = closed.iter().map(|i| i.offered).sum();
    let mut source = InputSource {
        window: m.window.map(|w| w.to_string()),
        stat,
        intervals: closed.len(),
        interval: None,
        offered_in_window,
        handled: None,
        staffing: m.staffing.as_ref().map(|s| s.source.clone()),
        no_traffic: offered_in_window.is_nan() || offered_in_window <= 0.0,
    };
    let mut out = QueueMetrics {
        agents: m.staffing.as_ref().map(|s| s.agents),
        active_interactions: m.seed.as_ref().and_then(|s| s.active_interactions),
        max_capacity: m.seed.as_ref().and_then(|s| s.max_capacity),
        coverage_ratio: m.seed.as_ref().and_then(|s| s.coverage_ratio),
        ..QueueMetrics::default()
    };
    if source.no_traffic {
        out.source = Some(source);
        return out;
    }
    // The handle time of the whole window, weighted by what was handled (or offered).
    let weight = |i: &tenant::MetricsInterval| i.handled.unwrap_or(i.offered);
    let window_aht = {
        let (mut sum, mut n) = (0.0, 0.0);
        for i in closed {
            if let Some(aht) = i.average_handle_time_seconds {
                sum += aht * weight(i);
                n += weight(i);
            }
        }
        (n > 0.0).then(|| (sum / n, n))
    };
    match stat {
        IntervalStat::Busiest => {
            let busiest =
                closed
                    .iter()
                    .fold(None::<&tenant::MetricsInterval>, |best, i| match best {
                        Some(b) if b.offered >= i.offered => Some(b),
                        _ => Some(i),
                    });
            if let Some(b) = busiest {
                out.offered = Some(b.offered);
                out.interval_seconds = Some(b.seconds as f64);
                let own = b.average_handle_time_seconds.filter(|_| weight(b) > 0.0);
                out.average_handle_time_seconds = own.or(window_aht.map(|(a, _)| a));
                source.handled = if own.is_some() {
                    Some(weight(b))
                } else {
                    window_aht.map(|(_, n)| n)
                };
                source.interval = Some(
                    tenant::Window {
                        start: b.start,
                        end: b.start + i64::try_from(b.seconds).unwrap_or(i64::MAX),
                    }
                    .to_string(),
                );
            }
        }
        IntervalStat::Mean => {
            let length = closed.iter().map(|i| i.seconds).max().unwrap_or(0);
            // Intervals without traffic may be left out of a report: the window's length
            // says how many there were.
            let in_window = m
                .window
                .filter(|_| length > 0)
                .map_or(0, |w| (w.seconds().max(0) as u64) / length);
            let count = (closed.len() as u64).max(in_window).max(1);
            out.offered = Some(offered_in_window / count as f64);
            out.interval_seconds = Some(length as f64);
            out.average_handle_time_seconds = window_aht.map(|(a, _)| a);
            source.handled = window_aht.map(|(_, n)| n);
        }
    }
    out.source = Some(source);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenant::{MetricsInterval, Staffing, Window};

    fn interval(start: i64, offered: f64, aht: Option<f64>) -> MetricsInterval {
        MetricsInterval {
            start,
            seconds: 1800,
            offered,
            handled: aht.map(|_| offered),
            average_handle_time_seconds: aht,
            ..MetricsInterval::default()
        }
    }

    fn queue(intervals: Vec<MetricsInterval>) -> tenant::QueueMetrics {
        tenant::QueueMetrics {
            queue_id: Some("q1".into()),
            name: "Sales".into(),
            window: Some(Window {
                start: 0,
                end: 4 * 1800,
            }),
            intervals,
            staffing: Some(Staffing {
                agents: 12,
                source: "oOnQueueUsers".into(),
            }),
            seed: None,
        }
    }

    #[test]
    fn the_busiest_interval_is_modelled_and_named() {
        let q = queue(vec![
            interval(0, 100.0, Some(200.0)),
            interval(1800, 300.0, Some(180.0)),
            interval(3600, 250.0, Some(190.0)),
        ]);
        let m = figures_of(&q, IntervalStat::Busiest);
        assert_eq!(m.offered, Some(300.0));
        assert_eq!(m.interval_seconds, Some(1800.0));
        assert_eq!(m.average_handle_time_seconds, Some(180.0));
        assert_eq!(m.agents, Some(12));
        let src = m.source.unwrap();
        assert_eq!(
            src.interval.as_deref(),
            Some("1970-01-01T00:30:00Z/1970-01-01T01:00:00Z")
        );
        assert_eq!(src.intervals, 3);
        assert_eq!(src.offered_in_window, 650.0);
        assert!(!src.no_traffic);
        assert!(
            src.describe().contains("busiest of 3"),
            "{}",
            src.describe()
        );
    }

    #[test]
    fn the_mean_counts_the_intervals_a_report_left_out_and_weights_the_handle_time() {
        // 4 buckets in the window, 2 reported.
        let q = queue(vec![
            interval(0, 100.0, Some(100.0)),
            interval(1800, 300.0, Some(200.0)),
        ]);
        let m = figures_of(&q, IntervalStat::Mean);
        assert_eq!(m.offered, Some(100.0));
        assert_eq!(m.average_handle_time_seconds, Some(175.0));
        assert_eq!(m.source.unwrap().interval, None);
    }

    #[test]
    fn a_busiest_interval_without_a_handle_time_takes_the_window_s() {
        let q = queue(vec![
            interval(0, 10.0, Some(120.0)),
            interval(1800, 30.0, None),
        ]);
        let m = figures_of(&q, IntervalStat::Busiest);
        assert_eq!(m.offered, Some(30.0));
        assert_eq!(m.average_handle_time_seconds, Some(120.0));
    }

    #[test]
    fn no_traffic_gives_no_figures_and_says_so() {
        for intervals in [vec![], vec![interval(0, 0.0, None)]] {
            let m = figures_of(&queue(intervals), IntervalStat::Busiest);
            assert_eq!(m.offered, None);
            let src = m.source.unwrap();
            assert!(src.no_traffic);
            assert!(src.describe().starts_with("no traffic in"));
        }
    }
}
