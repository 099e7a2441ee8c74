import { getServerContext } from '@/server/context';
import { getSettings } from '@/server/settings/get-settings';
import { LoginForm } from './login-form';

export const dynamic = 'force-dynamic';

const reasons: Record<string, string> = {
  idle: 'You were signed out after a period of inactivity.',
  expired: 'Your session ended; sign in again.',
  signed_out: 'You are signed out.',
  password_changed: 'Password changed; sign in with the new one.',
};

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const settings = await getSettings(getServerContext());
  const { reason } = await searchParams;
  return (
    <div className="auth-wrap">
      <div className="card auth-card">
        <div className="brand">{settings.organizationName}</div>
        <p className="sub">Sign in to the sandbox appliance console</p>
        <LoginForm notice={reason ? reasons[reason] : undefined} />
        {settings.signInBanner ? <div className="banner-notice">{settings.signInBanner}</div> : null}
      </div>
    </div>
  );
}
