import net from 'node:net';
import os from 'node:os';
import type { RequestHandler } from 'express';

/**
 * The Host header check (DNS-rebinding guard): a web page from elsewhere whose name was re-pointed at this
 * server still sends its own name in Host, and is refused. Host names are compared exactly, never by prefix.
 */

/** Loopback names always accepted. */
const LOOPBACK_NAMES = new Set(['localhost', 'localhost.']);
/** A DNS name (labels of letters, digits and hyphens) or an IPv4 address; nothing else (no "@", no "_"). */
const HOST_NAME = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/;

/** True for loopback addresses: 127.0.0.0/8 (a real dotted quad, not a name starting "127.") and ::1. */
export function isLoopbackAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (net.isIPv4(bare)) return bare.split('.')[0] === '127';
  if (net.isIPv6(bare)) {
    const lower = bare.toLowerCase();
    if (lower.startsWith('::ffff:') && net.isIPv4(lower.slice(7))) return lower.slice(7).split('.')[0] === '127';
    return new net.SocketAddress({ address: bare, family: 'ipv6' }).address === '::1';
  }
  return false;
}

/** True when `host` (a bind address or a name) only ever reaches this machine: a loopback address or localhost. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host.toLowerCase()) || isLoopbackAddress(host);
}

/**
 * The host part of a Host header, normalised (lower case, IPv6 in brackets), or undefined when the header is not
 * a well-formed `host[:port]`: an empty value, userinfo (`a@b`), a path, or anything else is refused.
 */
export function parseHostHeader(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.trim().toLowerCase();
  const bracketed = /^(\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/.exec(value);
  if (bracketed) {
    const [, address, port] = bracketed;
    if (!net.isIPv6(address!.slice(1, -1)) || !validPort(port)) return undefined;
    return address;
  }
  const named = /^([^:]+)(?::(\d{1,5}))?$/.exec(value);
  if (!named) return undefined;
  const [, name, port] = named;
  if (!validPort(port) || name!.length > 253 || !HOST_NAME.test(name!)) return undefined;
  return name;
}

function validPort(port: string | undefined): boolean {
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65_535);
}

/** How a bind address or configured name is spelled in a Host header: lower case, IPv6 in brackets. */
function asHostName(host: string): string {
  const lower = host.trim().toLowerCase();
  return net.isIPv6(lower) ? `[${lower}]` : lower;
}

/** Wildcard binds (all interfaces): the machine's own addresses and name are what clients can use. */
function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** The names a Host header may carry: the configured host and the extra names (SIS_ALLOWED_HOSTS); loopback is checked apart. */
export function allowedHostNames(configuredHost: string, extraNames: readonly string[]): Set<string> {
  const names = new Set(extraNames.map(asHostName));
  if (isWildcard(configuredHost.trim())) {
    names.add(asHostName(os.hostname()));
    for (const entries of Object.values(os.networkInterfaces())) {
      for (const entry of entries ?? []) names.add(asHostName(entry.address));
    }
  } else {
    names.add(asHostName(configuredHost));
  }
  return names;
}

/** True when a Host header names this server: a loopback name or address, the configured host, or an allowed name. */
export function isAllowedHost(header: string | undefined, allowed: ReadonlySet<string>): boolean {
  const host = parseHostHeader(header);
  return host !== undefined && (isLoopbackHost(host) || allowed.has(host));
}

/** Refuses (403) every request whose Host header is not one of this server's names. */
export function hostCheck(configuredHost: string, extraNames: readonly string[]): RequestHandler {
  const allowed = allowedHostNames(configuredHost, extraNames);
  return (req, res, next) => {
    if (isAllowedHost(req.headers.host, allowed)) return next();
    const shown = JSON.stringify((req.headers.host ?? '').slice(0, 100));
    res.status(403).json({
      error: `Host ${shown} is not served: this server answers on loopback and ${configuredHost} (SIS_HOST). Add other names to SIS_ALLOWED_HOSTS.`,
    });
  };
}
