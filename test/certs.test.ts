import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import {
  certsCommand,
  validateCertsArguments,
  validateHosts,
  validateSpiffeId,
  type CertsArguments,
} from '../src/cli/certs-command.js';
import { ExitCode } from '../src/cli/exit-codes.js';
import { InputError } from '../src/run/inputs.js';
import { generatePkiFiles, OverwriteRefusedError, type CertgenOptions, type GeneratedFiles } from '../src/pki/certgen.js';
import type { KeyAlgorithm } from '../src/pki/template.js';

const run = promisify(execFile);
const day = 24 * 3_600_000;
const spiffeId = 'spiffe://example.org/ns/test/sa/client';

const baseOptions: CertgenOptions = {
  org: 'Acme, Inc.',
  caName: 'Test CA',
  clientName: 'test client',
  serverName: 'api.internal',
  days: 30,
  hosts: ['api.internal', 'localhost', '127.0.0.1', '::1'],
  spiffeId,
  key: 'ec-p256',
};

interface Generated {
  files: GeneratedFiles;
  dir: string;
  startedAt: number;
}

function read(file: string): string {
  return readFileSync(file, 'utf8');
}

function cert(file: string): X509Certificate {
  return new X509Certificate(read(file));
}

function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

async function openssl(...args: string[]): Promise<string> {
  return (await run('openssl', args)).stdout;
}

