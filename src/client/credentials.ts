import type { IssuedLeaf } from '../pki/authority.js';
import { PrivateDir } from '../pki/private-dir.js';
import { createRunPki, type RunPki } from '../pki/run-pki.js';
import { validServerTemplate, type LeafTemplate } from '../pki/template.js';
import { writeFileSync } from 'node:fs';
import { makeDirs } from '../make-dirs.js';
import { InputError } from '../run/inputs.js';
import path from 'node:path';
import type { ServerCredentialCase } from './case.js';
import { servedContext, type ServedCase } from './hostile-server.js';

/**
 * The PKI of one `mtlspec client` run: the run PKI of src/pki (a fresh CA,
 * the same signers the server-side cases use), a valid client credential for
 * mTLS, and per case the server leaf the case describes, minted once per
 * host name. The files a client command needs ({ca}, {cert}, {key}) go to a
 * private folder (0700, files 0600, removed at exit and on signals), or to
 * --pki-dir when the user wants to keep them.
 */
export interface ClientRunFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
  /** The folder they are in. */
  readonly dir: string;
}

export class ClientRunPki {
  readonly #served = new Map<string, Promise<ServedCase & { leaf: IssuedLeaf }>>();
  readonly #privateDir: PrivateDir | undefined;

  private constructor(
    readonly pki: RunPki,
    readonly files: ClientRunFiles,
    private readonly serverSpiffeId: string | undefined,
    privateDir: PrivateDir | undefined,
  ) {
    this.#privateDir = privateDir;
  }

  static async create(options: { clientSpiffeId: string; serverSpiffeId: string | undefined; pkiDir: string | undefined }): Promise<ClientRunPki> {
    const pki = await createRunPki({ clientSpiffeId: options.clientSpiffeId, trustedCa: 'generate' });
    const trustedCa = pki.trustedCa;
    if (!trustedCa) throw new Error('a generated run PKI has a trusted CA');
    // The client's own credential shares the run's P-256 key with the server leaves (KeyPool): harmless, since
    // nothing here judges the client's certificate, and it spares a key per run.
    const client = await pki.issue(pki.validClientTemplate());
    const privateDir = options.pkiDir === undefined ? new PrivateDir('mtlspec-client-') : undefined;
    const write = (name: string, contents: string): string => {
      if (privateDir) return privateDir.write(name, contents);
      const dir = options.pkiDir ?? '';
      const file = path.resolve(dir, name);
      try {
        makeDirs(dir, 0o700);
        writeFileSync(file, contents, { mode: 0o600 });
      } catch (error) {
        throw new InputError(`--pki-dir ${dir} cannot be used (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      }
      return file;
    };
    const files = {
      ca: write('ca.pem', trustedCa.certPem),
      cert: write('client.pem', [client.certPem, ...client.chainPems].join('')),
      key: write('client.key', client.keyPem),
    };
    return new ClientRunPki(pki, { ...files, dir: path.dirname(files.ca) }, options.serverSpiffeId, privateDir);
  }

  /** The case's server credential for a client that asks for `hostName`: made once, then reused. */
  served(testCase: ServerCredentialCase, hostName: string): Promise<ServedCase & { leaf: IssuedLeaf }> {
    const key = `${testCase.id} ${hostName}`;
    let served = this.#served.get(key);
    if (!served) {
      served = this.#make(testCase, hostName);
      this.#served.set(key, served);
    }
    return served;
  }

  /** Whether this run can mint the case's leaf, and if not why (a signature the CA cannot make). */
  problem(testCase: ServerCredentialCase): string | undefined {
    return this.pki.signingProblem(this.template(testCase, 'localhost'));
  }

  template(testCase: ServerCredentialCase, hostName: string): LeafTemplate {
    const context = { ...this.pki.context, hostName };
    const valid: LeafTemplate = {
      // The name the client asks for, and loopback by name and address, as the reference servers' certificate.
      ...validServerTemplate({ dnsNames: [...new Set([hostName, 'localhost'])], ipAddresses: ['127.0.0.1', '::1'] }, context),
      subject: 'CN=mtlspec hostile server, O=mtlspec',
      uris: this.serverSpiffeId ? [this.serverSpiffeId] : [],
    };
    return testCase.server.kind === 'valid' ? valid : testCase.server.apply(valid, context);
  }

  async #make(testCase: ServerCredentialCase, hostName: string): Promise<ServedCase & { leaf: IssuedLeaf }> {
    const leaf = await this.pki.issue(this.template(testCase, hostName));
    return { caseId: testCase.id, leaf, context: servedContext(leaf.certPem, leaf.chainPems, leaf.keyPem, testCase.tlsVersions) };
  }

  /** Removes the private folder now (it also goes at exit); --pki-dir stays. */
  remove(): void {
    this.#privateDir?.remove();
  }
}
