import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROLES } from '../src/config.ts';

// The Kubernetes manifests in deploy/ hold together: a Deployment per role with its probes, limits and
// secrets, a PodDisruptionBudget each, Services for the two roles that take traffic, and no setting that
// src/config.ts does not know. compose.yaml, beside them, sets only known settings too.

const ROOT = path.resolve(import.meta.dirname, '..');
const DEPLOY = path.join(ROOT, 'deploy');
const SECRET_NAME = 'watchtower-secrets';

type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };
type Obj = { [key: string]: Yaml };

const read = (file: string) => readFileSync(path.join(DEPLOY, file), 'utf8');
const docs = (file: string) => parseYamlDocuments(read(file)) as Obj[];
const obj = (v: Yaml | undefined) => (v ?? {}) as Obj;
const list = (v: Yaml | undefined) => (v ?? []) as Yaml[];

/** The variable names in config.ts's schema: the settings Watch Tower reads. */
function knownVariables(): Set<string> {
  const source = readFileSync(path.join(ROOT, 'src/config.ts'), 'utf8');
  const start = source.indexOf('const schema = z.object({');
  const body = source.slice(start, source.indexOf('\n});', start));
  return new Set([...body.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!));
}

const kustomization = docs('kustomization.yaml')[0]!;
const resources = list(kustomization.resources) as string[];
const manifests = resources.flatMap(docs);
const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const nameOf = (m: Obj) => obj(m.metadata).name;
const podLabels = (d: Obj) => obj(obj(obj(obj(d.spec).template).metadata).labels);
const container = (d: Obj) => obj(list(obj(obj(obj(d.spec).template).spec).containers)[0]);
const envOf = (d: Obj) => list(container(d).env).map(obj);
const selects = (selector: Obj, labels: Obj) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v) && Object.keys(selector).length > 0;

function deploymentFor(role: string): Obj {
  const found = ofKind('Deployment').filter((d) =>
    envOf(d).some((e) => e.name === 'WATCHTOWER_ROLES' && e.value === role),
  );
  expect(found, `one Deployment runs WATCHTOWER_ROLES=${role}`).toHaveLength(1);
  return found[0]!;
}

