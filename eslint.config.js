// ESLint: TypeScript rules plus the import boundaries of the design (see README, "Architecture").
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Import boundaries as regular expressions over the import source (relative or aliased).
const up = (dir) => [`^(\\.\\./)+${dir}(/|$)`, `^@/${dir}(/|$)`];
const serverOnly = up('server');
const appOnly = up('app');
const sdkOnly = up('sdk');
const agentOnly = up('agent');
const testOnly = up('test');
const prisma = ['^@prisma/', '^prisma(/|$)', '/db/generated(/|$)'];
const next = ['^next(/|$)'];
const io = ['^(node:)?(fs|net|http|https|child_process|dgram|tls)(/|$)'];

const forbid = (message, ...groups) => groups.flat().map((regex) => ({ regex, message }));
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns: patterns.flat() }] });

/** Client components ('use client') run in the browser: they may import lib/ and app/ only. */
const clientBoundary = {
  meta: { type: 'problem', messages: { server: 'A client component must not import server code ({{source}}); use lib/ or call the API.' } },
  create(context) {
    const body = context.sourceCode.ast.body;
    const first = body[0];
    const isClient = first?.type === 'ExpressionStatement' && first.directive === 'use client';
    if (!isClient) return {};
    return {
      ImportDeclaration(node) {
        const source = String(node.source.value);
        if (/(^|\/)server\//.test(source) || source.startsWith('@/server') || source.startsWith('@prisma/')) {
          context.report({ node, messageId: 'server', data: { source } });
        }
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['node_modules/**', '.next/**', 'data/**', 'server/db/generated/**', 'next-env.d.ts', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { sbx: { rules: { 'client-boundary': clientBoundary } } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'sbx/client-boundary': 'error',
    },
  },
  {
    files: ['lib/**'],
    rules: restrict(
      forbid('lib/ holds contracts and pure functions: it imports only zod and pure helpers.', serverOnly, appOnly, sdkOnly, agentOnly, testOnly, prisma, next, io),
    ),
  },
  {
    files: ['server/**'],
    rules: restrict(forbid('server/ imports lib/ and Prisma, never app/, agent/, sdk/ or test/.', appOnly, sdkOnly, agentOnly, testOnly)),
  },
  {
    files: ['agent/**'],
    rules: restrict(forbid('agent/ imports lib/ only: never Prisma, server/, app/ or sdk/.', serverOnly, appOnly, sdkOnly, testOnly, prisma, next)),
  },
  {
    files: ['sdk/**'],
    rules: restrict(forbid('sdk/ imports lib/ only: never Prisma, server/, app/ or agent/.', serverOnly, appOnly, agentOnly, testOnly, prisma, next)),
  },
  {
    files: ['app/**'],
    rules: restrict(forbid('app/ imports server/ (server code) and lib/, never agent/, sdk/, test/ or Prisma directly.', agentOnly, sdkOnly, testOnly, prisma)),
  },
);
