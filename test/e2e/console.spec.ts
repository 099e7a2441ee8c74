import { expect, test, type Page } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { Sandbox } from '../../sdk';
import { runAgent, tempStateDir } from '../support/agent';
import { adminClient, startControlPlane, type ControlPlane } from '../support/control-plane';

let cp: ControlPlane;
const ADMIN_PASSWORD = 'e2e-admin-passphrase';
let danaPassword = '';

test.beforeAll(async () => {
  cp = await startControlPlane();
});
test.afterAll(async () => {
  await cp?.stop();
});

async function signIn(page: Page, username: string, password: string) {
  await page.goto(`${cp.url}/login`);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test.describe.serial('console', () => {
  test('first sign-in forces a password change, then opens the console', async ({ page }) => {
    await signIn(page, cp.bootstrap.username, cp.bootstrap.oneTimePassword);
    await expect(page).toHaveURL(/\/change-password$/);
    await expect(page.getByText('Your password was set by someone else')).toBeVisible();
    // Trying to skip the change sends the admin back.
    await page.goto(`${cp.url}/users`);
    await expect(page).toHaveURL(/\/change-password$/);
    await page.getByLabel('Current password').fill(cp.bootstrap.oneTimePassword);
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('Repeat the new password').fill('short');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expect(page.locator('#newPassword-error')).toHaveText('expected at least 12 characters');
    await page.getByLabel('New password', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expect(page).toHaveURL(/\/audit$/);
    await expect(page.getByTestId('whoami')).toHaveText('Administrator');
    for (const item of ['Hosts', 'Sandboxes', 'Policies', 'Keys', 'Audit', 'Users', 'API keys', 'Settings']) {
      await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: new RegExp(`^${item}`) })).toBeVisible();
    }
  });

  test('a wrong password shows as a failure in the audit list', async ({ page }) => {
    await signIn(page, 'admin', 'not-the-password');
    await expect(page.locator('.alert.error')).toHaveText('Wrong user name or password.');
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await expect(page).toHaveURL(/\/audit$/);
    await page.getByLabel('Action').selectOption('auth.sign_in');
    await page.getByLabel('Outcome').selectOption('failure');
    await page.getByRole('button', { name: 'Apply' }).click();
    const row = page.getByTestId('audit-row').first();
    await expect(row).toHaveAttribute('data-outcome', 'failure');
    await expect(row).toContainText('admin');
    await row.click();
    await expect(page.getByText('"reason":"bad_password"')).toBeVisible();
  });

  test('an admin creates a user; inline validation names the field', async ({ page }) => {
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.locator('#new-username').fill('x');
    await page.locator('#new-displayName').fill('Dana Developer');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(page.locator('#new-username-error')).toContainText('expected 2-63 characters');
    await page.locator('#new-username').fill('dana');
    await page.locator('#new-role').selectOption('developer');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(page.getByTestId('initial-password')).toHaveText(/^[A-Za-z0-9]{20}$/);
    danaPassword = (await page.getByTestId('initial-password').textContent()) ?? '';
    await expect(page.getByTestId('user-row-dana')).toContainText('must change password');
  });

  test('a developer sees only what the role allows', async ({ page }) => {
    await signIn(page, 'dana', danaPassword);
    await expect(page).toHaveURL(/\/change-password$/);
    await page.getByLabel('Current password').fill(danaPassword);
    await page.getByLabel('New password', { exact: true }).fill('dana-developer-passphrase');
    await page.getByLabel('Repeat the new password').fill('dana-developer-passphrase');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expect(page).toHaveURL(/\/api-keys$/);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(nav.getByRole('link', { name: 'API keys' })).toBeVisible();
    for (const hidden of ['Users', 'Audit', 'Settings', 'Hosts']) {
      await expect(nav.getByRole('link', { name: new RegExp(`^${hidden}`) })).toHaveCount(0);
    }
    await page.goto(`${cp.url}/users`);
    await expect(page.locator('.alert.error')).toContainText('does not allow users.read');
  });

  test('an API key is created (secret shown once) and revoked, and both show on the Audit page', async ({ page }) => {
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'API keys' }).click();
    // The first start made a developer key for sbx on this host.
    await expect(page.getByTestId('key-row-bootstrap-developer')).toContainText('developer');
    await page.getByLabel('Name').fill('ci-pipeline');
    await page.getByLabel('Role').selectOption('operator');
    await page.getByRole('button', { name: 'Create key' }).click();
    await expect(page.getByTestId('api-key-secret')).toHaveText(/^sbx_[a-z0-9]{12}_[\w-]{43}$/);
    const row = page.getByTestId('key-row-ci-pipeline');
    await expect(row).toContainText('active');
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Revoke' }).click();
    await expect(row).toContainText('revoked');
    await page.reload();
    await expect(page.getByTestId('api-key-secret')).toHaveCount(0);
    await page.getByRole('link', { name: 'Audit' }).click();
    const actions = page.getByTestId('audit-row');
    await expect(actions.nth(0)).toHaveAttribute('data-action', 'apikey.revoke');
    await expect(actions.nth(1)).toHaveAttribute('data-action', 'apikey.create');
    await expect(page.getByTestId('audit-table')).toContainText('user.create');
  });
});

