import { redirect } from 'next/navigation';
import type { ReactNode } from 'react';
import { getServerContext } from '@/server/context';
import { getSettings } from '@/server/settings/get-settings';
import { currentSession } from '../_server/current-session';
import { Shell } from './shell';

export const dynamic = 'force-dynamic';

/** Every console page needs a live session whose password change is done. */
export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const ctx = getServerContext();
  const result = await currentSession(true);
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
