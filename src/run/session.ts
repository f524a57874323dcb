import type { ConformanceCase } from '../catalogue/case.js';
import type { Logger } from 'pino';
import { createLogger } from '../log.js';
import { createRunPki, PrivateDir, type RunPki } from '../pki/index.js';
import { probe, type ClientCredential } from '../probe/probe.js';
import type { Outcome } from '../probe/outcome.js';
import { startReferenceServer, type RunningServer } from '../servers/index.js';
import { parseTargetUrl, type Protocol, type Target } from '../target/target.js';
import type { RunSettings } from './settings.js';

/** What one probe of a case produced, for the verdict and the report. */
export interface CaseProbe {
  readonly target: Target;
  readonly credential: ClientCredential | undefined;
  readonly outcome: Outcome;
}

/**
 * One run's shared state inside one cucumber worker: the PKI, the targets,
 * and the control outcomes. Controls and credentials are memoized so every
 * scenario on a path is judged against the same control, probed once.
 */
export class RunSession {
  readonly #controls = new Map<Protocol, Promise<CaseProbe>>();
  readonly #credentials = new Map<string, Promise<ClientCredential | undefined>>();

  private constructor(
    readonly settings: RunSettings,
    readonly pki: RunPki,
    readonly targets: ReadonlyMap<Protocol, Target>,
    readonly serverCaPem: string,
    private readonly servers: readonly RunningServer[],
    /** The run's PEM files, for a person who wants to replay a probe with openssl or curl. */
    private readonly pkiDir: PrivateDir,
    private readonly log: Logger,
  ) {}

  static async start(settings: RunSettings): Promise<RunSession> {
    const log = createLogger(settings.logLevel, settings.logFormat);
    const pki = await createRunPki({ clientSpiffeId: settings.clientSpiffeId });
    const pkiDir = new PrivateDir('mtlspec-pki-');
    pkiDir.write('ca.pem', pki.trustedCa.certPem);
    pkiDir.write('untrusted-ca.pem', pki.untrustedCa.certPem);
    pkiDir.write('server.pem', pki.server.certPem);
    pkiDir.write('server.key', pki.server.keyPem);
    log.debug({ pkiDir: pkiDir.path }, 'run PKI written (removed at exit)');
    const servers: RunningServer[] = [];
    try {
      for (const protocol of settings.protocols) {
        if (protocol === 'tls') continue; // no raw-TLS reference server yet
        servers.push(
          await startReferenceServer(protocol, {
            clientCaPem: pki.trustedCa.certPem,
            certPem: pki.server.certPem,
            keyPem: pki.server.keyPem,
            allowedSpiffeIds: [settings.clientSpiffeId],
            flaws: settings.flaws,
          }),
        );
      }
    } catch (error) {
      await Promise.all(servers.map((s) => s.close()));
      pkiDir.remove();
      throw error;
    }
    for (const server of servers) log.info({ url: server.url, flaws: settings.flaws }, `reference ${server.protocol} server listening`);
    const targets = new Map(servers.map((s) => [s.protocol, parseTargetUrl(s.url)] as const));
    return new RunSession(settings, pki, targets, pki.trustedCa.certPem, servers, pkiDir, log);
  }

  target(protocol: Protocol): Target {
    const target = this.targets.get(protocol);
    if (!target) throw new Error(`this run has no ${protocol} target (targets: ${[...this.targets.keys()].join(', ') || 'none'})`);
    return target;
  }

  /** The valid credential on this protocol's path, probed once per run. */
  control(protocol: Protocol, validCase: ConformanceCase): Promise<CaseProbe> {
    let control = this.#controls.get(protocol);
    if (!control) {
      control = this.probeCase(validCase, protocol);
      this.#controls.set(protocol, control);
    }
    return control;
  }

  async probeCase(conformanceCase: ConformanceCase, protocol: Protocol): Promise<CaseProbe> {
    const target = this.target(protocol);
    const credential = await this.credential(conformanceCase);
    const outcome = await probe({
      target,
      credential,
      serverCaPem: this.serverCaPem,
      timeoutMs: this.settings.timeoutMs,
      ...(conformanceCase.tlsVersions ? { tlsVersions: conformanceCase.tlsVersions } : {}),
    });
    this.log.debug({ case: conformanceCase.id, protocol, outcome: outcome.kind, detail: outcome.detail }, 'probe finished');
    return { target, credential, outcome };
  }

  /** Mints the case's credential once per run; both protocols present the same one. */
  credential(conformanceCase: ConformanceCase): Promise<ClientCredential | undefined> {
    // Every case that presents the valid credential presents the very same one.
    const key = conformanceCase.credential.kind === 'valid' ? 'valid' : conformanceCase.id;
    let credential = this.#credentials.get(key);
    if (!credential) {
      credential = this.#mint(conformanceCase);
      this.#credentials.set(key, credential);
    }
    return credential;
  }

  async #mint(conformanceCase: ConformanceCase): Promise<ClientCredential | undefined> {
    const spec = conformanceCase.credential;
    if (spec.kind === 'none') return undefined;
    const valid = this.pki.validClientTemplate();
    const issued = await this.pki.issue(spec.kind === 'valid' ? valid : spec.apply(valid, this.pki.context));
    const fileStem = conformanceCase.id.replace(/[^\w.-]+/g, '_');
    this.pkiDir.write(`${fileStem}.pem`, issued.certPem);
    this.pkiDir.write(`${fileStem}.key`, issued.keyPem);
    return issued;
  }

  async close(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.close()));
    this.pkiDir.remove();
  }
}
