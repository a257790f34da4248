// Start-up of short commands, side by side in one run: a bare `node -e 0`, a script that only loads
// yaml and parses the example fleet's files (the floor of any command that reads manifests), and
// `validate`, `plan` and `status` of the built CLI on the example fleet, running on the simulator.
// Then `shutdown`: from its process start to the first SIGTERM a guest receives. Each figure is
// min/median/max of BENCH_CLI_REPEATS runs (default 7); ratios are of medians.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { CLI_MAIN, EXAMPLE_MANIFESTS } from '../test/helpers/cli.js';
import { guestManifest } from './manifests.js';
import { waitFor } from '../test/helpers/wait-for.js';

export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export interface CliBenchResult {
  readonly repeats: number;
  readonly rows: readonly { readonly name: string; readonly ms: Spread }[];
  /** `shutdown`: process start → first SIGTERM. */
  readonly firstSigtermMs: Spread;
  /** `plan` of a large fleet beside the parse-only floor of the same files: time and peak RSS. */
  readonly large: { readonly guests: number; readonly planMs: Spread; readonly planRssMb: number; readonly floorMs: Spread; readonly floorRssMb: number };
}

const REPEATS = Number(process.env['BENCH_CLI_REPEATS'] ?? 7);
const ROOT = resolve(import.meta.dirname, '..');

function spread(values: readonly number[]): Spread {
  const s = [...values].sort((a, b) => a - b);
  return { min: s[0] ?? 0, median: s[Math.floor(s.length / 2)] ?? 0, max: s.at(-1) ?? 0 };
}

// Prints the process's peak RSS on stderr as it exits.
const REPORT_RSS = `--import=data:text/javascript,${encodeURIComponent("import { writeSync } from 'node:fs'; process.on('exit', () => writeSync(2, `\\nqvmctl-bench-maxrss ${process.resourceUsage().maxRSS}\\n`));")}`;

async function timeRuns(argv: readonly string[], repeats = REPEATS): Promise<Spread & { readonly rssMb: number }> {
  const times: number[] = [];
  let rss = 0;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    const r = await execa(process.execPath, [REPORT_RSS, ...argv], { reject: false, stdin: 'ignore', env: { NO_COLOR: '1' } });
    times.push(performance.now() - t0);
    rss = Math.max(rss, Number(/qvmctl-bench-maxrss (\d+)/.exec(r.stderr)?.[1] ?? 0) / 1024);
  }
  return { ...spread(times), rssMb: rss };
}

async function readJournal(stateDir: string): Promise<{ time: number; event: string }[]> {
  const text = await readFile(join(stateDir, 'sim', 'journal.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { time: number; event: string });
}

// One guest without a guest command, so its stop ladder begins with the power button.
async function timeFirstSigterm(dir: string): Promise<Spread> {
  const manifests = join(dir, 'one');
  const stateDir = join(dir, 'one-state');
  await execa('mkdir', ['-p', manifests]);
  await writeFile(join(manifests, 'host.yaml'), `apiVersion: qvmctl/v1\nkind: Host\nmetadata: { name: bench }\nspec:\n  qvm: { simulator: true }\n  stateDir: ${stateDir}\n  shutdown: { command: ["true"] }\n`);
  await writeFile(join(manifests, 'g.yaml'), 'apiVersion: qvmctl/v1\nkind: Guest\nmetadata: { name: g }\nspec:\n  qvm:\n    config: |\n      # qvm-sim: boot-ms=10 shutdown-ms=10\n      system g\n      ram 0x80000000,64M\n      cpu\n');
  const cli = (...args: string[]) => execa(process.execPath, [CLI_MAIN, ...args, '-f', manifests], { stdin: 'ignore', env: { NO_COLOR: '1' } });
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    await cli('apply');
    await waitFor(async () => (await readJournal(stateDir)).filter((l) => l.event === 'running').length > i, { timeoutMs: 30_000 });
    const before = (await readJournal(stateDir)).length;
    const t0 = Date.now();
    await cli('shutdown', '--no-host');
    const signal = (await readJournal(stateDir)).slice(before).find((l) => l.event === 'signal');
    if (signal === undefined) throw new Error('shutdown sent no signal');
    times.push(signal.time - t0);
    await cli('fence', '--lift');
  }
  return spread(times);
}

// `plan` of BENCH_CLI_LARGE guests (default 10,000; the manifests of the manifests benchmark) on
// an empty state directory, beside the parse-only floor pointed at the same directory.
async function timeLargePlan(dir: string, floor: string): Promise<CliBenchResult['large']> {
  const guests = Number(process.env['BENCH_CLI_LARGE'] ?? 10_000);
  const manifests = join(dir, 'large');
  await execa('mkdir', ['-p', manifests]);
  await writeFile(join(manifests, 'host.yaml'), `apiVersion: qvmctl/v1\nkind: Host\nspec:\n  qvm: { simulator: true }\n  stateDir: ${join(dir, 'large-state')}\n  commands: { allow: [qvm-sim] }\n`);
  for (let i = 0; i < guests; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, guests - i) }, (_, k) => writeFile(join(manifests, `g${i + k}.yaml`), guestManifest(i + k))));
  }
  const repeats = Math.min(REPEATS, 3);
  const plan = await timeRuns([CLI_MAIN, 'plan', '-f', manifests], repeats);
  const parse = await timeRuns([floor, manifests], repeats);
  return { guests, planMs: plan, planRssMb: plan.rssMb, floorMs: parse, floorRssMb: parse.rssMb };
}

