import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfiguration, runCucumber } from '@cucumber/cucumber/api';
import { featuresDir, packageRoot } from '../paths.js';
import { ResultCollector, type Progress, type ScenarioResult } from '../report/results.js';
import type { RunSettings } from './settings.js';

export interface SuiteOptions {
  readonly settings: RunSettings;
  /** Where conformance.html, junit.xml and messages.ndjson go. */
  readonly reportDir: string;
  /** A cucumber tag expression, e.g. "@grpc and not @spiffe". */
  readonly tags?: string;
  /** Regular expressions on scenario names (any may match): how --case selects. */
  readonly names?: readonly string[];
  /** Called as each scenario ends, for live terminal lines. */
  readonly onResult?: (result: ScenarioResult, progress: Progress) => void;
}

export interface SuiteRun {
  readonly results: readonly ScenarioResult[];
  readonly reports: { html: string; junit: string; messages: string; results: string; index: string };
  readonly startedAt: string;
  readonly wallMs: number;
}

/**
 * Runs the feature files with cucumber's API: the settings travel to the
 * steps as world parameters, and every message comes back through the
 * collector, which is the only place results are read from.
 */
export async function runSuite(options: SuiteOptions): Promise<SuiteRun> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const reportDir = path.resolve(options.reportDir);
  mkdirSync(reportDir, { recursive: true });
  const reports = {
    html: path.join(reportDir, 'conformance.html'),
    junit: path.join(reportDir, 'junit.xml'),
    messages: path.join(reportDir, 'messages.ndjson'),
    results: path.join(reportDir, 'results.json'),
    index: path.join(reportDir, 'index.html'),
  };
  const environment = {
    cwd: packageRoot,
    // Cucumber always writes some formatter to stdout; the CLI prints its own lines instead.
    stdout: new Writable({ write: (_chunk, _encoding, done) => done() }),
    stderr: process.stderr,
  };
  const { runConfiguration } = await loadConfiguration(
    {
      file: false,
      provided: {
        paths: [path.join(featuresDir, '**/*.feature')],
        import: [path.join(packageRoot, 'dist/steps/**/*.js')],
        // junit.xml is written by the CLI from the verdicts (stable case-id names), not by cucumber.
        format: [
          ['html', reports.html],
          ['message', reports.messages],
        ],
        worldParameters: { ...options.settings },
        ...(options.tags ? { tags: options.tags } : {}),
        ...(options.names && options.names.length > 0 ? { name: [...options.names] } : {}),
        strict: true,
      },
    },
    environment,
  );
  const collector = new ResultCollector(options.onResult);
  await runCucumber(runConfiguration, environment, (envelope) => collector.accept(envelope));
  return { results: collector.results, reports, startedAt, wallMs: performance.now() - started };
}
