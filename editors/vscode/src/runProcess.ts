/** Runs a program without a shell and collects its output (never rejects). */

import { spawn } from 'node:child_process';
import type { Runner } from './pythonFinder';

export const runProcess: Runner = (command, args, options = {}) =>
  new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    const done = (code: number | null, extra = ''): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ code, stdout, stderr: stderr + extra });
    };
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const timer = setTimeout(() => {
      child.kill();
      done(null, `timed out after ${Math.round((options.timeoutMs ?? 0) / 1000)} s`);
    }, options.timeoutMs ?? 60000);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // ENOENT (no such program) is "not found", said by the caller; other errors are kept.
    child.on('error', (err: NodeJS.ErrnoException) => done(null, err.code === 'ENOENT' ? '' : err.message));
    child.on('close', (code) => done(code));
  });
