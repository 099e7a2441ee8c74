import { z } from 'zod';
import type { Policy } from './model';

/** One changed field of a policy: its dotted path and the value before and after (absent: undefined). */
export const FieldChange = z.object({ path: z.string(), before: z.unknown(), after: z.unknown() });
export type FieldChange = z.infer<typeof FieldChange>;

/** What a new policy set changes against the one in force: policies added, removed, and changed field by field. */
export const PolicyDiff = z.object({
  added: z.array(z.string()),
  removed: z.array(z.string()),
  changed: z.array(z.object({ name: z.string(), fields: z.array(FieldChange) })),
});
export type PolicyDiff = z.infer<typeof PolicyDiff>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Field changes between two values; objects are walked, arrays and scalars compared whole. */
function fieldChanges(before: unknown, after: unknown, path: string, out: FieldChange[]): void {
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const k of keys) fieldChanges(before[k], after[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) out.push({ path, before, after });
}

/** The difference between the policies in force and a proposed set. */
export function diffPolicies(before: readonly Policy[], after: readonly Policy[]): PolicyDiff {
  const old = new Map(before.map((p) => [p.name, p]));
  const next = new Map(after.map((p) => [p.name, p]));
  const diff: PolicyDiff = { added: [], removed: [], changed: [] };
  for (const [name, p] of next) {
    const o = old.get(name);
    if (!o) diff.added.push(name);
    else {
      const fields: FieldChange[] = [];
      fieldChanges(o, p, '', fields);
      if (fields.length > 0) diff.changed.push({ name, fields });
    }
  }
  for (const name of old.keys()) if (!next.has(name)) diff.removed.push(name);
  diff.added.sort();
  diff.removed.sort();
  diff.changed.sort((a, b) => (a.name < b.name ? -1 : 1));
  return diff;
}

/** Whether a diff changes anything. */
export function diffIsEmpty(d: PolicyDiff): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}

const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));

/** A diff as plan lines, Terraform's way: `+` added, `-` removed, `~` changed with its fields. */
export function formatDiff(d: PolicyDiff): string[] {
  const lines: string[] = [];
  for (const n of d.added) lines.push(`+ policy ${n}`);
  for (const c of d.changed) {
    lines.push(`~ policy ${c.name}`);
    for (const f of c.fields) lines.push(`    ${f.path}: ${show(f.before)} -> ${show(f.after)}`);
  }
  for (const n of d.removed) lines.push(`- policy ${n}`);
  lines.push(diffIsEmpty(d) ? 'No changes: the control plane holds these policies.' : `Plan: ${d.added.length} to add, ${d.changed.length} to change, ${d.removed.length} to remove.`);
  return lines;
}
