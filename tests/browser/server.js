// Starts the real LaunchPad binary for the browser tests: a temporary data
// folder, one account per role made with `launchpad user add`, and
// `launchpad serve` on a free port read back from its JSON log line, with
// any further LAUNCHPAD_* settings the caller names.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PASSWORD = 'Orbit-Lantern-Quartz-58';
export const USERS = {
  admin: 'ada.admin@example.com',
  editor: 'eddie.editor@example.com',
  viewer: 'vera.viewer@example.com',
};

function binary() {
  if (process.env.LAUNCHPAD_BINARY) return process.env.LAUNCHPAD_BINARY;
  return join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'debug', 'launchpad');
}

export async function startServer(settings = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'launchpad-browser-'));
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? dataDir,
    LAUNCHPAD_LOG_FORMAT: 'json',
    // Every test signs in afresh from 127.0.0.1; the default of 10 sign-ins
    // a minute per client would refuse the later ones.
    LAUNCHPAD_AUTH_LOGIN_ATTEMPTS_PER_MINUTE: '1000',
  };
  for (const [role, email] of Object.entries(USERS)) {
    execFileSync(binary(), ['user', 'add', '--email', email, '--role', role, '--data-dir', dataDir], {
      env: { ...env, LAUNCHPAD_PASSWORD: PASSWORD },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }
  const child = spawn(binary(), ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir], {
    env: { ...env, ...settings },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`launchpad did not start serving; stderr: ${stderr}`)), 20_000);
    child.on('exit', (code) => reject(new Error(`launchpad exited with ${code}; stderr: ${stderr}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const event = JSON.parse(line);
        if (event.fields?.message === 'launchpad is serving') {
          clearTimeout(timer);
          resolvePort(event.fields.port);
        }
      } catch { /* not a log line */ }
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
