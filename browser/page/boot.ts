// What Grafana's index page sets before any plugin code runs; @grafana/runtime's config reads
// it when it is first imported, so this module is the page's first import.
const w = window as unknown as { grafanaBootData: unknown };
w.grafanaBootData = {
  assets: { dark: '', light: '' },
  settings: { appSubUrl: '', featureToggles: {} },
  user: { theme: 'dark', language: 'en-US', timezone: 'utc' },
  navTree: [],
};

export {};
