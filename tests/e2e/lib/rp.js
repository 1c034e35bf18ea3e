// The two demo relying parties: RP A (Rust, the openidconnect crate: examples/demo_rp.rs, built
// by `cargo build --example demo_rp`, path in E2E_DEMO_RP_BIN) and RP B (Node, openid-client:
// rp-node.js). Each is a child process on its own 127.0.0.1 port, configured through DEMO_RP_*.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { binaryFrom, childEnv, sleep } from './latchkey.js';

const READY_TIMEOUT_MS = 20_000;
const HERE = path.dirname(fileURLToPath(import.meta.url));

export class DemoRp {
  /**
   * kind: 'rust' or 'node'. name: the app name (also the page title, which tells us the server
   * answering on the port is this one).
   */
  constructor({ kind, name, port }) {
    this.kind = kind;
    this.name = name;
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
    this.proc = null;
    this.log = [];
  }

  async start({ issuer, clientId, clientSecret }) {
    const env = childEnv({
      DEMO_RP_ISSUER: issuer,
      DEMO_RP_CLIENT_ID: clientId,
      DEMO_RP_CLIENT_SECRET: clientSecret,
      DEMO_RP_PORT: String(this.port),
      DEMO_RP_NAME: this.name,
    });
    const [cmd, args] =
      this.kind === 'rust'
        ? [binaryFrom('E2E_DEMO_RP_BIN'), []]
        : [process.execPath, [path.join(HERE, '..', 'rp-node.js')]];
    const proc = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const keep = (chunk) => {
      this.log.push(chunk.toString());
      if (this.log.length > 400) this.log.shift();
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    let exited = null;
    proc.on('exit', (code, signal) => {
      exited = { code, signal };
    });
    const reap = () => proc.kill('SIGKILL');
    process.once('exit', reap);
    proc.once('exit', () => process.off('exit', reap));

    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (exited) break;
      try {
        const res = await fetch(`${this.base}/`, { signal: AbortSignal.timeout(1000) });
        const html = await res.text();
        if (res.status === 200 && html.includes(`<title>${this.name}</title>`)) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    const why = exited ? `exited: ${JSON.stringify(exited)}` : `not ready within ${READY_TIMEOUT_MS} ms`;
    await this.stop();
    throw new Error(`${this.name} (${this.kind}) did not start (${why}):\n${this.log.join('')}`);
  }

  async stop() {
    const p = this.proc;
    this.proc = null;
    if (p && p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(timer);
    }
  }
}
