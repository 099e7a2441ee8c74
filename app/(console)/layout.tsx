import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { authenticateSession } from '@/server/auth/authenticate-session';
import { SESSION_COOKIE } from '@/server/auth/session-cookie';
import { getServerContext } from '@/server/context';
import { getSettings } from '@/server/settings/get-settings';
import { Shell } from './shell';

export const dynamic = 'force-dynamic';

/** Every console page needs a live session whose password change is done. */
export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const ctx = getServerContext();
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (!token) redirect('/login');
  const h = await headers();
  const result = await authenticateSession(
    ctx,
    token,
    { sourceIp: h.get('x-sbx-client-ip'), userAgent: h.get('user-agent'), requestId: h.get('x-request-id') ?? 'page' },
    true,
  );
  if (!result.ok) redirect(result.reason === 'none' ? '/login' : `/login?reason=${result.reason === 'idle' ? 'idle' : 'expired'}`);
  if (result.principal.mustChangePassword) redirect('/change-password');
  const settings = await getSettings(ctx);
  const p = result.principal;
  return (
    <Shell
      organization={settings.organizationName}
      user={{ username: p.username, displayName: p.displayName, role: p.role }}
      csrfToken={p.csrfToken}
      idleTimeoutSeconds={ctx.config.session.idleSeconds}
    >
      {children}
    </Shell>
  );
}
