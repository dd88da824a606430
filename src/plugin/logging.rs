//! Logs as hclog JSON lines on stderr, the format go-plugin parses and re-levels:
//! `{"@level":…,"@message":…,"@module":…,"@timestamp":…, …fields}`
//! (docs/dev/plugin-protocol.md#hclog-logs).
//!
//! Terraform drops provider logs unless `TF_LOG*` asks for them, yet formatting
//! trace lines still costs time, so we filter here by the same variables
//! (docs/dev/plugin-protocol.md#log-level).

use std::fmt;
use std::io::Write as _;

use serde_json::{Map, Value};
use time::OffsetDateTime;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::Layer;

/// The variables consulted for the level, most specific first.
pub const LOG_LEVEL_ENV_VARS: [&str; 3] =
    ["TF_LOG_PROVIDER_BLOCKCHAIN", "TF_LOG_PROVIDER", "TF_LOG"];

/// The hclog module name our lines carry.
pub const MODULE: &str = "provider";

/// Picks the level from the first non-empty variable of [`LOG_LEVEL_ENV_VARS`].
///
/// Unset means errors only. `JSON` means trace (Terraform's spelling for "trace as
/// JSON"); an unknown value also means trace, as Terraform itself defaults to it.
pub fn level_from_env(lookup: impl Fn(&str) -> Option<String>) -> LevelFilter {
    LOG_LEVEL_ENV_VARS
        .iter()
        .filter_map(|var| lookup(var))
        .map(|value| value.trim().to_ascii_uppercase())
        .find(|value| !value.is_empty())
        .map_or(LevelFilter::ERROR, |value| match value.as_str() {
            "OFF" => LevelFilter::OFF,
            "ERROR" => LevelFilter::ERROR,
            "WARN" => LevelFilter::WARN,
            "INFO" => LevelFilter::INFO,
            "DEBUG" => LevelFilter::DEBUG,
            _ => LevelFilter::TRACE,
        })
}

/// Installs the hclog layer on stderr as the global subscriber, filtered by
/// [`targets`]. Returns false if a subscriber was already installed (then that one
/// stays).
pub fn init(level: LevelFilter) -> bool {
    tracing_subscriber::registry()
        .with(HclogLayer::new(std::io::stderr).with_filter(targets(level)))
        .try_init()
        .is_ok()
}

/// Our own events at `level`; dependencies (TLS, HTTP/2, hyper internals) at most
/// at WARN, since their debug output drowns the provider's in Terraform's log.
pub fn targets(level: LevelFilter) -> Targets {
    Targets::new()
        .with_default(level.min(LevelFilter::WARN))
        .with_targets(OWN_TARGETS.iter().map(|target| (*target, level)))
}

/// Target prefixes of this package's crates (library and binary).
const OWN_TARGETS: [&str; 2] = ["tfprovider_blockchain", "terraform_provider_blockchain"];

/// A `tracing` layer writing one hclog JSON line per event, with the fields of the
/// enclosing spans (outermost first) and then the event's own fields.
#[derive(Debug)]
pub struct HclogLayer<W> {
    make_writer: W,
}

impl<W> HclogLayer<W> {
    /// Writes each line to a writer from `make_writer`.
    pub fn new(make_writer: W) -> Self {
        Self { make_writer }
    }
}

/// Fields recorded on a span, kept in its extensions.
struct SpanFields(Map<String, Value>);

