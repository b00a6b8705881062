//! A `tracing` layer that writes each event as one JSON line.
//!
//! The lines have the shape of `tracing_subscriber`'s JSON format with the current span and the
//! span list: `timestamp`, `level`, `fields`, `target`, then `span` (the innermost span) and
//! `spans` (outermost first) when the event happens inside spans. This layer keeps each span's
//! fields as JSON text from the moment they are recorded and writes every line straight into
//! one buffer. `tracing_subscriber`'s formatter parses the stored span fields back into JSON
//! values for every line, which cost about a tenth of the CPU of an authenticated request.

use std::fmt::{self, Write as _};
use std::io::Write as _;

use rampart_ports::Clock;
use time::OffsetDateTime;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::clock::SystemClock;

/// Formats events as JSON lines for the writers of `make_writer`.
pub(crate) struct JsonLayer<W> {
    make_writer: W,
}

impl<W> JsonLayer<W> {
    pub(crate) fn new(make_writer: W) -> Self {
        Self { make_writer }
    }
}

/// A span's fields, each name with its value as JSON text, in the order first recorded.
#[derive(Debug, Default)]
struct SpanFields {
    fields: Vec<(&'static str, String)>,
}

impl SpanFields {
    /// Stores a value, replacing an earlier value of the same field.
    fn set(&mut self, name: &'static str, value: String) {
        match self.fields.iter_mut().find(|(field, _)| *field == name) {
            Some((_, stored)) => *stored = value,
            None => self.fields.push((name, value)),
        }
    }
}

impl Visit for SpanFields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let mut json = String::new();
        write_debug(&mut json, value);
        self.set(field.name(), json);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let mut json = String::with_capacity(value.len() + 2);
        write_string(&mut json, value);
        self.set(field.name(), json);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.set(field.name(), value.to_string());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.set(field.name(), value.to_string());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.set(field.name(), value.to_string());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        let mut json = String::new();
        write_f64(&mut json, value);
        self.set(field.name(), json);
    }
}

/// Writes an event's fields as `"name":value` pairs separated by commas.
struct EventFields<'a> {
    line: &'a mut String,
    first: bool,
}

impl EventFields<'_> {
    fn name(&mut self, field: &Field) {
        if !self.first {
            self.line.push(',');
        }
        self.first = false;
        write_string(self.line, field.name());
        self.line.push(':');
    }
}

impl Visit for EventFields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.name(field);
        write_debug(self.line, value);
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.name(field);
        write_string(self.line, value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.name(field);
        let _ = write!(self.line, "{value}");
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.name(field);
        let _ = write!(self.line, "{value}");
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.name(field);
        let _ = write!(self.line, "{value}");
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.name(field);
        write_f64(self.line, value);
    }
}

/// Appends `value` as a JSON string.
fn write_string(line: &mut String, value: &str) {
    line.push('"');
    let _ = JsonEscaper(line).write_str(value);
    line.push('"');
}

/// Appends the `Debug` text of `value` as a JSON string, as `tracing_subscriber` does for
/// messages and `%`/`?` fields.
fn write_debug(line: &mut String, value: &dyn fmt::Debug) {
    line.push('"');
    let _ = write!(JsonEscaper(line), "{value:?}");
    line.push('"');
}

/// Appends a float as a JSON number, or `null` for NaN and the infinities, which JSON lacks.
fn write_f64(line: &mut String, value: f64) {
    if value.is_finite() {
        let _ = write!(line, "{value}");
    } else {
        line.push_str("null");
    }
}

/// Escapes text for the inside of a JSON string: quotes, backslashes and control characters.
struct JsonEscaper<'a>(&'a mut String);

impl fmt::Write for JsonEscaper<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let mut start = 0;
        for (index, character) in text.char_indices() {
            let escape = match character {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                control if u32::from(control) < 0x20 => "",
                _ => continue,
            };
            self.0.push_str(&text[start..index]);
            if escape.is_empty() {
                write!(self.0, "\\u{:04x}", u32::from(character))?;
            } else {
                self.0.push_str(escape);
            }
            start = index + character.len_utf8();
        }
        self.0.push_str(&text[start..]);
        Ok(())
    }
}

/// Appends the time as RFC 3339 in UTC with microseconds, such as
/// `2026-12-04T22:58:33.267751Z`.
fn write_timestamp(line: &mut String, now: OffsetDateTime) {
    let _ = write!(
        line,
        "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z\"",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.microsecond()
    );
}

/// Appends one span as a JSON object: its fields, then its `name`.
fn write_span(line: &mut String, fields: Option<&SpanFields>, name: &str) {
    line.push('{');
    for (field, value) in fields
        .map(|fields| fields.fields.as_slice())
        .unwrap_or_default()
    {
        write_string(line, field);
        line.push(':');
        line.push_str(value);
        line.push(',');
    }
    line.push_str("\"name\":");
    write_string(line, name);
    line.push('}');
}

