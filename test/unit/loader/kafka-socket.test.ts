import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { brokerSocketFactory } from '../../../src/loader/kafka-socket.ts';

/** A port nothing listens on: a server's, closed again. */
async function closedPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

async function destroyedSocket(make: (port: number) => net.Socket): Promise<net.Socket> {
  const socket = make(await closedPort());
  socket.on('error', () => {});
  // Not events.once: it rejects on the ECONNREFUSED 'error' that comes first.
  await new Promise((resolve) => socket.on('close', resolve));
  return socket;
}

describe('broker sockets', () => {
  it('add no listener when a destroyed socket is unref()ed again and again (as kafkajs disconnect() does)', async () => {
    const socket = await destroyedSocket((port) =>
      brokerSocketFactory({ host: '127.0.0.1', port, ssl: null as never, onConnect: () => {} }),
    );
    const before = socket.listenerCount('connect');
    for (let i = 0; i < 20; i++) socket.unref();
    expect(socket.listenerCount('connect')).toBe(before);
  });

  it('where a plain Node socket queues one listener per call', async () => {
    const socket = await destroyedSocket((port) => net.connect({ host: '127.0.0.1', port }));
    // This control piles up listeners on purpose; without room for them Node would print the warning.
    socket.setMaxListeners(40);
    const before = socket.listenerCount('connect');
    for (let i = 0; i < 20; i++) socket.unref();
    expect(socket.listenerCount('connect')).toBe(before + 20);
  });

  it('connect and keep working sockets as kafkajs would', async () => {
    const server = net.createServer((peer) => peer.end('hello')).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    let connected = false;
    const socket = brokerSocketFactory({
      host: '127.0.0.1',
      port,
      ssl: null as never,
      onConnect: () => {
        connected = true;
      },
    });
    const [data] = await once(socket, 'data');
    expect(connected).toBe(true);
    expect(String(data)).toBe('hello');
    socket.unref();
    socket.destroy();
    server.close();
  });
});
