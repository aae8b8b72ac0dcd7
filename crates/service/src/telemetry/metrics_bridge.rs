//! The `metrics` facade, fanned out: every metric goes to the Prometheus recorder (`/metrics`,
//! unchanged) and, when OTLP is on, to an OpenTelemetry meter as well, so all the existing metric
//! call sites reach the collector without being rewritten.
//!
//! Names stay the Prometheus ones except that counters drop `_total` (an OTLP-to-Prometheus
//! conversion adds it back); labels become attributes. Histograms in seconds keep the Prometheus
//! buckets (the SDK's default boundaries are made for milliseconds).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use metrics_exporter_prometheus::PrometheusRecorder;
use opentelemetry::KeyValue;
use opentelemetry::metrics::Meter;

/// The Prometheus buckets of the seconds histograms (see `crate::metrics::install`).
pub const SECONDS_BUCKETS: [f64; 16] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0,
];

/// The fan-out recorder.
pub struct Fanout {
    prometheus: PrometheusRecorder,
    meter: Meter,
    descriptions: Mutex<HashMap<String, String>>,
    counters: Mutex<HashMap<Key, Arc<OtelCounter>>>,
    gauges: Mutex<HashMap<Key, Arc<OtelGauge>>>,
    histograms: Mutex<HashMap<Key, Arc<OtelHistogram>>>,
}

impl Fanout {
    /// Fans `prometheus` out to `meter`.
    pub fn new(prometheus: PrometheusRecorder, meter: Meter) -> Self {
        Fanout {
            prometheus,
            meter,
            descriptions: Mutex::default(),
            counters: Mutex::default(),
            gauges: Mutex::default(),
            histograms: Mutex::default(),
        }
    }

    fn describe(&self, key: &KeyName, description: &SharedString) {
        if let Ok(mut d) = self.descriptions.lock() {
            d.insert(key.as_str().to_string(), description.to_string());
        }
    }

    fn description(&self, name: &str) -> String {
        self.descriptions.lock().ok().and_then(|d| d.get(name).cloned()).unwrap_or_default()
    }
}

fn attributes(key: &Key) -> Vec<KeyValue> {
    key.labels().map(|l| KeyValue::new(l.key().to_string(), l.value().to_string())).collect()
}

/// The OTel name of a Prometheus counter.
pub fn counter_name(name: &str) -> String {
    name.strip_suffix("_total").unwrap_or(name).to_string()
}

/// One counter series: the OTel instrument, its attributes and, for `absolute`, the last total.
struct OtelCounter {
    instrument: opentelemetry::metrics::Counter<u64>,
    attributes: Vec<KeyValue>,
    last_absolute: AtomicU64,
}

struct OtelGauge {
    instrument: opentelemetry::metrics::Gauge<f64>,
    attributes: Vec<KeyValue>,
    value: AtomicU64,
}

struct OtelHistogram {
    instrument: opentelemetry::metrics::Histogram<f64>,
    attributes: Vec<KeyValue>,
}

struct Both<T> {
    prometheus: T,
    otel: Arc<dyn Send + Sync + OtelSide<T>>,
}

/// What the OTel half does for each handle kind.
trait OtelSide<T> {
    fn apply(&self, op: Op);
}

#[derive(Clone, Copy)]
enum Op {
    Add(u64),
    Absolute(u64),
    GaugeAdd(f64),
    GaugeSet(f64),
    Record(f64),
}

impl OtelSide<Counter> for OtelCounter {
    fn apply(&self, op: Op) {
        match op {
            Op::Add(v) => self.instrument.add(v, &self.attributes),
            Op::Absolute(total) => {
                // OTel counters take increments: forward what the total grew by.
                let before = self.last_absolute.fetch_max(total, Ordering::Relaxed);
                if total > before {
                    self.instrument.add(total - before, &self.attributes);
                }
            }
            _ => {}
        }
    }
}

