// SQLite vs PostgreSQL on one node, and one vs two nodes on one PostgreSQL: the code flow with
// an SSO session and refresh rotation (c=16, ES256; the smoke run c=4), side by side in one
// run. bench/postgres builds the binary and starts the throwaway cluster, then calls:
//
//   node bench/postgres.mjs --bin target/release/latchkey --pg-url postgres://... --pg-dir DIR
//                           [--smoke] [--duration N] [--write bench/RESULTS.md] [--commit SHA]
//
// It prints one markdown section on stdout (progress on stderr); --write puts it between
// <!-- keep: postgres --> markers in that file. Exit status 1 when any cell had an error or did
// nothing. 127.0.0.1 only; everything in a temp dir removed at the end; bounded in time.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, fallback) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : fallback; };
const SMOKE = argv.includes('--smoke');
const BIN = path.resolve(opt('--bin', ''));
const PG_URL = opt('--pg-url', '');
const PG_DIR = opt('--pg-dir', '');
const DURATION = Number(opt('--duration', SMOKE ? 1 : 10));
const WARMUP = SMOKE ? 0.3 : 1;
const WRITE = opt('--write', null);
const STATEMENTS = argv.includes('--statements'); // the cluster preloads pg_stat_statements
const COMMIT = opt('--commit', 'unknown');
const C = SMOKE ? 4 : 16; // virtual browsers / clients (the smoke run keeps its debug sign-ins few)
const PASSWORD = 'bench-password-123';
const REDIRECT = 'http://127.0.0.1:9/cb';
const USERS = ['bench0', 'bench1', 'bench2', 'bench3'];

const started = Date.now();
const log = (...a) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${a.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const problems = [];

// ------------------------------------------------------------------ processes
const children = new Set();
function killAll() { for (const p of children) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } } }
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { killAll(); process.exit(130); });
setTimeout(() => { log('watchdog: too long, stopping'); killAll(); process.exit(1); },
  (SMOKE ? 3 : 20) * 60_000).unref();
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-pgbench-'));
process.on('exit', () => { if (!process.env.BENCH_KEEP_TMP) fs.rmSync(TMP, { recursive: true, force: true }); });
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LATCHKEY_')));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}
function getOnce(port, p) {
  return new Promise((resolve) => {
    const r = http.get({ host: '127.0.0.1', port, path: p, agent: false, timeout: 1000 }, (res) => {
      res.resume(); res.on('end', () => resolve(res.statusCode));
    });
    r.on('error', () => resolve(0));
    r.on('timeout', () => { r.destroy(); resolve(0); });
  });
}
const tail = (f) => { try { return fs.readFileSync(f, 'utf8').split('\n').slice(-15).join('\n'); } catch { return ''; } };

// latchkey's settings for one store: SQLite in the data dir, or the PostgreSQL database.
const storeEnv = (dbUrl) => (dbUrl ? { LATCHKEY_DATABASE_URL: dbUrl } : {});

