import { redirect } from 'next/navigation';
import { homePathFor } from '@/lib/roles';
import { currentSession } from '../_server/current-session';

export const dynamic = 'force-dynamic';

/** Sends each role to the first page it may read (the layout has already checked the session). */
export default async function Home() {
  const result = await currentSession(false);
  redirect(result.ok ? homePathFor(result.principal.role) : '/login');
}
