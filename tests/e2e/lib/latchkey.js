// latchkey for the browser E2E tests: the shared helper (tests/support/latchkey.mjs) with the
// binary from E2E_LATCHKEY_BIN, and clients that get the redirect, post-logout and back-channel
// URIs of a demo RP.

import {
  ALICE,
  Latchkey as SharedLatchkey,
  binaryFrom,
  childEnv,
  freePort,
  sleep,
} from '../../support/latchkey.mjs';

export { ALICE, binaryFrom, childEnv, freePort, sleep };

export class Latchkey extends SharedLatchkey {
  /**
   * Create a data dir and pick a port; nothing runs yet. `env`: settings for this latchkey's
   * commands and server (`LATCHKEY_*` variables are passed on only from here).
   */
  static async create({ avoidPorts = [], host, env = {} } = {}) {
    return super.create({
      host,
      binEnv: 'E2E_LATCHKEY_BIN',
      tmpPrefix: 'latchkey-e2e-',
      avoidPorts,
      env: { NO_COLOR: '1', ...env },
      logLines: 400,
    });
  }

  /**
   * Register a confidential client for a demo RP at `rpBase` (http://127.0.0.1:PORT) and return
   * the parsed --json output (client_id, client_secret, ...).
   */
  async addDemoClient(clientId, name, rpBase) {
    const parsed = await this.addClient(clientId, [
      '--redirect-uri', `${rpBase}/callback`,
      '--post-logout-redirect-uri', `${rpBase}/`,
      '--backchannel-logout-uri', `${rpBase}/backchannel_logout`,
      '--name', name,
    ]);
    if (!parsed.client_secret) throw new Error(`client add printed no client_secret for ${clientId}`);
    return parsed;
  }
}