impl<S, W> Layer<S> for HclogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> MakeWriter<'w> + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Map::new();
        attrs.record(&mut JsonVisitor(&mut fields));
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields));
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut extensions = span.extensions_mut();
            if let Some(SpanFields(fields)) = extensions.get_mut::<SpanFields>() {
                values.record(&mut JsonVisitor(fields));
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Map::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(SpanFields(span_fields)) = span.extensions().get::<SpanFields>() {
                    fields.extend(span_fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
        }
        let mut own = Map::new();
        event.record(&mut JsonVisitor(&mut own));
        let message = match own.remove("message") {
            Some(Value::String(text)) => text,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        fields.extend(own);
        let line = format_line(
            *event.metadata().level(),
            &message,
            MODULE,
            OffsetDateTime::now_utc(),
            fields,
        );
        let mut writer = self.make_writer.make_writer_for(event.metadata());
        // A log line that cannot be written has nowhere else to go.
        let _ = writer.write_all(line.as_bytes());
    }
}

/// Records fields as JSON values, keeping numbers and booleans typed.
struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let value = serde_json::Number::from_f64(value)
            .map_or_else(|| Value::String(value.to_string()), Value::Number);
        self.0.insert(field.name().to_owned(), value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), Value::Bool(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().to_owned(), Value::String(value.to_owned()));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().to_owned(), Value::String(value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), Value::String(format!("{value:?}")));
    }
}

/// hclog's name for a level.
fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// Go's `2006-01-02T15:04:05.000000Z07:00`: microseconds, and `Z` for UTC or a
/// `±hh:mm` offset. go-plugin treats a line with any other format as non-JSON.
pub fn hclog_timestamp(at: OffsetDateTime) -> String {
    let offset = at.offset();
    let zone = if offset.is_utc() {
        "Z".to_owned()
    } else {
        let (hours, minutes, _) = offset.as_hms();
        let sign = if offset.is_negative() { '-' } else { '+' };
        format!(
            "{sign}{:02}:{:02}",
            hours.unsigned_abs(),
            minutes.unsigned_abs()
        )
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}{zone}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}

