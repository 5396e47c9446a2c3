/**
 * A TCP proxy on 127.0.0.1 that can stop passing data towards its clients
 * without closing anything: `freeze()` holds back every byte the upstream
 * sends on the connections open at that moment (the client sees a silent but
 * open connection, as behind a stalled load balancer), `thaw()` delivers them
 * in order. Requests from clients still reach the upstream.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

interface Link {
  client: Socket;
  upstream: Socket;
  frozen: boolean;
  held: Buffer[];
}

export class FreezableProxy {
  private readonly links = new Set<Link>();
  /** Bytes held back since the last freeze. */
  heldBytes = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: string): Promise<FreezableProxy> {
    const { hostname, port } = new URL(target);
    let proxy: FreezableProxy | undefined;
    const server = createServer((client) => proxy!.accept(client, hostname, Number(port)));
    const listening = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
    proxy = new FreezableProxy(server, listening);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Open client connections. */
  get connections(): number {
    return this.links.size;
  }

  freeze(): void {
    this.heldBytes = 0;
    for (const link of this.links) link.frozen = true;
  }

  thaw(): void {
    for (const link of this.links) {
      link.frozen = false;
      for (const chunk of link.held.splice(0)) link.client.write(chunk);
    }
  }

  async close(): Promise<void> {
    for (const link of this.links) {
      link.client.destroy();
      link.upstream.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, host: string, port: number): void {
    const upstream = connect({ host, port });
    const link: Link = { client, upstream, frozen: false, held: [] };
    this.links.add(link);
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => {
      if (!link.frozen) return void client.write(chunk);
      link.held.push(chunk);
      this.heldBytes += chunk.byteLength;
    });
    const end = (): void => {
      this.links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  }
}
