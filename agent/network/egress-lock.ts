import net from 'node:net';

/**
 * An abstract Unix socket (Linux): it belongs to the network namespace it is made in and goes away
 * with the process that holds it, however that ends — the scope and lifetime of the agent's
 * nftables table, which a second agent would replace.
 */
const NAME = '\0sbx-agent-egress';

/**
 * Holds this network namespace's egress for this agent alone; another agent already doing so is
 * refused (its pid named), so that it never replaces that agent's rules.
 */
export async function holdEgressLock(): Promise<{ release(): Promise<void> }> {
  const server = net.createServer((socket) => socket.end(`${process.pid}\n`));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(NAME, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    throw new Error(`another agent (pid ${await holderPid()}) enforces egress in this network namespace, and its nftables table would be replaced: run one agent per host`);
  }
  server.unref();
  return { release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

function holderPid(): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const socket = net.connect(NAME);
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('data', (d: Buffer) => (data += d.toString()));
    socket.on('close', () => resolve(data.trim() || 'unknown'));
    socket.on('error', () => resolve('unknown'));
  });
}
