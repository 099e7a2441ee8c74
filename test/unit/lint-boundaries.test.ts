import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

async function errorsFor(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (result?.messages ?? []).filter((m) => m.severity === 2).map((m) => m.ruleId ?? '');
}

describe('import boundaries of the design', () => {
  it('forbids agent/ and sdk/ from importing server/ or Prisma', async () => {
    expect(await errorsFor('agent/x.ts', "import { openSqlite } from '../server/db/client';\nexport const a = openSqlite;\n")).toContain('no-restricted-imports');
    expect(await errorsFor('sdk/x.ts', "import { PrismaClient } from '@prisma/client';\nexport const a = PrismaClient;\n")).toContain('no-restricted-imports');
  });

  it('keeps lib/ free of I/O and of the other folders', async () => {
    expect(await errorsFor('lib/x.ts', "import fs from 'node:fs';\nexport const a = fs;\n")).toContain('no-restricted-imports');
    expect(await errorsFor('lib/x.ts', "import { z } from 'zod';\nexport const a = z;\n")).toEqual([]);
  });

  it('forbids client components from importing server code', async () => {
    const code = "'use client';\nimport { getServerContext } from '@/server/context';\nexport const a = getServerContext;\n";
    expect(await errorsFor('app/x.tsx', code)).toContain('sbx/client-boundary');
    expect(await errorsFor('app/y.tsx', code.replace("'use client';\n", ''))).toEqual([]);
  });

  it('forbids server/ from importing app/', async () => {
    expect(await errorsFor('server/x.ts', "import a from '../app/layout';\nexport const b = a;\n")).toContain('no-restricted-imports');
  });
});
