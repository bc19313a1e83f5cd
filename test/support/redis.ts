// A real redis-server for tests: started on a free loopback port with persistence off, ready once it
// answers PING, stopped (or killed, to test failure modes) by the test.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { closedPort } from './ports.ts';

const REDIS_SERVER = '/usr/bin/redis-server';

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(500, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) {
        socket.end();
        resolve(data.startsWith('+PONG'));
      }
    });
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(data.startsWith('+PONG')));
  });
}

export class RedisServer {
  readonly port: number;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  private constructor(port: number, child: ChildProcess) {
    this.port = port;
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts a server; `port` reuses a port (to restart after kill()). */
  static async start(port?: number): Promise<RedisServer> {
    for (let attempt = 0; ; attempt++) {
      const p = port ?? (await closedPort());
      const child = spawn(REDIS_SERVER, ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { stdio: 'ignore' });
      const server = new RedisServer(p, child);
      let gone = false;
      void server.exited.then(() => (gone = true));
      const deadline = Date.now() + 5000;
      while (!gone && Date.now() < deadline) {
        if (await ping(p)) return server;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await server.kill();
      // The port may have been taken between closedPort() and the bind: try another one.
      if (port !== undefined || attempt >= 2) throw new Error(`redis-server did not start on port ${p}`);
    }
  }

  /** SIGKILL, as a crash would; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}