export async function benchCli(): Promise<CliBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'qvmctl-bench-cli-'));
  const stateDir = join(dir, 'state');
  const floor = join(dir, 'parse-only.mjs');
  await writeFile(floor, `import { readdirSync, readFileSync } from 'node:fs';
import { parseAllDocuments } from ${JSON.stringify(join(ROOT, 'node_modules', 'yaml', 'dist', 'index.js'))};
const walk = (d) => { for (const e of readdirSync(d, { withFileTypes: true })) { const p = d + '/' + e.name; if (e.isDirectory()) walk(p); else if (e.name.endsWith('.yaml')) parseAllDocuments(readFileSync(p, 'utf8')); } };
walk(process.argv[2] ?? ${JSON.stringify(EXAMPLE_MANIFESTS)});
`);
  const fleet = (...args: string[]): string[] => [CLI_MAIN, ...args, '-f', EXAMPLE_MANIFESTS, '--state-dir', stateDir];
  try {
    await execa(process.execPath, fleet('apply'), { stdin: 'ignore', env: { NO_COLOR: '1' } });
    const rows = [
      { name: 'node -e 0', ms: await timeRuns(['-e', '0']) },
      { name: 'parse-only (yaml, the same files)', ms: await timeRuns([floor]) },
      { name: 'validate', ms: await timeRuns(fleet('validate').filter((a) => a !== '--state-dir' && a !== stateDir)) },
      { name: 'plan', ms: await timeRuns(fleet('plan')) },
      { name: 'status', ms: await timeRuns(fleet('status')) },
    ];
    const firstSigtermMs = await timeFirstSigterm(dir);
    return { repeats: REPEATS, rows, firstSigtermMs, large: await timeLargePlan(dir, floor) };
  } finally {
    await execa(process.execPath, fleet('shutdown', '--no-host'), { reject: false, stdin: 'ignore' });
    await execa(process.execPath, fleet('fence', '--lift'), { reject: false, stdin: 'ignore' });
    await rm(dir, { recursive: true, force: true });
  }
}

export function formatCliBench(r: CliBenchResult): string[] {
  const ms = (s: Spread): string => `${Math.round(s.min)}/${Math.round(s.median)}/${Math.round(s.max)} ms`;
  const base = r.rows[0]?.ms.median ?? 1;
  const floor = r.rows[1]?.ms.median ?? 1;
  return [
    `min/median/max of ${r.repeats} runs; ratios of medians`,
    ...r.rows.map((row, i) => `${row.name.padEnd(34)} ${ms(row.ms).padEnd(18)}${i === 0 ? '' : ` ${(row.ms.median / base).toFixed(2)}× node -e 0${i < 2 ? '' : `, ${(row.ms.median / floor).toFixed(2)}× parse-only`}`}`),
    `shutdown: process start → first SIGTERM ${ms(r.firstSigtermMs)}`,
    `plan, ${r.large.guests} guests: ${ms(r.large.planMs)}, peak RSS ${Math.round(r.large.planRssMb)} MiB; parse-only ${ms(r.large.floorMs)}, ${Math.round(r.large.floorRssMb)} MiB: time ${(r.large.planMs.median / r.large.floorMs.median).toFixed(2)}×, memory ${(r.large.planRssMb / r.large.floorRssMb).toFixed(2)}× the floor`,
  ];
}
