// Memory of idle keep-alive connections, Tideway against nginx in the same run: each proxy (one
// worker) gets N connections that each made one request and then stay open, idle; the figure is the
// growth of the proxy's resident memory (all its processes) per 1,000 connections, measured after the
// connections settle. Not part of `npm test` or `npm run bench` (it needs N file descriptors twice).
//
//   node bench/idle-connections.ts [N=10000]
import net from 'node:net';
import { join } from 'node:path';
import { installCleanupHandlers, stopAll } from './lifecycle.ts';
import { LOOPBACK, freePort } from './net.ts';
import { startNginx } from './nginx.ts';
import { startTideway, REPO_ROOT } from './tideway.ts';
import { processTree, readMemory } from './procfs.ts';

const N = Number(process.argv[2] ?? 10_000);
const SETTLE_MS = 3000;

function rssKiB(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + (readMemory(p)?.rss ?? 0), 0);
}

/** One connection that made a request and got its whole answer, left open. */
function idleConnection(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, LOOPBACK, () => socket.write('GET /small HTTP/1.1\r\nHost: bench.test\r\n\r\n'));
    let seen = 0;
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen >= 1024) {
        socket.removeAllListeners('data');
        resolve(socket);
      }
    });
    socket.on('error', reject);
  });
}

async function measure(name: string, pid: number, port: number): Promise<number> {
  for (let i = 0; i < 200; i++) (await idleConnection(port)).destroy(); // warm up
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const before = rssKiB(pid);
  const sockets: net.Socket[] = [];
  for (let i = 0; i < N; i += 100) sockets.push(...(await Promise.all(Array.from({ length: Math.min(100, N - i) }, () => idleConnection(port)))));
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const perThousand = (rssKiB(pid) - before) / 1024 / (N / 1000);
  console.log(`${name}: ${N} idle keep-alive connections, ${perThousand.toFixed(2)} MiB per 1,000`);
  for (const socket of sockets) socket.destroy();
  return perThousand;
}

installCleanupHandlers();
const upstreamPort = await freePort();
const upstreamGrpcPort = await freePort();
await startNginx({ name: 'upstream', port: upstreamPort, cpus: '0,1', role: 'upstream', grpcPort: upstreamGrpcPort });
const nginxPort = await freePort();
const nginx = await startNginx({ name: 'proxy', port: nginxPort, cpus: '0,1', role: 'proxy', workers: 1, ports: { tlsPort: await freePort(), h2cPort: await freePort(), upstreamPort, upstreamGrpcPort } });
const tideway = await startTideway({
  entry: join(REPO_ROOT, 'src', 'cli', 'main.ts'), upstreamPort, upstreamGrpcPort,
  httpPort: await freePort(), httpsPort: await freePort(), adminPort: await freePort(), workers: 1, cpus: '0,1',
});
const t = await measure('tideway', tideway.pid, tideway.port);
const n = await measure('nginx', nginx.masterPid, nginx.port);
console.log(`ratio tideway/nginx: ${(t / n).toFixed(1)}`);
await stopAll();
process.exit(0);
