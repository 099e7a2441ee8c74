import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openApiDocument, operations } from '../../../lib/api/openapi';

const apiDir = path.resolve(import.meta.dirname, '../../../app/api/v1');

/** Every (method, path) that a route file under app/api/v1 exports. */
function routesOnDisk(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name === 'route.ts') {
        const rel = `/${path.relative(apiDir, dir)}`.replace(/\[(\w+)\]/g, '{$1}');
        const src = fs.readFileSync(full, 'utf8');
        for (const m of src.matchAll(/export const (GET|POST|PATCH|DELETE|PUT) =/g)) out.push(`${(m[1] as string).toLowerCase()} ${rel}`);
      }
    }
  };
  walk(apiDir);
  return out.sort();
}

describe('OpenAPI document', () => {
  it('lists exactly the routes that exist', () => {
    expect(operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual(routesOnDisk());
  });

  it('is generated from the zod schemas the routes parse with', () => {
    const doc = openApiDocument('test') as { openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown>; required?: string[] } }> } }>> };
    expect(doc.openapi).toBe('3.1.0');
    const create = doc.paths['/sandboxes']?.post?.requestBody?.content['application/json']?.schema;
    expect(Object.keys(create?.properties ?? {})).toEqual(expect.arrayContaining(['image', 'memoryMiB', 'timeoutSeconds', 'env']));
    const exec = doc.paths['/sandboxes/{id}/exec']?.post?.requestBody?.content['application/json']?.schema;
    expect(exec?.required).toContain('cmd');
  });
});
