import { startGrpcServer } from './grpc-server.js';
import { startHttp2Server } from './http2-server.js';
import { startTlsServer } from './tls-server.js';
import type { ReferenceServerOptions, RunningServer } from './types.js';

export { startGrpcServer } from './grpc-server.js';
export { startHttp2Server } from './http2-server.js';
export { startTlsServer, rawTlsReply } from './tls-server.js';
export { allServerFlaws, type ReferenceServerOptions, type RunningServer, type ServerFlaw } from './types.js';

/** Starts the built-in reference server for a protocol; all honour the same flaws. */
export function startReferenceServer(protocol: RunningServer['protocol'], opts: ReferenceServerOptions): Promise<RunningServer> {
  switch (protocol) {
    case 'grpc':
      return startGrpcServer(opts);
    case 'http2':
      return startHttp2Server(opts);
    case 'tls':
      return startTlsServer(opts);
  }
}