/** A TLS 1.3 handshake with client auth between the generated server and client files; resolves with what each side saw. */
async function handshake(files: GeneratedFiles): Promise<{ serverSawClient: string; protocol: string | null; clientAuthorized: boolean }> {
  const server = tls.createServer({
    cert: read(files.serverCert.path),
    key: read(files.serverKey.path),
    ca: read(files.caCert.path),
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
  });
  const serverSawClient = new Promise<string>((resolve) => {
    server.on('secureConnection', (socket) => {
      const commonName = socket.getPeerCertificate().subject.CN;
      resolve(socket.authorized ? [commonName ?? ''].flat().join(',') : `unauthorized: ${String(socket.authorizationError)}`);
      socket.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const client = tls.connect({
      host: '127.0.0.1',
      port,
      ca: read(files.caCert.path),
      cert: read(files.clientCert.path),
      key: read(files.clientKey.path),
      minVersion: 'TLSv1.3',
    });
    const connected = new Promise<{ protocol: string | null; clientAuthorized: boolean }>((resolve, reject) => {
      client.once('secureConnect', () => resolve({ protocol: client.getProtocol(), clientAuthorized: client.authorized }));
      client.once('error', reject);
    });
    const timeout = new Promise<never>((_, reject) => {
      setTimeout(() => reject(new Error('handshake did not finish within 3 s')), 3000).unref();
    });
    try {
      const [seen, side] = await Promise.race([Promise.all([serverSawClient, connected]), timeout]);
      return { serverSawClient: seen, ...side };
    } finally {
      client.destroy();
    }
  } finally {
    server.close();
  }
}

describe('mtlspec certs', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mtlspec-certs-test-'));
  const generated = new Map<KeyAlgorithm, Generated>();

  function pki(key: KeyAlgorithm): Generated {
    const found = generated.get(key);
    assert.ok(found, `no PKI generated for ${key}`);
    return found;
  }

  before(async () => {
    const keys: KeyAlgorithm[] = ['ec-p256', 'ec-p384', 'ed25519', 'rsa-2048'];
    await Promise.all(
      keys.map(async (key) => {
        // A nested, not yet existing directory: generatePkiFiles must create it 0700.
        const dir = path.join(root, key, 'pki');
        const startedAt = Date.now();
        generated.set(key, { files: await generatePkiFiles(dir, { ...baseOptions, key }), dir, startedAt });
      }),
    );
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  it('writes the six files, keys 0600, certificates 0644, in a new 0700 directory', () => {
    const { files, dir } = pki('ec-p256');
    assert.deepEqual(
      Object.values(files).map((file) => path.basename(file.path)),
      ['ca.pem', 'ca.key', 'server.pem', 'server.key', 'client.pem', 'client.key'],
    );
    assert.equal(mode(dir), 0o700);
    for (const key of [files.caKey, files.serverKey, files.clientKey]) assert.equal(mode(key.path), 0o600, key.path);
    for (const pem of [files.caCert, files.serverCert, files.clientCert]) assert.equal(mode(pem.path), 0o644, pem.path);
    for (const file of Object.values(files)) assert.ok(file.description.length > 0);
  });

  it('openssl verifies both leaves against ca.pem', async () => {
    const { files } = pki('ec-p256');
    const out = await openssl('verify', '-CAfile', files.caCert.path, files.serverCert.path, files.clientCert.path);
    assert.match(out, /server\.pem: OK/);
    assert.match(out, /client\.pem: OK/);
  });

  it('server: serverAuth only, digitalSignature, SAN = the hosts (DNS and IP, v4 and v6)', async () => {
    const { files } = pki('ec-p256');
    const ext = await openssl('x509', '-in', files.serverCert.path, '-noout', '-ext', 'extendedKeyUsage,subjectAltName,keyUsage');
    assert.match(ext, /Extended Key Usage:\s*\n\s*TLS Web Server Authentication\s*\n/);
    assert.match(ext, /Key Usage: critical\s*\n\s*Digital Signature\s*\n/);
    assert.match(ext, /DNS:api\.internal, DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/);
    const server = cert(files.serverCert.path);
    assert.deepEqual(server.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.equal(server.ca, false);
    assert.equal(server.checkIP('::1'), '::1');
    assert.equal(server.checkHost('api.internal'), 'api.internal');
  });

  it('client: clientAuth only, digitalSignature, the SPIFFE ID as its only SAN', async () => {
    const { files } = pki('ec-p256');
    const ext = await openssl('x509', '-in', files.clientCert.path, '-noout', '-ext', 'extendedKeyUsage,subjectAltName');
    assert.match(ext, /TLS Web Client Authentication/);
    assert.doesNotMatch(ext, /Server Authentication/);
    const client = cert(files.clientCert.path);
    assert.deepEqual(client.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.equal(client.subjectAltName, `URI:${spiffeId}`);
    assert.equal(client.ca, false);
  });

  it('subjects are CN=<name>, O=<org>, with a comma in the org kept inside O', () => {
    const { files } = pki('ec-p256');
    const ca = cert(files.caCert.path);
    assert.equal(ca.subject, 'CN=Test CA\nO=Acme\\, Inc.');
    assert.equal(ca.ca, true);
    assert.equal(cert(files.serverCert.path).subject, 'CN=api.internal\nO=Acme\\, Inc.');
    assert.equal(cert(files.clientCert.path).subject, 'CN=test client\nO=Acme\\, Inc.');
    assert.equal(cert(files.clientCert.path).issuer, ca.subject);
  });

  it('CA and leaves are valid for `days` from now, backdated one hour', () => {
    const { files, startedAt } = pki('ec-p256');
    const slack = 60_000;
    for (const pem of [files.caCert, files.serverCert, files.clientCert]) {
      const c = cert(pem.path);
      const from = Date.parse(c.validFrom);
      const to = Date.parse(c.validTo);
      assert.ok(Math.abs(from - (startedAt - 3_600_000)) < slack, `${pem.path} notBefore ${c.validFrom}`);
      assert.ok(Math.abs(to - (startedAt + baseOptions.days * day)) < slack, `${pem.path} notAfter ${c.validTo}`);
    }
  });

  it('every key matches its certificate, and has the asked algorithm', () => {
    const expected: Record<string, (c: X509Certificate) => void> = {
      'ec-p256': (c) => assert.equal(c.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1'),
      'ec-p384': (c) => assert.equal(c.publicKey.asymmetricKeyDetails?.namedCurve, 'secp384r1'),
      ed25519: (c) => assert.equal(c.publicKey.asymmetricKeyType, 'ed25519'),
      'rsa-2048': (c) => assert.equal(c.publicKey.asymmetricKeyDetails?.modulusLength, 2048),
    };
    for (const [key, { files }] of generated) {
      for (const [pem, privateKey] of [
        [files.caCert, files.caKey],
        [files.serverCert, files.serverKey],
        [files.clientCert, files.clientKey],
      ] as const) {
        const c = cert(pem.path);
        assert.ok(c.checkPrivateKey(createPrivateKey(read(privateKey.path))), `${privateKey.path} does not match ${pem.path}`);
        expected[key]?.(c);
      }
    }
  });

  it('the P-384, Ed25519 and RSA sets verify with openssl too', async () => {
    for (const key of ['ec-p384', 'ed25519', 'rsa-2048'] as const) {
      const { files } = pki(key);
      const out = await openssl('verify', '-CAfile', files.caCert.path, files.serverCert.path, files.clientCert.path);
      assert.equal(out.match(/: OK/g)?.length, 2, `${key}: ${out}`);
    }
  });

  it('a real TLS 1.3 handshake with client auth succeeds on 127.0.0.1', async () => {
    for (const key of ['ec-p256', 'ed25519'] as const) {
      const result = await handshake(pki(key).files);
      assert.deepEqual(result, { serverSawClient: 'test client', protocol: 'TLSv1.3', clientAuthorized: true }, key);
    }
  });

  it('refuses to overwrite without overwrite: true, naming the file and touching nothing', async () => {
    const { files, dir } = pki('ec-p256');
    const before = read(files.caCert.path);
    await assert.rejects(generatePkiFiles(dir, baseOptions), (error: unknown) => {
      assert.ok(error instanceof OverwriteRefusedError);
      assert.equal(error.file, files.caCert.path);
      assert.match(error.message, /ca\.pem already exists/);
      return true;
    });
    assert.equal(read(files.caCert.path), before);
  });

  it('overwrites with overwrite: true, and a loosened key file comes back 0600', async () => {
    const dir = path.join(root, 'overwrite');
    const first = await generatePkiFiles(dir, baseOptions);
    const oldCa = read(first.caCert.path);
    chmodSync(first.clientKey.path, 0o644);
    const second = await generatePkiFiles(dir, { ...baseOptions, overwrite: true });
    assert.notEqual(read(second.caCert.path), oldCa);
    assert.equal(mode(second.clientKey.path), 0o600);
    await openssl('verify', '-CAfile', second.caCert.path, second.serverCert.path, second.clientCert.path);
  });

  it('no --spiffe-id means no URI SAN on the client', async () => {
    const { spiffeId: _omitted, ...options } = baseOptions;
    const files = await generatePkiFiles(path.join(root, 'no-spiffe'), options);
    assert.equal(cert(files.clientCert.path).subjectAltName, undefined);
  });
});

describe('mtlspec certs command', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'mtlspec-certs-cmd-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  function argsFor(out: string): CertsArguments {
    return {
      out,
      org: 'mtlspec',
      'ca-name': 'mtlspec CA',
      'client-name': 'client',
      'server-name': 'localhost',
      days: 90,
      hosts: ['localhost', '127.0.0.1', '::1'],
      'spiffe-id': 'spiffe://example.org/client',
      key: 'ec-p256',
      force: false,
      p12: false,
      'p12-password-env': undefined,
    };
  }

  function capture(): { printed: string[]; write: (text: string) => void } {
    const printed: string[] = [];
    return { printed, write: (text) => void printed.push(text) };
  }

  it('prints each file with its role, then the openssl, curl and mtlspec commands', async () => {
    const out = path.join(root, 'pki');
    const { printed, write } = capture();
    assert.equal(await certsCommand(argsFor(out), write), ExitCode.passed);
    const text = printed.join('');
    for (const name of ['ca.pem', 'ca.key', 'server.pem', 'server.key', 'client.pem', 'client.key']) {
      assert.match(text, new RegExp(`^  ${path.join(out, name).replace(/[.]/g, '\\.')} +\\S`, 'm'));
    }
    assert.match(text, new RegExp(`openssl s_server -accept 8443 -www -cert ${out}/server\\.pem -key ${out}/server\\.key -CAfile ${out}/ca\\.pem -Verify 1`));
    assert.ok(text.includes(`curl --http2 --cacert ${out}/ca.pem --cert ${out}/client.pem --key ${out}/client.key https://localhost:8443/hello`));
    assert.ok(text.includes(`npx mtlspec run --target https://localhost:8443/hello --ca-cert ${out}/ca.pem --ca-key ${out}/ca.key --server-ca ${out}/ca.pem`));
  });

  it('an existing set without --force is an InputError (exit 2 in main.ts); --force replaces it', async () => {
    const out = path.join(root, 'pki');
    const { printed, write } = capture();
    await assert.rejects(certsCommand(argsFor(out), write), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.message, `${path.join(out, 'ca.pem')} already exists; pass --force to replace the set`);
      return true;
    });
    assert.deepEqual(printed, []);
    assert.equal(await certsCommand({ ...argsFor(out), force: true }, capture().write), ExitCode.passed);
  });

  it('a bad flag is an InputError before anything is written', async () => {
    const out = path.join(root, 'never');
    await assert.rejects(certsCommand({ ...argsFor(out), days: 0 }, capture().write), InputError);
    assert.throws(() => statSync(out), /ENOENT/);
  });

  it('an --out under a regular file is an InputError naming the directory', async () => {
    const file = path.join(root, 'a-file');
    writeFileSync(file, '');
    await assert.rejects(certsCommand(argsFor(path.join(file, 'pki')), capture().write), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /^cannot write the PKI to .*a-file\/pki: ENOTDIR/);
      return true;
    });
  });

  it('an --out that cannot be made (under /proc) is an InputError at once, not a hang', async () => {
    const started = Date.now();
    await assert.rejects(certsCommand(argsFor('/proc/mtlspec-no-such/pki'), capture().write), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /^cannot write the PKI to \/proc\/mtlspec-no-such\/pki: ENOENT/);
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'bounded');
  });

  it('checks --days, names and hosts with InputErrors', () => {
    const args = argsFor(path.join(root, 'unused'));
    assert.doesNotThrow(() => validateCertsArguments(args));
    for (const days of [0, 3651, 1.5, Number.NaN]) {
      assert.throws(() => validateCertsArguments({ ...args, days }), /--days must be a whole number from 1 to 3650/);
    }
    assert.throws(() => validateCertsArguments({ ...args, org: ' ' }), /--org must not be empty/);
    assert.throws(() => validateCertsArguments({ ...args, 'ca-name': 'localhost' }), /--ca-name "localhost" must differ/);
    assert.doesNotThrow(() => validateCertsArguments({ ...args, 'spiffe-id': '' }));
    assert.doesNotThrow(() => validateHosts(['localhost', '*.svc.cluster.local', 'my_service', '10.0.0.7', 'fe80::1']));
    assert.throws(() => validateHosts([]), InputError);
    assert.throws(() => validateHosts([]), /--hosts needs at least one/);
    assert.throws(() => validateHosts(['https://api.example.com/']), /is a URL; give the bare host name, e.g. "api.example.com"/);
    assert.throws(() => validateHosts(['bad host']), /neither an IP address nor a DNS name/);
    assert.throws(() => validateHosts(['a..b']), /neither an IP address nor a DNS name/);
  });
});