impl OtelSide<Gauge> for OtelGauge {
    fn apply(&self, op: Op) {
        let next = match op {
            Op::GaugeSet(v) => {
                self.value.store(v.to_bits(), Ordering::Relaxed);
                v
            }
            Op::GaugeAdd(d) => {
                let mut now = self.value.load(Ordering::Relaxed);
                loop {
                    let next = f64::from_bits(now) + d;
                    match self.value.compare_exchange_weak(
                        now,
                        next.to_bits(),
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => break next,
                        Err(seen) => now = seen,
                    }
                }
            }
            _ => return,
        };
        self.instrument.record(next, &self.attributes);
    }
}

impl OtelSide<Histogram> for OtelHistogram {
    fn apply(&self, op: Op) {
        if let Op::Record(v) = op {
            self.instrument.record(v, &self.attributes);
        }
    }
}

impl CounterFn for Both<Counter> {
    fn increment(&self, value: u64) {
        self.prometheus.increment(value);
        self.otel.apply(Op::Add(value));
    }

    fn absolute(&self, value: u64) {
        self.prometheus.absolute(value);
        self.otel.apply(Op::Absolute(value));
    }
}

impl GaugeFn for Both<Gauge> {
    fn increment(&self, value: f64) {
        self.prometheus.increment(value);
        self.otel.apply(Op::GaugeAdd(value));
    }

    fn decrement(&self, value: f64) {
        self.prometheus.decrement(value);
        self.otel.apply(Op::GaugeAdd(-value));
    }

    fn set(&self, value: f64) {
        self.prometheus.set(value);
        self.otel.apply(Op::GaugeSet(value));
    }
}

impl HistogramFn for Both<Histogram> {
    fn record(&self, value: f64) {
        self.prometheus.record(value);
        self.otel.apply(Op::Record(value));
    }
}

/// The series for `key` in `map`, made by `make` the first time.
fn series<T>(map: &Mutex<HashMap<Key, Arc<T>>>, key: &Key, make: impl FnOnce() -> T) -> Arc<T> {
    match map.lock() {
        Ok(mut m) => Arc::clone(m.entry(key.clone()).or_insert_with(|| Arc::new(make()))),
        // A poisoned map (a panic elsewhere while holding it) must not stop the metrics.
        Err(poisoned) => {
            let mut m = poisoned.into_inner();
            Arc::clone(m.entry(key.clone()).or_insert_with(|| Arc::new(make())))
        }
    }
}

