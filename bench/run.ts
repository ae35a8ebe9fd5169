// Benchmark runner: `node dist/bench/run.js [--write] [name...]`.
// Runs each benchmark (QEMU and Domus side by side), prints a markdown table on stdout
// (progress goes to stderr), and with --write puts the table into BENCHMARKS.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { blkBench } from './blk.js';
import { cpubench } from './cpubench.js';
import { benchRuns, firstLine, machineLine, QEMU, ROOT, rowFailed, type Row, type SideResult } from './harness.js';
import { idleDomains } from './idle-domains.js';
import { lanesBench } from './lanes.js';
import { netBench } from './net.js';
import { pcpusBench } from './pcpus.js';
import { vncBench } from './vnc.js';
import { storeBench } from './store.js';
import { ubootBoot } from './uboot-boot.js';
import { xmCreateBench } from './xm-create.js';

const BENCHMARKS: Record<string, () => Promise<Row[]>> = {
  'uboot-boot': ubootBoot,
  cpubench,
  store: storeBench,
  'xm-create': xmCreateBench,
  'idle-domains': idleDomains,
  pcpus: pcpusBench,
  lanes: lanesBench,
  blk: blkBench,
  net: netBench,
  vnc: vncBench,
};

const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

/** Whole numbers, except below 10 where that would hide the figure (e.g. 0.35 % CPU, 4.2 ms). */
function num(x: number): string {
  return x.toFixed(x >= 10 ? 0 : x >= 1 ? 1 : 2);
}

function cell(r: SideResult, unit?: string): string {
  switch (r.kind) {
    case 'ok':
      return `${num(r.stats.median)}${unit ? ` ${unit}` : ''} (${num(r.stats.min)}–${num(r.stats.max)})`;
    case 'skipped':
      return `— (${r.reason})`;
    case 'error':
      return `FAILED: ${r.message.replace(/\s+/g, ' ').replace(/\|/g, '\\|').slice(0, 200)}`;
  }
}

function ratio(row: Row): string {
  if (row.qemu.kind !== 'ok' || row.domus.kind !== 'ok') return '—';
  // A peer below what the measure resolves (0.0 % CPU in 10 ms clock ticks) has no ratio.
  if (row.qemu.stats.median === 0) return '— (peer 0)';
  return `${(row.domus.stats.median / row.qemu.stats.median).toFixed(2)}×`;
}

function table(rows: Row[], runs: number): string {
  const lines = [
    `| benchmark | QEMU (peer), median (min–max) | Domus, median (min–max) | Domus/QEMU | result |`,
    `| --- | ---: | ---: | ---: | --- |`,
  ];
  for (const r of rows) {
    const result = r.mismatch ?? r.note ?? (r.qemu.kind === 'ok' ? r.qemu.result : undefined) ?? '';
    lines.push(`| ${r.benchmark} | ${cell(r.qemu, r.unit)} | ${cell(r.domus, r.unit)} | ${ratio(r)} | ${result} |`);
  }
  lines.push('', `${runs} run${runs === 1 ? '' : 's'} per side, interleaved; wall-clock ms from process start unless a cell names its unit.`);
  return lines.join('\n');
}


function machine(): string {
  return machineLine(firstLine(QEMU, ['--version']));
}

/** Replaces the harness's section of BENCHMARKS.md (between markers), or appends it. */
function writeReport(body: string, argv: string[]): void {
  const file = join(ROOT, 'BENCHMARKS.md');
  const env = process.env.BENCH_RUNS ? `BENCH_RUNS=${process.env.BENCH_RUNS} ` : '';
  // npm sets npm_lifecycle_event; quote the command the way it was actually typed.
  const cmd = process.env.npm_lifecycle_event === 'bench' ? `npm run bench -- ${argv.join(' ')}` : `node dist/bench/run.js ${argv.join(' ')}`;
  const section = [
    START,
    '## Latest results',
    '',
    `- Command: \`${env}${cmd.trim()}\``,
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${machine()}`,
    '',
    body,
    END,
  ].join('\n');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nDomus against QEMU on the same guests; see bench/ for what each benchmark measures.\n';
  const a = old.indexOf(START);
  const b = old.indexOf(END);
  const next = a >= 0 && b > a ? old.slice(0, a) + section + old.slice(b + END.length) : `${old.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
  process.stderr.write(`wrote ${file}\n`);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const write = argv.includes('--write');
  const names = argv.filter((a) => !a.startsWith('--'));
  if (argv.includes('--help')) {
    process.stdout.write(`usage: node dist/bench/run.js [--write] [${Object.keys(BENCHMARKS).join('|')}...]\nenv: BENCH_RUNS (default 5), BENCH_TIMEOUT_S (default 600)\n`);
    return 0;
  }
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}\n`);
    return 2;
  }

  const runs = benchRuns();
  const rows: Row[] = [];
  for (const [name, bench] of Object.entries(BENCHMARKS)) {
    if (names.length && !names.includes(name)) continue;
    process.stderr.write(`${name}:\n`);
    rows.push(...(await bench()));
  }

  const body = table(rows, runs);
  process.stdout.write(`${body}\n`);
  if (write) writeReport(body, argv);
  return rows.some(rowFailed) ? 1 : 0;
}

process.exitCode = await main();