describe('validateSpiffeId', () => {
  it('accepts workload IDs the SPIFFE ID spec allows', () => {
    for (const id of [
      'spiffe://example.org/client',
      'spiffe://prod.example-1.com/ns/web/sa/front_end.v2',
      'spiffe://td/a',
      'spiffe://example.org/UPPER/case/path',
    ]) {
      assert.doesNotThrow(() => validateSpiffeId(id), id);
    }
  });

  it('rejects everything else with one sentence naming the flag and the ID', () => {
    // The syntax rules come from spiffe-id.ts (shared with `run`); the path rule is certs' own.
    const bad: Record<string, RegExp> = {
      'http://example.org/client': /spiffe:\/\//,
      'SPIFFE://example.org/client': /spiffe:\/\//,
      'spiffe://': /trust domain/,
      'spiffe:///client': /trust domain/,
      'spiffe://Example.org/client': /trust domain "Example\.org"/,
      'spiffe://example.org:8443/client': /trust domain "example\.org:8443"/,
      'spiffe://user@example.org/client': /trust domain "user@example\.org"/,
      'spiffe://example.org': /no path after the trust domain/,
      'spiffe://example.org/': /empty segment|no path/,
      'spiffe://example.org/client/': /empty segment|trailing slash/,
      'spiffe://example.org//client': /empty segment/,
      'spiffe://example.org/./client': /"\." or "\.\." segment/,
      'spiffe://example.org/../client': /"\." or "\.\." segment/,
      'spiffe://example.org/client?x=1': /"client\?x=1"/,
      'spiffe://example.org/client#x': /"client#x"/,
      'spiffe://example.org/a%20b': /"a%20b"/,
      'spiffe://example.org/a b': /"a b"/,
    };
    for (const [id, reason] of Object.entries(bad)) {
      assert.throws(
        () => validateSpiffeId(id),
        (error: unknown) => {
          assert.ok(error instanceof InputError);
          assert.ok(error.message.startsWith(`--spiffe-id "${id}" is not a workload SPIFFE ID: `), error.message);
          assert.match(error.message, reason);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
        id,
      );
    }
  });
});
