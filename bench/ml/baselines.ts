/**
 * The Python baselines of `sluice bench ml` (`spark-jdbc`, `connectorx-polars`): what each needs,
 * installing it on request (`--install-baselines`) into a virtual environment cached under
 * SLUICE_CACHE, and why a mode cannot run when something is missing.
 *
 * Each baseline gets its own venv (`<cache>/ml-baseline-<mode>-<pins>/venv`) with pinned packages
 * from PyPI; `spark-jdbc` also needs Java 17+ and the MariaDB JDBC driver, which Maven resolves
 * from Maven Central into the same folder. A `.complete` file (pip freeze) marks a finished install,
 * so an interrupted one is redone from scratch.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { StackError } from '../../src/base/errors.ts';
import { ensureTools, findExecutable, TOOLS } from '../../src/stack/prerequisites.ts';

const run = promisify(execFile);

export const BASELINE_MODES = ['spark-jdbc', 'connectorx-polars'] as const;
export type BaselineMode = (typeof BASELINE_MODES)[number];

export const JDBC_DRIVER = {
  groupId: 'org.mariadb.jdbc',
  artifactId: 'mariadb-java-client',
  version: '3.5.7',
};

/** Pinned PyPI packages per baseline (their own dependencies resolve with them). */
export const BASELINE_PACKAGES: Record<BaselineMode, readonly string[]> = {
  // pyarrow: DataFrame.toArrow() for W4's IPC file; PyMySQL: W5's upsert (Spark's JDBC writer has no upsert).
  'spark-jdbc': ['pyspark==4.3.0', 'numpy', 'pyarrow', 'pymysql'],
  'connectorx-polars': ['connectorx==0.4.6', 'polars==2.1.0', 'pyarrow', 'pymysql'],
};
/** Spark 4 runs on Java 17 or later. */
const MIN_JAVA = 17;
const MIN_PYTHON: readonly [number, number] = [3, 9];

/** What the machine has, as far as the baselines care. */
export interface BaselineProbe {
  /** `python3`'s version, or undefined when there is no python3 on PATH. */
  readonly python?: readonly [number, number];
  /** Whether `python3 -m venv` works (Debian ships it separately as python3-venv). */
  readonly venv: boolean;
  /** `java`'s major version, or undefined when there is none. */
  readonly java?: number;
  readonly mvn: boolean;
}

export interface InstallPlan {
  readonly mode: BaselineMode;
  /** Where the baseline lives once installed. */
  readonly dir: string;
  readonly packages: readonly string[];
  readonly jars: readonly string[];
  /** Everything that stops the install, each with how to get it; empty when it can go ahead. */
  readonly problems: readonly string[];
}

export function baselineDir(cacheDir: string, mode: BaselineMode): string {
  const pins = BASELINE_PACKAGES[mode]
    .filter((p) => p.includes('=='))
    .map((p) => p.replace('==', '-'))
    .join('-');
  return path.join(cacheDir, `ml-baseline-${mode}-${pins}`);
}

/** What installing `mode` takes on a machine like `probe`, and what stands in the way. */
export function planBaselineInstall(mode: BaselineMode, probe: BaselineProbe, cacheDir: string): InstallPlan {
  const problems: string[] = [];
  const [major, minor] = MIN_PYTHON;
  if (!probe.python) {
    problems.push(
      `no 'python3' on PATH: ${mode} runs in Python ${major}.${minor}+ (Debian/Ubuntu: apt-get install python3 python3-venv)`,
    );
  } else if (probe.python[0] < major || (probe.python[0] === major && probe.python[1] < minor)) {
    problems.push(`python3 is ${probe.python.join('.')}: ${mode} needs Python ${major}.${minor}+`);
  } else if (!probe.venv) {
    problems.push(
      `python3 has no 'venv' module: the baseline installs into a virtual environment (Debian/Ubuntu: apt-get install python3-venv)`,
    );
  }
  if (mode === 'spark-jdbc') {
    if (probe.java === undefined)
      problems.push(`no 'java' on PATH: Spark needs Java ${MIN_JAVA}+ (${TOOLS.java.hint.split(', or')[0]})`);
    else if (probe.java < MIN_JAVA)
      problems.push(`java is version ${probe.java}: Spark 4 needs Java ${MIN_JAVA}+`);
    if (!probe.mvn)
      problems.push(
        `no 'mvn' on PATH: Maven fetches the MariaDB JDBC driver from Maven Central (Debian/Ubuntu: apt-get install maven)`,
      );
  }
  const dir = baselineDir(cacheDir, mode);
  const { groupId, artifactId, version } = JDBC_DRIVER;
  return {
    mode,
    dir,
    packages: BASELINE_PACKAGES[mode],
    jars: mode === 'spark-jdbc' ? [`${groupId}:${artifactId}:${version}`] : [],
    problems,
  };
}

