import { afterAll } from 'vitest';
import { stopLeftoverControlPlanes } from './control-plane';

// After each integration file's own clean-up: no control plane outlives the file that started it.
afterAll(async () => {
  await stopLeftoverControlPlanes();
}, 60_000);
