/** The web console at `/`: static pages (src/http/console/) and the chart library from npm. */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ServiceApp, ServiceContext } from './service.ts';

const here = path.join(import.meta.dirname, 'console');
const require = createRequire(import.meta.url);

const ASSETS: Record<string, { file: () => string; type: string }> = {
  '/': { file: () => path.join(here, 'index.html'), type: 'text/html; charset=utf-8' },
  '/console/app.js': { file: () => path.join(here, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/console/app.css': { file: () => path.join(here, 'app.css'), type: 'text/css; charset=utf-8' },
  '/console/uplot.js': {
    file: () => require.resolve('uplot/dist/uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/console/uplot.css': {
    file: () => require.resolve('uplot/dist/uPlot.min.css'),
    type: 'text/css; charset=utf-8',
  },
};

export async function consolePlugin(app: ServiceApp, _ctx: ServiceContext): Promise<void> {
  for (const [url, asset] of Object.entries(ASSETS)) {
    const body = await readFile(asset.file());
    app.get(url, { config: { role: 'public' }, schema: { hide: true } }, async (_request, reply) =>
      reply.type(asset.type).header('cache-control', 'no-cache').send(body),
    );
  }
}
