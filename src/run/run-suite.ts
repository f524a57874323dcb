import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { supportCodeLibraryBuilder } from '@cucumber/cucumber';
import { loadConfiguration, runCucumber, type ISupportCodeLibrary } from '@cucumber/cucumber/api';
import { IdGenerator } from '@cucumber/messages';
import { featuresDir, packageRoot } from '../paths.js';
import { ResultCollector, type Progress, type ScenarioResult } from '../report/results.js';
import { reportPaths, type ReportPaths } from './report-dir.js';
import type { RunSettings } from './settings.js';

export interface SuiteOptions {
  readonly settings: RunSettings;
  /** Where conformance.html, junit.xml and messages.ndjson go. */
  readonly reportDir: string;
  /** A cucumber tag expression, e.g. "@grpc and not @spiffe". */
  readonly tags?: string;
  /** Regular expressions on scenario names (any may match): how --case selects. */
  readonly names?: readonly string[];
  /** The ids of the cases --case selected, if it did: only their feature files are read. */
  readonly caseIds?: readonly string[];
  /** Called as each scenario ends, for live terminal lines. */
  readonly onResult?: (result: ScenarioResult, progress: Progress) => void;
}

export interface SuiteRun {
  readonly results: readonly ScenarioResult[];
  readonly reports: ReportPaths;
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
  const reports = reportPaths(reportDir);
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
        paths: featureFiles(options.caseIds),
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
  const support = await stepDefinitions();
  await runCucumber({ ...runConfiguration, support }, environment, (envelope) => collector.accept(envelope));
  return { results: collector.results, reports, startedAt, wallMs: performance.now() - started };
}

/**
 * The feature files to read: all of them, or those with a selected case in
 * an Examples cell. Cucumber parses every file it is given and emits every
 * scenario of it into the messages and the HTML report, selected or not:
 * for a run of a few cases, most of its work and ~90% of the report's size.
 * The name filter still does the exact selection.
 */
export function featureFiles(caseIds: readonly string[] | undefined): string[] {
  const all = readdirSync(featuresDir).filter((file) => file.endsWith('.feature')).map((file) => path.join(featuresDir, file));
  if (!caseIds || caseIds.length === 0) return all;
  const cells = caseIds.map((id) => new RegExp(`\\|\\s*${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\|`));
  return all.filter((file) => {
    const text = readFileSync(file, 'utf8');
    return cells.some((cell) => cell.test(text));
  });
}

let library: ISupportCodeLibrary | undefined;

/**
 * The step definitions, registered the way cucumber's loadSupport does but
 * from imports the bundler can see: the CLI runs as one bundle
 * (scripts/bundle-cli.ts), where importing steps by file path would load a
 * second copy of cucumber that the run never sees. Built once per process.
 */
async function stepDefinitions(): Promise<ISupportCodeLibrary> {
  if (library) return library;
  supportCodeLibraryBuilder.reset(packageRoot, IdGenerator.uuid(), { requireModules: [], requirePaths: [], importPaths: [], loaders: [] });
  await import('../../steps/world.js');
  await import('../../steps/hooks.js');
  await import('../../steps/conformance.steps.js');
  library = supportCodeLibraryBuilder.finalize();
  return library;
}