test.describe.serial('hosts', () => {
  test('add a host: the join command is shown once, the host appears live, then is revoked', async ({ page }) => {
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('link', { name: 'Hosts' }).click();
    await expect(page.getByText('No hosts yet')).toBeVisible();
    await page.getByRole('button', { name: 'Add host' }).click();
    await page.getByLabel('Labels').fill('Bad Key=x');
    await page.getByRole('button', { name: 'Create join token' }).click();
    await expect(page.locator('.field[data-invalid=true] .error')).toContainText('label key');
    await page.getByLabel('Labels').fill('zone=eu-1, tier=gpu');
    await page.getByRole('button', { name: 'Create join token' }).click();
    const command = (await page.getByTestId('join-command').textContent()) ?? '';
    expect(command).toMatch(/sbx-agent join --url https:\/\/localhost:\d+ --token sbxj1\./);
    const token = /--token (\S+)/.exec(command)?.[1] ?? '';

    const state = tempStateDir();
    const join = runAgent(state, ['join', '--url', `https://127.0.0.1:${cp.port}`, '--token', token, '--hostname', 'e2e-host']);
    expect(await join.exit).toBe(0);
    const agent = runAgent(state, ['run']);
    try {
      // No reload: the page polls and the host shows up online by itself.
      const row = page.getByTestId('host-row-e2e-host');
      await expect(row).toContainText('online', { timeout: 15_000 });
      await expect(row).toContainText('zone=eu-1');
      await expect(row).toContainText('runsc');
      await row.getByRole('link', { name: 'e2e-host' }).click();
      await expect(page.getByTestId('host-detail')).toContainText('sandbox slots');
      page.once('dialog', (d) => void d.accept());
      await page.getByRole('button', { name: 'Revoke host' }).click();
      await expect(page.getByTestId('host-detail')).toContainText('revoked');
      expect(await agent.exit).toBe(77);
    } finally {
      await agent.stop();
      fs.rmSync(state, { recursive: true, force: true });
    }
  });
});

