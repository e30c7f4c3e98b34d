import { readFileSync } from 'node:fs';

/** CPU profiles (`--cpu-prof`, or any .cpuprofile) summarised by part and by function. */

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export function placeOf(url: string): string {
  if (url === '') return '(native / V8)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/').slice(0, 2).join('/')}`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return `app: ${url.slice(dist + 6).split('/').slice(0, 2).join('/')}`;
  return url.replace(/^file:\/\//, '');
}

/** A function's file, short: `koa-session/lib/context.js`, `src/cache/fast-path.js`, `node:_http_outgoing`. */
export function fileOf(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 6);
  return url.replace(/^file:\/\//, '');
}

export function summariseProfile(file: string): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i += 1) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  // The profiler's own work at the end of the window (node:inspector on the stack) is left out.
  const stackOf = (id: number) => {
    const frames: ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at);
      if (frame && frame.callFrame.functionName !== '(root)') frames.push(frame);
    }
    return frames;
  };
  const isProfiler = (id: number) => stackOf(id).some((f) => f.callFrame.url === 'node:inspector');
  const isIdle = (id: number) => byId.get(id)?.callFrame.functionName === '(idle)' || isProfiler(id);
  const total = [...self.entries()].filter(([id]) => !isProfiler(id)).reduce((a, [, t]) => a + t, 0);
  const busy = [...self.entries()].filter(([id]) => !isIdle(id)).reduce((a, [, t]) => a + t, 0);
  const partOf = (node: ProfileNode) => (node.callFrame.functionName.startsWith('(') ? node.callFrame.functionName : placeOf(node.callFrame.url));
  const nameOf = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    return `${functionName || '(anonymous)'}${url ? ` ${fileOf(url)}:${lineNumber + 1}` : ''}`;
  };
  const selfByPart = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  const inclusiveByPart = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, time: number) => map.set(key, (map.get(key) ?? 0) + time);
  for (const [id, time] of self) {
    const node = byId.get(id);
    if (!node || isIdle(id)) continue;
    add(selfByPart, partOf(node), time);
    add(selfByFunction, nameOf(node), time);
    // Inclusive: every part on the sample's stack, once (not V8's own frames, nor the tick
    // queue that every continuation runs under).
    const parts = new Set(stackOf(id).map(partOf).filter((part) => !part.startsWith('(') && part !== 'node:internal/process'));
    for (const part of parts) add(inclusiveByPart, part, time);
  }
  const table = (title: string, map: Map<string, number>, n: number) => [
    `| ${title} | ms | of busy |`,
    '| --- | ---: | ---: |',
    ...[...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, time]) => `| ${name.replace(/\|/g, '\\|')} | ${(time / 1000).toFixed(0)} | ${((100 * time) / busy).toFixed(1)} % |`),
    '',
  ];
  return [
    `Busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s sampled (the rest idle, i.e. waiting on the database or the network).`,
    '',
    ...table('self time by part (package, or app module under dist/)', selfByPart, 15),
    ...table('inclusive time by part (anywhere on the stack, so with what it calls)', inclusiveByPart, 20),
    ...table('self time by function', selfByFunction, 20),
  ].join('\n');
}
