import https from 'node:https';
import net from 'node:net';

/** Servers that misbehave in the ways real ports do; all on 127.0.0.1, all closed by `close()`. */
export interface HostileServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 (a free port) and keeps every accepted socket, so that
 * `close()` ends them all rather than waiting for clients to leave.
 */
export async function listenOnLoopback(server: net.Server): Promise<HostileServer> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('unexpected address');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port where nothing listens: bound once to learn a free number, then released. */
export async function closedPort(): Promise<number> {
  const server = await listenOnLoopback(net.createServer());
  await server.close();
  return server.port;
}

/** Speaks plain text: answers any bytes with an HTTP/1.1 400, as a plain-HTTP port does. */
export function plainTcpServer(): Promise<HostileServer> {
  return listenOnLoopback(net.createServer((socket) => socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'))));
}

/** Accepts the TCP connection and then never says a word. */
export function silentServer(): Promise<HostileServer> {
  return listenOnLoopback(net.createServer(() => undefined));
}

/** A TLS server that speaks only HTTP/1.1 (ALPN http/1.1), with a certificate the harness trusts. */
export function http1OnlyTlsServer(certPem: string, keyPem: string): Promise<HostileServer> {
  const server = https.createServer({ cert: certPem, key: keyPem, ALPNProtocols: ['http/1.1'] }, (_request, response) => response.end('hello over HTTP/1.1\n'));
  return listenOnLoopback(server);
}
