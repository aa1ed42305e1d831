/** The ML benchmark's markdown table and SVG chart, from its JSON result. */
import type { BenchResult, Mode } from './run.ts';

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!;
const fmt = (x: number | undefined, digits = 2) => (x === undefined ? '—' : x.toFixed(digits));

function modesOf(result: BenchResult): Mode[] {
  return Object.keys(result.modes) as Mode[];
}

function total(result: BenchResult, mode: Mode, passes: readonly string[]): number | undefined {
  const m = result.modes[mode];
  if (!m) return undefined;
  let sum = 0;
  for (const pass of passes) {
    const figure = m.passes[pass];
    if (!figure) return undefined;
    sum += figure.wallSeconds;
  }
  return sum;
}

export function renderMarkdown(result: BenchResult, passes: readonly string[]): string {
  const modes = modesOf(result);
  const lines: string[] = [];
  lines.push(
    `### sluice bench ml: SF ${result.scale} (${result.readings} readings, ${result.drills} drills), target ${result.target}, ${result.runs} run(s), medians`,
    '',
    `\`${result.command}\` on ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB, load average ${(result.machine.loadAverage as number[]).join(' ')} at the start, ${result.date}`,
    '',
  );
  lines.push(`| pass | ${modes.join(' | ')} |`, `|---|${modes.map(() => '---:').join('|')}|`);
  for (const pass of passes) {
    lines.push(
      `| ${pass} wall s | ${modes.map((mode) => fmt(result.modes[mode]!.passes[pass]?.wallSeconds)).join(' | ')} |`,
    );
  }
  lines.push(
    `| **W1-W5 total s** | ${modes.map((mode) => `**${fmt(total(result, mode, passes))}**`).join(' | ')} |`,
  );
  const sluice = total(result, 'sluice', passes);
  if (sluice !== undefined) {
    lines.push(
      `| total ÷ sluice | ${modes
        .map((mode) => {
          const t = total(result, mode, passes);
          return t === undefined ? '—' : `${(t / sluice).toFixed(1)}×`;
        })
        .join(' | ')} |`,
    );
  }
  if (passes.includes('W3')) {
    lines.push(
      `| W3 s per k-means iteration (median) | ${modes
        .map((mode) => {
          const its = result.modes[mode]!.iterations;
          if (its.length === 0) return '—';
          const sorted = [...its].sort((a, b) => a - b);
          return fmt(sorted[Math.floor((sorted.length - 1) / 2)], 3);
        })
        .join(' | ')} |`,
    );
  }
  const reading = modes.filter((mode) => result.modes[mode]!.featureReads?.length);
  if (passes.includes('W3') && reading.length > 0) {
    lines.push(
      '',
      '| W3 (features read once, then iterated) | read + cache of the readings s (median, in W1) | iterations s (last run) | iterations ÷ read |',
      '|---|---:|---:|---:|',
    );
    for (const mode of reading) {
      const read = median(result.modes[mode]!.featureReads!);
      const iterated = result.modes[mode]!.iterations.reduce((a, b) => a + b, 0);
      lines.push(`| ${mode} | ${fmt(read)} | ${fmt(iterated)} | ${fmt(iterated / read)}× |`);
    }
  }
  lines.push(
    '',
    '| pass | mode | wall s | MiB from DB | server CPU s | client CPU s | peak RSS MiB |',
    '|---|---|---:|---:|---:|---:|---:|',
  );
  for (const pass of passes) {
    for (const mode of modes) {
      const m = result.modes[mode]!.passes[pass];
      if (!m) continue;
      lines.push(
        `| ${pass} | ${mode} | ${fmt(m.wallSeconds)} | ${fmt(m.bytesFromDb / 2 ** 20, 1)} | ${fmt(m.serverCpuSeconds)} | ${fmt(m.clientCpuSeconds)} | ${fmt(m.peakRssMiB, 0)} |`,
      );
    }
  }
  for (const [mode, reason] of Object.entries(result.skipped)) lines.push('', `${mode}: ${reason}`);
  lines.push(...whereModesRan(result, passes));
  lines.push(
    '',
    result.disagreements.length === 0
      ? 'Answers (feature checksums, centroids within 1e-9, label counts, scores) agree across modes.'
      : `Disagreements:\n${result.disagreements.map((d) => `- ${d}`).join('\n')}`,
    '',
  );
  return lines.join('\n');
}

const clip = (text: string, width = 160) => (text.length > width ? `${text.slice(0, width - 1)}…` : text);

/** Repeats in a row as one entry: Project ×12. */
function runs(names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < names.length; ) {
    let j = i;
    while (j < names.length && names[j] === names[i]) j++;
    out.push(j - i > 1 ? `${names[i]} ×${j - i}` : names[i]!);
    i = j;
  }
  return out;
}

/**
 * What ran where in one explain (runtime.ts's renderExplain): each statement pushed to the
 * database and how it was read, the local steps and why they are local, and each cache with how
 * it was computed (its own explain, one level deeper).
 */
