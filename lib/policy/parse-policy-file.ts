import { LineCounter, parseDocument, type Document } from 'yaml';
import { Policy } from './model';

/** One problem of a policy file: where (1-based line), which field, and what was expected. */
export type PolicyProblem = { line: number; field: string; message: string };

/** A policy file's verdict: the policy, or every problem found, each naming its field. */
export type ParsedPolicy = { ok: true; policy: Policy } | { ok: false; problems: PolicyProblem[] };

/**
 * Parses one policy file (YAML, or JSON which is YAML) into the policy model. Every problem names
 * the line and the field (`network.allow.2.domain`) and says what was expected; nothing throws.
 */
export function parsePolicyFile(text: string): ParsedPolicy {
  const lines = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  } catch (error) {
    return { ok: false, problems: [{ line: 1, field: '(file)', message: `not readable YAML: ${(error as Error).message}` }] };
  }
  const syntax = doc.errors.map((e) => ({ line: lines.linePos(e.pos[0]).line, field: '(syntax)', message: e.message.split('\n')[0] ?? 'invalid YAML' }));
  if (syntax.length > 0) return { ok: false, problems: syntax };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    return { ok: false, problems: [{ line: 1, field: '(file)', message: (error as Error).message }] };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, problems: [{ line: 1, field: '(file)', message: 'expected a policy: a mapping with at least name' }] };
  }
  const r = Policy.safeParse(value);
  if (r.success) return { ok: true, policy: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((issue) => {
      const path = issue.path.map(String);
      return { line: lineOf(doc, lines, path), field: path.join('.') || '(file)', message: issue.message };
    }),
  };
}

/** The line of the deepest node of `path` that exists in the document (the field, or its parent). */
function lineOf(doc: Document, lines: LineCounter, path: string[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n).map((p) => (/^\d+$/.test(p) ? Number(p) : p)), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lines.linePos(range[0]).line;
  }
  return 1;
}
