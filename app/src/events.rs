//! The security event sink: each event becomes one tracing event on the `security` target,
//! which the logging setup routes to `security.log`.

use rampart_domain::event::SecurityEvent;
use rampart_ports::SecurityEventSink;

use crate::telemetry::SECURITY_TARGET;

/// Writes security events through tracing, at warn level.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TracingEventSink;

impl SecurityEventSink for TracingEventSink {
    fn record(&self, event: SecurityEvent) {
        let user_id = event.user_id.map(|id| id.to_string());
        let client_ip = event.client_ip.map(|ip| ip.to_string());
        tracing::warn!(
            target: SECURITY_TARGET,
            event = event.kind.as_str(),
            user_id = user_id.as_deref(),
            username = event.username.as_deref(),
            client_ip = client_ip.as_deref(),
            resource = event.resource.as_deref(),
            action = event.action.as_deref(),
            reason = %event.reason,
            "security event {}",
            event.kind.as_str(),
        );
    }
}
