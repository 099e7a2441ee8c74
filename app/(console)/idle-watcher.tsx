'use client';

import { useEffect, useRef, useState } from 'react';
import { api } from '../_client/api';

const EVENTS = ['mousemove', 'mousedown', 'keydown', 'scroll', 'touchstart'] as const;

/**
 * Automatic logoff (HIPAA 164.312(a)(2)(iii)): after the idle timeout without input the console
 * signs out and returns to the sign-in page. The server enforces the same timeout on its side.
 */
export function IdleWatcher({ timeoutSeconds }: { timeoutSeconds: number }) {
  const last = useRef(Date.now());
  const [remaining, setRemaining] = useState(timeoutSeconds);
  useEffect(() => {
    const active = () => {
      last.current = Date.now();
    };
    for (const e of EVENTS) window.addEventListener(e, active, { passive: true });
    const timer = window.setInterval(() => {
      const left = timeoutSeconds - Math.floor((Date.now() - last.current) / 1000);
      setRemaining(left);
      if (left <= 0) {
        window.clearInterval(timer);
        void api('/auth/sign-out', { method: 'POST', body: { reason: 'idle' }, background: true })
          .catch(() => undefined)
          .finally(() => window.location.assign('/login?reason=idle'));
      }
    }, 1000);
    return () => {
      window.clearInterval(timer);
      for (const e of EVENTS) window.removeEventListener(e, active);
    };
  }, [timeoutSeconds]);
  const warnAt = Math.min(60, Math.floor(timeoutSeconds / 3));
  if (remaining > warnAt) return null;
  return (
    <div className="alert warn" role="status" style={{ position: 'fixed', bottom: 16, right: 16, zIndex: 10, boxShadow: 'var(--shadow)' }}>
      Signing out in {Math.max(0, remaining)} s for inactivity. Move the mouse or press a key to stay.
    </div>
  );
}