impl Recorder for Fanout {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(&key, &description);
        self.prometheus.describe_counter(key, unit, description);
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(&key, &description);
        self.prometheus.describe_gauge(key, unit, description);
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.describe(&key, &description);
        self.prometheus.describe_histogram(key, unit, description);
    }

    fn register_counter(&self, key: &Key, metadata: &Metadata<'_>) -> Counter {
        let prometheus = self.prometheus.register_counter(key, metadata);
        let otel = series(&self.counters, key, || OtelCounter {
            instrument: self
                .meter
                .u64_counter(counter_name(key.name()))
                .with_description(self.description(key.name()))
                .build(),
            attributes: attributes(key),
            last_absolute: AtomicU64::new(0),
        });
        Counter::from_arc(Arc::new(Both { prometheus, otel }))
    }

    fn register_gauge(&self, key: &Key, metadata: &Metadata<'_>) -> Gauge {
        let prometheus = self.prometheus.register_gauge(key, metadata);
        let otel = series(&self.gauges, key, || OtelGauge {
            instrument: self
                .meter
                .f64_gauge(key.name().to_string())
                .with_description(self.description(key.name()))
                .build(),
            attributes: attributes(key),
            value: AtomicU64::new(0f64.to_bits()),
        });
        Gauge::from_arc(Arc::new(Both { prometheus, otel }))
    }

    fn register_histogram(&self, key: &Key, metadata: &Metadata<'_>) -> Histogram {
        let prometheus = self.prometheus.register_histogram(key, metadata);
        let otel = series(&self.histograms, key, || {
            let name = key.name();
            let mut builder =
                self.meter.f64_histogram(name.to_string()).with_description(self.description(name));
            if name.ends_with("_seconds") {
                builder = builder.with_unit("s").with_boundaries(SECONDS_BUCKETS.to_vec());
            }
            OtelHistogram { instrument: builder.build(), attributes: attributes(key) }
        });
        Histogram::from_arc(Arc::new(Both { prometheus, otel }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrics_exporter_prometheus::PrometheusBuilder;
    use opentelemetry::metrics::MeterProvider;
    use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
    use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};

    fn metric<'a>(rm: &'a [ResourceMetrics], name: &str) -> Option<&'a AggregatedMetrics> {
        rm.iter()
            .flat_map(|r| r.scope_metrics())
            .flat_map(|s| s.metrics())
            .filter(|m| m.name() == name)
            .map(|m| m.data())
            .last()
    }

    #[test]
    fn every_kind_reaches_both_sides() {
        let exporter = InMemoryMetricExporter::default();
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter.clone()).build())
            .build();
        let prom = PrometheusBuilder::new().build_recorder();
        let handle = prom.handle();
        let fanout = Fanout::new(prom, provider.meter("test"));
        metrics::with_local_recorder(&fanout, || {
            metrics::describe_counter!("t_deliveries_total", "Deliveries");
            metrics::counter!("t_deliveries_total", "event" => "push").increment(2);
            metrics::counter!("t_deliveries_total", "event" => "push").increment(1);
            metrics::counter!("t_requests_total").absolute(10);
            metrics::counter!("t_requests_total").absolute(7); // a lower total adds nothing
            metrics::counter!("t_requests_total").absolute(12);
            metrics::gauge!("t_queue", "state" => "pending").set(5.0);
            metrics::gauge!("t_queue", "state" => "pending").increment(2.0);
            metrics::gauge!("t_queue", "state" => "pending").decrement(4.0);
            metrics::histogram!("t_latency_seconds").record(0.2);
            metrics::histogram!("t_size").record(3.0);
        });
        provider.force_flush().unwrap();
        let text = handle.render();
        assert!(text.contains("t_deliveries_total{event=\"push\"} 3"), "{text}");
        assert!(text.contains("t_requests_total 12"), "{text}");
        assert!(text.contains("t_queue{state=\"pending\"} 3"), "{text}");
        let rm = exporter.get_finished_metrics().unwrap();
        let Some(AggregatedMetrics::U64(MetricData::Sum(sum))) = metric(&rm, "t_deliveries") else {
            panic!("no t_deliveries sum: {rm:?}")
        };
        let points: Vec<_> = sum.data_points().collect();
        assert_eq!(points.len(), 1);
        assert_eq!(points[0].value(), 3);
        assert_eq!(points[0].attributes().next(), Some(&KeyValue::new("event", "push")));
        let Some(AggregatedMetrics::U64(MetricData::Sum(sum))) = metric(&rm, "t_requests") else {
            panic!("no t_requests sum")
        };
        assert_eq!(sum.data_points().next().map(|p| p.value()), Some(12));
        let Some(AggregatedMetrics::F64(MetricData::Gauge(g))) = metric(&rm, "t_queue") else {
            panic!("no t_queue gauge")
        };
        assert_eq!(g.data_points().next().map(|p| p.value()), Some(3.0));
        let Some(AggregatedMetrics::F64(MetricData::Histogram(h))) =
            metric(&rm, "t_latency_seconds")
        else {
            panic!("no t_latency_seconds histogram")
        };
        let p = h.data_points().next().unwrap();
        assert_eq!(p.count(), 1);
        assert_eq!(p.bounds().collect::<Vec<_>>(), SECONDS_BUCKETS.to_vec());
        assert!(metric(&rm, "t_size").is_some());
        assert_eq!(counter_name("a_total"), "a");
        assert_eq!(counter_name("a"), "a");
    }
}
