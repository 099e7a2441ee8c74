import net from 'node:net';
import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { sniOf } from '../../../../agent/network/sni-proxy';

/** The first bytes a real TLS client sends (its ClientHello), captured by a plain TCP listener. */
async function clientHello(servername: string | undefined): Promise<Buffer> {
  let hello = Buffer.alloc(0);
  const server = net.createServer((s) => s.on('data', (d: Buffer) => (hello = Buffer.concat([hello, d]))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const socket = tls.connect({ host: '127.0.0.1', port, ...(servername ? { servername } : {}), rejectUnauthorized: false });
  socket.on('error', () => undefined);
  for (let i = 0; i < 100 && hello.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 50));
  socket.destroy();
  server.close();
  return hello;
}

describe('SNI parsing', () => {
  it('reads the server name of a real ClientHello, and none when it has none', async () => {
    const hello = await clientHello('files.example.com');
    expect(sniOf(hello)).toBe('files.example.com');
    expect(sniOf(hello.subarray(0, 20))).toBeUndefined();
    expect(sniOf(await clientHello(undefined))).toBeNull();
    expect(sniOf(Buffer.from('GET / HTTP/1.1\r\n'))).toBeNull();
  });
});
