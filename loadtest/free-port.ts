/**
 * Loopback ports free right now, for servers that must be told their ports: the
 * gateway's shards and the uWS echo's threads share one port (SO_REUSEPORT), which
 * a port the OS picks for one socket (port 0) cannot be.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';

function listening(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

/** `count` distinct ports: all held open at once, so none is handed out twice. */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => listening(host)));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