export function whereItRan(explain: string, depth = 0): string[] {
  const lines = explain.split('\n');
  const pad = '  '.repeat(depth);
  const out: string[] = [];
  const steps: string[] = [];
  const reasons: string[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('== ')) {
      section = line.replace(/ \(.*/, '').replace(/=/g, '').trim();
      continue;
    }
    if (section === 'Pushed SQL') {
      if (/^q\d+ on /.test(line)) {
        // Double backticks: the SQL quotes identifiers with backticks.
        out.push(`${pad}- database: \`\` ${clip(lines[i + 1]?.trim() ?? '')} \`\``);
      } else if (/^ {2}read/.test(line)) out.push(`${pad}  - ${line.trim()}`);
    } else if (section === 'Local data' && /^\S/.test(line)) {
      out.push(`${pad}- ${line}`);
      const nested: string[] = [];
      let j = i + 1;
      if (lines[j]?.trim() === 'computed by:') j++;
      for (; j < lines.length && (lines[j]!.startsWith('    ') || lines[j] === ''); j++)
        nested.push(lines[j]!.slice(4));
      out.push(...whereItRan(nested.join('\n'), depth + 1));
      i = j - 1;
    } else if (section === 'Local steps') {
      if (line.startsWith('none:')) out.push(`${pad}- local steps: ${line}`);
      else if (line === 'why local:') section = 'why';
      else if (line.trim()) steps.push(line.trim().split(/[ [(]/)[0]!);
    } else if (section === 'why' && line.trim()) reasons.push(line.trim());
  }
  if (steps.length > 0) out.push(`${pad}- local steps (top down): ${runs(steps).join(' ← ')}`);
  for (const reason of reasons) out.push(`${pad}  - why local: ${reason}`);
  return out;
}

/** Per sluice mode and pass: where each part ran and why, from the explain taken after the pass. */
function whereModesRan(result: BenchResult, passes: readonly string[]): string[] {
  const lines: string[] = [];
  for (const mode of modesOf(result)) {
    const explained = passes.filter((pass) => result.explains[`${mode}/${pass}`]);
    if (explained.length === 0) continue;
    lines.push('', `#### Where \`${mode}\` ran each pass (its explain after the pass)`, '');
    for (const pass of explained) {
      lines.push(`**${pass}**`, '', ...whereItRan(result.explains[`${mode}/${pass}`]!), '');
    }
  }
  return lines;
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Left: seconds per pass per mode (log scale). Right: cumulative W3 seconds against iterations. */
export function renderSvg(result: BenchResult, passes: readonly string[]): string {
  const modes = modesOf(result);
  const width = 960;
  const height = 420;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="18" font-size="13">sluice bench ml — SF ${result.scale}, ${result.target}, ${result.runs} run(s), medians; ${esc(String(result.machine.cpuModel))}</text>`,
  ];
  // Panel 1: grouped bars, log10 seconds.
  const x0 = 50;
  const y0 = 360;
  const panelW = 520;
  const panelH = 300;
  const all = modes
    .flatMap((mode) => passes.map((p) => result.modes[mode]!.passes[p]?.wallSeconds ?? 0))
    .filter((s) => s > 0);
  const lo = Math.floor(Math.log10(Math.min(...all, 1)));
  const hi = Math.ceil(Math.log10(Math.max(...all, 1)));
  const y = (s: number) => y0 - ((Math.log10(Math.max(s, 10 ** lo)) - lo) / Math.max(1, hi - lo)) * panelH;
  for (let e = lo; e <= hi; e++) {
    out.push(`<line x1="${x0}" x2="${x0 + panelW}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/>`);
    out.push(
      `<text x="${x0 - 6}" y="${y(10 ** e) + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(-e)} s</text>`,
    );
  }
  const groupW = panelW / passes.length;
  const barW = (groupW - 10) / Math.max(1, modes.length);
  passes.forEach((pass, p) => {
    modes.forEach((mode, m) => {
      const s = result.modes[mode]!.passes[pass]?.wallSeconds;
      if (s === undefined) return;
      const x = x0 + p * groupW + 5 + m * barW;
      out.push(
        `<rect x="${x.toFixed(1)}" y="${y(s).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${(y0 - y(s)).toFixed(1)}" fill="${COLORS[m % COLORS.length]}"><title>${mode} ${pass}: ${s.toFixed(2)} s</title></rect>`,
      );
    });
    out.push(`<text x="${x0 + p * groupW + groupW / 2}" y="${y0 + 16}" text-anchor="middle">${pass}</text>`);
  });
  out.push(`<text x="${x0}" y="${y0 + 34}">seconds per pass (log scale)</text>`);
  // Panel 2: cumulative W3 time against iterations.
  const x1 = 640;
  const w1 = 290;
  const series = modes.map((mode) => {
    let sum = 0;
    return result.modes[mode]!.iterations.map((s) => (sum += s));
  });
  const maxT = Math.max(1e-3, ...series.flat());
  const maxI = Math.max(1, ...series.map((s) => s.length));
  const px = (i: number) => x1 + (i / maxI) * w1;
  const py = (t: number) => y0 - (t / maxT) * panelH;
  out.push(
    `<line x1="${x1}" x2="${x1 + w1}" y1="${y0}" y2="${y0}" stroke="#999"/><line x1="${x1}" x2="${x1}" y1="${y0}" y2="${y0 - panelH}" stroke="#999"/>`,
  );
  out.push(`<text x="${x1 - 4}" y="${py(maxT) + 4}" text-anchor="end">${maxT.toFixed(1)} s</text>`);
  out.push(`<text x="${x1 + w1}" y="${y0 + 16}" text-anchor="end">${maxI} iterations</text>`);
  series.forEach((points, m) => {
    if (points.length === 0) return;
    const d = [
      `M${px(0)},${py(0)}`,
      ...points.map((t, i) => `L${px(i + 1).toFixed(1)},${py(t).toFixed(1)}`),
    ].join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${COLORS[m % COLORS.length]}" stroke-width="2"/>`);
  });
  out.push(`<text x="${x1}" y="${y0 + 34}">cumulative W3 seconds against k-means iterations</text>`);
  modes.forEach((mode, m) => {
    out.push(
      `<rect x="${x0 + m * 150}" y="28" width="10" height="10" fill="${COLORS[m % COLORS.length]}"/><text x="${x0 + m * 150 + 14}" y="37">${mode}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