test.describe.serial('keys', () => {
  test('keys page: the default key, a new key with validation, rotation, and destroying a version with a typed confirmation', async ({ page }) => {
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Keys', exact: true }).click();
    const defaultKey = page.getByTestId('key-default');
    await expect(defaultKey.getByTestId('key-version-1')).toContainText('v1 (latest)');
    await expect(defaultKey.getByTestId('rewrap-status')).toHaveText('No stored data is wrapped by this key.');

    await page.locator('#kek-name').fill('Team A');
    await page.getByRole('button', { name: 'Create key' }).click();
    await expect(page.locator('#kek-name-error')).toContainText('expected 2 to 63 lower-case letters');
    await page.locator('#kek-name').fill('team-a');
    await page.getByRole('button', { name: 'Create key' }).click();
    const teamA = page.getByTestId('key-team-a');
    await expect(teamA.getByTestId('key-version-1')).toContainText('active');

    await teamA.getByRole('button', { name: 'Rotate' }).click();
    await expect(teamA.getByTestId('key-version-2')).toContainText('v2 (latest)');
    await teamA.getByTestId('key-version-1').getByRole('button', { name: 'Destroy…' }).click();
    const confirm = teamA.getByTestId('destroy-confirm');
    await expect(confirm).toContainText('can never be read again');
    const destroy = confirm.getByRole('button', { name: 'Destroy v1 for good' });
    await expect(destroy).toBeDisabled();
    await confirm.getByLabel('Confirmation').fill('team-a:v2');
    await expect(destroy).toBeDisabled();
    await confirm.getByLabel('Confirmation').fill('team-a:v1');
    await destroy.click();
    await expect(teamA.getByTestId('key-version-1')).toContainText('destroyed');
    await expect(teamA.getByTestId('key-version-1').getByRole('button')).toHaveCount(0);

    const admin = await adminClient(cp, ADMIN_PASSWORD);
    const destroyed = (await admin.get('/api/v1/audit?action=key.destroy')).body as { events: { details: unknown }[] };
    expect(destroyed.events[0]?.details).toEqual({ name: 'team-a', version: 1 });
  });
});

