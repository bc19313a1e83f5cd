// A gateway in a process of its own, for memory measurements: started with --expose-gc by a test, it
// reports its ports over IPC and answers each 'measure' message with the bytes the V8 heap holds after
// full collections, so that the measuring process's own sockets never count.
import v8 from 'node:v8';
import { startGateway } from './gateway.ts';
import { startBackend } from './backends.ts';
import { webBackendFiles } from './manifests.ts';

export interface GatewayPorts { http: number; https: number }
export interface HeapFigures {
  /** Live objects in the old and large-object spaces: what connections retain (code and young space left out). */
  retained: number;
  rss: number;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('start with --expose-gc');

const backend = await startBackend('web');
backend.handler = (_req, res) => res.end('ok');
const gw = await startGateway(webBackendFiles(backend.port), ['--https-port', '0']);

async function measure(): Promise<HeapFigures> {
  backend.received.length = 0; // the test backend records every request: not the gateway's memory
  // Several rounds: weak callbacks and finalizers of one collection free more in the next.
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((resolve) => setImmediate(resolve));
  }
  let retained = 0;
  for (const space of v8.getHeapSpaceStatistics()) {
    if (space.space_name === 'old_space' || space.space_name === 'large_object_space') retained += space.space_used_size;
  }
  return { retained, rss: process.memoryUsage.rss() };
}

process.on('message', (message: string) => {
  if (message === 'measure') void measure().then((figures) => process.send!(figures));
  else if (message === 'stop') void gw.close().then(() => backend.close()).then(() => process.exit(0));
});
process.send!({ http: gw.port, https: gw.gateway.ports!.https! } satisfies GatewayPorts);