function cli(dataDir, dbUrl, args, input) {
  const r = spawnSync(BIN, [...args, '--data-dir', dataDir], {
    env: { ...cleanEnv, ...storeEnv(dbUrl) }, input, encoding: 'utf8', timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`latchkey ${args.join(' ')}: ${r.stderr || r.error}`);
  return r.stdout;
}
// Users and the code-flow client, through the CLI (once per store); returns the client secret.
function setUp(dataDir, dbUrl) {
  for (const u of USERS) {
    cli(dataDir, dbUrl, ['user', 'add', u, '--email', `${u}@bench.example`, '--name', u, '--email-verified', '--password-stdin'], `${PASSWORD}\n`);
  }
  const out = JSON.parse(cli(dataDir, dbUrl, ['client', 'add', 'web', '--redirect-uri', REDIRECT,
    '--grant-types', 'authorization_code,refresh_token', '--skip-consent', '--id-token-alg', 'ES256', '--json']));
  return out.client_secret;
}

// One node: its own data dir and port; every node of a store announces the same issuer.
async function startNode(name, dataDir, dbUrl, port, issuer) {
  const logFile = path.join(TMP, `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  const env = { ...cleanEnv, ...storeEnv(dbUrl), LATCHKEY_DATA_DIR: dataDir, LATCHKEY_BIND: `127.0.0.1:${port}`,
    LATCHKEY_ISSUER: issuer, LATCHKEY_LOG_LEVEL: 'warn', LATCHKEY_ACCESS_TOKEN_ALG: 'ES256',
    LATCHKEY_TRUSTED_PROXIES: '127.0.0.1' };
  const proc = spawn(BIN, ['serve'], { env, stdio: ['ignore', fd, fd], cwd: TMP });
  fs.closeSync(fd);
  children.add(proc);
  let exited = null;
  proc.on('exit', (code) => { exited = code ?? 'signal'; children.delete(proc); });
  const t0 = performance.now();
  while (await getOnce(port, '/.well-known/openid-configuration') !== 200) {
    if (exited !== null) throw new Error(`${name} exited (${exited}); ${logFile}:\n${tail(logFile)}`);
    if (performance.now() - t0 > 60_000) throw new Error(`${name} did not answer within 60 s`);
    await sleep(20);
  }
  return { name, proc, pid: proc.pid, base: `http://127.0.0.1:${port}` };
}
async function stopNode(n) {
  if (n.proc.exitCode !== null) return;
  const done = new Promise((r) => n.proc.once('exit', r));
  n.proc.kill('SIGTERM');
  const t = setTimeout(() => { try { n.proc.kill('SIGKILL'); } catch { /* gone */ } }, 10_000);
  await done;
  clearTimeout(t);
}
async function paths(base) {
  const d = await (await fetch(`${base}/.well-known/openid-configuration`)).json();
  const p = (u) => new URL(u).pathname;
  return { authorize: p(d.authorization_endpoint), token: p(d.token_endpoint), userinfo: p(d.userinfo_endpoint) };
}

// ------------------------------------------------------------------ PostgreSQL's own counters
function psql(url, sqlText) {
  const r = spawnSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sqlText],
    { encoding: 'utf8', timeout: 30_000, env: cleanEnv });
  if (r.status !== 0) throw new Error(`psql: ${r.stderr || r.error}`);
  return r.stdout.trim();
}
// Transactions committed in the bench database (reads too), rows written, WAL records, bytes, writes and syncs (fsyncs) cluster-wide.
function pgCounters(url) {
  const [commits, rollbacks] = psql(url, 'SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = current_database()').split('|').map(Number);
  const [records, bytes, writes, syncs, syncMs] = psql(url, 'SELECT wal_records, wal_bytes, wal_write, wal_sync, wal_sync_time FROM pg_stat_wal').split('|').map(Number);
  const rows = Number(psql(url, 'SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_user_tables'));
  return { commits, rollbacks, records, bytes, writes, syncs, syncMs, rows };
}
// What the bench database's backends are doing, sampled every 0.1 s by one psql session
// (\watch) while the driver runs: waiting for the write lock (the advisory lock), in a WAL
// flush, running, inside a transaction waiting for latchkey's next statement, idle.
const ACTIVITY = `SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint,
  count(*) FILTER (WHERE wait_event = 'advisory'),
  count(*) FILTER (WHERE wait_event IN ('WALSync', 'WALWrite', 'WALInitSync')),
  count(*) FILTER (WHERE state = 'active' AND wait_event IS NULL),
  count(*) FILTER (WHERE state = 'idle in transaction'),
  count(*) FILTER (WHERE state = 'idle')
  FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`;
