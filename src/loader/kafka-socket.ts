/**
 * The sockets kafkajs connects to brokers with: its own factory's sockets, except that `unref()`
 * on a socket already destroyed does nothing. kafkajs's `Connection.disconnect()` calls
 * `socket.unref()` on every disconnect, also on a socket a broker outage has destroyed; Node then
 * queues `once('connect', unref)` on a socket that will never connect, one listener per retry,
 * until a MaxListenersExceededWarning (seen during a broker restart mid-load).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { ISocketFactory } from 'kafkajs';

// kafkajs's own keep-alive delay (src/network/socketFactory.js).
const KEEP_ALIVE_MS = 60_000;

export const brokerSocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : net.connect({ host, port }, onConnect);
  socket.setKeepAlive(true, KEEP_ALIVE_MS);
  const unref = socket.unref.bind(socket);
  socket.unref = () => (socket.destroyed ? socket : unref());
  return socket;
};
