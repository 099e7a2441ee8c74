import type { SiemDestinationBody } from '../../../lib/api/siem';
import { toCef } from '../../../lib/audit/cef';
import type { AuditRecord } from '../../../lib/audit/events';
import { toOcsf } from '../../../lib/audit/ocsf';
import { httpsPost } from '../sinks/https-post';
import { SyslogTlsClient, syslogFrame } from '../sinks/syslog-tls';

/** Sends a batch of events to one destination; resolves once it accepted them all. */
export type Deliver = (events: AuditRecord[]) => Promise<void>;

/** How a destination is shown (no secret). */
export function targetOf(d: SiemDestinationBody): string {
  return d.kind === 'syslog_cef' ? `syslog+tls://${d.host}:${d.port}` : d.url;
}

/**
 * The delivery function of a destination: OCSF in Splunk HEC's envelope (newline-separated event
 * objects, `Authorization: Splunk TOKEN`), a JSON array of OCSF events, or CEF over syslog/TLS.
 */
export function deliverer(d: SiemDestinationBody, version: string): { deliver: Deliver; close: () => void } {
  const ca = d.caPem;
  if (d.kind === 'splunk_hec') {
    return {
      deliver: (events) =>
        httpsPost(
          d.url,
          events.map((e) => JSON.stringify({ time: Date.parse(e.at) / 1000, source: 'sbx-appliance', sourcetype: 'ocsf', event: toOcsf(e) })).join('\n'),
          'application/json',
          { ca, headers: { authorization: `Splunk ${d.token}` } },
        ),
      close: () => undefined,
    };
  }
  if (d.kind === 'https_ocsf') {
    return {
      deliver: (events) => httpsPost(d.url, JSON.stringify(events.map(toOcsf)), 'application/json', { ca, headers: d.authorization ? { authorization: d.authorization } : {} }),
      close: () => undefined,
    };
  }
  const client = new SyslogTlsClient(d.host, d.port, ca);
  return {
    deliver: (events) => client.send(events.map((e) => syslogFrame(e.outcome === 'success' ? 6 : 4, 'sbx-audit', e.action, toCef(e, version), new Date(e.at)))),
    close: () => client.close(),
  };
}
