/**
 * One Node version everywhere: .nvmrc, package.json "engines", the compose build image
 * (docker/build/Dockerfile), and every installed package's own "engines" accept it.
 */
import fs from 'fs';
import path from 'path';
import semver from 'semver';

const ROOT = path.resolve(__dirname, '..', '..');
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');

const nvmrc = read('.nvmrc').trim();
const pkg = JSON.parse(read('package.json'));
const lock = JSON.parse(read('package-lock.json'));

describe('Node version', () => {
  it('.nvmrc names one exact version', () => {
    expect(semver.valid(nvmrc)).toBe(nvmrc);
  });

  it('package.json engines accepts it', () => {
    expect(semver.satisfies(nvmrc, pkg.engines.node)).toBe(true);
  });

  it('the compose build image runs it', () => {
    const from = read('docker/build/Dockerfile').match(/^FROM node:(\S+?)(-\w+)? AS node$/m);
    expect(from?.[1]).toBe(nvmrc);
  });

  it('every package in package-lock.json accepts it', () => {
    const refused = Object.entries<{ engines?: { node?: string } }>(lock.packages)
      .filter(([, p]) => typeof p.engines?.node === 'string' && !semver.satisfies(nvmrc, p.engines.node))
      .map(([name, p]) => `${name} wants node ${p.engines!.node}`);
    expect(refused).toEqual([]);
  });
});
