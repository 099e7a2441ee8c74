import type { AuditRecord } from './events';

/** The CSV columns of an export, in order. */
export const CSV_HEADER = ['seq', 'at', 'actor_type', 'actor_id', 'actor_name', 'action', 'target_type', 'target_id', 'target_name', 'outcome', 'source_ip', 'user_agent', 'request_id', 'details', 'hash'];

/** A field quoted as RFC 4180 asks (and a leading =, +, - or @ defused, so a spreadsheet does not run it). */
function field(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n']/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One event as a CSV line (CRLF-terminated). */
export function csvLine(e: AuditRecord): string {
  return `${[
    e.seq,
    e.at,
    e.actor.type,
    e.actor.id,
    e.actor.name,
    e.action,
    e.target?.type,
    e.target?.id,
    e.target?.name,
    e.outcome,
    e.sourceIp,
    e.userAgent,
    e.requestId,
    JSON.stringify(e.details),
    e.hash,
  ]
    .map(field)
    .join(',')}\r\n`;
}
