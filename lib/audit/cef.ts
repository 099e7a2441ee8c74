import type { AuditRecord } from './events';

// CEF: a header of |-separated fields (| and \ escaped), then key=value extensions (\, = and line breaks escaped).
const header = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
const ext = (s: string) => s.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r?\n|\r/g, '\\n');

/** One audit event as an ArcSight CEF:0 message (severity 3 for success, 7 for a failure or denial). */
export function toCef(e: AuditRecord, version: string): string {
  const severity = e.outcome === 'success' ? 3 : 7;
  const fields: [string, string | number | null | undefined][] = [
    ['rt', Date.parse(e.at)],
    ['externalId', e.seq],
    ['suser', e.actor.name],
    ['suid', e.actor.id],
    ['src', e.sourceIp],
    ['outcome', e.outcome],
    ['cs1Label', 'target'],
    ['cs1', e.target ? `${e.target.type}:${e.target.id ?? ''}:${e.target.name ?? ''}` : null],
    ['cs2Label', 'eventHash'],
    ['cs2', e.hash],
    ['cs3Label', 'requestId'],
    ['cs3', e.requestId],
    ['msg', JSON.stringify(e.details)],
  ];
  const extension = fields
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${ext(String(v))}`)
    .join(' ');
  return `CEF:0|Sandbox appliance|sbx|${header(version)}|${header(e.action)}|${header(`${e.action} ${e.outcome}`)}|${severity}|${extension}`;
}
