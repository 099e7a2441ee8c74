import path from 'node:path';
import { defineConfig } from 'vitest/config';

const alias = {
  '@/lib': path.resolve(import.meta.dirname, 'lib'),
  '@/server': path.resolve(import.meta.dirname, 'server'),
  '@/app': path.resolve(import.meta.dirname, 'app'),
  '@/sdk': path.resolve(import.meta.dirname, 'sdk'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    // Integration files each start their own control plane; two at a time suit a 2-core machine.
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      { resolve: { alias }, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' } },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/hostile/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          setupFiles: ['test/support/integration-setup.ts'],
        },
      },
    ],
  },
});
