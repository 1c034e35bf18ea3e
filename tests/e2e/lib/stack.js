// One latchkey and the two demo RPs, wired together through the latchkey CLI.

import { Latchkey, freePort } from './latchkey.js';
import { DemoRp } from './rp.js';

/**
 * Start latchkey with `users` and two confidential clients, `rp-a` ("Demo A", the Rust RP)
 * and `rp-b` ("Demo B", the Node RP), then both RPs. Everything listens on 127.0.0.1.
 */
export async function startStack({ users }) {
  const portA = await freePort();
  const portB = await freePort([portA]);
  const avoidPorts = [portA, portB];
  const lk = await Latchkey.create({ avoidPorts });
  const rpA = new DemoRp({ kind: 'rust', name: 'Demo A', port: portA });
  const rpB = new DemoRp({ kind: 'node', name: 'Demo B', port: portB });
  const stack = { lk, rpA, rpB };
  stack.stop = async () => {
    await Promise.all([rpA.stop(), rpB.stop()]);
    await lk.stop();
  };
  try {
    for (const u of users) await lk.addUser(u);
    const a = await lk.addDemoClient('rp-a', 'Demo A', rpA.base);
    const b = await lk.addDemoClient('rp-b', 'Demo B', rpB.base);
    await lk.start({ avoidPorts });
    await Promise.all([
      rpA.start({ issuer: lk.issuer, clientId: 'rp-a', clientSecret: a.client_secret }),
      rpB.start({ issuer: lk.issuer, clientId: 'rp-b', clientSecret: b.client_secret }),
    ]);
  } catch (e) {
    await stack.stop();
    throw e;
  }
  return stack;
}

/** The last lines each server printed, for a failing test's message. */
export function logsOf(stack) {
  const tail = (lines) => lines.join('').split('\n').slice(-40).join('\n');
  return [
    `--- latchkey log (tail):\n${tail(stack.lk.log)}`,
    `--- Demo A log (tail):\n${tail(stack.rpA.log)}`,
    `--- Demo B log (tail):\n${tail(stack.rpB.log)}`,
  ].join('\n');
}