describe('the Kubernetes manifests', () => {
  it('are all tied together by kustomization.yaml, the Secret example left out on purpose', () => {
    const files = readdirSync(DEPLOY).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...resources].sort()).toEqual(files.filter((f) => f !== 'secret.example.yaml').sort());
    expect(kustomization.namespace).toBe('watchtower');
  });

  it.each(ROLES)('runs the %s role as a Deployment with probes, limits and a PodDisruptionBudget', (role) => {
    const d = deploymentFor(role);
    const spec = obj(d.spec);
    expect(spec.replicas as number).toBeGreaterThanOrEqual(2);
    expect(selects(obj(obj(spec.selector).matchLabels), podLabels(d))).toBe(true);

    const c = container(d);
    const http = list(c.ports)
      .map(obj)
      .find((p) => p.name === 'http');
    expect(http?.containerPort).toBe(3000);
    expect(obj(obj(c.readinessProbe).httpGet)).toMatchObject({ path: '/readyz', port: 'http' });
    expect(obj(obj(c.livenessProbe).httpGet)).toMatchObject({ path: '/healthz', port: 'http' });

    const { requests, limits } = obj(c.resources) as { requests: Obj; limits: Obj };
    for (const r of [requests, limits]) {
      expect(r.cpu, `${role} cpu`).toBeTruthy();
      expect(r.memory, `${role} memory`).toMatch(/^\d+(Mi|Gi)$/);
    }

    // Its database and Redis, with their passwords, come from the Secret; nothing secret is written inline.
    const fromSecret = envOf(d).filter((e) => obj(obj(e.valueFrom).secretKeyRef).name === SECRET_NAME);
    expect(fromSecret.map((e) => e.name)).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL']));
    const inline = envOf(d).filter((e) => e.value !== undefined);
    expect(inline.filter((e) => /TOKEN|SECRET|KEY|_URL$/.test(String(e.name)))).toEqual([]);
    expect(list(c.envFrom).map((e) => obj(obj(e).configMapRef).name)).toContain('watchtower-config');

    const pdbs = ofKind('PodDisruptionBudget').filter((p) =>
      selects(obj(obj(obj(p.spec).selector).matchLabels), podLabels(d)),
    );
    expect(pdbs, `${role} PodDisruptionBudget`).toHaveLength(1);
    expect(obj(pdbs[0]!.spec).maxUnavailable).toBe(1);

    // The image runs as `node`; runAsNonRoot can only be checked by the kubelet against a numeric uid.
    const pod = obj(obj(obj(spec.template).spec).securityContext);
    expect(pod).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(obj(c.securityContext)).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
  });

  it('puts Services in front of the two roles that take traffic: webhook and api', () => {
    const services = ofKind('Service');
    for (const role of ['webhook', 'api']) {
      const d = deploymentFor(role);
      const svc = services.filter((s) => selects(obj(obj(s.spec).selector), podLabels(d)));
      expect(svc, `${role} Service`).toHaveLength(1);
      expect(list(obj(svc[0]!.spec).ports).map(obj)[0]).toMatchObject({ targetPort: 'http' });
    }
    expect(services).toHaveLength(2);
  });

  it('sets only variables src/config.ts knows', () => {
    const known = knownVariables();
    expect(known.has('DATABASE_URL')).toBe(true);
    const configMap = ofKind('ConfigMap').find((m) => nameOf(m) === 'watchtower-config')!;
    const secret = docs('secret.example.yaml').find((m) => nameOf(m) === SECRET_NAME)!;
    const set = [
      ...Object.keys(obj(configMap.data)),
      ...Object.keys(obj(secret.stringData)),
      ...ofKind('Deployment').flatMap((d) => envOf(d).map((e) => String(e.name))),
    ];
    expect(set.length).toBeGreaterThan(20);
    expect([...new Set(set)].filter((v) => !known.has(v))).toEqual([]);
  });

  it('reads from the Secret only keys its example defines, and the example holds placeholders only', () => {
    const secret = docs('secret.example.yaml').find((m) => nameOf(m) === SECRET_NAME)!;
    const keys = Object.keys(obj(secret.stringData));
    const referenced = ofKind('Deployment').flatMap((d) =>
      envOf(d)
        .map((e) => obj(obj(e.valueFrom).secretKeyRef))
        .filter((ref) => ref.name === SECRET_NAME)
        .map((ref) => String(ref.key)),
    );
    expect([...new Set(referenced)].filter((k) => !keys.includes(k))).toEqual([]);
    for (const [key, value] of Object.entries(obj(secret.stringData))) {
      expect(String(value), key).toContain('CHANGE-ME');
    }
  });
});

describe('compose.yaml beside them', () => {
  it('still runs the app on PostGIS and Redis with only variables src/config.ts knows', () => {
    const compose = parseYamlDocuments(readFileSync(path.join(ROOT, 'compose.yaml'), 'utf8'))[0] as Obj;
    const services = obj(compose.services);
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['app', 'postgis', 'redis']));
    const known = knownVariables();
    for (const [name, service] of Object.entries(services)) {
      if (!obj(service).build) continue;
      const env = Object.keys(obj(obj(service).environment));
      expect(env, name).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL']));
      expect(env.filter((v) => !known.has(v))).toEqual([]);
    }
  });
});

describe('the YAML reader these tests use', () => {
  it('reads maps, lists of maps, flow lists and maps, quoted and plain scalars, comments and documents', () => {
    const text = [
      '# a comment',
      'a: 1',
      'b: "two: # not a comment"',
      "c: 'it''s'",
      'd:',
      '  - name: x',
      '    value: y # trailing',
      '  - plain',
      'e: [one, "two, three", {k: v}]',
      'f: {}',
      'g:',
      '- 1',
      '- true',
      '---',
      'h: null',
    ].join('\n');
    expect(parseYamlDocuments(text)).toEqual([
      {
        a: 1,
        b: 'two: # not a comment',
        c: "it's",
        d: [{ name: 'x', value: 'y' }, 'plain'],
        e: ['one', 'two, three', { k: 'v' }],
        f: {},
        g: [1, true],
      },
      { h: null },
    ]);
  });
});

