import fs from 'node:fs';

/** This process's memory from /proc/self/status (Linux), in bytes; Node's own figures elsewhere. */
export interface MemorySnapshot {
  /** Resident set size. */
  rss: number;
  /** Peak resident set size so far. */
  peakRss: number;
  /** Resident anonymous memory (heap: what the process itself allocated). */
  rssAnon: number | null;
  /** Resident file-backed pages (mapped files, e.g. a memory-mapped index, and the binaries). */
  rssFile: number | null;
}

export function memorySnapshot(): MemorySnapshot {
  const fields: Record<string, number> = {};
  try {
    for (const line of fs.readFileSync('/proc/self/status', 'utf8').split('\n')) {
      const match = /^(VmRSS|VmHWM|RssAnon|RssFile):\s+(\d+) kB/.exec(line);
      if (match) fields[match[1]!] = Number(match[2]) * 1024;
    }
  } catch {
    // not Linux
  }
  const rss = fields.VmRSS ?? process.memoryUsage.rss();
  return {
    rss,
    peakRss: fields.VmHWM ?? process.resourceUsage().maxRSS * 1024,
    rssAnon: fields.RssAnon ?? null,
    rssFile: fields.RssFile ?? null,
  };
}
