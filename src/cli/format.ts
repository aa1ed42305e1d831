import { endpointUrl } from '../db/endpoint.ts';
import type { StackReport } from '../stack/stack.ts';

/** A fixed-width table for a terminal. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function stackTable(report: StackReport): string {
  if (report.components.length === 0)
    return `nothing is running for ${report.home}; start it with: sluice stack up`;
  const rows = report.components.map((component) => [
    component.name,
    component.role,
    component.source,
    component.endpoint,
    component.pid ? String(component.pid) : '-',
    component.answering
      ? `answering (${component.version})`
      : `DOWN: ${component.problem ?? 'not answering'}`,
  ]);
  return table(['component', 'role', 'source', 'endpoint', 'pid', 'state'], rows);
}

/** The report as JSON for programs: no passwords, endpoints as URLs. */
export function stackJson(report: StackReport): string {
  const { endpoints } = report;
  const url = endpointUrl;
  return JSON.stringify(
    {
      home: report.home,
      healthy: report.components.length > 0 && report.components.every((c) => c.answering),
      components: report.components.map(({ marker: _marker, ...rest }) => rest),
      endpoints: {
        ...(endpoints.single ? { single: url(endpoints.single) } : {}),
        ...(endpoints.cluster
          ? { cluster: { head: url(endpoints.cluster.head), leaves: endpoints.cluster.leaves.map(url) } }
          : {}),
        ...(endpoints.kafka ? { kafka: { brokers: endpoints.kafka.brokers } } : {}),
      },
    },
    null,
    2,
  );
}
