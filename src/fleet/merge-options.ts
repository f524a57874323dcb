import type { Argv } from 'yargs';

export interface MergeArguments {
  dirs: string[];
  'report-dir': string;
  quiet: boolean;
}

export function mergeOptions(yargs: Argv): Argv<MergeArguments> {
  return yargs
    .positional('dirs', { type: 'string', array: true, describe: "The shards' report folders, each with the results.json of one --shard run" })
    .option('report-dir', { type: 'string', default: 'reports', describe: 'Where the fleet report goes: index.html, junit.xml, results.json and every target\'s folder' })
    .option('quiet', { type: 'boolean', default: false, describe: 'Print the summary line only' })
    .example('$0 merge shard-1 shard-2 --report-dir fleet', "Join two shards' reports; the exit code is the fleet's") as unknown as Argv<MergeArguments>;
}

