// Start a fresh latchkey for one test file: free port, temp data dir, users and clients
// registered through the CLI, then `latchkey serve` polled on /healthz (and /jwks) until ready.
// Shared by the Node suites: tests/interop/lib/latchkey.js and tests/e2e/lib/latchkey.js import
// it and add what only their suite needs. Node built-ins only, so it needs no node_modules.

import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The user both suites sign in as. */
export const ALICE = Object.freeze({
  username: 'alice',
  password: 'correct horse battery staple',
  email: 'alice@example.com',
  name: 'Alice Example',
});

const READY_TIMEOUT_MS = 10_000;
const CLI_TIMEOUT_MS = 30_000;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** An absolute path from an environment variable, checked to exist. */
export function binaryFrom(variable) {
  const bin = process.env[variable];
  if (!bin) throw new Error(`set ${variable} to the absolute path of the binary`);
  if (!path.isAbsolute(bin)) throw new Error(`${variable} must be absolute, got ${bin}`);
  if (!fs.existsSync(bin)) throw new Error(`${variable} does not exist: ${bin}`);
  return bin;
}

/**
 * The environment for child processes: everything inherited except LATCHKEY_* (latchkey
 * refuses unknown LATCHKEY_* variables, so none leak in from the caller), plus `extra`.
 */
export function childEnv(extra = {}) {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('LATCHKEY_')),
  );
  return { ...inherited, ...extra };
}

/** A TCP port that was free a moment ago on 127.0.0.1, other than those in `avoid`. */
export async function freePort(avoid = []) {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port: p } = srv.address();
        srv.close(() => resolve(p));
      });
    });
    if (!avoid.includes(port)) return port;
  }
}

export class Latchkey {
  /**
   * `env`: extra environment for every child (on top of the inherited one without LATCHKEY_*);
   * `logLines`: how many output chunks of `serve` to keep for error messages; `host`: the
   * issuer's host (`localhost` for passkeys, which cannot live on an IP address), the server
   * listens on 127.0.0.1 either way.
   */
  constructor({ bin, port, dataDir, env = {}, logLines = 400, host = '127.0.0.1' }) {
    this.bin = bin;
    this.host = host;
    this.dataDir = dataDir;
    this.proc = null;
    this.log = [];
    this.logLines = logLines;
    this.env = childEnv(env);
    this.#usePort(port);
  }

  /**
   * Create a data dir and pick a port; nothing runs yet. `binEnv` names the environment variable
   * holding the latchkey binary; `tmpPrefix` names the data dir.
   */
  static async create({ binEnv, tmpPrefix, avoidPorts = [], ...options }) {
    const bin = binaryFrom(binEnv);
    const port = await freePort(avoidPorts);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
    return new this({ bin, port, dataDir, ...options });
  }

  get origin() {
    return this.issuer;
  }

  /** Run an admin command; resolves with stdout, rejects with stderr on a non-zero exit. */
  cli(args, { stdin } = {}) {
    return new Promise((resolve, reject) => {
      const child = execFile(
        this.bin,
        [...args, '--data-dir', this.dataDir],
        { cwd: this.dataDir, env: this.env, timeout: CLI_TIMEOUT_MS },
        (err, stdout, stderr) => {
          if (err) {
            const why = err.killed ? `killed after ${CLI_TIMEOUT_MS} ms` : `exit code ${err.code}`;
            reject(new Error(`latchkey ${args.join(' ')} failed (${why}): ${stderr.trim()}`));
          } else {
            resolve(stdout);
          }
        },
      );
      child.stdin.on('error', () => {}); // EPIPE when the command exits before reading
      child.stdin.end(stdin ?? '');
    });
  }

  /** Create a user (password through --password-stdin); returns the parsed --json output. */
  async addUser(u) {
    const out = await this.cli(
      ['user', 'add', u.username, '--email', u.email, '--name', u.name, '--password-stdin', '--json'],
      { stdin: `${u.password}\n` },
    );
    return JSON.parse(out);
  }

  /**
   * `latchkey client add CLIENT_ID ARGS... --json`; returns the parsed output (client_id,
   * client_secret, ...) after checking it names `clientId`.
   */
  async addClient(clientId, args = []) {
    const out = await this.cli(['client', 'add', clientId, ...args, '--json']);
    const parsed = JSON.parse(out);
    if (parsed.client_id !== clientId) {
      throw new Error(`client add printed client_id ${parsed.client_id}, expected ${clientId}`);
    }
    return parsed;
  }

  /**
   * Spawn `latchkey serve` and wait (bounded) for GET /healthz to answer 200 and /jwks to
   * publish this data dir's keys (so another test file's server that grabbed the same port is
   * never mistaken for ours). On failure try again on a new port, at most 3 times; the port
   * (and so the issuer) may change, which is why the demo RPs start after latchkey.
   */
  async start({ avoidPorts = [] } = {}) {
    const keys = JSON.parse(await this.cli(['keys', 'list', '--json']));
    this.kids = keys.map((k) => k.kid);
    if (this.kids.length === 0) throw new Error('latchkey keys list shows no signing keys');
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#startOnce();
      if (outcome === 'ready') return;
      await this.#kill();
      if (attempt >= 3) {
        throw new Error(`latchkey serve could not start (${outcome}):\n${this.log.join('')}`);
      }
      this.#usePort(await freePort(avoidPorts));
    }
  }

  async #ours() {
    const res = await fetch(`${this.issuer}/jwks`, { signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) return false;
    const published = new Set(((await res.json()).keys ?? []).map((k) => k.kid));
    return this.kids.every((kid) => published.has(kid));
  }

  #usePort(port) {
    this.port = port;
    this.issuer = `http://${this.host}:${port}`;
    this.env.LATCHKEY_ISSUER = this.issuer;
    this.env.LATCHKEY_BIND = `127.0.0.1:${port}`;
  }

  async #startOnce() {
    this.log = [];
    const proc = spawn(this.bin, ['serve', '--data-dir', this.dataDir], {
      cwd: this.dataDir,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    const keep = (chunk) => {
      this.log.push(chunk.toString());
      if (this.log.length > this.logLines) this.log.shift();
    };
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    let exited = null;
    proc.on('exit', (code, signal) => {
      exited = { code, signal };
    });
    // Never leave a server behind, even if the test runner dies without running `after`.
    const reap = () => proc.kill('SIGKILL');
    process.once('exit', reap);
    proc.once('exit', () => process.off('exit', reap));

    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (exited) return `exited early: ${JSON.stringify(exited)}`;
      try {
        const res = await fetch(`${this.issuer}/healthz`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) return (await this.#ours()) && !exited ? 'ready' : 'port taken by another server';
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    return `not healthy within ${READY_TIMEOUT_MS} ms`;
  }

  /** Kill the server (SIGTERM, then SIGKILL after 3 s). */
  async #kill() {
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

  /** Kill the server and remove the data dir. */
  async stop() {
    await this.#kill();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
