import type { Server, Socket } from 'node:net';

/** How long close() waits for the listener to report closed before giving up on it. */
const closeGraceMs = 500;

export interface TrackedListener {
  readonly port: number;
  /** Stops listening and destroys every open connection; resolves within closeGraceMs. */
  close(): Promise<void>;
}

/**
 * Listens on host:port and tracks every raw connection, so close() can
 * destroy them: a socket still in its TLS handshake (or a probe that never
 * speaks) would otherwise keep server.close() waiting.
 */
export async function listenTracked(server: Server, host: string, port: number, onClose: () => void = () => undefined): Promise<TrackedListener> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error(`server bound to an unexpected address: ${String(address)}`);
  }
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, closeGraceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        onClose();
        for (const socket of sockets) socket.destroy();
      }),
  };
}