test.describe('sandboxes', () => {
  let host: ControlPlane;
  test.beforeAll(async () => {
    host = await startControlPlane({ SBX_LOCAL_AGENT: 'true' });
  });
  test.afterAll(async () => {
    await host?.stop();
  });

  test('a sandbox made with the SDK shows live; commands run and are killed from the console; a sandbox is created, used and killed there', async ({ page }) => {
    const admin = await adminClient(host);
    const key = ((await admin.post('/api/v1/api-keys', { name: 'sdk', role: 'operator', expiresInDays: 1 })).body as { secret: string }).secret;
    const caFile = path.join(host.dataDir, 'pki', 'ca.crt');
    let sandbox: Sandbox | null = null;
    for (let i = 0; i < 60 && !sandbox; i++) {
      sandbox = await Sandbox.create({ url: `https://localhost:${host.port}`, apiKey: key, caFile, timeoutSeconds: 300 }).catch(() => null);
      if (!sandbox) await new Promise((r) => setTimeout(r, 500));
    }
    expect(sandbox).not.toBeNull();
    const id = sandbox!.id;
    await page.goto(`${host.url}/login`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('admin-password-for-tests');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Sandboxes' }).click();
    const row = page.getByTestId(`sandbox-row-${id}`);
    await expect(row).toContainText('running');
    // A background command started with the SDK shows in the history and is killed from the page.
    const sleeper = await sandbox!.exec('sleep 120', { background: true });
    await row.getByRole('link', { name: id }).click();
    await expect(page.getByTestId('sandbox-usage')).toContainText(`of ${sandbox!.info.memoryMiB} MiB`);
    const sleeping = page.getByTestId(`command-${sleeper.id}`);
    await expect(sleeping).toContainText('running');
    await sleeping.getByRole('button', { name: 'Kill' }).click();
    await expect(sleeping).toContainText('killed (SIGKILL)');
    await page.getByLabel(/^Command/).fill('python3 -c "print(6*7)"');
    await page.getByRole('button', { name: 'Run' }).click();
    await expect(page.getByTestId('command-run').first()).toContainText('42');
    await expect(page.getByTestId('command-run').first()).toContainText('exit 0');
    await expect(page.getByTestId('command-history')).toContainText('python3 -c "print(6*7)"');
    // Pause and resume from the page: what it held is still there.
    await page.getByLabel(/^Command/).fill('echo kept > ~/kept.txt');
    await page.getByRole('button', { name: 'Run' }).click();
    await expect(page.getByTestId('command-run').first()).toContainText('exit 0');
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await expect(page.getByTestId('sandbox-detail')).toContainText('paused', { timeout: 30_000 });
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await expect(page.getByTestId('sandbox-detail')).toContainText('running', { timeout: 30_000 });
    await page.getByLabel(/^Command/).fill('cat ~/kept.txt');
    await page.getByRole('button', { name: 'Run' }).click();
    await expect(page.getByTestId('command-run').first()).toContainText('kept');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Kill sandbox' }).click();
    await expect(page.getByTestId('sandbox-detail')).toContainText('stopped');

    // Made from the console itself: create, run, kill.
    await page.getByRole('link', { name: 'All sandboxes' }).click();
    await page.getByLabel('Memory (MiB)').fill('256');
    await page.getByRole('button', { name: 'Create sandbox' }).click();
    await expect(page.getByTestId('sandbox-detail')).toContainText('running');
    await expect(page.getByTestId('sandbox-detail')).toContainText('256 MiB memory');
    await page.getByLabel(/^Command/).fill('uname -r');
    await page.getByRole('button', { name: 'Run' }).click();
    await expect(page.getByTestId('command-run').first()).toContainText('exit 0');

    // Its network: the rules form validates as the API does and previews the change.
    const net = page.getByTestId('network-panel');
    await expect(net).toContainText('nothing allowed');
    await page.getByLabel(/^Allowed/).fill('not a domain\n203.0.113.0/24:8443');
    await page.getByRole('button', { name: 'Preview change' }).click();
    await expect(net).toContainText('line “not a domain”: domain: expected a domain');
    await page.getByLabel(/^Allowed/).fill('pypi.org\n203.0.113.0/24:8443');
    await page.getByRole('button', { name: 'Preview change' }).click();
    await expect(page.getByTestId('network-preview')).toContainText('+ pypi.org:443');
    await expect(page.getByTestId('network-preview')).toContainText('+ 203.0.113.0/24:8443');
    await page.getByRole('button', { name: 'Apply' }).click();
    // This test's host runs without egress (it shares the machine's network), so the sandbox has no
    // interface: the refusal says so and the rules stay as they were.
    await expect(net).toContainText('was started without a network');
    await expect(net).toContainText('nothing allowed');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Kill sandbox' }).click();
    await expect(page.getByTestId('sandbox-detail')).toContainText('stopped');
  });

  test('policies page: rollout per host, an edit checked as the CLI checks it with its plan, the diff of a version, and rollback', async ({ page }) => {
    await page.goto(`${host.url}/login`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('admin-password-for-tests');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Policies', exact: true }).click();
    const hostRow = page.getByTestId('policy-rollout').locator('tbody tr').first();
    await expect(hostRow).toContainText('applied');
    await expect(hostRow).toContainText('v1');
    await expect(page.getByTestId('policy-version')).toContainText('version 1');

    await page.getByRole('button', { name: 'New policy' }).click();
    const yaml = page.getByLabel('Policy YAML');
    await yaml.fill('name: data-science\nscope:\n  teams: [data-science]\nsandbox:\n  maxCpus: 99\n');
    await expect(page.getByTestId('policy-problems')).toHaveText('line 5: sandbox.maxCpus: expected at most 16 CPUs');
    await expect(page.getByRole('button', { name: 'Save as new version' })).toBeDisabled();
    await yaml.fill('name: data-science\nscope:\n  teams: [data-science]\nsandbox:\n  maxCpus: 4\n');
    await expect(page.getByTestId('policy-plan')).toContainText('+ policy data-science');
    await page.getByRole('button', { name: 'Save as new version' }).click();
    await expect(page.getByTestId('policy-version')).toContainText('version 2');
    await expect(page.getByTestId('policy-data-science')).toContainText('team data-science');
    await expect(hostRow).toContainText('v2');
    await expect(hostRow).toContainText('applied');

    const v2 = page.getByTestId('policy-version-2');
    await expect(v2).toContainText('console');
    await v2.getByRole('button', { name: '+1 ~0 -0' }).click();
    await expect(page.getByTestId('policy-diff-2')).toContainText('+ policy data-science');

    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('policy-version-1').getByRole('button', { name: 'Roll back to v1' }).click();
    await expect(page.getByTestId('policy-version')).toContainText('version 3');
    await expect(page.getByTestId('policy-version-3')).toContainText('rollback to v1');
    await expect(page.getByTestId('policy-data-science')).toHaveCount(0);
    await expect(hostRow).toContainText('v3');
  });
});

test.describe('automatic logoff', () => {
  let short: ControlPlane;
  test.beforeAll(async () => {
    short = await startControlPlane({ SBX_SESSION_IDLE_SECONDS: '6' });
  });
  test.afterAll(async () => {
    await short?.stop();
  });

  test('an idle console signs itself out and says why', async ({ page }) => {
    await page.goto(`${short.url}/login`);
    await page.getByLabel('User name').fill(short.bootstrap.username);
    await page.getByLabel('Password').fill(short.bootstrap.oneTimePassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Current password').fill(short.bootstrap.oneTimePassword);
    await page.getByLabel('New password', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expect(page).toHaveURL(/\/audit$/);
    await expect(page.getByText(/Signing out in \d+ s/)).toBeVisible({ timeout: 10_000 });
    await expect(page).toHaveURL(/\/login\?reason=idle$/, { timeout: 15_000 });
    await expect(page.getByText('You were signed out after a period of inactivity.')).toBeVisible();
    await page.goto(`${short.url}/users`);
    await expect(page).toHaveURL(/\/login/);
  });
});

test.describe.serial('audit ledger', () => {
  test('verify now, an inclusion proof, an evidence export with progress and download, and the live tail', async ({ page }) => {
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    const ledger = page.getByTestId('ledger-panel');
    await expect(ledger.getByTestId('latest-checkpoint')).toContainText(/\d+ events, root [0-9a-f]{16}…, key v1/);
    await ledger.getByRole('button', { name: 'Verify now' }).click();
    await expect(ledger.locator('.alert.ok')).toContainText(/Verified: all \d+ events recomputed/);

    await page.getByTestId('audit-row').last().click();
    await expect(page.getByTestId('inclusion-proof')).toContainText(/^Included in the signed checkpoint of \d+ events/);

    const exportPanel = page.getByTestId('export-panel');
    await exportPanel.locator('#x-from').fill('2030-01-02T00:00');
    await exportPanel.locator('#x-to').fill('2030-01-01T00:00');
    await exportPanel.getByRole('button', { name: 'Export' }).click();
    await expect(exportPanel.locator('#x-to-error')).toHaveText('expected a time after from');
    await exportPanel.locator('#x-from').fill('');
    await exportPanel.locator('#x-to').fill('');
    await exportPanel.getByRole('button', { name: 'Export' }).click();
    await expect(exportPanel.locator('.alert.ok')).toContainText(/Bundle ready: \d+ events/, { timeout: 30_000 });
    const download = page.waitForEvent('download');
    await exportPanel.getByTestId('export-download').click();
    expect((await download).suggestedFilename()).toMatch(/^sbx-audit-.*\.tar$/);

    await page.getByTestId('live-tail').check();
    const admin = await adminClient(cp, ADMIN_PASSWORD);
    await admin.post('/api/v1/api-keys', { name: 'tail-me', role: 'developer', expiresInDays: 1 });
    await expect(page.getByTestId('audit-row').first()).toHaveAttribute('data-action', 'apikey.create', { timeout: 10_000 });
  });

  test('an event altered in the database raises the ledger alert on every page', async ({ page }) => {
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path.join(cp.dataDir, 'control-plane.db'));
    db.exec('DROP TRIGGER AuditEvent_no_update');
    db.exec("UPDATE AuditEvent SET actorName = 'mallory' WHERE seq = 3");
    db.close();
    await signIn(page, 'admin', ADMIN_PASSWORD);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByTestId('ledger-panel').getByRole('button', { name: 'Verify now' }).click();
    await expect(page.getByTestId('ledger-panel').locator('.alert.error')).toContainText('Verification failed at event #3');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await expect(page.getByTestId('ledger-alert')).toContainText('Audit ledger integrity check failed at event #3');
  });
});