// ---- a YAML reader for the block-style subset the manifests and compose.yaml are written in ----

interface Line {
  indent: number;
  text: string;
}

function parseYamlDocuments(source: string): Yaml[] {
  return source
    .split(/^---\s*$/m)
    .map((doc) =>
      doc
        .split('\n')
        .map((raw) => ({ indent: raw.length - raw.trimStart().length, text: stripComment(raw).trim() }))
        .filter((l) => l.text !== ''),
    )
    .filter((lines) => lines.length > 0)
    .map((lines) => parseBlock(lines, { i: 0 }, lines[0]!.indent));
}

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

function parseBlock(lines: Line[], at: { i: number }, indent: number): Yaml {
  if (lines[at.i]!.text.startsWith('- ') || lines[at.i]!.text === '-') return parseList(lines, at, indent);
  const map: Obj = {};
  while (at.i < lines.length && lines[at.i]!.indent === indent && !lines[at.i]!.text.startsWith('- ')) {
    const { text } = lines[at.i]!;
    const colon = keyEnd(text);
    if (colon < 0) throw new Error(`expected "key: value", got "${text}"`);
    const key = unquote(text.slice(0, colon).trim());
    const rest = text.slice(colon + 1).trim();
    at.i++;
    if (rest !== '') map[key] = scalar(rest);
    else if (at.i < lines.length && lines[at.i]!.indent > indent)
      map[key] = parseBlock(lines, at, lines[at.i]!.indent);
    else if (at.i < lines.length && lines[at.i]!.indent === indent && lines[at.i]!.text.startsWith('- '))
      map[key] = parseList(lines, at, indent);
    else map[key] = null;
  }
  return map;
}

function parseList(lines: Line[], at: { i: number }, indent: number): Yaml[] {
  const items: Yaml[] = [];
  while (at.i < lines.length && lines[at.i]!.indent === indent && lines[at.i]!.text.startsWith('- ')) {
    const rest = lines[at.i]!.text.slice(2).trim();
    const itemIndent = indent + 2;
    if (keyEnd(rest) >= 0 && !/^["'[{]/.test(rest)) {
      // "- key: value" opens a map whose further keys sit under the first one.
      lines[at.i] = { indent: itemIndent, text: rest };
      items.push(parseBlock(lines, at, itemIndent));
    } else {
      at.i++;
      items.push(scalar(rest));
    }
  }
  return items;
}

/** Index of the colon ending a mapping key (outside quotes, followed by a space or the end), or -1. */
function keyEnd(text: string): number {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '{') return -1;
    else if (ch === ':' && (i === text.length - 1 || text[i + 1] === ' ')) return i;
  }
  return -1;
}

function unquote(s: string): string {
  if (s.startsWith('"') && s.endsWith('"')) return JSON.parse(s) as string;
  if (s.startsWith("'") && s.endsWith("'")) return s.slice(1, -1).replaceAll("''", "'");
  return s;
}

function scalar(s: string): Yaml {
  if (s.startsWith('[') && s.endsWith(']')) return splitFlow(s.slice(1, -1)).map(scalar);
  if (s.startsWith('{') && s.endsWith('}')) {
    return Object.fromEntries(
      splitFlow(s.slice(1, -1)).map((pair) => {
        const colon = keyEnd(pair);
        return [unquote(pair.slice(0, colon).trim()), scalar(pair.slice(colon + 1).trim())];
      }),
    );
  }
  if (/^["']/.test(s)) return unquote(s);
  if (s === 'true' || s === 'false') return s === 'true';
  if (s === 'null' || s === '~') return null;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  return s;
}

/** Splits a flow collection's inside at top-level commas. */
function splitFlow(inside: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < inside.length; i++) {
    const ch = inside[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(inside.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = inside.slice(start).trim();
  if (last !== '') parts.push(last);
  return parts;
}
