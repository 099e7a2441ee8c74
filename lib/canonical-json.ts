/**
 * RFC 8785 (JSON Canonicalization Scheme) serialisation: object keys sorted by UTF-16 code units,
 * no insignificant whitespace, numbers in ECMAScript's shortest form. Audit hashes depend on it,
 * so anything JSON cannot represent exactly is refused rather than silently altered. Written as
 * plain loops: the ledger canonicalises every event it takes in.
 */
const quotedKeys = new Map<string, string>();

/** A key as a JSON string; the same few keys recur in every event, so their quoting is kept. */
function quoted(key: string): string {
  let q = quotedKeys.get(key);
  if (q === undefined) {
    q = JSON.stringify(key);
    if (quotedKeys.size < 10_000) quotedKeys.set(key, q);
  }
  return q;
}

function sortedPlain(record: Record<string, unknown>, keys: string[]): boolean {
  if (Object.getPrototypeOf(record) !== Object.prototype && Object.getPrototypeOf(record) !== null) return false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (i > 0 && (keys[i - 1] as string) >= k) return false;
    const v = record[k];
    if (!plainValue(v) && v !== undefined && !plainArray(v)) return false;
  }
  return true;
}

/** An array of plain values only (a hole reads as undefined, which is not one). */
function plainArray(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (!plainValue(v[i])) return false;
  return true;
}

function plainValue(v: unknown): boolean {
  const t = typeof v;
  return v === null || t === 'string' || t === 'boolean' || (t === 'number' && Number.isFinite(v));
}

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const own = Object.keys(record);
      // Keys already in order over plain values: JSON.stringify writes exactly this (it walks the same keys, escapes strings and prints numbers as ECMAScript does, and skips undefined).
      if (sortedPlain(record, own)) return JSON.stringify(record);
      // Array.prototype.sort's default order is by UTF-16 code units, which is what RFC 8785 asks.
      const keys = own.sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const v = record[k];
        if (v === undefined) continue;
        out += `${first ? '' : ','}${quoted(k)}:${canonicalJson(v)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot serialise ${typeof value}`);
  }
}
