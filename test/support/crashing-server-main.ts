import { readFileSync } from 'node:fs';
import type tls from 'node:tls';
import { crashExitCode } from './crashing-server.js';
import { startHostileHttp2 } from './hostile-http2.js';

/**
 * The child process of crashing-server.ts: an HTTP/2 mTLS server that accepts
 * any client certificate, and exits the moment one is expired, as a server
 * whose certificate parsing hits an unhandled error does. A run sees it
 * vanish right after the expired credential: what looks like a refusal is an
 * outage, and every later probe finds nothing listening.
 *
 * Arguments: CERT_FILE KEY_FILE. Prints "LISTENING <port>" once it listens.
 */

function isExpired(certificate: tls.PeerCertificate): boolean {
  return certificate.raw !== undefined && Date.parse(certificate.valid_to) < Date.now();
}

const [certFile, keyFile] = process.argv.slice(2);
if (!certFile || !keyFile) {
  process.stderr.write('usage: crashing-server-main.js CERT_FILE KEY_FILE\n');
  process.exit(2);
}
const server = await startHostileHttp2({
  certPem: readFileSync(certFile, 'utf8'),
  keyPem: readFileSync(keyFile, 'utf8'),
  misbehaviour: { kind: 'none' },
  onClientCertificate: (certificate) => {
    if (isExpired(certificate)) {
      process.stderr.write(`crashing on an expired client certificate (notAfter ${certificate.valid_to})\n`);
      process.exit(crashExitCode);
    }
  },
});
process.stdout.write(`LISTENING ${server.port}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