/** The probe of this machine. */
export function probeMachine(): BaselineProbe {
  const python3 = findExecutable('python3');
  let python: [number, number] | undefined;
  let venv = false;
  if (python3) {
    try {
      const out = execFileSync(
        python3,
        ['-c', 'import sys; print(sys.version_info[0], sys.version_info[1]); import venv, ensurepip'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const [a, b] = out.trim().split(' ').map(Number);
      python = [a!, b!];
      venv = true;
    } catch (error) {
      const out = String((error as { stdout?: string }).stdout ?? '').trim();
      const [a, b] = out.split(' ').map(Number);
      if (a && b !== undefined && !Number.isNaN(b)) python = [a, b];
    }
  }
  return { python, venv, java: javaMajor(), mvn: findExecutable('mvn') !== undefined };
}

function javaMajor(): number | undefined {
  const java = findExecutable('java');
  if (!java) return undefined;
  // `java -version` writes to stderr: `openjdk version "17.0.15" …` or `"1.8.0_…"`.
  const { stdout, stderr } = spawnSync(java, ['-version'], { encoding: 'utf8' });
  return parseJavaMajor(`${stderr ?? ''}${stdout ?? ''}`);
}

export function parseJavaMajor(text: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 ? Number(match[2]) : first;
}

/** An installed baseline: its interpreter and (for Spark) the driver jar. */
export interface InstalledBaseline {
  readonly mode: BaselineMode;
  readonly python: string;
  readonly jars: readonly string[];
  readonly versions: string;
}

/** The installed baseline for `mode`, or why it cannot run (a sentence for the output). */
export async function findBaseline(
  mode: BaselineMode,
  cacheDir: string,
): Promise<InstalledBaseline | { problem: string }> {
  const dir = baselineDir(cacheDir, mode);
  const marker = path.join(dir, '.complete');
  if (!existsSync(marker)) {
    const plan = planBaselineInstall(mode, probeMachine(), cacheDir);
    const why =
      plan.problems.length > 0
        ? ` and cannot be installed here: ${plan.problems.join('; ')}`
        : '; run with --install-baselines to install it';
    return { problem: `not installed (no ${dir})${why}` };
  }
  if (mode === 'spark-jdbc' && (javaMajor() ?? 0) < MIN_JAVA)
    return { problem: `Spark needs Java ${MIN_JAVA}+ on PATH` };
  const jars =
    mode === 'spark-jdbc'
      ? (await readdir(path.join(dir, 'jars')))
          .filter((f) => f.endsWith('.jar'))
          .map((f) => path.join(dir, 'jars', f))
      : [];
  return {
    mode,
    python: path.join(dir, 'venv', 'bin', 'python'),
    jars,
    versions: await readFile(marker, 'utf8'),
  };
}

/**
 * Installs `mode` into its cached venv (and the JDBC driver for Spark), unless already there.
 * Java and Maven come from apt-get when allowed, as for the stack's Kafka broker.
 */
export async function installBaseline(
  mode: BaselineMode,
  options: { cacheDir: string; allowInstall: boolean; progress: (line: string) => void },
): Promise<void> {
  const { progress } = options;
  if (mode === 'spark-jdbc')
    await ensureTools(mode, [TOOLS.java, TOOLS.mvn], { allowInstall: options.allowInstall, progress });
  const plan = planBaselineInstall(mode, probeMachine(), options.cacheDir);
  if (plan.problems.length > 0) {
    throw new StackError('PREREQUISITE_MISSING', mode, `${mode} cannot be installed here`, {
      details: plan.problems.map((p) => `  - ${p}`).join('\n'),
    });
  }
  if (existsSync(path.join(plan.dir, '.complete'))) {
    progress(`${mode}: installed in ${plan.dir}`);
    return;
  }
  const started = Date.now();
  await rm(plan.dir, { recursive: true, force: true });
  await mkdir(plan.dir, { recursive: true });
  const venv = path.join(plan.dir, 'venv');
  const python = path.join(venv, 'bin', 'python');
  const step = async (what: string, command: string, args: string[], cwd = plan.dir) => {
    try {
      await run(command, args, { cwd, maxBuffer: 256 * 1024 * 1024 });
    } catch (cause) {
      const output = `${(cause as { stdout?: string }).stdout ?? ''}${(cause as { stderr?: string }).stderr ?? ''}`;
      throw new StackError('PREREQUISITE_MISSING', mode, `${mode}: ${what} failed`, {
        cause,
        details: output.split('\n').slice(-20).join('\n'),
      });
    }
  };
  progress(`${mode}: creating a Python venv in ${venv}`);
  await step('python3 -m venv', findExecutable('python3')!, ['-m', 'venv', venv]);
  progress(`${mode}: pip install ${plan.packages.join(' ')} (one time, may take minutes)`);
  await step('pip install', python, [
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '-q',
    ...plan.packages,
  ]);
  if (plan.jars.length > 0) {
    progress(`${mode}: resolving ${plan.jars.join(', ')} from Maven Central`);
    const { groupId, artifactId, version } = JDBC_DRIVER;
    await writeFile(
      path.join(plan.dir, 'pom.xml'),
      [
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>',
        `<groupId>sluice.bench</groupId><artifactId>${mode}</artifactId><version>1</version><packaging>pom</packaging>`,
        `<dependencies><dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version></dependency></dependencies>`,
        '</project>',
        '',
      ].join('\n'),
    );
    await step('mvn dependency:copy-dependencies', 'mvn', [
      '-B',
      '-q',
      'dependency:copy-dependencies',
      `-DoutputDirectory=${path.join(plan.dir, 'jars')}`,
      '-DincludeScope=runtime',
    ]);
  }
  const { stdout } = await run(python, ['-m', 'pip', 'freeze', '--disable-pip-version-check']);
  const freeze = stdout
    .split('\n')
    .filter((line) => /^(pyspark|connectorx|polars|pyarrow|numpy|pymysql)==/i.test(line))
    .join(', ');
  const jarNote = plan.jars.length > 0 ? `; ${plan.jars.join(', ')}` : '';
  await writeFile(path.join(plan.dir, '.complete'), `${freeze}${jarNote}\n`);
  progress(`${mode}: installed (${freeze}${jarNote}) in ${Math.round((Date.now() - started) / 1000)} s`);
}
