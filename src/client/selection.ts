import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { featuresDir, packageRoot } from '../paths.js';
import { clientCases } from '../../fixtures/client-cases.js';
import { controlCaseId, type ServerCredentialCase } from './case.js';

/** The client cases' feature files: a folder of their own, which `run` (features/*.feature) does not read. */
export const clientFeaturesDir = path.join(featuresDir, 'clients');

export interface SelectedCase {
  readonly testCase: ServerCredentialCase;
  /** The scenario's name in its feature file: what the reports call it. */
  readonly name: string;
}

/**
 * The cases a run selects, with cucumber's own semantics for --tags and
 * --case (a tag expression over the feature files, a pattern over scenario
 * names), exactly as `run` selects: cucumber parses and filters the feature
 * files, and each selected scenario names its case. Catalogue order.
 */
export async function selectClientCases(tags: string | undefined, namePatterns: readonly string[]): Promise<SelectedCase[]> {
  const { loadSources } = await import('@cucumber/cucumber/api');
  const paths = readdirSync(clientFeaturesDir).filter((f) => f.endsWith('.feature')).map((f) => path.join(clientFeaturesDir, f));
  const { plan, errors } = await loadSources(
    { defaultDialect: 'en', paths, names: [...namePatterns], tagExpression: tags ?? '', order: 'defined' },
    { cwd: packageRoot, stdout: new Writable({ write: (_c, _e, done) => done() }), stderr: process.stderr },
  );
  if (errors.length > 0) throw new Error(`the client feature files do not parse: ${errors.map((e) => e.message).join('; ')}`);
  const named = new Map<string, string>();
  for (const pickle of plan) {
    const id = caseIdOfScenario(pickle.name);
    if (id && !named.has(id)) named.set(id, pickle.name);
  }
  return clientCases.filter((c) => named.has(c.id)).map((testCase) => ({ testCase, name: named.get(testCase.id) ?? testCase.id }));
}

/** "the client refuses client/validity/expired (RFC 5280 4.1.2.5)" names client/validity/expired. */
export function caseIdOfScenario(name: string): string | undefined {
  return name.match(/\b(client\/\S+) \(/)?.[1];
}

/** The control, which every run has whatever the selection: the cases are read against it. */
export function controlCase(): ServerCredentialCase {
  const control = clientCases.find((c) => c.id === controlCaseId);
  if (!control) throw new Error(`the client catalogue has no ${controlCaseId}`);
  return control;
}
