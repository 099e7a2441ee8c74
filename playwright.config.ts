import { defineConfig } from '@playwright/test';

// Browser tests run in Debian's Chromium (Playwright's own browser download is not available).
export default defineConfig({
  testDir: 'test/e2e',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    // The console's certificate comes from the appliance's own CA; TLS itself is verified in the
    // integration tests, so the browser is told to accept it rather than to trust a new root.
    ignoreHTTPSErrors: true,
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
});