/// One complete log line, newline included. The `@` keys come first; a field that
/// would overwrite one of them is dropped.
pub fn format_line(
    level: Level,
    message: &str,
    module: &str,
    at: OffsetDateTime,
    fields: Map<String, Value>,
) -> String {
    let mut object = Map::new();
    object.insert("@level".to_owned(), Value::from(level_name(level)));
    object.insert("@message".to_owned(), Value::from(message));
    object.insert("@module".to_owned(), Value::from(module));
    object.insert("@timestamp".to_owned(), Value::from(hclog_timestamp(at)));
    for (key, value) in fields {
        object.entry(key).or_insert(value);
    }
    let mut line = Value::Object(object).to_string();
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    use time::macros::datetime;

    #[test]
    fn timestamp_matches_go_layout_in_utc() {
        let at = datetime!(2006-01-02 15:04:05.000123 UTC);
        assert_eq!(hclog_timestamp(at), "2006-01-02T15:04:05.000123Z");
    }

    #[test]
    fn timestamp_prints_offsets_with_a_colon() {
        assert_eq!(
            hclog_timestamp(datetime!(2024-11-30 01:02:03.5 +05:30)),
            "2024-11-30T01:02:03.500000+05:30"
        );
        assert_eq!(
            hclog_timestamp(datetime!(2024-11-30 01:02:03 -07:00)),
            "2024-11-30T01:02:03.000000-07:00"
        );
    }

    #[test]
    fn line_has_hclog_keys_first_then_fields() {
        let mut fields = Map::new();
        fields.insert("resource".to_owned(), Value::from("blockchain_ca"));
        fields.insert("attempt".to_owned(), Value::from(2));
        let line = format_line(
            Level::DEBUG,
            "calling console",
            "provider",
            datetime!(2006-01-02 15:04:05 UTC),
            fields,
        );
        assert_eq!(
            line,
            "{\"@level\":\"debug\",\"@message\":\"calling console\",\"@module\":\"provider\",\
             \"@timestamp\":\"2006-01-02T15:04:05.000000Z\",\"resource\":\"blockchain_ca\",\"attempt\":2}\n"
        );
    }

    #[test]
    fn line_escapes_quotes_newlines_and_control_characters() {
        let line = format_line(
            Level::ERROR,
            "bad \"name\"\nnext\tline \u{1}",
            "provider",
            datetime!(2006-01-02 15:04:05 UTC),
            Map::new(),
        );
        assert_eq!(line.matches('\n').count(), 1, "exactly one line: {line}");
        let parsed: Value = serde_json::from_str(line.trim_end()).unwrap();
        assert_eq!(parsed["@message"], "bad \"name\"\nnext\tline \u{1}");
        assert_eq!(parsed["@level"], "error");
    }

    #[test]
    fn fields_cannot_overwrite_hclog_keys() {
        let mut fields = Map::new();
        fields.insert("@level".to_owned(), Value::from("trace"));
        let line = format_line(
            Level::WARN,
            "m",
            "provider",
            OffsetDateTime::UNIX_EPOCH,
            fields,
        );
        let parsed: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["@level"], "warn");
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn level_comes_from_the_most_specific_variable() {
        assert_eq!(level_from_env(env(&[])), LevelFilter::ERROR);
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "info")])),
            LevelFilter::INFO
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "info"), ("TF_LOG_PROVIDER", "WARN")])),
            LevelFilter::WARN
        );
        assert_eq!(
            level_from_env(env(&[
                ("TF_LOG", "info"),
                ("TF_LOG_PROVIDER", "WARN"),
                ("TF_LOG_PROVIDER_BLOCKCHAIN", "debug")
            ])),
            LevelFilter::DEBUG
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "error"), ("TF_LOG_PROVIDER", " ")])),
            LevelFilter::ERROR
        );
    }

    #[test]
    fn json_and_unknown_levels_mean_trace_and_off_means_off() {
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "JSON")])),
            LevelFilter::TRACE
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "TRACE")])),
            LevelFilter::TRACE
        );
        assert_eq!(
            level_from_env(env(&[("TF_LOG", "verbose")])),
            LevelFilter::TRACE
        );
        assert_eq!(level_from_env(env(&[("TF_LOG", "off")])), LevelFilter::OFF);
    }

    #[test]
    fn dependencies_are_capped_at_warn_but_our_crate_follows_the_level() {
        let filter = targets(LevelFilter::TRACE);
        assert!(filter.would_enable("tfprovider_blockchain::framework", &Level::TRACE));
        assert!(filter.would_enable("terraform_provider_blockchain", &Level::DEBUG));
        assert!(!filter.would_enable("rustls::server::hs", &Level::DEBUG));
        assert!(filter.would_enable("rustls::server::hs", &Level::WARN));

        let quiet = targets(LevelFilter::ERROR);
        assert!(!quiet.would_enable("tfprovider_blockchain", &Level::WARN));
        assert!(!quiet.would_enable("h2", &Level::WARN));
        assert!(quiet.would_enable("h2", &Level::ERROR));

        let off = targets(LevelFilter::OFF);
        assert!(!off.would_enable("tfprovider_blockchain", &Level::ERROR));
        assert!(!off.would_enable("h2", &Level::ERROR));
    }

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn layer_writes_span_and_event_fields_and_filters_levels() {
        let sink = Captured::default();
        let subscriber = tracing_subscriber::registry()
            .with(HclogLayer::new(sink.clone()).with_filter(LevelFilter::DEBUG));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "apply",
                resource = "blockchain_ca",
                step = tracing::field::Empty
            );
            let _entered = span.enter();
            span.record("step", 3_u64);
            tracing::debug!(ok = true, ratio = 0.5, "created {}", "ca1");
            tracing::trace!("filtered out");
        });
        let output = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = output.lines().collect();
        assert_eq!(lines.len(), 1, "{output}");
        let parsed: Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(parsed["@level"], "debug");
        assert_eq!(parsed["@message"], "created ca1");
        assert_eq!(parsed["@module"], "provider");
        assert_eq!(parsed["resource"], "blockchain_ca");
        assert_eq!(parsed["step"], 3);
        assert_eq!(parsed["ok"], true);
        assert_eq!(parsed["ratio"], 0.5);
        let ts = parsed["@timestamp"].as_str().unwrap();
        assert_eq!(ts.len(), "2006-01-02T15:04:05.000000Z".len());
        assert!(ts.ends_with('Z'));
    }
}
