import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ClipEmbedder, cosine } from '../../src';
import { env } from '../../src/embedding/transformers';
import { tinyModelDir } from '../helpers/shared';

/**
 * A hub model id (not a folder): downloaded once through transformers.js into <data dir>/models, then opened
 * offline from that cache. The "hub" is a local HTTP server on loopback serving the tiny model folder in the
 * hub's URL layout ({model}/resolve/{revision}/{file}), reached through transformers.js's env.remoteHost.
 */
describe('a hub model: downloaded once into the data directory, then used offline from the cache', () => {
  const modelId = 'sis-test/clip-tiny-random';
  let server: http.Server;
  let requests: string[];
  let dataDir: string;
  let remoteHost: string;

  beforeAll(async () => {
    requests = [];
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sis-hub-'));
    server = http.createServer((request, response) => {
      const url = decodeURIComponent(request.url ?? '');
      requests.push(url);
      const prefix = `/${modelId}/resolve/main/`;
      const file = url.startsWith(prefix) ? path.join(tinyModelDir, url.slice(prefix.length)) : undefined;
      if (!file || !file.startsWith(tinyModelDir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        response.writeHead(404).end('not found');
        return;
      }
      const bytes = fs.readFileSync(file);
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length }).end(request.method === 'HEAD' ? undefined : bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    remoteHost = env.remoteHost;
    env.remoteHost = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    env.remoteHost = remoteHost;
    if (server.listening) await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('downloads the files it needs, caches them, and gives the same vectors offline as from the local folder', async () => {
    const online = await ClipEmbedder.load({ model: modelId, offline: false, dataDir, device: 'cpu', threads: 0 });
    const { cropHeight, cropWidth } = online.preprocess;
    const pixels = new Float32Array(3 * cropHeight * cropWidth).map((_, i) => Math.sin(i) * 0.5);
    const [text] = await online.embedTexts(['a dog running in snow']);
    const [image] = await online.embedPixels([pixels]);
    const downloaded = requests.filter((url) => url.startsWith(`/${modelId}/resolve/main/`));
    for (const file of ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'onnx/text_model.onnx', 'onnx/vision_model.onnx']) {
      expect(downloaded).toContain(`/${modelId}/resolve/main/${file}`);
    }
    // The cache lives in the data directory.
    const cached = fs.readdirSync(path.join(dataDir, 'models'), { recursive: true }).map(String);
    expect(cached.some((name) => name.endsWith(path.join('onnx', 'vision_model.onnx')))).toBe(true);

    // The hub goes away; offline, the cache is enough, and nothing is asked of the network.
    await new Promise((resolve) => server.close(resolve));
    const before = requests.length;
    const offline = await ClipEmbedder.load({ model: modelId, offline: true, dataDir, device: 'cpu', threads: 0 });
    const [textOffline] = await offline.embedTexts(['a dog running in snow']);
    const [imageOffline] = await offline.embedPixels([pixels]);
    expect(requests.length).toBe(before);
    expect(Array.from(textOffline!)).toEqual(Array.from(text!));
    expect(Array.from(imageOffline!)).toEqual(Array.from(image!));

    // And the vectors are the model's: the same as from the folder itself.
    const local = await ClipEmbedder.load({ model: tinyModelDir, offline: true, dataDir, device: 'cpu', threads: 0 });
    expect(cosine(text!, (await local.embedTexts(['a dog running in snow']))[0]!)).toBeGreaterThan(0.99999);
    expect(cosine(image!, (await local.embedPixels([pixels]))[0]!)).toBeGreaterThan(0.99999);
  }, 120_000);
});
