'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';
import type { ReactNode } from 'react';
import { can, type Permission, type Role } from '@/lib/roles';
import { setCsrfToken } from '../_client/api';
import { IdleWatcher } from './idle-watcher';
import { LedgerAlert } from './ledger-alert';
import { SignOutButton } from './sign-out-button';

type NavItem = { href: string; label: string; permission: Permission; soon?: boolean };

const nav: NavItem[] = [
  { href: '/hosts', label: 'Hosts', permission: 'hosts.read' },
  { href: '/sandboxes', label: 'Sandboxes', permission: 'sandboxes.read' },
  { href: '/policies', label: 'Policies', permission: 'policies.read' },
  { href: '/keys', label: 'Keys', permission: 'keys.read' },
  { href: '/audit', label: 'Audit', permission: 'audit.read' },
  { href: '/users', label: 'Users', permission: 'users.read' },
  { href: '/api-keys', label: 'API keys', permission: 'apikeys.read_own' },
  { href: '/settings', label: 'Settings', permission: 'settings.read' },
];

export function Shell(props: {
  organization: string;
  user: { username: string; displayName: string; role: Role };
  csrfToken: string;
  idleTimeoutSeconds: number;
  children: ReactNode;
}) {
  const pathname = usePathname();
  setCsrfToken(props.csrfToken);
  return (
    <div className="shell">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          Sandbox appliance
          <small>{props.organization}</small>
        </div>
        {nav
          .filter((item) => can(props.user.role, item.permission))
          .map((item) => (
            <Link key={item.href} href={item.href} aria-current={pathname.startsWith(item.href) ? 'page' : undefined}>
              {item.label}
              {item.soon ? <span className="soon">soon</span> : null}
            </Link>
          ))}
        <div className="spacer" />
        <div className="who">
          <b data-testid="whoami">{props.user.displayName}</b>
          {props.user.username} · {props.user.role}
          <div style={{ marginTop: 8, display: 'flex', gap: 8 }}>
            <Link href="/change-password">Password</Link>
            <SignOutButton />
          </div>
        </div>
      </nav>
      <main className="main">
        {can(props.user.role, 'audit.read') ? <LedgerAlert /> : null}
        {props.children}
      </main>
      <IdleWatcher timeoutSeconds={props.idleTimeoutSeconds} />
    </div>
  );
}