const STATES = ['lock', 'walsync', 'running', 'in_tx', 'idle'];
function sampleActivity(url) {
  const p = spawn('psql', ['-X', '-q', '-A', '-t', '-d', url], { stdio: ['pipe', 'pipe', 'ignore'], env: cleanEnv });
  children.add(p);
  p.on('exit', () => children.delete(p));
  const rows = [];
  let buf = '';
  p.stdout.on('data', (d) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop();
    for (const l of lines) if (/^\d+(\|\d+){5}$/.test(l.trim())) rows.push(l.trim().split('|').map(Number));
  });
  p.stdin.write(`${ACTIVITY.replace(/\s+/g, ' ')} \\watch 0.1\n`);
  return {
    // Mean number of backends in each state over samples inside [from, to] (epoch ms).
    stop(from, to) {
      p.kill('SIGTERM');
      const inside = rows.filter((r) => r[0] >= from && r[0] <= to);
      const mean = (i) => (inside.length ? inside.reduce((a, r) => a + r[i], 0) / inside.length : null);
      return { samples: inside.length, ...Object.fromEntries(STATES.map((k, i) => [k, mean(i + 1)])) };
    },
  };
}
function runDriver(file, limitMs) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(HERE, 'driver.mjs'), `@${file}`], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv });
    children.add(p);
    let out = ''; let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const t = setTimeout(() => { try { p.kill('SIGKILL'); } catch { /* gone */ } }, limitMs);
    p.on('exit', (code) => { clearTimeout(t); children.delete(p); resolve({ status: code, stdout: out, stderr: err }); });
    p.on('error', reject);
  });
}
const postmasterPid = () => Number(fs.readFileSync(path.join(PG_DIR, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);

// ------------------------------------------------------------------ one cell
let jobN = 0;
async function cell(label, nodes, secret, dbUrl, scenario) {
  const pg = dbUrl ? { postgres: [postmasterPid()] } : {};
  const job = {
    scenario, server: 'latchkey', base: nodes[0].base, bases: nodes.map((n) => n.base),
    paths: await paths(nodes[0].base), client_id: 'web', client_secret: secret, redirect_uri: REDIRECT,
    scope: 'openid profile email', password: PASSWORD, users: USERS, concurrency: C,
    duration: DURATION, warmup: WARMUP, random_session: false,
    cpu_trees: { latchkey: nodes.map((n) => n.pid), ...pg },
  };
  const file = path.join(TMP, `job-${jobN++}.json`);
  fs.writeFileSync(file, JSON.stringify(job));
  // PostgreSQL reports a backend's counters at most once a second and when it goes idle:
  // wait that long before reading them after the run.
  if (dbUrl && STATEMENTS) psql(dbUrl, 'SELECT pg_stat_statements_reset()');
  const before = dbUrl ? pgCounters(dbUrl) : null;
  const sampler = dbUrl ? sampleActivity(dbUrl) : null;
  const r = await runDriver(file, (DURATION + WARMUP + 180) * 1000);
  const line = (r.stdout || '').trim().split('\n').pop();
  if (r.status !== 0 || !line) { sampler?.stop(0, 0); throw new Error(`driver ${label} failed (${r.status}): ${r.stderr}`); }
  const out = JSON.parse(line);
  if (sampler) out.activity = sampler.stop(...out.window_ms);
  if (dbUrl && STATEMENTS) {
    // Every statement latchkey sent during the driver's run (the sampler's query left out).
    const [calls, ms] = psql(dbUrl, `SELECT coalesce(sum(calls), 0), coalesce(sum(total_exec_time), 0) FROM pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat%'
      AND query NOT LIKE '%pg_advisory_xact_lock%'`).split('|').map(Number);
    out.statements = out.completed ? { per_op: calls / out.completed, exec_ms_per_op: ms / out.completed } : null;
  }
  if (dbUrl) {
    await sleep(1500);
    const after = pgCounters(dbUrl);
    out.pg = Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
    // Per operation over the whole driver run (its setup of C sign-ins is ~1% of the operations).
    out.pg_per_op = out.completed ? Object.fromEntries(Object.entries(out.pg).map(([k, v]) => [k, v / out.completed])) : null;
  }
  if (!out.completed || out.errors) {
    problems.push(`${label}: ${out.completed} done, ${out.errors} errors ${out.error_samples.slice(0, 2).join(' | ')}`);
  }
  const by = out.cpu_by || {};
  const us = (s) => (out.ops && s != null ? (s * 1e6) / out.ops : null);
  out.us = { latchkey: us(by.latchkey), postgres: us(by.postgres),
    total: us((by.latchkey || 0) + (by.postgres || 0)) };
  out.cores = ((by.latchkey || 0) + (by.postgres || 0)) / out.seconds;
  out.driver_cores = out.driver_cpu_s / out.seconds;
  log(`${label}: ${out.rate.toFixed(0)}/s p50 ${out.p50_ms?.toFixed(1)} ms p99 ${out.p99_ms?.toFixed(1)} ms, CPU/op ${out.us.total?.toFixed(0)} µs (latchkey ${out.us.latchkey?.toFixed(0)}, postgres ${out.us.postgres?.toFixed(0) ?? '-'}), server ${out.cores.toFixed(2)} cores, driver ${out.driver_cores.toFixed(2)} cores${out.pg_per_op ? `, ${out.pg_per_op.commits.toFixed(2)} xacts/op, ${out.pg_per_op.syncs.toFixed(2)} WAL fsyncs/op of ${(out.pg.syncMs / out.pg.syncs).toFixed(2)} ms, ${out.pg_per_op.rows.toFixed(1)} rows/op` : ''}${out.statements ? `, ${out.statements.per_op.toFixed(1)} statements/op executing ${out.statements.exec_ms_per_op.toFixed(3)} ms` : ''}${out.activity ? `, backends ${STATES.map((k) => `${k} ${out.activity[k]?.toFixed(2)}`).join(' ')} (${out.activity.samples} samples)` : ''}${out.errors ? `, ${out.errors} errors: ${out.error_samples[0]}` : ''}`);
  return out;
}

// ------------------------------------------------------------------ the run
async function main() {
  if (!fs.existsSync(BIN)) throw new Error(`no binary at ${BIN}`);
  if (!PG_URL || !PG_DIR) throw new Error('--pg-url and --pg-dir are required');
  const load0 = os.loadavg();
  const R = {};
  const scenarios = [['codeflow', 'code flow with SSO session (authorize→code→token→userinfo)'], ['refresh', 'refresh rotation']];

  // SQLite, one node.
  {
    const dir = path.join(TMP, 'sqlite');
    const secret = setUp(dir, null);
    const port = await freePort();
    const n = await startNode('sqlite', dir, null, port, `http://127.0.0.1:${port}`);
    for (const [s] of scenarios) R[`sqlite/${s}`] = await cell(`SQLite, 1 node, ${s}`, [n], secret, null, s);
    await stopNode(n);
  }

  // PostgreSQL: one database for both setups; the same users and client.
  psql(PG_URL, 'CREATE DATABASE latchkey_bench');
  if (STATEMENTS) psql(PG_URL.replace(/\/[^/?]*(\?|$)/, '/latchkey_bench$1'), 'CREATE EXTENSION pg_stat_statements');
  // Instrumentation only (two clock reads per WAL write/flush): how long an fsync takes.
  psql(PG_URL, 'ALTER SYSTEM SET track_wal_io_timing = on');
  psql(PG_URL, 'SELECT pg_reload_conf()');
  const dbUrl = PG_URL.replace(/\/[^/?]*(\?|$)/, '/latchkey_bench$1');
  const dirA = path.join(TMP, 'pg-a');
  const dirB = path.join(TMP, 'pg-b');
  const secret = setUp(dirA, dbUrl);
  const [pA, pB] = [await freePort(), await freePort()];
  const issuer = `http://127.0.0.1:${pA}`;
  {
    const a = await startNode('pg-a', dirA, dbUrl, pA, issuer);
    for (const [s] of scenarios) R[`pg1/${s}`] = await cell(`PostgreSQL, 1 node, ${s}`, [a], secret, dbUrl, s);
    await stopNode(a);
  }
  {
    // Every node: its own data dir, the same database, issuer and secret key.
    fs.mkdirSync(dirB, { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(dirA, 'secret.key'), path.join(dirB, 'secret.key'));
    fs.chmodSync(path.join(dirB, 'secret.key'), 0o600);
    const a = await startNode('pg-a', dirA, dbUrl, pA, issuer);
    const b = await startNode('pg-b', dirB, dbUrl, pB, issuer);
    for (const [s] of scenarios) R[`pg2/${s}`] = await cell(`PostgreSQL, 2 nodes, ${s}`, [a, b], secret, dbUrl, s);
    await stopNode(a);
    await stopNode(b);
  }
  const pgVersion = psql(PG_URL, 'SHOW server_version').split(' ')[0];
  const settings = psql(PG_URL, "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'track_wal_io_timing', 'commit_delay', 'max_connections', 'shared_buffers')");

  // ---------------------------------------------------------------- the section
  const f0 = (x) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(0));
  const f1 = (x) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(1));
  const f2 = (x) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(2));
  const setups = [['sqlite', 'SQLite, 1 node'], ['pg1', 'PostgreSQL, 1 node'], ['pg2', 'PostgreSQL, 2 nodes']];
  const rows = [];
  for (const [s, what] of scenarios) {
    for (const [k, name] of setups) {
      const r = R[`${k}/${s}`];
      const pg = r.pg_per_op;
      rows.push(`| ${what}, c=${C} | ${name} | ${f0(r.rate)} | ${f1(r.p50_ms)} / ${f1(r.p99_ms)} | ${f0(r.us.latchkey)} | ${f0(r.us.postgres)} | ${f0(r.us.total)} | ${f2(r.cores)} | ${f2(r.driver_cores)} | ${pg ? f2(pg.commits) : '–'} | ${pg ? `${f2(pg.syncs)} × ${f2(r.pg.syncMs / r.pg.syncs)} ms` : '–'} | ${pg ? f1(pg.rows) : '–'} | ${pg ? f0(pg.bytes) : '–'} | ${r.activity ? STATES.map((k) => f1(r.activity[k])).join(' / ') : '–'} |${STATEMENTS ? ` ${r.statements ? `${f1(r.statements.per_op)} / ${f2(r.statements.exec_ms_per_op)}` : '–'} |` : ''}${r.errors ? ` ${r.errors} errors` : ''}`);
    }
  }
  const load1 = os.loadavg();
  const cpu = (os.cpus()[0]?.model || '').replace(/\s+/g, ' ').trim();
  const md = [
    '<!-- keep: postgres -->',
    '## PostgreSQL and several nodes (bench/postgres)',
    '',
    `${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, commit ${COMMIT}, ${os.availableParallelism()} cores (${cpu}), load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')}. ` +
      `${STATEMENTS ? 'DIAGNOSTIC run with pg_stat_statements preloaded. ' : ''}${SMOKE ? 'SMOKE run (debug binary, ~1 s per cell): figures mean nothing. ' : ''}${DURATION} s per cell after ${WARMUP} s of warm-up, ${C} virtual browsers (refresh: clients) through bench/driver.mjs, ES256 ID and access tokens, durability at its default. ` +
      `PostgreSQL ${pgVersion}, a throwaway cluster on a Unix socket (scripts/pg-cluster: ${settings}). Two nodes: the same database, issuer and secret key, each its own data dir and port; browser i talks to node i mod 2 only.`,
    '',
    `| scenario | setup | ops/s | p50 / p99 ms | CPU µs/op latchkey | CPU µs/op postgres | CPU µs/op total | server cores | driver cores | PG xacts/op | WAL fsyncs/op × ms each | rows written/op | WAL bytes/op | PG backends: write lock / WAL flush / running / in tx, waiting for latchkey / idle |${STATEMENTS ? ' statements/op / their execution ms/op |' : ''}`,
    `|---|---|---|---|---|---|---|---|---|---|---|---|---|---|${STATEMENTS ? '---|' : ''}`,
    ...rows,
    '',
    'CPU: utime + stime from /proc over the measured window, summed over every latchkey process (both nodes) and over the postmaster and all its children (backends, WAL writer, checkpointer; exited ones through cutime), divided by the operations. ' +
      `PG columns: pg_stat_database.xact_commit of the bench database (every transaction, read units too), pg_stat_wal (wal_sync: fsyncs of the WAL by any process, and wal_sync_time over them, with track_wal_io_timing on; wal_bytes) and pg_stat_user_tables (rows inserted, updated, deleted) over the whole driver run, warm-up and its ${C} sign-ins included, divided by the operations it completed. ` +
      'PG backends: the mean number of latchkey\'s connections in each state (pg_stat_activity sampled every 0.1 s during the window): waiting for the advisory write lock, waiting for a WAL write/flush, running a statement, inside a transaction waiting for latchkey\'s next statement (the write lock is held meanwhile in a write unit), idle in the pool.',
    '<!-- /keep: postgres -->',
  ].join('\n');
  process.stdout.write(`${md}\n`);
  if (WRITE) {
    const old = fs.existsSync(WRITE) ? fs.readFileSync(WRITE, 'utf8') : '';
    const re = /<!-- keep: postgres -->[\s\S]*?<!-- \/keep: postgres -->/;
    fs.writeFileSync(WRITE, re.test(old) ? old.replace(re, () => md) : `${old.trimEnd()}\n\n${md}\n`);
    log(`wrote ${WRITE}`);
  }
  if (problems.length) {
    log(`${problems.length} cell(s) had errors:`);
    for (const p of problems) log(`  ${p}`);
    process.exitCode = 1;
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((e) => { log(`failed: ${e.stack || e}`); killAll(); process.exit(1); });
