/**
 * Every host path that docker-compose.yaml mounts or builds from exists in the repo
 * (./dist is made by the build), the stack is wired as the README describes, docker-compose
 * 1.29 accepts the file, and the Grafana it runs is the one plugin.json claims and the
 * front end is built against.
 */
import { spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const compose = parse(read('docker-compose.yaml'));
const PRODUCED_BY_BUILD = new Set(['dist']);

type Service = {
  image?: string;
  build?: string | { context: string; dockerfile?: string };
  volumes?: Array<string | { type?: string; source?: string }>;
  env_file?: string | string[];
  depends_on?: Record<string, { condition: string }>;
};

function hostPaths(): Array<{ service: string; path: string; what: string }> {
  const out: Array<{ service: string; path: string; what: string }> = [];
  for (const [name, svc] of Object.entries<Service>(compose.services)) {
    if (svc.build) {
      const context = typeof svc.build === 'string' ? svc.build : svc.build.context;
      out.push({ service: name, path: context, what: 'build context' });
      const dockerfile = typeof svc.build === 'string' ? 'Dockerfile' : (svc.build.dockerfile ?? 'Dockerfile');
      out.push({ service: name, path: path.join(context, dockerfile), what: 'Dockerfile' });
    }
    for (const v of svc.volumes ?? []) {
      const source = typeof v === 'string' ? v.split(':')[0] : v.type === 'bind' ? v.source : undefined;
      if (source && (source.startsWith('.') || source.startsWith('/'))) {
        out.push({ service: name, path: source, what: 'mount' });
      }
    }
    for (const f of ([] as string[]).concat(svc.env_file ?? [])) {
      out.push({ service: name, path: f, what: 'env_file' });
    }
  }
  return out;
}

describe('docker-compose.yaml', () => {
  it('mounts and builds only from paths that exist in the repo', () => {
    const paths = hostPaths();
    expect(paths.length).toBeGreaterThan(5);
    const missing = paths.filter((p) => {
      const rel = path.normalize(p.path);
      if (PRODUCED_BY_BUILD.has(rel.split(path.sep)[0])) {
        return false;
      }
      return !fs.existsSync(path.resolve(ROOT, rel));
    });
    expect(missing).toEqual([]);
  });

  it('has the five services, with one-shot build and backfill before Grafana and Prometheus', () => {
    const s = compose.services as Record<string, Service>;
    expect(Object.keys(s).sort()).toEqual(['backfill', 'build', 'grafana', 'prometheus', 'workload']);
    expect(s.prometheus.depends_on?.backfill.condition).toBe('service_completed_successfully');
    expect(s.grafana.depends_on?.build.condition).toBe('service_completed_successfully');
    expect(s.prometheus.image).toMatch(/^prom\/prometheus:v2\./);
  });

  it('mounts the plugin, the provisioning and the SLO files where Grafana and the data source read them', () => {
    const volumes = (compose.services.grafana.volumes as string[]).map((v) => v.split(':').slice(0, 2).join(':'));
    expect(volumes).toContain('./dist:/var/lib/grafana/plugins/nines-slo-datasource');
    expect(volumes).toContain('./provisioning:/etc/grafana/provisioning');
    expect(volumes).toContain('./provisioning/slos:/etc/nines/slos');
    expect(compose.services.grafana.environment.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS).toBe('nines-slo-datasource');
    expect(compose.services.grafana.ports).toContain('127.0.0.1:3000:3000');
  });

  it('scrapes the workload', () => {
    const prom = parse(fs.readFileSync(path.join(ROOT, 'docker', 'prometheus', 'prometheus.yml'), 'utf8'));
    const targets = prom.scrape_configs.flatMap((c: { static_configs: Array<{ targets: string[] }> }) =>
      c.static_configs.flatMap((s) => s.targets)
    );
    expect(targets).toContain('workload:9100');
  });
});

describe('the Grafana version', () => {
  // The @grafana/* packages Grafana provides to the plugin at run time, and their test kit.
  const GRAFANA_PACKAGES = [
    '@grafana/data',
    '@grafana/ui',
    '@grafana/runtime',
    '@grafana/schema',
    '@grafana/i18n',
    '@grafana/e2e-selectors',
  ];
  const pkg = JSON.parse(read('package.json'));
  const declared: Record<string, string> = { ...pkg.devDependencies, ...pkg.dependencies };
  const built = declared['@grafana/ui'];
  const minor = (v: string) => v.split('.').slice(0, 2).join('.');

  it('is one exact version for every @grafana/* package, and the one installed', () => {
    expect(built).toMatch(/^\d+\.\d+\.\d+$/);
    for (const name of GRAFANA_PACKAGES) {
      expect([name, declared[name]]).toEqual([name, built]);
      const installed = JSON.parse(read(path.join('node_modules', name, 'package.json'))).version;
      expect([name, installed]).toEqual([name, built]);
    }
  });

  it("is what plugin.json's grafanaDependency claims, from its minor version on", () => {
    const claim: string = JSON.parse(read('plugin.json')).dependencies.grafanaDependency;
    const m = /^>=(\d+\.\d+)\.0$/.exec(claim);
    expect([claim, m?.[1]]).toEqual([claim, minor(built)]);
  });

  it('is what docker-compose.yaml runs unless GRAFANA_VERSION says otherwise', () => {
    const m = /^grafana\/grafana:\$\{GRAFANA_VERSION:-([^}]+)\}$/.exec(compose.services.grafana.image);
    expect(m?.[1]).toBe(built);
  });
});

describe('docker-compose 1.29 (Debian 12) as well as Compose v2', () => {
  it('uses only top-level keys 1.29 knows (no name:, include:)', () => {
    const known = ['version', 'services', 'volumes', 'networks', 'secrets', 'configs'];
    const unknown = Object.keys(compose).filter((k) => !known.includes(k) && !k.startsWith('x-'));
    expect(unknown).toEqual([]);
  });

  it('uses no service keys newer than 1.29', () => {
    const newer = ['develop', 'post_start', 'pre_stop', 'provider', 'models', 'use_api_socket', 'gw_priority'];
    const found = Object.entries<Record<string, unknown>>(compose.services).flatMap(([name, svc]) =>
      Object.keys(svc)
        .filter((k) => newer.includes(k))
        .map((k) => `${name}.${k}`)
    );
    expect(found).toEqual([]);
  });

  const version = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
  const installed = !version.error && version.status === 0;
  const run = installed || process.env.CI === 'true' ? it : it.skip;
  run(`docker-compose config accepts the file${installed ? '' : ' (skipped: docker-compose is not installed)'}`, () => {
    const res = spawnSync('docker-compose', ['-f', path.join(ROOT, 'docker-compose.yaml'), 'config', '-q'], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    expect(res.error).toBeUndefined();
    expect([res.status, res.stderr.trim()]).toEqual([0, '']);
  });
});