impl<S, W> Layer<S> for JsonLayer<W>
where
    S: Subscriber + for<'lookup> LookupSpan<'lookup>,
    W: for<'writer> MakeWriter<'writer> + 'static,
{
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        let Some(span) = context.span(id) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        // Both layers receive the same spans, so the first one to record a span serves both.
        if extensions.get_mut::<SpanFields>().is_none() {
            let mut fields = SpanFields::default();
            attributes.record(&mut fields);
            extensions.insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, context: Context<'_, S>) {
        let Some(span) = context.span(id) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        // Recording replaces values by name, so a second layer recording the same values
        // changes nothing.
        if let Some(fields) = extensions.get_mut::<SpanFields>() {
            values.record(fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, context: Context<'_, S>) {
        let metadata = event.metadata();
        let mut line = String::with_capacity(512);
        line.push_str("{\"timestamp\":");
        write_timestamp(&mut line, SystemClock.now());
        line.push_str(",\"level\":\"");
        line.push_str(metadata.level().as_str());
        line.push_str("\",\"fields\":{");
        event.record(&mut EventFields {
            line: &mut line,
            first: true,
        });
        line.push_str("},\"target\":");
        write_string(&mut line, metadata.target());

        if let Some(scope) = context.event_scope(event) {
            let spans: Vec<_> = scope.from_root().collect();
            if let Some(innermost) = spans.last() {
                line.push_str(",\"span\":");
                write_span(
                    &mut line,
                    innermost.extensions().get::<SpanFields>(),
                    innermost.name(),
                );
            }
            line.push_str(",\"spans\":[");
            for (index, span) in spans.iter().enumerate() {
                if index > 0 {
                    line.push(',');
                }
                write_span(
                    &mut line,
                    span.extensions().get::<SpanFields>(),
                    span.name(),
                );
            }
            line.push(']');
        }
        line.push_str("}\n");

        let mut writer = self.make_writer.make_writer_for(metadata);
        if let Err(error) = writer.write_all(line.as_bytes()) {
            eprintln!("rampart: writing a log line failed: {error}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use serde_json::Value;
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    /// Collects every line written, for one test.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;

        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    /// Runs `emit` under a subscriber with one [`JsonLayer`] and returns the parsed lines.
    fn lines_of(emit: impl FnOnce()) -> Vec<Value> {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry().with(JsonLayer::new(captured.clone()));
        tracing::subscriber::with_default(subscriber, emit);
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}"))
            })
            .collect()
    }

    #[test]
    fn event_without_span_has_no_span_keys() {
        let lines = lines_of(|| tracing::info!(count = 3_u64, ok = true, "started"));

        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["target"], module_path!());
        assert_eq!(line["fields"]["message"], "started");
        assert_eq!(line["fields"]["count"], 3);
        assert_eq!(line["fields"]["ok"], true);
        assert!(line.get("span").is_none(), "{line}");
        assert!(line.get("spans").is_none(), "{line}");
        let timestamp = line["timestamp"].as_str().unwrap();
        assert!(
            OffsetDateTime::parse(timestamp, &time::format_description::well_known::Rfc3339)
                .is_ok(),
            "{timestamp}"
        );
    }

    #[test]
    fn spans_are_listed_outermost_first() {
        let lines = lines_of(|| {
            let request = tracing::info_span!("request", request_id = "r-1", method = %"GET");
            let _request = request.enter();
            let inner = tracing::info_span!("use_case", user.id = 7_i64);
            let _inner = inner.enter();
            tracing::warn!(status = 200_u64, duration_ms = 1.5, "request finished");
        });

        let line = &lines[0];
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["fields"]["duration_ms"], 1.5);
        assert_eq!(line["span"]["name"], "use_case");
        assert_eq!(line["span"]["user.id"], 7);
        let spans = line["spans"].as_array().unwrap();
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0]["name"], "request");
        assert_eq!(spans[0]["request_id"], "r-1");
        assert_eq!(spans[0]["method"], "GET");
        assert_eq!(spans[1]["name"], "use_case");
    }

    #[test]
    fn recorded_span_field_replaces_value() {
        let lines = lines_of(|| {
            let span = tracing::info_span!("job", state = "queued", id = tracing::field::Empty);
            span.record("state", "running");
            span.record("id", 42_u64);
            span.in_scope(|| tracing::info!("tick"));
        });

        let span = &lines[0]["span"];
        assert_eq!(span["state"], "running");
        assert_eq!(span["id"], 42);
    }

    #[test]
    fn strings_are_escaped() {
        let hostile = "quote \" backslash \\ newline \n tab \t bell \u{7} end";
        let lines = lines_of(|| tracing::info!(value = hostile, debug = ?hostile, "a \"b\"\n"));

        let fields = &lines[0]["fields"];
        assert_eq!(fields["value"], hostile);
        assert_eq!(fields["debug"], format!("{hostile:?}"));
        assert_eq!(fields["message"], "a \"b\"\n");
    }

    #[test]
    fn non_finite_float_is_null() {
        let lines = lines_of(|| tracing::info!(ratio = f64::NAN, big = f64::INFINITY, "x"));

        assert_eq!(lines[0]["fields"]["ratio"], Value::Null);
        assert_eq!(lines[0]["fields"]["big"], Value::Null);
    }
}
