import tls from 'node:tls';
import { alertFromErrorCode } from '../../src/probe/alerts.js';
import type { TlsAlert } from '../../src/probe/outcome.js';

/**
 * A TLS client that completes the handshake, sends some bytes and records
 * everything the server does next, until the server closes or the clock runs
 * out. It exists for what `probe()` does not do on tls:// targets: probe stops
 * at the end of the client's handshake, which in TLS 1.3 comes before the
 * server has judged the client certificate.
 */

export interface RawExchangeRequest {
  host: string;
  port: number;
  credential?: { certPem: string; chainPems: readonly string[]; keyPem: string };
  serverCaPem: string;
  maxVersion?: tls.SecureVersion;
  /** Written right after the handshake completes. */
  send: string;
  timeoutMs: number;
}

export interface RawExchange {
  handshakeCompleted: boolean;
  version?: string;
  /** Bytes the server sent after the handshake (application data), as text. */
  received: string;
  /** An alert the server sent, read from Node's error code. */
  alert?: TlsAlert;
  /** Node's error code for whatever ended the connection, if it was an error. */
  errorCode?: string;
  /** 'end': the server closed cleanly (close_notify/FIN); 'error': an alert or reset; 'timeout': neither within timeoutMs. */
  ending: 'end' | 'error' | 'timeout';
}

export function rawTlsExchange(request: RawExchangeRequest): Promise<RawExchange> {
  return new Promise((resolve) => {
    const result: RawExchange = { handshakeCompleted: false, received: '', ending: 'timeout' };
    const { credential } = request;
    const socket = tls.connect({
      host: request.host,
      port: request.port,
      ca: request.serverCaPem,
      ...(credential ? { cert: [credential.certPem, ...credential.chainPems].join(''), key: credential.keyPem } : {}),
      minVersion: 'TLSv1.2',
      maxVersion: request.maxVersion ?? 'TLSv1.3',
      rejectUnauthorized: true,
    });
    let settled = false;
    const finish = (ending: RawExchange['ending']): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      result.ending = ending;
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish('timeout'), request.timeoutMs);
    socket.once('secureConnect', () => {
      result.handshakeCompleted = true;
      result.version = socket.getProtocol() ?? undefined;
      socket.write(request.send);
    });
    socket.on('data', (chunk: Buffer) => (result.received += chunk.toString('utf8')));
    socket.once('end', () => finish('end'));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      result.errorCode = error.code ?? error.message;
      const alert = alertFromErrorCode(error.code);
      if (alert) result.alert = alert;
      finish('error');
    });
    socket.once('close', () => finish('end'));
  });
}
