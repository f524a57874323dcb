import http from 'node:http';
import type { AttackerKey } from './mint.js';

/**
 * Serves the attacker's public key on loopback, as a JWKS (jku) and as a
 * certificate (x5u). A target that follows a token's jku or x5u header must
 * be able to fetch the attacker's key, or refusing the token proves nothing:
 * it would have trusted the key, had it reached it. So the URLs are real.
 */
export interface AttackerKeyServer {
  readonly urls: { readonly jwks: string; readonly certificate: string };
  close(): Promise<void>;
}

export async function startAttackerKeyServer(attacker: AttackerKey): Promise<AttackerKeyServer> {
  const jwks = JSON.stringify({ keys: [attacker.key.publicJwk] });
  const server = http.createServer((request, response) => {
    const [status, type, body] =
      request.url === '/jwks.json' ? [200, 'application/jwk-set+json', jwks]
      : request.url === '/attacker.pem' ? [200, 'application/pem-certificate-chain', attacker.certPem]
      : [404, 'text/plain', 'not found'];
    response.writeHead(status, { 'content-type': type, connection: 'close' });
    response.end(body);
  });
  // Each fetch is one short request: a target that holds a connection open must not hold the run's exit.
  server.requestTimeout = 5000;
  server.headersTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const base = `http://127.0.0.1:${port}`;
  return {
    urls: { jwks: `${base}/jwks.json`, certificate: `${base}/attacker.pem` },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
