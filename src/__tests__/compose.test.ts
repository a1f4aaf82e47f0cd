/**
 * Every host path that docker-compose.yaml mounts or builds from exists in the repo
 * (./dist is made by the build), and the stack is wired as the README describes.
 */
import fs from 'fs';
import path from 'path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..', '..');
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yaml'), 'utf8'));
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
    expect(s.grafana.image).toMatch(/^grafana\/grafana:\$\{GRAFANA_VERSION:-12\.|^grafana\/grafana:12\./);
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
