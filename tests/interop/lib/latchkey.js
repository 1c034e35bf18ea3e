// latchkey for the interoperability tests: the shared helper (tests/support/latchkey.mjs) with
// the binary from INTEROP_LATCHKEY_BIN, user alice, and clients registered with one redirect URI
// on a port of their own.

import { ALICE, Latchkey as SharedLatchkey, freePort } from '../../support/latchkey.mjs';

export { freePort };

export const USER = ALICE;

export class Latchkey extends SharedLatchkey {
  /** Create a data dir and pick ports (latchkey's and the RP's); nothing runs yet. */
  static async create() {
    const lk = await super.create({
      binEnv: 'INTEROP_LATCHKEY_BIN',
      tmpPrefix: 'latchkey-interop-',
      logLines: 200,
    });
    const rpPort = await freePort([lk.port]);
    lk.redirectUri = `http://127.0.0.1:${rpPort}/cb`;
    return lk;
  }

  /** Create a user; returns the parsed `--json` output (username, subject, email). */
  addUser(u = USER) {
    return super.addUser(u);
  }

  /** Register a client and return the parsed `--json` output (client_id, client_secret, ...). */
  addClient(clientId, extra = []) {
    return super.addClient(clientId, ['--redirect-uri', this.redirectUri, ...extra]);
  }
}
