import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface MachineInfo {
  cpuModel: string;
  logicalCores: number;
  /** What Node thinks it may use (cgroup and affinity limits included). */
  availableParallelism: number;
  totalMemoryBytes: number;
  platform: string;
  arch: string;
  osRelease: string;
  node: string;
  onnxruntime: string;
  transformers: string;
  /** 1-minute load average when the run started: other work on the machine makes figures noisier. */
  loadAverageAtStart: number;
}

/** Version of an installed package, found from the folder of a package that depends on it. */
function packageVersion(name: string, fromDir: string): { version: string; dir: string } | undefined {
  try {
    const entry = require.resolve(name, { paths: [fromDir] });
    let dir = path.dirname(entry);
    while (dir !== path.dirname(dir)) {
      const manifest = path.join(dir, 'package.json');
      if (fs.existsSync(manifest)) {
        const parsed = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
        if (parsed.name === name && parsed.version) return { version: parsed.version, dir };
      }
      dir = path.dirname(dir);
    }
  } catch {
    // not installed where expected
  }
  return undefined;
}

/** onnxruntime-node and transformers.js as the engine (@sis/core) resolves them. */
export function runtimeVersions(): { onnxruntime: string; transformers: string } {
  const core = packageVersion('@sis/core', __dirname);
  const transformers = core ? packageVersion('@huggingface/transformers', core.dir) : undefined;
  const onnxruntime = transformers ? packageVersion('onnxruntime-node', transformers.dir) : undefined;
  return { onnxruntime: onnxruntime?.version ?? 'unknown', transformers: transformers?.version ?? 'unknown' };
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    logicalCores: cpus.length,
    availableParallelism: os.availableParallelism(),
    totalMemoryBytes: os.totalmem(),
    platform: os.platform(),
    arch: os.arch(),
    osRelease: os.release(),
    node: process.version,
    ...runtimeVersions(),
    loadAverageAtStart: os.loadavg()[0] ?? 0,
  };
}

/** Peak resident memory of this process so far, in bytes. */
export function maxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Samples resident memory while something runs (the peak between start() and stop()). */
export class RssSampler {
  private timer: NodeJS.Timeout | undefined;
  private peak = 0;

  start(intervalMs = 20): void {
    this.peak = process.memoryUsage.rss();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peak) this.peak = rss;
  }

  stop(): number {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.peak;
  }
}

/** CPU time at one moment: this process's, and (on Linux) the whole machine's busy time, to tell our load from others'. */
export interface CpuSnapshot {
  wallMs: number;
  ownCpuMs: number;
  machineBusyMs: number | undefined;
}

/** Clock ticks per second of /proc/stat (USER_HZ): 100 on every common Linux build. */
const USER_HZ = 100;

function machineBusyMs(): number | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const [user, nice, system, , , irq, softirq, steal] = fields;
    if (!line.startsWith('cpu ') || [user, nice, system, irq, softirq, steal].some((value) => !Number.isFinite(value))) return undefined;
    return ((user! + nice! + system! + irq! + softirq! + steal!) * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}

export function cpuSnapshot(): CpuSnapshot {
  const usage = process.cpuUsage();
  return { wallMs: performance.now(), ownCpuMs: (usage.user + usage.system) / 1000, machineBusyMs: machineBusyMs() };
}

export interface CpuShare {
  /** Cores this process kept busy on average (e.g. 1.9 of 2). */
  ownCores: number;
  /** Cores other processes (and the hypervisor's steal) took on average: 0 on a quiet machine. Undefined off Linux. */
  otherCores: number | undefined;
}

/** Average CPU use between two snapshots. Other processes' share is coarse (10 ms ticks): read it to within ~0.1 core. */
export function cpuShare(start: CpuSnapshot, end: CpuSnapshot): CpuShare {
  const wall = Math.max(end.wallMs - start.wallMs, 1e-9);
  const own = (end.ownCpuMs - start.ownCpuMs) / wall;
  const busy =
    start.machineBusyMs !== undefined && end.machineBusyMs !== undefined ? (end.machineBusyMs - start.machineBusyMs) / wall : undefined;
  return { ownCores: own, otherCores: busy === undefined ? undefined : Math.max(0, busy - own) };
}
