import os from 'node:os';
import tls from 'node:tls';

/** An RFC 5424 message (facility local0; severity given), as sent over TLS with RFC 5425 octet counting. */
export function syslogFrame(severity: number, appName: string, msgId: string, message: string, at = new Date()): string {
  const pri = 16 * 8 + severity;
  const line = `<${pri}>1 ${at.toISOString()} ${os.hostname() || '-'} ${appName} ${process.pid} ${msgId} - ${message}`;
  return `${Buffer.byteLength(line)} ${line}`;
}

/**
 * Sends syslog frames over one TLS connection (RFC 5425), reconnecting when it drops. `send`
 * resolves once the frames were handed to the socket and the peer did not close on them; it
 * rejects when the receiver cannot be reached, so the caller keeps its cursor and retries.
 */
export class SyslogTlsClient {
  private socket: tls.TLSSocket | null = null;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly ca?: string,
  ) {}

  private connect(): Promise<tls.TLSSocket> {
    if (this.socket && !this.socket.destroyed && this.socket.writable) return Promise.resolve(this.socket);
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ host: this.host, port: this.port, servername: this.host, minVersion: 'TLSv1.2', ...(this.ca ? { ca: this.ca } : {}) }, () => {
        socket.off('error', reject);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => {
          if (this.socket === socket) this.socket = null;
        });
        this.socket = socket;
        resolve(socket);
      });
      socket.setTimeout(15_000, () => socket.destroy(new Error(`no TLS handshake with ${this.host}:${this.port} within 15 s`)));
      socket.once('error', reject);
    });
  }

  async send(frames: readonly string[]): Promise<void> {
    const socket = await this.connect();
    socket.setTimeout(0);
    await new Promise<void>((resolve, reject) => {
      socket.write(frames.join(''), (error) => (error ? reject(error) : resolve()));
    });
  }

  close(): void {
    this.socket?.end();
    this.socket = null;
  }
}
