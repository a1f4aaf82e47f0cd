// Serves the editors' test page (browser/dist) on 127.0.0.1 and answers the page's resource
// calls (/api/datasources/uid/<uid>/resources/...) with the recorded answers of the plugin's
// resource handlers (pkg/plugin/testdata/browser/resources.json, kept current by
// TestBrowserFixtures). A call with no recorded answer gets a 404 that says so.
import fs from 'fs';
import http from 'http';
import path from 'path';
import type { AddressInfo } from 'net';

const ROOT = path.resolve(__dirname, '..');
export const DIST = path.join(ROOT, 'browser', 'dist');
export const FIXTURES = path.join(ROOT, 'pkg', 'plugin', 'testdata', 'browser');

interface Exchange {
  method: string;
  path: string;
  request?: { yaml: string; name: string };
  status: number;
  response: unknown;
}

/** One resource call the page made, as the server saw it. */
export interface Call {
  method: string;
  path: string;
  body?: unknown;
}

export interface PageServer {
  url: string;
  calls: Call[];
  close: () => Promise<void>;
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.ttf': 'font/ttf',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

const MODULES = path.join(ROOT, 'node_modules');
const FONTS = path.join(MODULES, '@fontsource');

/** Files Grafana serves under /public that @grafana/ui asks for: icons, and fonts (from @fontsource). */
const PUBLIC: Array<[RegExp, (m: RegExpMatchArray) => string]> = [
  // Grafana's own public folder has the spinner; @grafana/ui does not ship it.
  [/^\/public\/build\/img\/icons\/unicons\/spinner\.svg$/, () => path.join(ROOT, 'browser/page/spinner.svg')],
  [
    /^\/public\/build\/img\/icons\/([\w/-]+\.svg)$/,
    (m) => path.join(MODULES, '@grafana/ui/dist/public/img/icons', m[1]),
  ],
  [
    /^\/public\/fonts\/inter\/Inter-(Regular|Medium|Italic|MediumItalic)\.woff2$/,
    (m) => {
      const [weight, style] = {
        Regular: ['400', 'normal'],
        Medium: ['500', 'normal'],
        Italic: ['400', 'italic'],
        MediumItalic: ['500', 'italic'],
      }[m[1]]!;
      return path.join(FONTS, 'inter/files', `inter-latin-${weight}-${style}.woff2`);
    },
  ],
  [
    /^\/public\/fonts\/roboto\/[\w-]+\.woff2$/,
    () => path.join(FONTS, 'roboto-mono/files/roboto-mono-latin-400-normal.woff2'),
  ],
];

/** The file a request path stands for: in browser/dist, or one of PUBLIC; undefined if none. */
function fileFor(pathname: string): string | undefined {
  for (const [re, to] of PUBLIC) {
    const m = pathname.match(re);
    if (m) {
      return to(m);
    }
  }
  const file = path.join(DIST, path.normalize(decodeURIComponent(pathname)));
  return file.startsWith(DIST + path.sep) ? file : undefined;
}

const INDEX = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Nines SLO editors</title></head>
<body><div id="root"></div><script src="/page.js"></script></body></html>`;

function recorded(): Exchange[] {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, 'resources.json'), 'utf8'));
}

function answer(exchanges: Exchange[], method: string, resource: string, body: unknown): Exchange | undefined {
  return exchanges.find(
    (e) =>
      e.method === method &&
      e.path === resource &&
      (method !== 'POST' || (e.request !== undefined && JSON.stringify(e.request) === JSON.stringify(body)))
  );
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

/** Starts the page's server on a free port of 127.0.0.1. */
export async function startServer(): Promise<PageServer> {
  const exchanges = recorded();
  const calls: Call[] = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = url.pathname.match(/^\/api\/datasources\/uid\/[^/]+\/resources\/(.+)$/);
    if (m) {
      const text = await readBody(req);
      const body = text ? JSON.parse(text) : undefined;
      const resource = decodeURIComponent(m[1]) + url.search;
      calls.push({ method: req.method ?? 'GET', path: resource, body });
      const ex = answer(exchanges, req.method ?? 'GET', resource, body);
      res.writeHead(ex ? ex.status : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(ex ? ex.response : { error: `no recorded answer for ${req.method} ${resource}` }));
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(INDEX);
      return;
    }
    const file = fileFor(url.pathname);
    if (!file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404);
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
