'use client';

import { api } from '../_client/api';

export function SignOutButton() {
  const signOut = async () => {
    await api('/auth/sign-out', { method: 'POST', body: { reason: 'user' } }).catch(() => undefined);
    window.location.assign('/login?reason=signed_out');
  };
  return (
    <a href="#" onClick={(e) => { e.preventDefault(); void signOut(); }}>
      Sign out
    </a>
  );
}
