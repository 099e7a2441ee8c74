import { redirect } from 'next/navigation';

/** The console opens on the Audit page; the layout has already checked the session. */
export default function Home() {
  redirect('/audit');
}
